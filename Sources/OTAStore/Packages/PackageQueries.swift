import OTACore

/// Read-only views of packages as CBOR (docs/schemas/package.cddl): `package-info` for one,
/// `package-list` for many, and a package's COSE_Sign1.
extension Packages {
    /// The manifest, state, per-file check results, history and signature of a package.
    public static func info(_ db: SQLiteConnection, package id: Int64) throws(OTAError) -> [UInt8] {
        let p = try load(db, id)
        var m = CBORMapBuilder()
        m.int("id", id)
        m.text("state", p.state.rawValue)
        m.raw("manifest", p.manifest)
        m.raw("files", try fileChecks(db, package: id))
        m.raw("history", try history(db, package: id))
        m.raw("signature", try signatureInfo(db, package: id))
        return m.encoded
    }

    /// Summaries of the packages that pass `filter`, by id.
    public static func list(_ db: SQLiteConnection, filter: PackageFilter) throws(OTAError) -> [UInt8] {
        let s = try db.prepare("""
            SELECT p.id, p.name, p.version, p.ecu, p.installs, p.category, p.release_type,
                   p.release_counter, p.state FROM packages p
            WHERE (?1 IS NULL OR p.ecu = ?1) AND (?2 IS NULL OR p.state = ?2)
              AND (?3 IS NULL OR EXISTS (SELECT 1 FROM package_models m WHERE m.package_id = p.id AND m.model = ?3))
            ORDER BY p.id
            """)
        s.bind(1, filter.ecu).bind(2, filter.state?.rawValue).bind(3, filter.model)
        var items: [[UInt8]] = []
        while try s.step() {
            var m = CBORMapBuilder()
            m.int("id", s.int64(0))
            m.text("name", s.text(1) ?? "")
            m.text("version", s.text(2) ?? "")
            m.text("ecu", s.text(3) ?? "")
            m.text("to", s.text(4) ?? "")
            m.text("category", s.text(5) ?? "")
            m.text("release-type", s.text(6) ?? "")
            m.int("release-counter", s.int64(7))
            m.text("state", s.text(8) ?? "")
            items.append(m.encoded)
        }
        var w = CBORWriter(capacity: items.count * 160 + 8)
        w.arrayHeader(items.count)
        for item in items { w.raw(item) }
        return w.bytes
    }

    /// The tagged COSE_Sign1 made at approval, or `.notFound` when it is not approved yet.
    public static func signature(_ db: SQLiteConnection, package id: Int64) throws(OTAError) -> [UInt8] {
        let p = try load(db, id)
        let cose = try db.prepare("SELECT cose FROM package_signatures WHERE package_id = ?")
            .bind(1, id).firstRow { $0.blob(0) ?? [] }
        guard let cose else {
            throw .notFound("package \(id) has no signature: it is \(p.state.rawValue) and was never approved")
        }
        return cose
    }

    static func fileChecks(_ db: SQLiteConnection, package id: Int64) throws(OTAError) -> [UInt8] {
        let s = try db.prepare("SELECT name, status, found_size, found_sha256, checked_by, checked_at FROM package_files WHERE package_id = ? ORDER BY position")
        s.bind(1, id)
        var items: [[UInt8]] = []
        while try s.step() {
            var m = CBORMapBuilder()
            m.text("name", s.text(0) ?? "")
            m.text("status", s.text(1) ?? "")
            let checked = !s.isNull(2)
            let size = s.int64(2), sha = s.blob(3) ?? [], by = s.text(4), at = s.int64(5)
            m.add("found-size") { if checked { $0.int(size) } else { $0.null() } }
            m.add("found-sha256") { if checked { $0.bytes(sha) } else { $0.null() } }
            m.optionalText("checked-by", checked ? by : nil)
            m.add("checked-at") { if checked { $0.int(at) } else { $0.null() } }
            items.append(m.encoded)
        }
        return encodeArray(items)
    }

    static func history(_ db: SQLiteConnection, package id: Int64) throws(OTAError) -> [UInt8] {
        let s = try db.prepare("SELECT state, actor, at, reason FROM package_events WHERE package_id = ? ORDER BY id")
        s.bind(1, id)
        var items: [[UInt8]] = []
        while try s.step() {
            var m = CBORMapBuilder()
            m.text("state", s.text(0) ?? "")
            m.text("actor", s.text(1) ?? "")
            m.int("at", s.int64(2))
            m.optionalText("reason", s.text(3))
            items.append(m.encoded)
        }
        return encodeArray(items)
    }

    static func signatureInfo(_ db: SQLiteConnection, package id: Int64) throws(OTAError) -> [UInt8] {
        let row = try db.prepare("SELECT kid, public_key, cose, signed_by, signed_at FROM package_signatures WHERE package_id = ?")
            .bind(1, id)
            .firstRow { s -> [UInt8] in
                var m = CBORMapBuilder()
                m.text("kid", s.text(0) ?? "")
                m.bytes("public-key", s.blob(1) ?? [])
                m.bytes("cose", s.blob(2) ?? [])
                m.text("signed-by", s.text(3) ?? "")
                m.int("signed-at", s.int64(4))
                return m.encoded
            }
        var w = CBORWriter(capacity: 4)
        w.null()
        return row ?? w.bytes
    }

    static func encodeArray(_ items: [[UInt8]]) -> [UInt8] {
        var w = CBORWriter(capacity: items.reduce(8) { $0 + $1.count })
        w.arrayHeader(items.count)
        for item in items { w.raw(item) }
        return w.bytes
    }
}
