import Testing
import OTACore
@testable import OTAStore

/// Two spellings of one text (composed "Caf\u{e9}", decomposed "Cafe\u{301}") are equal as
/// Swift Strings but are two values to SQLite and to the resolver; the store keeps, exports,
/// freezes and compares them as two (ByteText).
@Suite struct UnicodeSpellingTests {
    static let models = ["Caf\u{e9}", "Cafe\u{301}"]
    static let hws = ["HW-\u{c5}", "HW-A\u{30a}"]

    static func bytes(_ s: String?) -> [UInt8]? { s.map { Array($0.utf8) } }

    /// 40 vehicles: model and BCM hw each alternate between the two spellings.
    static func fleet() -> [SnapshotVehicle] {
        (0..<40).map { n in
            SnapshotVehicle(index: n, vin: Fleet.vin(n), model: models[n % 2], variant: "base", powertrain: "diesel",
                            market: "DE", produced: 1_600_000_000 + Int64(n),
                            ecus: [SnapshotECU(node: "BCM", hw: hws[(n / 2) % 2], sw: "0.9")])
        }
    }

    /// The fleet as snapshot bytes written by hand, every text inline (no string table), so
    /// that the encoder under test plays no part in them.
    static func snapshot(_ vehicles: [SnapshotVehicle]) -> [UInt8] {
        var w = CBORWriter()
        w.mapHeader(3)
        w.unsigned(0); w.unsigned(1)
        w.unsigned(1); w.int(t0)
        w.unsigned(3); w.arrayHeader(vehicles.count)
        for v in vehicles {
            w.arrayHeader(7)
            for s in [v.vin, v.model, v.variant, v.powertrain, v.market] { w.text(s) }
            w.int(v.produced)
            w.arrayHeader(v.ecus.count)
            for e in v.ecus {
                w.arrayHeader(3)
                for s in [e.node, e.hw, e.sw] { w.text(s) }
            }
        }
        return w.bytes
    }

    @Test(arguments: [(0, 0), (0, 1), (1, 0), (1, 1)])
    func theFreezeTargetsWhatTheResolverTargetsOnTheImportedSnapshot(model: Int, hw: Int) throws {
        let s = try makeStore()
        let bytes = Self.snapshot(Self.fleet())
        _ = try FleetImport.run(s.db, actor: "eve", now: t0, scan: { (body) throws(OTAError) in
            try Snapshot.forEachVehicle(bytes, body)
        })
        let package = try CampaignFixture.package(s, CampaignFixture.manifest(hw: [Self.hws[hw]], models: [Self.models[model]]))
        let campaign = try CampaignFixture.create(s, CampaignFixture.spec(packages: [package]))

        var rule = TargetRule(ecu: "BCM")
        rule.hw = [Self.hws[hw]]
        rule.from = ["0.9"]
        rule.to = "1.0"
        rule.models = [Self.models[model]]
        rule.powertrains = ["diesel"]
        let resolved = try withBuffer(bytes) { (raw) throws(OTAError) in try Resolver.targets(snapshot: raw, rule: rule) }
        let expected = Self.fleet().filter { $0.model.sameBytes(as: Self.models[model]) && $0.ecus[0].hw.sameBytes(as: Self.hws[hw]) }
        #expect(resolved.targets.map(\.vin) == expected.map(\.vin))
        #expect(expected.count == 10)

        let report = try CBORReader.decode(Campaigns.validate(s.db, campaign: campaign))
        #expect((report["problems"]?.array ?? []).compactMap(\.text).filter { !$0.hasPrefix("after-test") } == [])
        #expect(report["targets"]?.int64 == 10)
        try Campaigns.approve(s.db, actor: "root", now: CampaignFixture.now, campaign: campaign)

        let frozen = try s.db.prepare("""
            SELECT t.vin, t.model, te.hw FROM targets t JOIN target_ecus te ON te.target_id = t.id
            WHERE t.campaign_id = ? ORDER BY t.vin
            """).bind(1, campaign).rows { ($0.text(0) ?? "", Self.bytes($0.text(1)), Self.bytes($0.text(2))) }
        #expect(frozen.map(\.0) == resolved.targets.map(\.vin).sorted())
        #expect(frozen.allSatisfy { $0.1 == Self.bytes(Self.models[model]) && $0.2 == Self.bytes(Self.hws[hw]) })
    }

