import Testing
import OTACore
@testable import OTAStore

/// What the export and the vehicle document read back from the store is checked like input:
/// a value outside the schema is OTA_CORRUPT naming the row, never an output.
@Suite("Fleet export and vehicle documents: stored values are checked")
struct StoredFleetChecks {
    /// A store file holding two imported vehicles; its path, for raw SQL.
    static func storeFile() throws -> String {
        let path = temporaryStorePath()
        var options = StoreOptions(bootstrapAdmin: "alice")
        options.now = 1
        let store = try Store.open(path: path, options: options)
        try Roles.grant(store.db, actor: "alice", now: 1, to: "erin", .engineer)
        try Fleet.load(store, Fleet.fleet(2))
        return path
    }

    static let tampering: [(String, String)] = [
        ("UPDATE vehicles SET produced = -5 WHERE id = 2", "vehicle row 2 (VIN '\(Fleet.vin(1))'): produced is -5"),
        ("UPDATE vehicles SET attributes = x'01' WHERE id = 2", "vehicle row 2 (VIN '\(Fleet.vin(1))'): attributes are a"),
        ("UPDATE vehicles SET attributes = x'a1647472696d81f5' WHERE id = 2", "attribute 'trim' is a"),
        ("UPDATE vehicles SET attributes = x'a101f5' WHERE id = 2", "attributes have a"),
        ("UPDATE vehicles SET attributes = x'a1647472696df93c00' WHERE id = 2", "attribute 'trim' is a"),
        ("UPDATE vehicles SET attributes = x'ff' WHERE id = 2", "vehicle row 2 (VIN '\(Fleet.vin(1))'): attributes:"),
        ("UPDATE vehicles SET model = CAST(x'ff41' AS TEXT) WHERE id = 2", "model is not UTF-8"),
        ("UPDATE ecus SET hw = CAST(x'c0' AS TEXT) WHERE vehicle_id = 2 AND node = 'ECM'", "of vehicle row 2: hw is not UTF-8"),
        ("UPDATE vehicles SET vin = '1LXAS0K03NA00000I' WHERE id = 2", "vehicle row 2: vin '1LXAS0K03NA00000I' is not 17 VIN characters"),
    ]

    /// Only the vehicle document reads these columns.
    static let documentOnly: [(String, String)] = [
        ("UPDATE vehicles SET seen = -1 WHERE id = 2", "seen is -1"),
        ("UPDATE vehicles SET updated = -2 WHERE id = 2", "updated is -2"),
        ("UPDATE ecus SET removed = -3 WHERE vehicle_id = 2 AND node = 'BCM'", "of vehicle row 2: removed is -3"),
        ("UPDATE ecus SET slot = -1 WHERE vehicle_id = 2 AND node = 'BCM'", "of vehicle row 2: slot is -1"),
        ("""
         DROP TRIGGER ecu_history_no_update;
         UPDATE ecu_history SET at = -7 WHERE ecu_id = (SELECT min(id) FROM ecus WHERE vehicle_id = 2)
         """, "ECU history row"),
        ("""
         DROP TRIGGER ecu_history_no_update;
         UPDATE ecu_history SET source = CAST(x'80' AS TEXT) WHERE ecu_id = (SELECT min(id) FROM ecus WHERE vehicle_id = 2)
         """, "source is not UTF-8"),
    ]

    @Test("the export refuses a tampered row, naming it", arguments: StoredFleetChecks.tampering)
    func export(sql: String, fragment: String) throws {
        let path = try StoredFleetChecks.storeFile()
        try OTAStoreTests.tamper(path, sql)
        let store = try Store.open(path: path)
        let error = #expect(throws: OTAError.self) { try FleetExport.snapshot(store.db, now: Fleet.now) }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    @Test("the vehicle document refuses a tampered row, naming it",
          arguments: StoredFleetChecks.tampering.filter { !$0.0.contains("SET vin") } + StoredFleetChecks.documentOnly)
    func document(sql: String, fragment: String) throws {
        let path = try StoredFleetChecks.storeFile()
        try OTAStoreTests.tamper(path, sql)
        let store = try Store.open(path: path)
        let error = #expect(throws: OTAError.self) { try VehicleDocument.get(store.db, vin: Fleet.vin(1)) }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
        #expect(error?.message.hasPrefix("stored ") == true)
        // The other vehicle is intact.
        #expect(throws: Never.self) { try VehicleDocument.get(store.db, vin: Fleet.vin(0)) }
    }

