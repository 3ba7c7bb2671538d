import OTACore

/// Progress of a long call: (done, total or 0 while unknown); return false to cancel.
public typealias ImportProgress = (_ done: UInt64, _ total: UInt64) -> Bool

/// Loads a fleet snapshot into the inventory: one transaction, all or nothing.
///
/// Two passes over the snapshot: the first checks every vehicle (VINs, duplicates,
/// attributes) and learns the snapshot time before anything is written; the second writes.
/// Vehicles the store already holds are found with one ordered scan (`StoredVehicleMatch`).
public enum FleetImport {
    public static let progressInterval = 10_000

    public static func run(_ db: SQLiteConnection, actor: String, now: Int64, scan: VehicleScan,
                           progress: @escaping ImportProgress = { _, _ in true }) throws(OTAError) -> ImportSummary {
        try db.transaction { () throws(OTAError) -> ImportSummary in
            try Roles.require(db, actor: actor, anyOf: [.engineer], for: "fleet import")
            let checked = try SnapshotCheck.run(scan, progress: progress)
            let stored = try StoredVehicleMatch.ids(db, sorted: checked.keys, count: checked.count)
            let writer = try InventoryWriter(db: db, taken: checked.header.taken)
            let total = UInt64(checked.count)
            try report(progress, 0, total, "before writing")
            var position = 0
            let header = try scan { (v) throws(OTAError) in
                guard position < checked.count else {
                    throw OTAError(.internalError, "the snapshot yielded more vehicles on its second pass")
                }
                let id = stored?[position] ?? 0
                do throws(OTAError) {
                    if id == 0 { try writer.add(v) } else { try writer.update(v, id: id) }
                } catch {
                    throw error.prefixed("snapshot: vehicle \(position) (VIN \(v.vin))")
                }
                position += 1
                if position % progressInterval == 0 && UInt64(position) < total {
                    try report(progress, UInt64(position), total, "after writing \(position) vehicles")
                }
            }
            guard position == checked.count, header == checked.header else {
                throw OTAError(.internalError, "the snapshot changed between the two passes")
            }
            try report(progress, total, total, "at the end")
            let summary = writer.summary
            try Audit.append(db, at: now, actor: actor, action: "fleet.import",
                             subject: "snapshot:\(summary.snapshotTime)", detail: summary.encode())
            return summary
        }
    }

    /// Calls the progress callback; its "stop" becomes `.cancelled` (and so a rollback).
    static func report(_ progress: ImportProgress, _ done: UInt64, _ total: UInt64,
                       _ when: String) throws(OTAError) {
        guard progress(done, total) else {
            throw OTAError(.cancelled, "fleet import cancelled by the progress callback \(when); nothing was changed")
        }
    }
}
