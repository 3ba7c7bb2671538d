import OTACore

/// The store's test fleet: the vehicles a test campaign may reach (role admin or engineer).
public enum TestFleet {
    public static var roles: [Role] { [.engineer] }

    /// Adds vehicles (a CBOR array of VIN text); already present ones stay. An unknown VIN is
    /// `.notFound` naming it, and nothing is added.
    public static func add(_ db: SQLiteConnection, actor: String, now: Int64,
                           vins bytes: UnsafeRawBufferPointer) throws(OTAError) {
        try change(db, actor: actor, now: now, bytes, adding: true)
    }

    /// Removes vehicles; a known vehicle that is not in the test fleet is no error.
    public static func remove(_ db: SQLiteConnection, actor: String, now: Int64,
                              vins bytes: UnsafeRawBufferPointer) throws(OTAError) {
        try change(db, actor: actor, now: now, bytes, adding: false)
    }

    public static func contains(_ db: SQLiteConnection, vin: String) throws(OTAError) -> Bool {
        try db.prepare("SELECT 1 FROM test_fleet f JOIN vehicles v ON v.id = f.vehicle_id WHERE v.vin = ?")
            .bind(1, vin).firstRow { _ in true } ?? false
    }

    static func change(_ db: SQLiteConnection, actor: String, now: Int64, _ bytes: UnsafeRawBufferPointer,
                       adding: Bool) throws(OTAError) {
        try db.write { () throws(OTAError) in
            try Roles.require(db, actor: actor, anyOf: roles, for: adding ? "adding to the test fleet" : "removing from the test fleet")
            let vins = try parseVINs(bytes)
            let find = try db.prepare("SELECT id FROM vehicles WHERE vin = ?")
            let add = try db.prepare("INSERT INTO test_fleet(vehicle_id, added_by, added_at) VALUES(?, ?, ?) ON CONFLICT(vehicle_id) DO NOTHING")
            let remove = try db.prepare("DELETE FROM test_fleet WHERE vehicle_id = ?")
            var changed: Int64 = 0
            for (i, vin) in vins.enumerated() {
                guard let id = try find.bind(1, vin).firstRow({ $0.int64(0) }) else {
                    throw .notFound("vins[\(i)]: no vehicle with VIN \(vin)")
                }
                find.reset()
                if adding {
                    try add.bind(1, id).bind(2, actor).bind(3, now).run()
                } else {
                    try remove.bind(1, id).run()
                }
                changed += Int64(db.changes)
            }
            var detail = CBORMapBuilder()
            detail.add("vins") { $0.textList(vins) }
            detail.int(adding ? "added" : "removed", changed)
            try Audit.append(db, at: now, actor: actor, action: adding ? "test-fleet.add" : "test-fleet.remove",
                             subject: "test-fleet", detail: detail.encoded)
        }
    }

    static func parseVINs(_ bytes: UnsafeRawBufferPointer) throws(OTAError) -> [String] {
        let doc: CBOR
        do throws(OTAError) { doc = try CBORReader.decode(bytes) } catch { throw error.prefixed("vins") }
        var c = FieldChecks()
        let items = c.list(doc, "vins", allowEmpty: false, max: 1_000_000) ?? []
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard let vin = c.expectText(item, "vins[\(i)]") else { continue }
            if !VINSyntax.isWellFormed(vin) {
                c.problems.add("vins[\(i)]", "'\(vin)' is not a VIN (\(VINSyntax.rule))")
                continue
            }
            out.append(vin)
        }
        if let error = c.problems.error("vins") { throw error }
        return out
    }
}
