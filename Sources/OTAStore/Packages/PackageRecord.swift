import OTACore

/// A package's row as the lifecycle needs it.
public struct PackageRecord: Equatable {
    public var id: Int64
    public var name: String
    public var version: String
    public var ecu: String
    public var state: PackageState
    public var releaseCounter: Int64
    public var registeredBy: String
    /// Canonical CBOR: the payload that approval signs.
    public var manifest: [UInt8]
}

/// Update management in the store: registration, file checks, the lifecycle, queries.
/// Every change runs in one transaction with its audit entry.
public enum Packages {
    public static func load(_ db: SQLiteConnection, _ id: Int64) throws(OTAError) -> PackageRecord {
        let row = try db.prepare("SELECT id, name, version, ecu, state, release_counter, registered_by, manifest FROM packages WHERE id = ?")
            .bind(1, id)
            .firstRow { s in
                (PackageRecord(id: s.int64(0), name: s.text(1) ?? "", version: s.text(2) ?? "",
                               ecu: s.text(3) ?? "", state: .draft, releaseCounter: s.int64(5),
                               registeredBy: s.text(6) ?? "", manifest: s.blob(7) ?? []),
                 s.text(4) ?? "")
            }
        guard let (record, stateName) = row else { throw .notFound("no package with id \(id)") }
        guard let state = PackageState(rawValue: stateName) else {
            throw .corrupt("package \(id) has the unknown state '\(stateName)'")
        }
        var r = record
        r.state = state
        return r
    }

    static func subject(_ id: Int64) -> String { "package:\(id)" }
}
