import Testing
import OTACore
@testable import OTAStore

@Suite("Fleet export and vehicle documents")
struct InventoryExportTests {
    /// Reads an exported snapshot back through the generic CBOR reader (independently of the
    /// library's snapshot scanner): table indices resolved, positions renumbered.
    static func vehicles(of snapshot: [UInt8]) throws -> (taken: UInt64?, [SnapshotVehicle]) {
        let doc = try CBORReader.decode(snapshot)
        let table = doc[2]?.array?.compactMap(\.text) ?? []
        func str(_ v: CBOR?) -> String? {
            switch v {
            case .text(let s)?: return s
            case .unsigned(let i)?: return i < table.count ? table[Int(i)] : nil
            default: return nil
            }
        }
        var out: [SnapshotVehicle] = []
        for (i, item) in (doc[3]?.array ?? []).enumerated() {
            let f = item.array ?? []
            var v = SnapshotVehicle(index: i, vin: str(f[0]) ?? "", model: str(f[1]) ?? "", variant: str(f[2]) ?? "",
                                    powertrain: str(f[3]) ?? "", market: str(f[4]) ?? "", produced: f[5].int64 ?? -1,
                                    ecus: [], engineNo: f.count > 7 ? str(f[7]) : nil,
                                    chassisNo: f.count > 8 ? str(f[8]) : nil)
            for e in f[6].array ?? [] {
                let g = e.array ?? []
                v.ecus.append(SnapshotECU(node: str(g[0]) ?? "", hw: str(g[1]) ?? "", sw: str(g[2]) ?? "",
                                          calibration: g.count > 3 ? str(g[3]) : nil, serial: g.count > 4 ? str(g[4]) : nil))
            }
            for p in (f.count > 9 ? f[9].pairs ?? [] : []) {
                let value: AttributeValue
                switch p.value {
                case .text(let s): value = .text(s)
                case .bool(let b): value = .bool(b)
                default: value = .int(p.value.int64 ?? 0)
                }
                v.attributes.append(SnapshotAttribute(str(p.key) ?? "", value))
            }
            out.append(v)
        }
        return (doc[1]?.unsigned, out)
    }

    static func sortedAttributes(_ v: SnapshotVehicle) -> SnapshotVehicle {
        var v = v
        v.attributes.sort { $0.key < $1.key }
        return v
    }

    @Test("the export holds what was imported, in snapshot order, with a string table")
    func roundTrip() throws {
        let store = try Fleet.store()
        var fleet = Fleet.fleet(5)
        fleet[1].attributes = [SnapshotAttribute("trim", .text("sport")), SnapshotAttribute("kwh", .int(-3)),
                               SnapshotAttribute("tow", .bool(true))]
        fleet[2].engineNo = nil
        fleet[3].chassisNo = nil
        fleet[3].attributes = []
        fleet[4].ecus[0].calibration = "C"
        fleet.swapAt(0, 4)
        for i in fleet.indices { fleet[i].index = i }
        try Fleet.load(store, fleet)
        let bytes = try FleetExport.snapshot(store.db, now: Fleet.now)
        let (taken, back) = try InventoryExportTests.vehicles(of: bytes)
        #expect(taken == UInt64(Fleet.now))
        #expect(back.map(InventoryExportTests.sortedAttributes) == fleet.map(InventoryExportTests.sortedAttributes))
        let table = try CBORReader.decode(bytes)[2]?.array ?? []
        // model, variant, powertrain, market; 3 nodes, 3 hw, 2 sw, 2 calibrations; 3 attribute keys
        #expect(table.count == 17)
        #expect(try FleetExport.snapshot(store.db, now: Fleet.now) == bytes)
    }

    @Test("the export shows the current values: changes applied, removed ECUs left out, new ones at the end")
    func currentValues() throws {
        let store = try Fleet.store()
        try Fleet.load(store, Fleet.fleet(2))
        var v = Fleet.vehicle(1, sw: "1.1")
        v.ecus.removeLast()
        v.ecus.insert(SnapshotECU(node: "TCU", hw: "T", sw: "3"), at: 0)
        try Fleet.load(store, [v], taken: Fleet.t0 + 1)
        let (_, back) = try InventoryExportTests.vehicles(of: try FleetExport.snapshot(store.db, now: Fleet.now))
        #expect(back[0] == Fleet.vehicle(0))
        #expect(back[1].ecus.map(\.node) == ["BCM", "ECM", "DCM", "TCU"])
        #expect(back[1].ecus[0].sw == "1.1")
    }

