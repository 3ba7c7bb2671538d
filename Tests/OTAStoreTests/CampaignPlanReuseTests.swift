import Testing
import OTACore
@testable import OTAStore

/// Approval freezes from the plan validation kept while the inventory is unchanged, and
/// from a fresh resolution otherwise. Each test runs one script on two fresh stores: one
/// validates the campaign first (and so keeps a plan), one does not; both then go through
/// the same change and approve. Every frozen row, the campaign's counts and the outbox after
/// the first step must be the same bytes in both.
@Suite struct CampaignPlanReuseTests {
    static let markets = ["DE", "FR", "US", "JP"]
    static var regions: CBOR { CBOR.map([CBORPair(.text("EU"), .array([.text("DE"), .text("FR")])),
                                   CBORPair(.text("NA"), .array([.text("US")]))]) }

    /// Vehicle `n`: some already on BCM 1.0 (GW only), some on 0.5 (excluded: from), every
    /// fifth with a second BCM (slot 1), markets cycling over DE, FR, US, JP (JP is in no
    /// region: excluded).
    static func vehicle(_ n: Int, bcm: String? = nil) -> SnapshotVehicle {
        let extra = n % 5 == 0 ? [SnapshotECU(node: "BCM", hw: "HW-1", sw: "0.9")] : []
        return CampaignFixture.vehicle(n, markets: markets, bcm: bcm ?? (n % 7 == 0 ? "1.0" : n % 11 == 0 ? "0.5" : "0.9"),
                                       extra: extra)
    }

    /// A store with 60 vehicles, BCM 0.9 -> 1.0 and GW 5.1 -> 5.2 (which requires BCM 1.0:
    /// met by the BCM package) released, and a draft campaign of both with two regions.
    struct World {
        let s: Store
        let bcm: Int64
        let gw: Int64
        let campaign: Int64
        let vins: [String]

