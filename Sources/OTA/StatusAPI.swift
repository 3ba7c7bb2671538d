import COTA
import OTACore
import OTAStore

@c @implementation
public func ota_vehicle_set_key(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                                _ vin: UnsafePointer<CChar>?, _ pub: UnsafePointer<UInt8>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        let vin = try Arguments.string(vin, "vin")
        guard let pub else { throw .misuse("pub is NULL") }
        let key = Array(UnsafeBufferPointer(start: pub, count: Ed25519.publicKeyBytes))
        try VehicleKeys.set(h.store.db, actor: actor, now: now, vin: vin, publicKey: key)
    }
}

@c @implementation
public func ota_status_ingest(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                              _ topic: UnsafePointer<CChar>?, _ report: UnsafePointer<UInt8>?, _ len: Int,
                              _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, optionalOut: out) { (h, out) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        let topic = try Arguments.string(topic, "topic")
        let bytes = try Arguments.bytes(report, len, "report")
        // The result's buffer is allocated before COMMIT; after it, it is only handed over.
        let pending = try StatusIngest.ingest(h.store.db, actor: actor, now: now, topic: topic, report: bytes,
                                              durable: !h.fastIngest) { (r) throws(OTAError) -> PendingResult? in
            out == nil ? nil : try PendingResult(r.encoded)
        }
        if let out, let pending { pending.hand(to: out) }
    }
}

@c @implementation
public func ota_status_ingest_batch(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                                    _ batch: UnsafePointer<UInt8>?, _ len: Int,
                                    _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, optionalOut: out) { (h, out) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        let bytes = try Arguments.bytes(batch, len, "batch")
        let pending = try StatusIngest.ingestBatch(h.store.db, actor: actor, now: now, batch: bytes,
                                                   durable: !h.fastIngest) { (r) throws(OTAError) -> PendingResult? in
            out == nil ? nil : try PendingResult(StatusIngest.encode(r))
        }
        if let out, let pending { pending.hand(to: out) }
    }
}

@c @implementation
public func ota_campaign_stats(_ db: OpaquePointer?, _ id: Int64, _ now: Int64,
                               _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        let now = try Arguments.now(now)
        try give(CampaignStatsQuery.stats(h.store.db, campaign: id, now: now).encoded, to: out)
    }
}

@c @implementation
public func ota_campaign_vehicles(_ db: OpaquePointer?, _ id: Int64, _ filter: UnsafePointer<UInt8>?,
                                  _ filterLen: Int, _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        let parsed = try CampaignVehicles.parseFilter(try Arguments.bytes(filter, filterLen, "filter"))
        try give(CampaignVehicles.rows(h.store.db, campaign: id, filter: parsed), to: out)
    }
}