    @Test("an empty store exports an empty snapshot; a negative time is refused")
    func emptyAndBadTime() throws {
        let store = try Fleet.store()
        #expect(try FleetExport.snapshot(store.db, now: 3) == [0xa4, 0x00, 0x01, 0x01, 0x03, 0x02, 0x80, 0x03, 0x80])
        let error = #expect(throws: OTAError.self) { try FleetExport.snapshot(store.db, now: -1) }
        #expect(error?.code == .badInput)
    }

    @Test("a vehicle document carries every field and each ECU's history in recorded order")
    func vehicleDocument() throws {
        let store = try Fleet.store()
        try Fleet.load(store, Fleet.fleet(2))
        var v = Fleet.vehicle(1, sw: "1.1")
        v.ecus.removeLast()
        try Fleet.load(store, [v], taken: Fleet.t0 + 7)
        let doc = try CBORReader.decode(try VehicleDocument.get(store.db, vin: Fleet.vin(1)))
        let keys = doc.pairs?.compactMap(\.key.text) ?? []
        #expect(keys == ["vin", "ecus", "seen", "model", "market", "updated", "variant", "produced", "engine-no",
                         "attributes", "chassis-no", "powertrain"])
        #expect(doc["vin"] == .text(Fleet.vin(1)) && doc["model"] == .text("Aster") && doc["market"] == .text("US"))
        #expect(doc["seen"] == .unsigned(UInt64(Fleet.t0 + 7)) && doc["updated"] == .unsigned(UInt64(Fleet.t0 + 7)))
        #expect(doc["produced"] == .unsigned(1_700_000_001) && doc["engine-no"] == .text("EA1"))
        #expect(doc["attributes"] == .map([CBORPair(.text("trim"), .text("base"))]))
        let ecus = doc["ecus"]?.array ?? []
        #expect(ecus.count == 4)
        #expect(ecus[0].pairs?.compactMap(\.key.text) == ["hw", "sw", "node", "slot", "serial", "history", "removed", "calibration"])
        #expect(ecus[0]["sw"] == .text("1.1") && ecus[0]["removed"] == .null)
        let history = ecus[0]["history"]?.array ?? []
        #expect(history.count == 2)
        #expect(history[0]["sw"] == .text("1.0") && history[0]["at"] == .unsigned(UInt64(Fleet.t0)))
        #expect(history[1]["sw"] == .text("1.1") && history[1]["at"] == .unsigned(UInt64(Fleet.t0 + 7)))
        #expect(history[1]["source"] == .text("snapshot") && history[1]["serial"] == .null)
        #expect(history[1].pairs?.compactMap(\.key.text) == ["at", "hw", "sw", "serial", "source", "calibration"])
        #expect(ecus[1]["calibration"] == .text("CAL-1") && ecus[1]["serial"] == .text("S1"))
        #expect(ecus[3]["slot"] == .unsigned(1) && ecus[3]["removed"] == .unsigned(UInt64(Fleet.t0 + 7)))
        #expect(ecus[3]["history"]?.array?.map { $0["source"] } == [.text("snapshot"), .text("removed")])
    }

    @Test("an unknown VIN is not found")
    func unknownVIN() throws {
        let store = try Fleet.store()
        let error = #expect(throws: OTAError.self) { try VehicleDocument.get(store.db, vin: "1M8GDM9AXKP042788") }
        #expect(error?.code == .notFound)
        #expect(error?.message == "no vehicle with VIN '1M8GDM9AXKP042788' in the inventory")
    }

    @Test("the export reads back through the snapshot scanner, and imports into another store unchanged")
    func scannerRoundTrip() throws {
        let store = try Fleet.store()
        var fleet = Fleet.fleet(6)
        fleet[2].attributes = [SnapshotAttribute("kwh", .int(-40)), SnapshotAttribute("tow", .bool(false))]
        fleet[4].ecus[0].serial = ""
        try Fleet.load(store, fleet)
        let bytes = try FleetExport.snapshot(store.db, now: Fleet.now)
        var back: [SnapshotVehicle] = []
        let header = try Snapshot.forEachVehicle(bytes) { (v) throws(OTAError) in back.append(v) }
        #expect(header.taken == Fleet.now)
        #expect(back.map(InventoryExportTests.sortedAttributes) == fleet.map(InventoryExportTests.sortedAttributes))

        let copy = try Fleet.store()
        let summary = try FleetImport.run(copy.db, actor: "erin", now: Fleet.now, scan: { (body) throws(OTAError) in
            try Snapshot.forEachVehicle(bytes, body)
        })
        #expect(summary.added == 6 && summary.snapshotTime == Fleet.now)
        #expect(try FleetExport.snapshot(copy.db, now: Fleet.now) == bytes)
    }
}