    @Test func theExportKeepsEachSpellingByteForByte() throws {
        let s = try Fleet.store()
        var fleet = Self.fleet()
        fleet[0].ecus[0].calibration = "C\u{e9}"
        fleet[1].ecus[0].calibration = "Ce\u{301}"
        fleet[2].attributes = [SnapshotAttribute("n\u{e9}", .int(1)), SnapshotAttribute("ne\u{301}", .int(2))]
        fleet[3].ecus[0].sw = "0.9-\u{c5}"
        fleet[5].ecus[0].sw = "0.9-A\u{30a}"
        try Fleet.load(s, fleet)
        let exported = try FleetExport.snapshot(s.db, now: Fleet.now)
        let (_, back) = try InventoryExportTests.vehicles(of: exported)
        func fields(_ v: SnapshotVehicle) -> [[UInt8]?] {
            [v.vin, v.model, v.variant, v.powertrain, v.market].map(Self.bytes)
                + v.ecus.flatMap { [$0.node, $0.hw, $0.sw, $0.calibration].map(Self.bytes) }
                + v.attributes.map { Self.bytes($0.key) }.sorted { ($0 ?? []).lexicographicallyPrecedes($1 ?? []) }
        }
        #expect(back.map(fields) == fleet.map(fields))

        // And through another store: the same bytes again.
        let copy = try Fleet.store()
        _ = try FleetImport.run(copy.db, actor: "erin", now: Fleet.now, scan: { (body) throws(OTAError) in
            try Snapshot.forEachVehicle(exported, body)
        })
        #expect(try FleetExport.snapshot(copy.db, now: Fleet.now) == exported)
    }

    @Test func aSnapshotThatOnlyRespellsAnECUsVersionIsAChange() throws {
        let s = try Fleet.store()
        var fleet = Fleet.fleet(2)
        fleet[0].ecus[0].sw = "1.0-\u{e9}"
        fleet[0].ecus[2].hw = "DCM-\u{c5}"
        try Fleet.load(s, fleet)
        fleet[0].ecus[0].sw = "1.0-e\u{301}"
        fleet[0].ecus[2].hw = "DCM-A\u{30a}"
        let summary = try Fleet.load(s, fleet, taken: Fleet.t0 + 60)
        #expect(summary.changed == 1 && summary.ecusChanged == 2 && summary.swChanges == 1 && summary.hwChanges == 1)
        let history = try s.db.prepare("""
            SELECT h.sw, h.hw FROM ecu_history h JOIN ecus e ON e.id = h.ecu_id
            WHERE e.node = 'BCM' AND h.at = ? ORDER BY h.id
            """).bind(1, Fleet.t0 + 60).rows { (Self.bytes($0.text(0)), Self.bytes($0.text(1))) }
        #expect(history.map(\.0) == [Self.bytes("1.0-e\u{301}")])
        let stored = try s.db.prepare("SELECT hw FROM ecus WHERE node = 'DCM' AND slot = 0 ORDER BY id LIMIT 1")
            .firstRow { Self.bytes($0.text(0)) }
        #expect(stored == Self.bytes("DCM-A\u{30a}"))
    }

    @Test func aStatusReportThatOnlyRespellsAVersionUpdatesTheInventory() throws {
        let f = try StatusFixture(StatusFixture.Options(multi: true))
        let t = StatusFixture.notifiedAt
        func bcm() throws -> (sw: [UInt8]?, history: Int64) {
            let sw = try f.db.prepare("SELECT e.sw FROM ecus e JOIN vehicles v ON v.id = e.vehicle_id WHERE v.vin = ? AND e.node = 'BCM'")
                .bind(1, f.vins[0]).firstRow { Self.bytes($0.text(0)) } ?? nil
            let history = try f.db.scalar("""
                SELECT count(*) FROM ecu_history h JOIN ecus e ON e.id = h.ecu_id JOIN vehicles v ON v.id = e.vehicle_id
                WHERE v.vin = '\(f.vins[0])' AND e.node = 'BCM'
                """) ?? -1
            return (sw, history)
        }
        _ = try f.ingest(0, seq: 1, "rolled-back", now: t + 500, ecus: [("BCM", 0, "BCM-A", "1.0-\u{e9}")])
        let before = try bcm()
        #expect(before.sw == Self.bytes("1.0-\u{e9}"))
        try f.step(0, .retry, to: .queued, now: t + 1000)
        try f.step(0, .notify, to: .notified, now: t + 1100)
        _ = try f.ingest(0, seq: 2, "rolled-back", now: t + 1500, ecus: [("BCM", 0, "BCM-A", "1.0-e\u{301}")])
        let after = try bcm()
        #expect(after.sw == Self.bytes("1.0-e\u{301}") && after.history == before.history + 1)
    }
}

/// A spec narrowing a manifest's models keeps only the models spelled with the same bytes,
/// as the resolver will compare them.
@Test func aSpecNarrowsAManifestsModelsByBytes() {
    #expect(CampaignPlan.intersect(["Caf\u{e9}", "Aster"], ["Cafe\u{301}", "Aster"]) == ["Aster"])
    #expect(CampaignPlan.intersect(["Cafe\u{301}"], ["Cafe\u{301}"]).count == 1)
    #expect(["Caf\u{e9}"].firstIndexBytes(of: "Cafe\u{301}") == nil)
    #expect(["Caf\u{e9}"].containsBytes("Caf\u{e9}"))
}
