import OTACore

extension Packages {
    /// Registers a manifest as a new draft package (role engineer) and returns its id.
    /// Refused: an invalid manifest (`.badInput` listing every problem), a name and version
    /// already registered, or a release counter that could never be released because a
    /// package for the same ECU and an overlapping hardware part number was already released
    /// with an equal or higher one (`.conflict`).
    public static func register(_ db: SQLiteConnection, actor: String, now: Int64,
                                manifest bytes: UnsafeRawBufferPointer) throws(OTAError) -> Int64 {
        try db.transaction { () throws(OTAError) -> Int64 in
            try Roles.require(db, actor: actor, anyOf: [.engineer], for: "registering a package")
            let m = try ManifestParser.parse(bytes)
            // What is stored, signed and read back is the canonical form, which writes out the
            // defaults the input may leave out: it must itself be a manifest this library reads.
            let canonical = m.canonical
            guard canonical.count <= ManifestParser.maxBytes else {
                throw .badInput("manifest: \(canonical.count) bytes in its canonical form (defaults written out), more than \(ManifestParser.maxBytes)")
            }
            let existing = try db.prepare("SELECT id, state FROM packages WHERE name = ? AND version = ?")
                .bind(1, m.name).bind(2, m.version)
                .firstRow { ($0.int64(0), $0.text(1) ?? "") }
            if let (id, state) = existing {
                throw .conflict("package '\(m.name)' version '\(m.version)' is already registered as package \(id) (\(state)): a name and version are never reused")
            }
            try db.prepare("""
                INSERT INTO packages(name, version, ecu, installs, category, release_type, release_counter,
                                     manifest, registered_by, registered_at, state)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft')
                """)
                .bind(1, m.name).bind(2, m.version).bind(3, m.ecu).bind(4, m.toVersion)
                .bind(5, m.category.rawValue).bind(6, m.releaseType.rawValue).bind(7, m.releaseCounter)
                .bind(8, blob: canonical).bind(9, actor).bind(10, now).run()
            let id = db.lastInsertRowID
            for hw in m.hardware {
                try db.prepare("INSERT INTO package_hw(package_id, hw) VALUES(?, ?)").bind(1, id).bind(2, hw).run()
            }
            for model in m.models {
                try db.prepare("INSERT INTO package_models(package_id, model) VALUES(?, ?)").bind(1, id).bind(2, model).run()
            }
            for (i, f) in m.files.enumerated() {
                try db.prepare("INSERT INTO package_files(package_id, position, name, size, sha256, uri) VALUES(?, ?, ?, ?, ?, ?)")
                    .bind(1, id).bind(2, Int64(i)).bind(3, f.name).bind(4, f.size)
                    .bind(5, blob: f.sha256).bind(6, f.uri).run()
            }
            try requireCounterAboveReleased(db, package: id, ecu: m.ecu, counter: m.releaseCounter)
            try appendEvent(db, package: id, state: .draft, actor: actor, now: now, reason: nil)
            var detail = CBORMapBuilder()
            detail.text("name", m.name)
            detail.text("version", m.version)
            detail.text("ecu", m.ecu)
            detail.int("release-counter", m.releaseCounter)
            try Audit.append(db, at: now, actor: actor, action: "package.register",
                             subject: subject(id), detail: detail.encoded)
            return id
        }
    }

    /// Uptane rollback protection: a package may be released only with a counter above every
    /// counter ever released (withdrawn or not: vehicles may run it) for its ECU node and any
    /// of its hardware part numbers.
    static func requireCounterAboveReleased(_ db: SQLiteConnection, package id: Int64, ecu: String,
                                            counter: Int64) throws(OTAError) {
        let blocker = try db.prepare("""
            SELECT p.id, p.name, p.version, p.release_counter, h.hw FROM packages p
            JOIN package_hw h ON h.package_id = p.id
            WHERE p.ecu = ?1 AND p.released_at IS NOT NULL AND p.id <> ?2 AND p.release_counter >= ?3
              AND h.hw IN (SELECT hw FROM package_hw WHERE package_id = ?2)
            ORDER BY p.release_counter DESC, p.id, h.hw LIMIT 1
            """)
            .bind(1, ecu).bind(2, id).bind(3, counter)
            .firstRow { s in (s.int64(0), s.text(1) ?? "", s.text(2) ?? "", s.int64(3), s.text(4) ?? "") }
        if let (other, name, version, otherCounter, hw) = blocker {
            throw .conflict("release counter \(counter) is not above the counter \(otherCounter) of package \(other) ('\(name)' version '\(version)'), already released for ECU '\(ecu)' and hardware '\(hw)': Uptane rollback protection needs a higher release counter")
        }
    }

    static func appendEvent(_ db: SQLiteConnection, package id: Int64, state: PackageState,
                            actor: String, now: Int64, reason: String?) throws(OTAError) {
        try db.prepare("INSERT INTO package_events(package_id, state, actor, at, reason) VALUES(?, ?, ?, ?, ?)")
            .bind(1, id).bind(2, state.rawValue).bind(3, actor).bind(4, now).bind(5, reason).run()
    }
}
