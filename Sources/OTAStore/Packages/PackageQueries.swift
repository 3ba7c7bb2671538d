import OTACore

/// Read-only views of packages as CBOR (docs/schemas/package.cddl): `package-info` for one,
/// `package-list` for many, and a package's COSE_Sign1. Each reads in one read transaction
/// (a concurrent writer's change is seen entirely or not at all), and what it reads back is
/// checked like input: an unknown state or an invalid manifest is `.corrupt` naming the row.
extension Packages {
    static let fileStatuses = ["unverified", "match", "mismatch"]

    /// The manifest, state, per-file check results, history and signature of a package.
    public static func info(_ db: SQLiteConnection, package id: Int64) throws(OTAError) -> [UInt8] {
        try db.read { () throws(OTAError) -> [UInt8] in
            let p = try load(db, id)
            _ = try checkedManifest(p)  // never splice an invalid document into the output
            let files = try fileChecks(db, package: id)
            let history = try history(db, package: id)
            let signature = try signatureInfo(db, package: id)
            var m = CBORMapBuilder()
            m.int("id", id)
            m.text("state", p.state.rawValue)
            m.raw("manifest", p.manifest)
            m.add("files") { files.write(to: &$0) }
            m.add("history") { history.write(to: &$0) }
            m.add("signature") { w in
                if let signature { signature.write(to: &w) } else { w.null() }
            }
            return m.encoded
        }
    }

    /// Summaries of the packages that pass `filter`, by id.
    public static func list(_ db: SQLiteConnection, filter: PackageFilter) throws(OTAError) -> [UInt8] {
        var list = CBORArrayBuilder()
        try db.read { () throws(OTAError) in
            try db.prepare("""
                SELECT p.id, p.name, p.version, p.ecu, p.installs, p.category, p.release_type,
                       p.release_counter, p.state FROM packages p
                WHERE (?1 IS NULL OR p.ecu = ?1) AND (?2 IS NULL OR p.state = ?2)
                  AND (?3 IS NULL OR EXISTS (SELECT 1 FROM package_models m WHERE m.package_id = p.id AND m.model = ?3))
                ORDER BY p.id
                """)
                .bind(1, filter.ecu).bind(2, filter.state?.rawValue).bind(3, filter.model)
                .forEachRow { (s) throws(OTAError) -> Bool in
                    let id = s.int64(0)
                    let state = try storedState(s.text(8) ?? "", package: id)
                    var m = CBORMapBuilder()
                    m.int("id", id)
                    m.text("name", s.text(1) ?? "")
                    m.text("version", s.text(2) ?? "")
                    m.text("ecu", s.text(3) ?? "")
                    m.text("to", s.text(4) ?? "")
                    m.text("category", s.text(5) ?? "")
                    m.text("release-type", s.text(6) ?? "")
                    m.int("release-counter", s.int64(7))
                    m.text("state", state.rawValue)
                    list.add { m.write(to: &$0) }
                    return true
                }
        }
        return list.encoded
    }

    /// The tagged COSE_Sign1 made at approval, or `.notFound` when it is not approved yet.
    public static func signature(_ db: SQLiteConnection, package id: Int64) throws(OTAError) -> [UInt8] {
        try db.read { () throws(OTAError) -> [UInt8] in
            let p = try load(db, id)
            let cose = try db.prepare("SELECT cose FROM package_signatures WHERE package_id = ?")
                .bind(1, id).firstRow { $0.blob(0) ?? [] }
            guard let cose else {
                throw .notFound("package \(id) has no signature: it is \(p.state.rawValue) and was never approved")
            }
            return cose
        }
    }

    static func fileChecks(_ db: SQLiteConnection, package id: Int64) throws(OTAError) -> CBORArrayBuilder {
        var items = CBORArrayBuilder()
        try db.prepare("SELECT name, status, found_size, found_sha256, checked_by, checked_at FROM package_files WHERE package_id = ? ORDER BY position")
            .bind(1, id)
            .forEachRow { (s) throws(OTAError) -> Bool in
                let name = s.text(0) ?? "", status = s.text(1) ?? ""
                guard fileStatuses.contains(status) else {
                    throw .corrupt("package row \(id): file '\(name)' has the unknown check status '\(status)'")
                }
                let checked = !s.isNull(2)
                let size = s.int64(2), sha = s.blob(3) ?? [], by = s.text(4), at = s.int64(5)
                items.map { m in
                    m.text("name", name)
                    m.text("status", status)
                    m.add("found-size") { if checked { $0.int(size) } else { $0.null() } }
                    m.add("found-sha256") { if checked { $0.bytes(sha) } else { $0.null() } }
                    m.optionalText("checked-by", checked ? by : nil)
                    m.add("checked-at") { if checked { $0.int(at) } else { $0.null() } }
                }
                return true
            }
        return items
    }

    static func history(_ db: SQLiteConnection, package id: Int64) throws(OTAError) -> CBORArrayBuilder {
        var items = CBORArrayBuilder()
        try db.prepare("SELECT state, actor, at, reason FROM package_events WHERE package_id = ? ORDER BY id")
            .bind(1, id)
            .forEachRow { (s) throws(OTAError) -> Bool in
                let state = try storedState(s.text(0) ?? "", package: id, where: " (history)")
                let actor = s.text(1) ?? "", at = s.int64(2), reason = s.text(3)
                items.map { m in
                    m.text("state", state.rawValue)
                    m.text("actor", actor)
                    m.int("at", at)
                    m.optionalText("reason", reason)
                }
                return true
            }
        return items
    }

    /// The signature's map, or nil when the package was never signed.
    static func signatureInfo(_ db: SQLiteConnection, package id: Int64) throws(OTAError) -> CBORMapBuilder? {
        try db.prepare("SELECT kid, public_key, cose, signed_by, signed_at FROM package_signatures WHERE package_id = ?")
            .bind(1, id)
            .firstRow { s -> CBORMapBuilder in
                var m = CBORMapBuilder()
                m.text("kid", s.text(0) ?? "")
                m.bytes("public-key", s.blob(1) ?? [])
                m.bytes("cose", s.blob(2) ?? [])
                m.text("signed-by", s.text(3) ?? "")
                m.int("signed-at", s.int64(4))
                return m
            }
    }
}
