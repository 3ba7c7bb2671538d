import COTA
import OTACore
import OTAStore

@c @implementation
public func ota_campaign_start(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                               _ id: Int64) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        try CampaignControl.start(h.store.db, actor: try Arguments.actor(actor), now: now, campaign: id, signer: h.signer)
    }
}

@c @implementation
public func ota_campaign_pause(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                               _ id: Int64) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        try CampaignControl.pause(h.store.db, actor: try Arguments.actor(actor), now: now, campaign: id, signer: h.signer)
    }
}

@c @implementation
public func ota_campaign_resume(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                                _ id: Int64) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        try CampaignControl.resume(h.store.db, actor: try Arguments.actor(actor), now: now, campaign: id, signer: h.signer)
    }
}

@c @implementation
public func ota_campaign_abort(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                               _ id: Int64, _ reason: UnsafePointer<CChar>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        let reason = try Arguments.string(reason, "reason")
        try CampaignControl.abort(h.store.db, actor: actor, now: now, campaign: id, reason: reason, signer: h.signer)
    }
}

@c @implementation
public func ota_campaign_step(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                              _ id: Int64, _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        guard id >= 0 else { throw .badInput("campaign id \(id) is negative (0 steps every due campaign)") }
        // The result's buffer is allocated before COMMIT; after it, it is only handed over.
        let pending = try CampaignStep.run(h.store.db, actor: actor, now: now, campaign: id, signer: h.signer) {
            (r) throws(OTAError) -> PendingResult in try PendingResult(r)
        }
        pending.hand(to: out)
    }
}

@c @implementation
public func ota_outbox_fetch(_ db: OpaquePointer?, _ limit: Int64, _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        try give(Outbox.fetch(h.store.db, limit: limit), to: out)
    }
}

@c @implementation
public func ota_outbox_ack(_ db: OpaquePointer?, _ ids: UnsafePointer<Int64>?, _ count: Int) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        // NULL with any count but 0 is the caller's mistake, before the count is looked at.
        guard let ids else {
            guard count == 0 else { throw .misuse("ids is NULL but count is \(UInt(bitPattern: count))") }
            return
        }
        guard count >= 0, count <= Outbox.maxAck else {
            throw .badInput("outbox ack: count \(UInt(bitPattern: count)) exceeds \(Outbox.maxAck)")
        }
        // The caller's ids are read where they are: a copy of 2^24 of them is 128 MiB.
        _ = try Outbox.ack(h.store.db, ids: UnsafeBufferPointer(start: ids, count: count))
    }
}
