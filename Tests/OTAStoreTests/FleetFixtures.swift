import OTACore
@testable import OTAStore

/// Stores and hand-built vehicles for the inventory tests.
enum Fleet {
    static let t0: Int64 = 1_780_000_000
    static let now: Int64 = 1_790_000_000

    /// A fresh in-memory store with admin "alice", engineer "erin" and approver "abe".
    static func store() throws(OTAError) -> Store {
        var options = StoreOptions(bootstrapAdmin: "alice")
        options.now = 1
        let store = try Store.open(path: ":memory:", options: options)
        try Roles.grant(store.db, actor: "alice", now: 1, to: "erin", .engineer)
        try Roles.grant(store.db, actor: "alice", now: 1, to: "abe", .approver)
        return store
    }

    /// A VIN with a correct check digit: 8 characters, the digit, then 8 more.
    static func vin(_ n: Int, prefix: String = "1LXAS0K0") -> String {
        var tail = String(n)
        while tail.utf8.count < 8 { tail = "0" + tail }
        let draft = prefix + "0" + "N" + "A" + tail.suffix(6)
        var bytes = Array(draft.utf8)
        bytes[8] = VIN.checkDigit(draft) ?? 0
        return String(decoding: bytes, as: UTF8.self)
    }

    static func vehicle(_ n: Int, market: String = "US", sw: String = "1.0", ecus: [SnapshotECU]? = nil,
                        attributes: [SnapshotAttribute] = [SnapshotAttribute("trim", .text("base"))]) -> SnapshotVehicle {
        SnapshotVehicle(index: n, vin: vin(n), model: "Aster", variant: "sedan", powertrain: "petrol", market: market,
                        produced: 1_700_000_000 + Int64(n),
                        ecus: ecus ?? [SnapshotECU(node: "BCM", hw: "BCM-A", sw: sw),
                                       SnapshotECU(node: "ECM", hw: "ECM-A", sw: "2.0", calibration: "CAL-1", serial: "S\(n)"),
                                       SnapshotECU(node: "DCM", hw: "DCM-A", sw: "1.0"),
                                       SnapshotECU(node: "DCM", hw: "DCM-A", sw: "1.0")],
                        engineNo: "EA\(n)", chassisNo: "CH\(n)", attributes: attributes)
    }

    static func fleet(_ count: Int) -> [SnapshotVehicle] { (0..<count).map { vehicle($0) } }

    /// A scan over hand-built vehicles, as `Snapshot.forEachVehicle` yields them.
    static func scan(_ vehicles: [SnapshotVehicle], taken: Int64 = t0) -> VehicleScan {
        { (body) throws(OTAError) -> SnapshotHeader in
            for v in vehicles { try body(v) }
            return SnapshotHeader(taken: taken)
        }
    }

    @discardableResult
    static func load(_ store: Store, _ vehicles: [SnapshotVehicle], taken: Int64 = t0, actor: String = "erin",
                     progress: @escaping ImportProgress = { _, _ in true }) throws(OTAError) -> ImportSummary {
        try FleetImport.run(store.db, actor: actor, now: now, scan: scan(vehicles, taken: taken), progress: progress)
    }

    static func count(_ store: Store, _ table: String) throws(OTAError) -> Int64 {
        try store.db.scalar("SELECT count(*) FROM \(table)") ?? -1
    }

    /// Row counts of everything an import writes, to show that a failed one wrote nothing.
    static func footprint(_ store: Store) throws(OTAError) -> [Int64] {
        [try count(store, "vehicles"), try count(store, "ecus"), try count(store, "ecu_history"),
         try count(store, "audit"), try store.db.scalar("SELECT total(seen) + total(updated) FROM vehicles") ?? 0,
         try store.db.scalar("SELECT count(*) FROM ecus WHERE removed IS NOT NULL") ?? 0]
    }
}
