import Testing
import OTACore
@testable import OTAStore

@Suite("Fleet import: all or nothing")
struct InventoryFailureTests {
    /// A store with three vehicles, then a snapshot that would change and add some.
    static func storeAndChanges() throws -> (Store, [SnapshotVehicle]) {
        let store = try Fleet.store()
        try Fleet.load(store, Fleet.fleet(3))
        var next = Fleet.fleet(6)
        next[0] = Fleet.vehicle(0, sw: "9.9")
        next[1].ecus.removeLast()
        return (store, next)
    }

    @Test("a bad VIN in the middle rejects the import, naming the vehicle; nothing changes")
    func badVIN() throws {
        let (store, next) = try InventoryFailureTests.storeAndChanges()
        let before = try Fleet.footprint(store)
        var bad = next
        bad[4].vin = "1LXAS0K0XNA000004"   // wrong check digit for a US vehicle
        let error = #expect(throws: OTAError.self) { try Fleet.load(store, bad, taken: Fleet.t0 + 9) }
        #expect(error?.code == .badInput)
        #expect(error?.message.hasPrefix("snapshot: vehicle 4: VIN '1LXAS0K0XNA000004': check digit") == true, "\(error?.message ?? "")")
        #expect(try Fleet.footprint(store) == before)
        // The same VIN registered in Germany needs no check digit.
        bad[4].market = "DE"
        #expect(try Fleet.load(store, bad, taken: Fleet.t0 + 9).added == 3)
    }

