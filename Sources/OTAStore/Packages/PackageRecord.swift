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
        var r = record
        r.state = try storedState(stateName, package: id)
        return r
    }

    /// A state read back from the store, checked like input: the column's CHECK can be
    /// switched off (PRAGMA ignore_check_constraints), and history rows have none.
    static func storedState(_ name: String, package id: Int64,
                            where place: String = "") throws(OTAError) -> PackageState {
        guard let state = PackageState(rawValue: name) else {
            throw .corrupt("package row \(id)\(place) has the unknown state '\(name)'")
        }
        return state
    }

    /// The stored manifest re-checked with the manifest parser before it is signed or handed
    /// out: it must be a valid manifest, stored in its canonical encoding, and agree with the
    /// columns derived from it at registration. `.corrupt` naming the package row otherwise.
    static func checkedManifest(_ p: PackageRecord) throws(OTAError) -> PackageManifest {
        let m: PackageManifest
        do throws(OTAError) {
            m = try ManifestParser.parse(p.manifest)
        } catch {
            throw .corrupt("package row \(p.id): the stored manifest is not a valid manifest (\(error.message))")
        }
        guard m.canonical == p.manifest else {
            throw .corrupt("package row \(p.id): the stored manifest is not in its canonical encoding")
        }
        guard m.name == p.name, m.version == p.version, m.ecu == p.ecu,
              m.releaseCounter == p.releaseCounter else {
            throw .corrupt("package row \(p.id): the stored manifest ('\(m.name)' version '\(m.version)', ECU '\(m.ecu)', release counter \(m.releaseCounter)) does not match the row ('\(p.name)' version '\(p.version)', ECU '\(p.ecu)', release counter \(p.releaseCounter))")
        }
        return m
    }

    static func subject(_ id: Int64) -> String { "package:\(id)" }
}
