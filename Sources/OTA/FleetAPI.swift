import COTA
import CShim
import OTACore
import OTAStore

@c @implementation
public func ota_fleet_import(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                             _ snapshot: UnsafePointer<UInt8>?, _ len: Int, _ progress: ota_progress_fn?,
                             _ ctx: UnsafeMutableRawPointer?, _ summary: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, optionalOut: summary) { (h, summary) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        let bytes = try Arguments.bytes(snapshot, len, "snapshot")
        let report: ImportProgress = { done, total in
            guard let progress else { return true }
            return progress(ctx, done, total) == 0
        }
        // The summary's buffer is allocated before COMMIT (an allocation that fails rolls the
        // import back); after COMMIT it is only handed over, which cannot fail.
        let pending = try FleetImport.run(h.store.db, actor: actor, now: now, scan: { (body) throws(OTAError) in
            try Snapshot.forEachVehicle(bytes, body)
        }, progress: report) { (_, encoded) throws(OTAError) -> PendingResult? in
            summary == nil ? nil : try PendingResult(encoded)
        }
        if let summary, let pending { pending.hand(to: summary) }
    }
}

@c @implementation
public func ota_fleet_export(_ db: OpaquePointer?, _ now: Int64, _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        let now = try Arguments.now(now)
        let encoder = try FleetExport.encoder(h.store.db, now: now)
        // Joined straight into the caller's buffer: a large fleet is not copied once more.
        try give(encoder.header(), encoder.vehicles, to: out)
    }
}

@c @implementation
public func ota_vehicle_get(_ db: OpaquePointer?, _ vin: UnsafePointer<CChar>?,
                            _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        let vin = try Arguments.string(vin, "vin")
        try give(try VehicleDocument.get(h.store.db, vin: vin), to: out)
    }
}
