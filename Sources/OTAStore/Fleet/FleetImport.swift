import OTACore

/// Progress of a long call: (done, total or 0 while unknown); return false to cancel.
public typealias ImportProgress = (_ done: UInt64, _ total: UInt64) -> Bool

/// Loads a fleet snapshot into the inventory: one transaction, all or nothing.
///
/// Two passes over the snapshot: the first checks every vehicle (VINs, duplicates,
/// attributes) and learns the snapshot time before anything is written; it reads only the
/// snapshot, so it runs without the store's write lock (other handles keep writing for the
/// minute a large fleet takes). The second pass writes, in one write transaction. Each pass
/// digests what it read: a snapshot whose bytes changed in between is refused.
/// Vehicles the store already holds are found with one ordered scan (`StoredVehicleMatch`).
public enum FleetImport {
    public static let progressInterval = 10_000

    /// Runs the import; `beforeCommit` gets the summary and its encoding inside the write
    /// transaction, before COMMIT, so that whatever can fail in handing the summary out
    /// (an allocation) fails while the import can still be rolled back. After COMMIT
    /// nothing is left that can fail.
    public static func run<T>(_ db: SQLiteConnection, actor: String, now: Int64, scan: VehicleScan,
                              progress: @escaping ImportProgress = { _, _ in true },
                              beforeCommit: (ImportSummary, [UInt8]) throws(OTAError) -> T) throws(OTAError) -> T {
        // Fail fast, before a long check pass; checked again under the write lock.
        try db.read { () throws(OTAError) in
            try Roles.require(db, actor: actor, anyOf: [.engineer], for: "fleet import")
        }
        let checked = try SnapshotCheck.run(scan, progress: progress)
        return try db.write { () throws(OTAError) -> T in
            try Roles.require(db, actor: actor, anyOf: [.engineer], for: "fleet import")
            let stored = try StoredVehicleMatch.ids(db, sorted: checked.keys, count: checked.count)
            let writer = try InventoryWriter(db: db, taken: checked.header.taken)
            let total = UInt64(checked.count)
            try report(progress, 0, total, "before writing")
            var position = 0
            var digest = VehicleDigest()
            let header = try scan { (v) throws(OTAError) in
                guard position < checked.count else { throw changed("it yielded more vehicles on the second") }
                digest.add(v)
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
                throw changed("its vehicle count or header differ")
            }
            guard digest.finish() == checked.digest else { throw changed("a vehicle's fields differ") }
            try report(progress, total, total, "at the end")
            let summary = writer.summary
            // Every write of the writer counts as added or changed: plans resolved before
            // this import no longer describe the inventory.
            if summary.added > 0 || summary.changed > 0 { try InventoryGeneration.bump(db) }
            let encoded = summary.encode()
            try Audit.append(db, at: now, actor: actor, action: "fleet.import",
                             subject: "snapshot:\(summary.snapshotTime)", detail: encoded)
            return try beforeCommit(summary, encoded)
        }
    }

    public static func run(_ db: SQLiteConnection, actor: String, now: Int64, scan: VehicleScan,
                           progress: @escaping ImportProgress = { _, _ in true }) throws(OTAError) -> ImportSummary {
        try run(db, actor: actor, now: now, scan: scan, progress: progress) { (summary, _) throws(OTAError) in summary }
    }

    static func changed(_ how: String) -> OTAError {
        OTAError(.internalError, "the snapshot changed between the import's two passes (\(how)); nothing was changed")
    }

    /// Calls the progress callback; its "stop" becomes `.cancelled` (and so a rollback).
    static func report(_ progress: ImportProgress, _ done: UInt64, _ total: UInt64,
                       _ when: String) throws(OTAError) {
        guard progress(done, total) else {
            throw OTAError(.cancelled, "fleet import cancelled by the progress callback \(when); nothing was changed")
        }
    }
}