    @Test("a NULL where the schema says NOT NULL (a schema edited behind libota's back) is corrupt")
    func nullWhereNotAllowed() throws {
        let path = try StoredFleetChecks.storeFile()
        try OTAStoreTests.tamper(path, """
            PRAGMA writable_schema = ON;
            UPDATE sqlite_schema SET sql = replace(sql, 'model TEXT NOT NULL', 'model TEXT') WHERE name = 'vehicles';
            """)
        try OTAStoreTests.tamper(path, "UPDATE vehicles SET model = NULL WHERE id = 1")
        let store = try Store.open(path: path)
        let export = #expect(throws: OTAError.self) { try FleetExport.snapshot(store.db, now: Fleet.now) }
        #expect(export?.code == .corrupt)
        #expect(export?.message.contains("vehicle row 1 (VIN '\(Fleet.vin(0))'): model is NULL") == true, "\(export?.message ?? "")")
        let get = #expect(throws: OTAError.self) { try VehicleDocument.get(store.db, vin: Fleet.vin(0)) }
        #expect(get?.message.contains("model is NULL") == true)
    }

    @Test("the summary and the vehicle document keep the bytes of the hand-ordered writers")
    func sameBytes() throws {
        var s = ImportSummary()
        s.snapshotTime = 1_780_000_000; s.vehicles = 30; s.added = 1; s.changed = 2; s.unchanged = 25; s.stale = 2
        s.ecusAdded = 70_000; s.ecusChanged = 5; s.ecusRemoved = 6; s.hwChanges = 1; s.swChanges = 2
        s.calibrationChanges = 3; s.serialChanges = 4
        #expect(Hex.encode(s.encode()) == StoredFleetChecks.summaryHex)
        let store = try Fleet.store()
        try Fleet.load(store, Fleet.fleet(2))
        var next = Fleet.fleet(2)
        next[1].ecus[0].sw = "1.1"
        next[1].ecus.removeLast()
        next[1].attributes = [SnapshotAttribute("trim", .text("sport")), SnapshotAttribute("doors", .int(-4)),
                              SnapshotAttribute("awd", .bool(true))]
        try Fleet.load(store, next, taken: Fleet.t0 + 60)
        #expect(Hex.encode(try VehicleDocument.get(store.db, vin: Fleet.vin(1))) == StoredFleetChecks.documentHex)
    }

    /// Written by the hand-ordered encoders before the move to `CBORMapBuilder`.
    static let summaryHex = "aa65616464656401657374616c6502676368616e676564026876656869636c6573181e69756e6368616e67656418196a656375732d61646465641a000111706b6563752d6368616e676573a462687701627377026673657269616c046b63616c6962726174696f6e036c656375732d6368616e676564056c656375732d72656d6f766564066d736e617073686f742d74696d651a6a18a500"
    static let documentHex = [
        "ac6376696e71314c584153304b30304e41303030303031646563757384a86268776542434d2d4162737763312e31646e",
        "6f64656342434d64736c6f74006673657269616cf667686973746f727982a66261741a6a18a5006268776542434d2d41",
        "62737763312e306673657269616cf666736f7572636568736e617073686f746b63616c6962726174696f6ef6a6626174",
        "1a6a18a53c6268776542434d2d4162737763312e316673657269616cf666736f7572636568736e617073686f746b6361",
        "6c6962726174696f6ef66772656d6f766564f66b63616c6962726174696f6ef6a86268776545434d2d4162737763322e",
        "30646e6f64656345434d64736c6f74006673657269616c62533167686973746f727981a66261741a6a18a50062687765",
        "45434d2d4162737763322e306673657269616c62533166736f7572636568736e617073686f746b63616c696272617469",
        "6f6e6543414c2d316772656d6f766564f66b63616c6962726174696f6e6543414c2d31a86268776544434d2d41627377",
        "63312e30646e6f64656344434d64736c6f74006673657269616cf667686973746f727981a66261741a6a18a500626877",
        "6544434d2d4162737763312e306673657269616cf666736f7572636568736e617073686f746b63616c6962726174696f",
        "6ef66772656d6f766564f66b63616c6962726174696f6ef6a86268776544434d2d4162737763312e30646e6f64656344",
        "434d64736c6f74016673657269616cf667686973746f727982a66261741a6a18a5006268776544434d2d416273776331",
        "2e306673657269616cf666736f7572636568736e617073686f746b63616c6962726174696f6ef6a66261741a6a18a53c",
        "6268776544434d2d4162737763312e306673657269616cf666736f757263656772656d6f7665646b63616c6962726174",
        "696f6ef66772656d6f7665641a6a18a53c6b63616c6962726174696f6ef6647365656e1a6a18a53c656d6f64656c6541",
        "73746572666d61726b657462555367757064617465641a6a18a53c6776617269616e7465736564616e6870726f647563",
        "65641a6553f10169656e67696e652d6e6f634541316a61747472696275746573a363617764f5647472696d6573706f72",
        "7465646f6f7273236a636861737369732d6e6f634348316a706f776572747261696e66706574726f6c",
    ].joined()
}