        init(test: Bool = false) throws {
            s = try makeStore()
            vins = try CampaignFixture.fleet(s, (0..<60).map { CampaignPlanReuseTests.vehicle($0) })
            bcm = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "BCM"))
            gw = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "GW", version: "5.2", from: ["5.1"], hw: ["GW-1"],
                                                                          counter: 2, requires: [("BCM", ["1.0"])]))
            var changes: [(String, CBOR?)] = [("regions", CampaignPlanReuseTests.regions), ("seed", .unsigned(99))]
            if test { changes.append(("test", .bool(true))) }
            campaign = try CampaignFixture.create(s, CampaignFixture.spec(packages: [bcm, gw], changes))
            if test { try testFleet(add: true, Array(vins.prefix(12))) }
        }

        func testFleet(add: Bool, _ vins: [String]) throws {
            var w = CBORWriter()
            w.value(.array(vins.map { .text($0) }))
            try withBuffer(w.bytes) { (raw) throws(OTAError) in
                if add {
                    try TestFleet.add(s.db, actor: "eve", now: CampaignFixture.now, vins: raw)
                } else {
                    try TestFleet.remove(s.db, actor: "eve", now: CampaignFixture.now, vins: raw)
                }
            }
        }

        func plan(reuse: Bool) throws(OTAError) -> CampaignPlan {
            let c = try Campaigns.load(s.db, campaign)
            return try CampaignPlan.make(s.db, c, from: CampaignFixture.now, now: CampaignFixture.now, reuse: reuse)
        }

        func keptPlans() throws(OTAError) -> Int64 {
            (try s.db.scalar("SELECT count(*) FROM campaign_plans") ?? -1) + (try s.db.scalar("SELECT count(*) FROM campaign_plan_chunks") ?? -1)
        }

        /// Every row approval wrote for the campaign, the campaign's row, and the outbox after
        /// starting it and one step.
        func frozenAndSent() throws -> [String] {
            let id = campaign
            func dump(_ sql: String, _ columns: Int32) throws(OTAError) -> [String] {
                try s.db.prepare(sql).bind(1, id).rows { r in
                    (0..<columns).map { r.text($0) ?? "NULL" }.joined(separator: "|")
                }
            }
            var rows = try dump("SELECT * FROM targets WHERE campaign_id = ? ORDER BY id", 25)
            rows += try dump("""
                SELECT te.* FROM target_ecus te JOIN targets t ON t.id = te.target_id WHERE t.campaign_id = ?
                ORDER BY te.target_id, te.position, te.node, te.slot
                """, 9)
            rows += try dump("SELECT * FROM campaign_waves WHERE campaign_id = ? ORDER BY idx", 4)
            rows += try dump("SELECT * FROM campaign_counts WHERE campaign_id = ? ORDER BY dim, key, sub", 5)
            rows += try dump("SELECT state, approved_by, targets, hex(excluded), seed FROM campaigns WHERE id = ?", 5)
            let signer = try testSigner()
            try CampaignControl.start(s.db, actor: "cam", now: CampaignFixture.now, campaign: id, signer: signer)
            _ = try CampaignStep.run(s.db, actor: "cam", now: CampaignFixture.now, campaign: id, signer: signer)
            rows += try dump("""
                SELECT id, campaign_id, vehicle_id, kind, topic, hex(payload), retain, created_at FROM outbox
                WHERE campaign_id = ? ORDER BY id
                """, 8)
            return rows
        }
    }

    /// Both paths through `between`; the validated one must (or must not) reuse its plan.
    /// Returns what the validated path froze and sent, after checking it equals the other's.
    @discardableResult
    func bothWays(test: Bool = false, reuse: Bool, _ between: (World) throws -> Void) throws -> [String] {
        let validated = try World(test: test)
        let report = try CBORReader.decode(Campaigns.validate(validated.s.db, campaign: validated.campaign))
        #expect(try validated.keptPlans() >= 2)
        try between(validated)
        #expect(try validated.plan(reuse: true).reused == reuse)
        try Campaigns.approve(validated.s.db, actor: "root", now: CampaignFixture.now, campaign: validated.campaign)
        #expect(try validated.keptPlans() == 0)  // dropped with the approval

        let fresh = try World(test: test)
        try between(fresh)
        #expect(try fresh.plan(reuse: true).reused == false)  // nothing kept: it resolves
        try Campaigns.approve(fresh.s.db, actor: "root", now: CampaignFixture.now, campaign: fresh.campaign)

        let a = try validated.frozenAndSent(), b = try fresh.frozenAndSent()
        #expect(a.count > 30)
        let differ = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(a.count == b.count && differ == nil,
                "\(a.count) rows against \(b.count); first difference: \(differ.map { "\($0.element.0) / \($0.element.1)" } ?? "none")")
        #expect(report["problems"]?.array?.count == (test ? 0 : 1))  // a fleet campaign: no after-test
        return a
    }

    @Test func aKeptPlanFreezesAndSendsTheSameBytesAsAFreshResolution() throws {
        let rows = try bothWays(reuse: true) { _ in }
        #expect(rows.contains { $0.contains("|BCM|1|") })  // a second BCM is frozen in slot 1
        let w = try World()
        let fresh = try w.plan(reuse: false)
        _ = try Campaigns.validate(w.s.db, campaign: w.campaign)
        let kept = try w.plan(reuse: true)
        #expect(kept.reused && kept.candidates == fresh.candidates && kept.targets == fresh.targets)
        #expect(kept.excluded.map(\.0) == fresh.excluded.map(\.0) && kept.excluded.map(\.1) == fresh.excluded.map(\.1))
        #expect(fresh.excluded.contains { $0.0 == "market" } && fresh.excluded.contains { $0.0 == "from" })
    }

    @Test func anInventoryImportInBetweenIsHonoured() throws {
        try bothWays(reuse: false) { w in
            // vehicle 1 moves to BCM 1.0 (GW only), vehicle 2 loses its GW (BCM only? no: GW
            // requires an ECU; it is excluded), and five new vehicles arrive
            var changed = (0..<60).map { CampaignPlanReuseTests.vehicle($0) }
            changed[1] = CampaignPlanReuseTests.vehicle(1, bcm: "1.0")
            changed[2].ecus.removeAll { $0.node == "GW" }
            changed += (60..<65).map { CampaignPlanReuseTests.vehicle($0) }
            let scan = Fleet.scan(changed, taken: t0 + 60)
            _ = try FleetImport.run(w.s.db, actor: "eve", now: t0 + 60, scan: scan)
        }
    }

    @Test func anImportThatChangesNothingKeepsThePlan() throws {
        try bothWays(reuse: true) { w in
            let scan = Fleet.scan((0..<60).map { CampaignPlanReuseTests.vehicle($0) }, taken: t0 + 60)
            let summary = try FleetImport.run(w.s.db, actor: "eve", now: t0 + 60, scan: scan)
            #expect(summary.unchanged == 60)
        }
    }

    @Test func versionsProvedByAStatusReportInBetweenAreHonoured() throws {
        try bothWays(reuse: false) { w in
            // what a verified success writes: vehicle 3's BCM on 1.0
            let vehicle = try w.s.db.scalar("SELECT id FROM vehicles WHERE vin = '\(w.vins[3])'") ?? 0
            try w.s.db.write { () throws(OTAError) in
                try ReportedInventory.write(w.s.db, vehicle: vehicle, campaign: 99, now: CampaignFixture.now,
                                            ecus: [StatusReport.ECU(node: "BCM", slot: 0, hw: "HW-1", sw: "1.0")])
            }
        }
    }

    @Test func aTestFleetChangeInBetweenIsHonoured() throws {
        let rows = try bothWays(test: true, reuse: true) { w in
            try w.testFleet(add: false, [w.vins[1], w.vins[2]])
            try w.testFleet(add: true, [w.vins[20], w.vins[21]])
        }
        #expect(rows.contains { $0.contains(CampaignFixture.vehicle(20).vin) })
        #expect(!rows.contains { $0.contains(CampaignFixture.vehicle(1).vin) })
    }

    @Test func anotherCampaignGoingActiveInBetweenIsHonoured() throws {
        var busy: Int64 = 0
        let rows = try bothWays(reuse: true) { w in
            // a BCM campaign over vehicles 0-19, approved and started: its vehicles are busy
            let vins = CBOR.map([CBORPair(.text("vins"), .array(w.vins.prefix(20).map { .text($0) }))])
            let other = try CampaignFixture.create(w.s, CampaignFixture.spec(packages: [w.bcm], [("rule", vins)]))
            try Campaigns.approve(w.s.db, actor: "root", now: CampaignFixture.now, campaign: other)
            try CampaignControl.start(w.s.db, actor: "cam", now: CampaignFixture.now, campaign: other, signer: testSigner())
            busy = try w.plan(reuse: false).excluded.first { $0.0 == "busy" }?.1 ?? 0
        }
        #expect(busy > 0)
        #expect(rows.contains { $0.contains("62757379") })  // "busy" in the stored exclusions (hex)
    }

    @Test func aPackageWithdrawnInBetweenStopsTheApproval() throws {
        let w = try World()
        _ = try Campaigns.validate(w.s.db, campaign: w.campaign)
        try Packages.withdraw(w.s.db, actor: "root", now: CampaignFixture.now, package: w.gw, reason: "recall")
        let e = error { () throws(OTAError) in
            try Campaigns.approve(w.s.db, actor: "root", now: CampaignFixture.now, campaign: w.campaign)
        }
        #expect(e?.code == .conflict && e?.message.contains("package \(w.gw) is withdrawn") == true, "\(e?.message ?? "")")
    }

    @Test func theGenerationMovesWithEveryInventoryChangeOnly() throws {
        let s = try makeStore()
        #expect(try InventoryGeneration.current(s.db) == 0)
        try CampaignFixture.fleet(s, count: 3)
        #expect(try InventoryGeneration.current(s.db) == 1)
        try CampaignFixture.fleet(s, count: 3)  // the same snapshot again: nothing changes
        #expect(try InventoryGeneration.current(s.db) == 1)
        var later = (0..<3).map { CampaignFixture.vehicle($0) }
        later[0].market = "FR"
        _ = try FleetImport.run(s.db, actor: "eve", now: t0 + 1, scan: Fleet.scan(later, taken: t0 + 1))
        #expect(try InventoryGeneration.current(s.db) == 2)
        let vehicle = try s.db.scalar("SELECT id FROM vehicles ORDER BY id LIMIT 1") ?? 0
        let same = [StatusReport.ECU(node: "BCM", slot: 0, hw: "HW-1", sw: "0.9")]
        try s.db.write { () throws(OTAError) in
            // versions the inventory holds already: only `seen` moves
            try ReportedInventory.write(s.db, vehicle: vehicle, campaign: 1, now: t0 + 2, ecus: same)
        }
        #expect(try InventoryGeneration.current(s.db) == 2)
        try s.db.write { () throws(OTAError) in
            try ReportedInventory.write(s.db, vehicle: vehicle, campaign: 1, now: t0 + 3,
                                        ecus: [StatusReport.ECU(node: "BCM", slot: 0, hw: "HW-1", sw: "1.0")])
        }
        #expect(try InventoryGeneration.current(s.db) == 3)
    }

    @Test func aDamagedKeptPlanIsCorruptUntilValidatedAgain() throws {
        let w = try World()
        _ = try Campaigns.validate(w.s.db, campaign: w.campaign)
        try w.s.db.exec("UPDATE campaign_plan_chunks SET candidates = x'8201' WHERE idx = 0")
        let e = error { () throws(OTAError) in
            try Campaigns.approve(w.s.db, actor: "root", now: CampaignFixture.now, campaign: w.campaign)
        }
        #expect(e?.code == .corrupt && e?.message.contains("campaign \(w.campaign): the plan kept by validation") == true,
                "\(e?.message ?? "")")
        #expect(try Campaigns.load(w.s.db, w.campaign).state == .draft)
        _ = try Campaigns.validate(w.s.db, campaign: w.campaign)  // replaces it
        try Campaigns.approve(w.s.db, actor: "root", now: CampaignFixture.now, campaign: w.campaign)
        #expect(try Campaigns.load(w.s.db, w.campaign).state == .approved)
    }

    @Test func aReadOnlyHandleValidatesWithoutKeepingAPlan() throws {
        let path = temporaryStorePath()
        var campaign: Int64 = 0
        do {
            let s = try Store.open(path: path, options: StoreOptions(bootstrapAdmin: "root"))
            for (who, role) in [("eve", Role.engineer), ("ann", .approver), ("cam", .campaignManager)] {
                try Roles.grant(s.db, actor: "root", now: t0, to: who, role)
            }
            try CampaignFixture.fleet(s, count: 8)
            let p = try CampaignFixture.package(s, CampaignFixture.manifest())
            campaign = try CampaignFixture.create(s, CampaignFixture.spec(packages: [p]))
        }
        var ro = StoreOptions()
        ro.readOnly = true
        let reader = try Store.open(path: path, options: ro)
        let doc = try CBORReader.decode(Campaigns.validate(reader.db, campaign: campaign))
        #expect(doc["targets"]?.int64 == 8)
        #expect(try reader.db.scalar("SELECT count(*) FROM campaign_plans") == 0)
    }
}
