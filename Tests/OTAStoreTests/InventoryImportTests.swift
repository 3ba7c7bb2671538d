import Testing
import OTACore
@testable import OTAStore

@Suite("Fleet import")
struct InventoryImportTests {
    @Test("new vehicles: rows, slots, a first history row per ECU stamped with the snapshot time")
    func importNew() throws {
        let store = try Fleet.store()
        let summary = try Fleet.load(store, Fleet.fleet(3))
        #expect(summary.snapshotTime == Fleet.t0)
        #expect(summary.vehicles == 3 && summary.added == 3 && summary.changed == 0 && summary.unchanged == 0)
        #expect(summary.ecusAdded == 12 && summary.ecusChanged == 0 && summary.ecusRemoved == 0)
        #expect(try Fleet.count(store, "vehicles") == 3)
        #expect(try Fleet.count(store, "ecus") == 12)
        #expect(try Fleet.count(store, "ecu_history") == 12)
        #expect(try store.db.scalar("SELECT count(*) FROM ecu_history WHERE at = \(Fleet.t0) AND source = 'snapshot'") == 12)
        #expect(try store.db.scalar("SELECT count(*) FROM vehicles WHERE updated = \(Fleet.t0) AND seen = \(Fleet.t0)") == 3)
        // Two DCMs: slots 0 and 1 in snapshot order; other nodes slot 0.
        #expect(try store.db.scalar("SELECT group_concat(slot, '') FROM (SELECT slot FROM ecus WHERE node = 'DCM' AND vehicle_id = 1 ORDER BY id)") == 1)
        #expect(try store.db.prepare("SELECT group_concat(node || slot, ',') FROM (SELECT node, slot FROM ecus WHERE vehicle_id = 1 ORDER BY id)")
            .firstRow { $0.text(0) } == "BCM0,ECM0,DCM0,DCM1")
        #expect(try store.db.prepare("SELECT calibration, serial FROM ecus WHERE node = 'ECM' AND vehicle_id = 2")
            .firstRow { [$0.text(0), $0.text(1)] } == ["CAL-1", "S1"])
    }

    @Test("re-import: unchanged vehicles write no history; changes write one row each, stamped with the new time")
    func reimport() throws {
        let store = try Fleet.store()
        try Fleet.load(store, Fleet.fleet(4))
        let same = try Fleet.load(store, Fleet.fleet(4), taken: Fleet.t0 + 10)
        #expect(same.unchanged == 4 && same.changed == 0 && same.added == 0 && same.ecusChanged == 0)
        #expect(try Fleet.count(store, "ecu_history") == 16)
        #expect(try store.db.scalar("SELECT count(*) FROM vehicles WHERE seen = \(Fleet.t0 + 10) AND updated = \(Fleet.t0)") == 4)

        var next = Fleet.fleet(5)                 // vehicle 4 is new
        next[1] = Fleet.vehicle(1, sw: "1.1")     // BCM software
        next[2].ecus[1].calibration = "CAL-2"     // ECM calibration and serial
        next[2].ecus[1].serial = "X2"
        next[3].ecus[3].hw = "DCM-B"              // second DCM hardware
        let t1 = Fleet.t0 + 100
        let s = try Fleet.load(store, next, taken: t1)
        #expect(s.vehicles == 5 && s.added == 1 && s.changed == 3 && s.unchanged == 1 && s.stale == 0)
        #expect(s.ecusAdded == 4 && s.ecusChanged == 3 && s.ecusRemoved == 0)
        #expect(s.hwChanges == 1 && s.swChanges == 1 && s.calibrationChanges == 1 && s.serialChanges == 1)
        #expect(try Fleet.count(store, "ecu_history") == 16 + 4 + 3)
        #expect(try store.db.scalar("SELECT count(*) FROM ecu_history WHERE at = \(t1)") == 7)
        let bcm = try store.db.prepare("""
            SELECT group_concat(h.sw || '@' || h.at, ' ') FROM ecu_history h JOIN ecus e ON e.id = h.ecu_id
            JOIN vehicles v ON v.id = e.vehicle_id WHERE v.vin = ? AND e.node = 'BCM' ORDER BY h.id
            """).bind(1, Fleet.vin(1)).firstRow { $0.text(0) }
        #expect(bcm == "1.0@\(Fleet.t0) 1.1@\(t1)")
        #expect(try store.db.scalar("SELECT count(*) FROM ecus WHERE hw = 'DCM-B' AND slot = 1") == 1)
        #expect(try store.db.scalar("SELECT count(*) FROM vehicles WHERE updated = \(t1)") == 4)
    }

    @Test("vehicle fields: a change updates the row (no ECU history), attribute order does not matter")
    func vehicleFields() throws {
        let store = try Fleet.store()
        let attrs = [SnapshotAttribute("trim", .text("base")), SnapshotAttribute("kwh", .int(77)),
                     SnapshotAttribute("tow", .bool(false))]
        try Fleet.load(store, [Fleet.vehicle(0, attributes: attrs)])
        let reordered = try Fleet.load(store, [Fleet.vehicle(0, attributes: attrs.reversed())], taken: Fleet.t0 + 1)
        #expect(reordered.unchanged == 1)
        var moved = Fleet.vehicle(0, market: "CA", attributes: attrs)
        moved.engineNo = nil
        moved.model = "Borealis"
        let s = try Fleet.load(store, [moved], taken: Fleet.t0 + 2)
        #expect(s.changed == 1 && s.ecusChanged == 0)
        #expect(try Fleet.count(store, "ecu_history") == 4)
        #expect(try store.db.prepare("SELECT market, model, engine_no IS NULL, updated FROM vehicles")
            .firstRow { [$0.text(0) ?? "", $0.text(1) ?? "", String($0.int64(2)), String($0.int64(3))] }
            == ["CA", "Borealis", "1", String(Fleet.t0 + 2)])
        let gone = try Fleet.load(store, [Fleet.vehicle(0, market: "CA", attributes: [])], taken: Fleet.t0 + 3)
        #expect(gone.changed == 1)
        #expect(try store.db.scalar("SELECT attributes IS NULL FROM vehicles") == 1)
    }

    @Test("ECUs new to a known vehicle are added with a first history row; missing ones are marked removed")
    func addedAndRemovedECUs() throws {
        let store = try Fleet.store()
        try Fleet.load(store, [Fleet.vehicle(0)])
        var v = Fleet.vehicle(0)
        v.ecus.removeLast()                                          // second DCM gone
        v.ecus.insert(SnapshotECU(node: "TCU", hw: "TCU-A", sw: "3.0"), at: 1)  // new node, mid-list
        let t1 = Fleet.t0 + 50
        let s = try Fleet.load(store, [v], taken: t1)
        #expect(s.changed == 1 && s.ecusAdded == 1 && s.ecusRemoved == 1 && s.ecusChanged == 0)
        #expect(try store.db.scalar("SELECT removed FROM ecus WHERE node = 'DCM' AND slot = 1") == t1)
        // the removal is in the ECU's history: the values it had, when it went
        #expect(try store.db.scalar("SELECT count(*) FROM ecu_history h JOIN ecus e ON e.id = h.ecu_id WHERE e.node = 'DCM' AND e.slot = 1 AND h.source = 'removed' AND h.at = \(t1) AND h.sw = '1.0'") == 1)
        #expect(try store.db.scalar("SELECT count(*) FROM ecu_history h JOIN ecus e ON e.id = h.ecu_id WHERE e.node = 'TCU' AND h.at = \(t1)") == 1)
        // Listed again later: present again, with its values recorded anew.
        let t2 = t1 + 50
        let back = try Fleet.load(store, [Fleet.vehicle(0, ecus: Fleet.vehicle(0).ecus + [v.ecus[1]])], taken: t2)
        #expect(back.changed == 1 && back.ecusAdded == 1 && back.ecusRemoved == 0)
        #expect(try store.db.scalar("SELECT count(*) FROM ecus WHERE removed IS NOT NULL") == 0)
        #expect(try store.db.scalar("SELECT count(*) FROM ecu_history h JOIN ecus e ON e.id = h.ecu_id WHERE e.node = 'DCM' AND e.slot = 1") == 3)
    }

    @Test("an older snapshot leaves vehicles with newer data as they are and still adds new ones")
    func staleSnapshot() throws {
        let store = try Fleet.store()
        try Fleet.load(store, Fleet.fleet(2), taken: Fleet.t0)
        try Fleet.load(store, [Fleet.vehicle(0, sw: "1.2")], taken: Fleet.t0 + 100)
        let before = try Fleet.count(store, "ecu_history")
        let old = [Fleet.vehicle(0, sw: "1.1"), Fleet.vehicle(1, sw: "1.1"), Fleet.vehicle(7)]
        let s = try Fleet.load(store, old, taken: Fleet.t0 + 50)
        #expect(s.stale == 1 && s.changed == 1 && s.added == 1)
        #expect(try store.db.prepare("SELECT sw FROM ecus e JOIN vehicles v ON v.id = e.vehicle_id WHERE v.vin = ? AND node = 'BCM'")
            .bind(1, Fleet.vin(0)).firstRow { $0.text(0) } == "1.2")
        #expect(try Fleet.count(store, "ecu_history") == before + 1 + 4)
        // The same snapshot again changes nothing: equal time is not stale, just unchanged.
        let again = try Fleet.load(store, old, taken: Fleet.t0 + 50)
        #expect(again.stale == 1 && again.unchanged == 2)
    }

    @Test("the inventory migration gives stored vehicles their last change time as seen, and ECUs no removal")
    func migration() throws {
        // Found by content: migrations may be renumbered when branches merge.
        let index = try #require(Schema.migrations.firstIndex { $0.contains("ADD COLUMN seen") })
        let store = try Store.open(path: ":memory:", migrateTo: Int64(index))
        try store.db.exec("""
            INSERT INTO vehicles(id, vin, model, variant, powertrain, market, produced, updated)
              VALUES(1, 'WLXAS0K0M0A012345', 'm', 'v', 'p', 'DE', 0, 77);
            INSERT INTO ecus(vehicle_id, node, slot, hw, sw) VALUES(1, 'BCM', 0, 'h', 's');
            """)
        try store.migrate(to: Int64(index) + 1)
        #expect(try store.db.scalar("SELECT seen FROM vehicles") == 77)
        #expect(try store.db.scalar("SELECT count(*) FROM ecus WHERE removed IS NULL") == 1)
    }
}