    @Test("a failure while writing, after earlier vehicles were written, rolls everything back")
    func failureInWritePass() throws {
        let (store, next) = try InventoryFailureTests.storeAndChanges()
        let before = try Fleet.footprint(store)
        var pass = 0
        let scan: VehicleScan = { (body) throws(OTAError) -> SnapshotHeader in
            pass += 1
            for (i, v) in next.enumerated() {
                if pass == 2 && i == 4 { throw .badInput("vehicle 4: malformed ECU at byte 1234") }
                try body(v)
            }
            return SnapshotHeader(taken: Fleet.t0 + 9)
        }
        let error = #expect(throws: OTAError.self) {
            try FleetImport.run(store.db, actor: "erin", now: Fleet.now, scan: scan)
        }
        #expect(error?.message == "vehicle 4: malformed ECU at byte 1234")
        #expect(pass == 2)
        #expect(try Fleet.footprint(store) == before)
    }

    @Test("bad attributes and negative times are rejected with the vehicle's position")
    func badFields() throws {
        let store = try Fleet.store()
        var v = Fleet.fleet(3)
        v[2].attributes = [SnapshotAttribute("trim", .text("a")), SnapshotAttribute("trim", .text("b"))]
        let dup = #expect(throws: OTAError.self) { try Fleet.load(store, v) }
        #expect(dup?.message == "snapshot: vehicle 2: attribute 'trim' is listed twice")
        v = Fleet.fleet(2)
        v[1].produced = -5
        let negative = #expect(throws: OTAError.self) { try Fleet.load(store, v) }
        #expect(negative?.message == "snapshot: vehicle 1: produced time -5 is negative")
        let past = #expect(throws: OTAError.self) { try Fleet.load(store, Fleet.fleet(1), taken: -1) }
        #expect(past?.code == .badInput)
        #expect(try Fleet.footprint(store) == [0, 0, 0, 3, 0, 0])
    }

    @Test("a duplicate VIN names both positions; with several, the first repeat in snapshot order")
    func duplicates() throws {
        let store = try Fleet.store()
        var v = Fleet.fleet(8)
        v[5] = Fleet.vehicle(2)
        let error = #expect(throws: OTAError.self) { try Fleet.load(store, v) }
        #expect(error?.code == .badInput)
        #expect(error?.message == "snapshot: vehicle 2 and vehicle 5 have the same VIN '\(Fleet.vin(2))': a snapshot lists each vehicle once")
        v[7] = Fleet.vehicle(6)   // repeats later than 5
        v[6] = Fleet.vehicle(2)   // a third listing of vehicle 2
        v[4] = Fleet.vehicle(3)   // repeats earliest: 3 and 4
        let first = #expect(throws: OTAError.self) { try Fleet.load(store, v) }
        #expect(first?.message.hasPrefix("snapshot: vehicle 3 and vehicle 4 have the same VIN") == true)
        #expect(try Fleet.count(store, "vehicles") == 0)
    }

    @Test("the progress callback sees every 10,000 vehicles of both passes and the end, and can cancel")
    func progressAndCancel() throws {
        let store = try Fleet.store()
        let small = [SnapshotECU(node: "BCM", hw: "H", sw: "1")]
        let fleet = (0..<20_500).map { Fleet.vehicle($0, ecus: small, attributes: []) }
        var calls: [[UInt64]] = []
        try Fleet.load(store, fleet) { done, total in
            calls.append([done, total])
            return true
        }
        #expect(calls == [[10_000, 0], [20_000, 0], [0, 20_500], [10_000, 20_500], [20_000, 20_500], [20_500, 20_500]])

        let fresh = try Fleet.store()
        let before = try Fleet.footprint(fresh)
        for stopAt in 0..<6 {
            var n = 0
            let error = #expect(throws: OTAError.self) {
                try Fleet.load(fresh, fleet) { _, _ in
                    n += 1
                    return n <= stopAt
                }
            }
            #expect(error?.code == .cancelled)
            #expect(error?.message.contains("nothing was changed") == true)
            #expect(try Fleet.footprint(fresh) == before)
        }
    }

    @Test("only engineers and admins may import", arguments: [("erin", true), ("alice", true), ("abe", false), ("mallory", false)])
    func roles(actor: String, allowed: Bool) throws {
        let store = try Fleet.store()
        if allowed {
            #expect(try Fleet.load(store, Fleet.fleet(1), actor: actor).added == 1)
        } else {
            let error = #expect(throws: OTAError.self) { try Fleet.load(store, Fleet.fleet(1), actor: actor) }
            #expect(error?.code == .denied)
            #expect(error?.message.contains("fleet import needs the role engineer") == true)
            #expect(try Fleet.footprint(store) == [0, 0, 0, 3, 0, 0])
        }
    }

    @Test("one audit entry per import: actor, time, snapshot, the summary as detail")
    func audit() throws {
        let store = try Fleet.store()
        let summary = try Fleet.load(store, Fleet.fleet(2))
        let empty = try Fleet.load(store, [], taken: Fleet.t0 + 1)
        let entries = try Audit.entries(store.db)
        #expect(entries.map(\.action) == ["role.bootstrap", "role.grant", "role.grant", "fleet.import", "fleet.import"])
        let e = entries[3]
        #expect(e.action == "fleet.import" && e.actor == "erin" && e.at == Fleet.now)
        #expect(e.subject == "snapshot:\(Fleet.t0)")
        #expect(e.detail == summary.encode())
        #expect(entries[4].detail == empty.encode() && empty.vehicles == 0)
        #expect(try Audit.verify(store.db).firstBad == nil)
    }

    @Test("summary encoding: every field, keys in deterministic order")
    func summaryEncoding() throws {
        var s = ImportSummary()
        s.snapshotTime = 7; s.vehicles = 1; s.added = 2; s.changed = 3; s.unchanged = 4; s.stale = 5
        s.ecusAdded = 6; s.ecusChanged = 8; s.ecusRemoved = 9
        s.hwChanges = 10; s.swChanges = 11; s.calibrationChanges = 12; s.serialChanges = 13
        let doc = try CBORReader.decode(s.encode())
        let keys = doc.pairs?.compactMap(\.key.text) ?? []
        #expect(keys == keys.sorted { $0.utf8.count != $1.utf8.count ? $0.utf8.count < $1.utf8.count : $0 < $1 })
        #expect(keys.count == 10)
        #expect(doc["snapshot-time"] == .unsigned(7) && doc["vehicles"] == .unsigned(1) && doc["added"] == .unsigned(2))
        #expect(doc["changed"] == .unsigned(3) && doc["unchanged"] == .unsigned(4) && doc["stale"] == .unsigned(5))
        #expect(doc["ecus-added"] == .unsigned(6) && doc["ecus-changed"] == .unsigned(8) && doc["ecus-removed"] == .unsigned(9))
        #expect(doc["ecu-changes"] == .map([CBORPair(.text("hw"), .unsigned(10)), CBORPair(.text("sw"), .unsigned(11)),
                                            CBORPair(.text("serial"), .unsigned(13)), CBORPair(.text("calibration"), .unsigned(12))]))
    }
}
