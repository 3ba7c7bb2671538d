import Testing
import OTACore
@testable import OTAStore

private func report(_ s: Store, _ id: Int64) throws -> (problems: [String], targets: Int64, excluded: [String: Int64]) {
    let doc = try CBORReader.decode(Campaigns.validate(s.db, campaign: id))
    let problems = (doc["problems"]?.array ?? []).compactMap(\.text)
    var excluded: [String: Int64] = [:]
    for p in doc["excluded"]?.pairs ?? [] { excluded[p.key.text ?? ""] = p.value.int64 }
    return (problems, doc["targets"]?.int64 ?? -1, excluded)
}

private func map(_ pairs: [(String, CBOR)]) -> CBOR { .map(pairs.map { CBORPair(.text($0.0), $0.1) }) }
private func texts(_ items: [String]) -> CBOR { .array(items.map { .text($0) }) }

@Suite struct CampaignApprovalTests {
    @Test func fixtureApprovesAndFreezesEveryVehicle() throws {
        let s = try makeStore()
        let c = try CampaignFixture.approved(s)
        let r = try Campaigns.load(s.db, c.campaign)
        #expect(r.state == .approved && r.approvedBy == "root" && r.targets == 40)
        let targets = try CampaignFixture.targets(s, c.campaign)
        #expect(targets.count == 40)
        #expect(Set(targets.map(\.vin)) == Set(c.vins))
        #expect(targets.filter { $0.wave == 0 }.count == 10 && targets.filter { $0.wave == 1 }.count == 30)
        #expect(try s.db.scalar("SELECT count(*) FROM target_ecus WHERE node = 'BCM' AND from_sw = '0.9' AND to_sw = '1.0' AND hw = 'HW-1' AND slot = 0") == 40)
        #expect(try s.db.scalar("SELECT count(*) FROM campaign_waves WHERE campaign_id = \(c.campaign)") == 2)
        #expect(try CampaignCounters.stored(s.db, campaign: c.campaign) == CampaignCounters.recount(s.db, campaign: c.campaign))
        // the admin approved without a test campaign, and the audit says so
        let entry = try Audit.entries(s.db).last
        #expect(entry?.action == "campaign.approve" && entry?.actor == "root")
        let detail = try CBORReader.decode(entry?.detail ?? [])
        #expect(detail["without-test"] == .bool(true) && detail["targets"] == .unsigned(40))
    }

    @Test func validationReportsEveryProblemAtOnce() throws {
        let s = try makeStore()
        try CampaignFixture.fleet(s, count: 10)
        let draft = try register(s, CampaignFixture.manifest(ecu: "BCM"))          // still a draft
        let gw = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "GW", version: "5.2", from: ["5.1"], hw: ["GW-1"], counter: 2,
                                                                         requires: [("BCM", ["1.0"])]))
        let gw2 = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "GW", version: "5.3", from: ["5.2"], hw: ["GW-1"], counter: 3))
        let bcm = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "BCM", version: "1.1", counter: 4))
        _ = bcm
        let spec = CampaignFixture.spec(packages: [draft, gw, gw2], [
            ("urgency", .text("scheduled")),
            ("waves", .array([map([("share", .unsigned(60)), ("success-gate", .unsigned(90)), ("failure-threshold", .unsigned(5))]),
                              map([("share", .float(0.5)), ("success-gate", .unsigned(90)), ("failure-threshold", .unsigned(5))])])),
            ("windows", .array([map([("regions", texts(["APAC"])), ("days", .array([.unsigned(0)])), ("start", .unsigned(0)), ("minutes", .unsigned(60))])])),
            ("end", .unsigned(UInt64(CampaignFixture.now + 3 * 86_400))),
        ])
        let id = try CampaignFixture.create(s, spec)
        let r = try report(s, id)
        #expect(r.problems == [
            "packages[0]: package \(draft) is draft; it must be approved or released",
            "packages[2]: package \(gw2) updates ECU node 'GW' like packages[1]; a campaign has one package per node",
            "start: missing; a scheduled campaign needs a start",
            "waves: the shares add up to 60.5 %, not 100 (leave share out of the last wave to give it the rest)",
            "windows[0].regions[0]: 'APAC' is not a region of the spec",
            "windows: no window opens between \(CampaignFixture.now) and end \(CampaignFixture.now + 3 * 86_400)",
            "after-test: missing; a fleet campaign follows a completed test campaign of the same packages (only an admin may approve without one)",
            "targets: no vehicle is a target (excluded: from 10)",   // GW 5.3 needs GW on 5.2
        ], "\(r.problems)")
        #expect(r.targets == 0 && r.excluded == ["from": 10])
        // approval refuses with the same problems, and nothing is frozen
        let e = error { () throws(OTAError) in try Campaigns.approve(s.db, actor: "root", now: CampaignFixture.now, campaign: id) }
        #expect(e?.code == .conflict && e?.message.hasPrefix("cannot approve campaign \(id): 7 problems: packages[0]") == true, "\(e?.message ?? "")")
        #expect(try s.db.scalar("SELECT count(*) FROM targets") == 0)
        #expect(try Campaigns.load(s.db, id).state == .draft)
    }

    /// An end that has passed is in validation's problems, as approval refuses it: one rule
    /// in one list. Validation is given no time, so it judges at the campaign's creation.
    @Test func anEndThatHasPassedIsAValidationProblem() throws {
        let s = try makeStore()
        try CampaignFixture.fleet(s, count: 8)
        let p = try CampaignFixture.package(s, CampaignFixture.manifest())
        let created = CampaignFixture.end + 60
        let id = try CampaignFixture.create(s, CampaignFixture.spec(packages: [p]), now: created)
        #expect(try report(s, id).problems == ["end: \(CampaignFixture.end) has passed (at \(created))",
                                             "after-test: missing; a fleet campaign follows a completed test campaign of the same packages (only an admin may approve without one)"])
        let e = error { () throws(OTAError) in try Campaigns.approve(s.db, actor: "root", now: created + 60, campaign: id) }
        #expect(e?.message == "cannot approve campaign \(id): 1 problem: end: \(CampaignFixture.end) has passed (at \(created + 60))", "\(e?.message ?? "")")
        // a scheduled start before creation: the creation still counts
        let early = try CampaignFixture.create(s, CampaignFixture.spec(packages: [p], [
            ("urgency", .text("scheduled")), ("start", .unsigned(UInt64(CampaignFixture.end - 60)))]), now: created)
        #expect(try report(s, early).problems.first == "end: \(CampaignFixture.end) has passed (at \(created))")
    }

    @Test func dependencyOrderAndRequirementsAcrossPackages() throws {
        let s = try makeStore()
        try CampaignFixture.fleet(s, count: 6)
        let bcm = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "BCM"))
        // GW 5.2 requires BCM 1.0: met by the earlier BCM package of the campaign, not by
        // the inventory (every BCM is on 0.9)
        let gw = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "GW", version: "5.2", from: ["5.1"], hw: ["GW-1"], counter: 2,
                                                                         requires: [("BCM", ["1.0"])]))
        let ok = try CampaignFixture.create(s, CampaignFixture.spec(packages: [bcm, gw]))
        let r = try report(s, ok)
        #expect(r.targets == 6 && r.problems.count == 1)  // only after-test
        try Campaigns.approve(s.db, actor: "root", now: CampaignFixture.now, campaign: ok)
        #expect(try s.db.scalar("SELECT count(*) FROM target_ecus") == 12)
        #expect(try s.db.scalar("SELECT count(*) FROM target_ecus WHERE position = 1 AND node = 'GW' AND to_sw = '5.2'") == 6)
        // the wrong order is a problem, and alone GW has no target (requires)
        let wrong = try CampaignFixture.create(s, CampaignFixture.spec(packages: [gw, bcm]))
        #expect(try report(s, wrong).problems.contains("packages[0]: package \(gw) requires 'BCM' on 1.0, which packages[1] installs after it; install packages[1] first"))
        let alone = try CampaignFixture.create(s, CampaignFixture.spec(packages: [gw]))
        let a = try report(s, alone)
        #expect(a.targets == 0 && a.excluded == ["requires": 6])
        #expect(a.problems.contains("targets: no vehicle is a target (excluded: requires 6)"))
    }

    @Test func alreadyInstalledPackageKeepsTheVehicleAndUpToDateIsExcluded() throws {
        let s = try makeStore()
        // vehicles 0-3 on BCM 0.9, 4-5 already on 1.0
        try CampaignFixture.fleet(s, (0..<6).map { CampaignFixture.vehicle($0, bcm: $0 < 4 ? "0.9" : "1.0") })
        let bcm = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "BCM"))
        let gw = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "GW", version: "5.2", from: ["5.1"], hw: ["GW-1"], counter: 2))
        let both = try CampaignFixture.create(s, CampaignFixture.spec(packages: [bcm, gw]))
        #expect(try report(s, both).targets == 6)
        try Campaigns.approve(s.db, actor: "root", now: CampaignFixture.now, campaign: both)
        // the vehicles already on BCM 1.0 get only the GW package
        #expect(try s.db.scalar("SELECT count(*) FROM target_ecus WHERE node = 'BCM'") == 4)
        #expect(try s.db.scalar("SELECT count(*) FROM target_ecus WHERE node = 'GW'") == 6)
        // a second campaign of the BCM: the up-to-date vehicles are out, and the approved
        // campaign's BCM targets are busy (approved, it holds them)
        let bcmOnly = try CampaignFixture.create(s, CampaignFixture.spec(packages: [bcm]))
        let r = try report(s, bcmOnly)
        #expect(r.targets == 0 && r.excluded == ["up-to-date": 2, "busy": 4])
    }

    @Test func busyAndTestFleetExclusions() throws {
        let s = try makeStore()
        let c = try CampaignFixture.approved(s, vehicles: 12)
        // make the first campaign active: scheduled (the lifecycle's start)
        try Campaigns.move(s.db, campaign: c.campaign, .start, to: .scheduled, actor: "cam", now: CampaignFixture.now)
        let bcm2 = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "BCM", version: "1.1", from: ["0.9", "1.0"], counter: 5))
        let second = try CampaignFixture.create(s, CampaignFixture.spec(packages: [bcm2]))
        let r = try report(s, second)
        #expect(r.targets == 0 && r.excluded == ["busy": 12])
        // a test campaign reaches only the test fleet
        try withBuffer(encode(texts([c.vins[0], c.vins[1]]))) { (raw) throws(OTAError) in
            try TestFleet.add(s.db, actor: "eve", now: CampaignFixture.now, vins: raw)
        }
        // vins[0] is installing when the first campaign is aborted: the abort spares it, so
        // it stays busy until it is final; the others are cancelled and free
        let vid = try s.db.prepare("SELECT id FROM vehicles WHERE vin = ?").bind(1, c.vins[0]).firstRow { $0.int64(0) } ?? 0
        let old = try #require(try Targets.load(s.db, campaign: c.campaign, vehicle: vid))
        var installing = old
        installing.status = TargetStatus(state: .installing, final: false)
        try s.db.write { () throws(OTAError) in
            var counters = CampaignCounters(campaign: c.campaign)
            try Targets.save(s.db, old: old, new: installing, now: CampaignFixture.now, counters: &counters)
            try counters.flush(s.db)
        }
        try CampaignControl.abort(s.db, actor: "cam", now: CampaignFixture.now, campaign: c.campaign, reason: "test",
                                  signer: try testSigner())
        let oneWave = CBOR.array([map([("success-gate", .unsigned(100)), ("failure-threshold", .unsigned(0))])])
        let test = try CampaignFixture.create(s, CampaignFixture.spec(packages: [bcm2], [("test", .bool(true)), ("waves", oneWave)]))
        let t = try report(s, test)
        #expect(t.targets == 1 && t.excluded == ["busy": 1, "test-fleet": 10] && t.problems.isEmpty, "\(t)")
        try Campaigns.approve(s.db, actor: "ann", now: CampaignFixture.now, campaign: test)
        #expect(try CampaignFixture.targets(s, test).map(\.vin) == [c.vins[1]])
    }

    @Test func afterTestNeedsATestCampaignInWhichAVehicleSucceeded() throws {
        let s = try makeStore()
        let vins = try CampaignFixture.fleet(s, count: 6)
        let p = try CampaignFixture.package(s, CampaignFixture.manifest())
        try withBuffer(encode(texts([vins[0], vins[1]]))) { (raw) throws(OTAError) in
            try TestFleet.add(s.db, actor: "eve", now: CampaignFixture.now, vins: raw)
        }
        let oneWave = CBOR.array([map([("success-gate", .unsigned(100)), ("failure-threshold", .unsigned(100))])])
        let test = try CampaignFixture.create(s, CampaignFixture.spec(packages: [p], [("test", .bool(true)), ("waves", oneWave)]))
        try Campaigns.approve(s.db, actor: "ann", now: CampaignFixture.now, campaign: test)
        // every target final, none succeeded: completed, and proves nothing
        try s.db.exec("UPDATE targets SET state = 'failed', final = 1 WHERE campaign_id = \(test)")
        try s.db.exec("UPDATE campaigns SET state = 'completed' WHERE id = \(test)")
        let fleet = try CampaignFixture.create(s, CampaignFixture.spec(packages: [p], [("after-test", .unsigned(UInt64(test)))]))
        #expect(try report(s, fleet).problems == ["after-test: test campaign \(test) completed without a single vehicle that succeeded"])
        try s.db.exec("UPDATE targets SET state = 'succeeded' WHERE campaign_id = \(test) AND vin = '\(vins[0])'")
        #expect(try report(s, fleet).problems.isEmpty)
    }

    @Test func anApprovedCampaignNotYetStartedHoldsItsVehicles() throws {
        let s = try makeStore()
        let c = try CampaignFixture.approved(s, vehicles: 12)   // approved, not started
        let bcm2 = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "BCM", version: "1.1", from: ["0.9", "1.0"], counter: 5))
        let second = try CampaignFixture.create(s, CampaignFixture.spec(packages: [bcm2]))
        // both could otherwise be started and send each vehicle two offers for its BCM
        #expect(try report(s, second).excluded == ["busy": 12])
        // an aborted approval frees them (its targets are cancelled)
        try CampaignControl.abort(s.db, actor: "cam", now: CampaignFixture.now, campaign: c.campaign, reason: "superseded",
                                  signer: try testSigner())
        #expect(try report(s, second).targets == 12)
    }

    @Test func aWaveThatRoundsToZeroIsAProblem() throws {
        let s = try makeStore()
        try CampaignFixture.fleet(s, count: 3)
        let p = try CampaignFixture.package(s, CampaignFixture.manifest())
        let id = try CampaignFixture.create(s, CampaignFixture.spec(packages: [p], [("test", .bool(false)), ("after-test", nil)]))
        #expect(try report(s, id).problems.contains("waves[0]: rounds to zero vehicles (of 3 targets)"))
    }

    @Test func twoPersonRuleAndRoles() throws {
        let s = try makeStore()
        try Roles.grant(s.db, actor: "root", now: t0, to: "cam", .approver)
        try CampaignFixture.fleet(s, count: 4)
        let p = try CampaignFixture.package(s, CampaignFixture.manifest())
        let id = try CampaignFixture.create(s, CampaignFixture.spec(packages: [p], [("test", .bool(true))]))
        let own = error { () throws(OTAError) in try Campaigns.approve(s.db, actor: "cam", now: CampaignFixture.now, campaign: id) }
        #expect(own?.code == .denied && own?.message.contains("two-person rule") == true)
        let eve = error { () throws(OTAError) in try Campaigns.approve(s.db, actor: "eve", now: CampaignFixture.now, campaign: id) }
        #expect(eve?.code == .denied && eve?.message.contains("approver") == true)
        let create = error { () throws(OTAError) -> Int64 in try CampaignFixture.create(s, CampaignFixture.spec(packages: [p]), actor: "ann") }
        #expect(create?.code == .denied && create?.message.contains("campaign-manager") == true)
        // a non-admin approver cannot waive after-test
        let fleet = try CampaignFixture.create(s, CampaignFixture.spec(packages: [p]))
        let waived = error { () throws(OTAError) in try Campaigns.approve(s.db, actor: "ann", now: CampaignFixture.now, campaign: fleet) }
        #expect(waived?.code == .conflict && waived?.message.contains("after-test: missing") == true)
    }

    @Test func illegalTransitionsNameTheCurrentState() throws {
        let s = try makeStore()
        let c = try CampaignFixture.approved(s, vehicles: 4)
        let again = error { () throws(OTAError) in try Campaigns.approve(s.db, actor: "ann", now: CampaignFixture.now, campaign: c.campaign) }
        #expect(again?.code == .conflict && again?.message == "cannot approve campaign \(c.campaign): it is approved (approve needs draft)")
        let resume = error { () throws(OTAError) in try Campaigns.move(s.db, campaign: c.campaign, .resume, actor: "cam", now: CampaignFixture.now) }
        #expect(resume?.code == .conflict && resume?.message.contains("it is approved") == true)
        let missing = error { () throws(OTAError) in try Campaigns.approve(s.db, actor: "ann", now: CampaignFixture.now, campaign: 99) }
        #expect(missing?.code == .notFound)
    }

    @Test func unknownPackageAndBadSpecAreRefusedAtCreate() throws {
        let s = try makeStore()
        let e = error { () throws(OTAError) -> Int64 in try CampaignFixture.create(s, CampaignFixture.spec(packages: [42])) }
        #expect(e?.code == .notFound && e?.message == "campaign spec: packages[0]: no package with id 42")
        let bad = error { () throws(OTAError) -> Int64 in try CampaignFixture.create(s, CampaignFixture.spec(packages: [1], [("priority", .unsigned(2000))])) }
        #expect(bad?.code == .badInput && bad?.message == "campaign spec has 1 problem: priority: 2000 is outside 0-1000")
        #expect(try s.db.scalar("SELECT count(*) FROM campaigns") == 0)
    }

    @Test func orderIsSpreadAcrossMarketsAndModels() throws {
        let s = try makeStore()
        // 3 markets x 2 models, imported grouped (all DE first, ...) so that id order is clumped
        var vehicles: [SnapshotVehicle] = []
        var n = 0
        for market in ["DE", "FR", "US"] {
            for model in ["Aurora", "Borealis"] {
                for _ in 0..<20 {
                    vehicles.append(CampaignFixture.vehicle(n, markets: [market], models: [model]))
                    n += 1
                }
            }
        }
        try CampaignFixture.fleet(s, vehicles)
        let p = try CampaignFixture.package(s, CampaignFixture.manifest())
        let id = try CampaignFixture.create(s, CampaignFixture.spec(packages: [p]))
        try Campaigns.approve(s.db, actor: "root", now: CampaignFixture.now, campaign: id)
        let order = try CampaignFixture.targets(s, id)
        #expect(order.count == 120)
        // every window of 12 consecutive targets holds every market and both models
        for start in stride(from: 0, to: 120 - 12, by: 1) {
            let window = order[start..<start + 12]
            #expect(Set(window.map(\.market)).count == 3, "at \(start)")
            #expect(Set(window.map(\.model)).count == 2, "at \(start)")
        }
        // the first wave (25 %) holds each (market, model) in proportion: 5 of each 20
        let first = order.filter { $0.wave == 0 }
        #expect(first.count == 30)
        for market in ["DE", "FR", "US"] {
            for model in ["Aurora", "Borealis"] {
                #expect(first.filter { $0.market == market && $0.model == model }.count == 5)
            }
        }
        // shuffled within a group: not in VIN (import) order
        let de = order.filter { $0.market == "DE" && $0.model == "Aurora" }.map(\.vin)
        #expect(de != de.sorted())
    }

    @Test func sameStoreSpecAndSeedGiveTheSameOrder() throws {
        func frozen(seed: UInt64?) throws -> [String] {
            let s = try makeStore()
            let c = try CampaignFixture.approved(s, vehicles: 60, changes: seed.map { [("seed", .unsigned($0))] } ?? [])
            return try CampaignFixture.targets(s, c.campaign).map { "\($0.vin)/\($0.wave)" }
        }
        #expect(try frozen(seed: nil) == frozen(seed: nil))
        #expect(try frozen(seed: 7) == frozen(seed: 7))
        #expect(try frozen(seed: 7) != frozen(seed: 8))
    }

    @Test func getAndListDocuments() throws {
        let s = try makeStore()
        let c = try CampaignFixture.approved(s, vehicles: 8)
        let info = try CBORReader.decode(Campaigns.info(s.db, campaign: c.campaign))
        #expect(info["id"] == .unsigned(UInt64(c.campaign)) && info["state"] == .text("approved"))
        #expect(info["author"] == .text("cam") && info["approved-by"] == .text("root") && info["targets"] == .unsigned(8))
        #expect(info["spec"]?["name"] == .text("BCM door-unlock fix"))
        #expect(info["seed"] == .unsigned(SpreadOrder.defaultSeed(campaign: c.campaign)))
        let history = info["history"]?.array ?? []
        #expect(history.map { $0["state"]?.text ?? "" } == ["draft", "approved"])
        #expect(history.last?["actor"] == .text("root") && history.last?["reason"] != nil)
        #expect(info["waves"]?.array?.map { $0["targets"] } == [.unsigned(2), .unsigned(6)])
        // list, filtered
        let all = try CBORReader.decode(Campaigns.list(s.db, filter: Campaigns.ListFilter()))
        #expect(all.array?.count == 1)
        let row = all.array?.first
        #expect(row?["state"] == .text("approved") && row?["targets"] == .unsigned(8) && row?["progress"] == .unsigned(0))
        #expect(row?["succeeded"] == .unsigned(0) && row?["failed"] == .unsigned(0) && row?["next-due"] == .null)
        var f = Campaigns.ListFilter()
        f.state = .draft
        #expect(try CBORReader.decode(Campaigns.list(s.db, filter: f)).array?.isEmpty == true)
        let bad = error { () throws(OTAError) -> Campaigns.ListFilter in
            try withBuffer(encode(map([("colour", .text("red"))]))) { (raw) throws(OTAError) in try Campaigns.ListFilter.parse(raw) }
        }
        #expect(bad?.code == .badInput && bad?.message == "campaign filter has 1 problem: colour: unknown key")
    }

    @Test func testFleetNamesUnknownVINsAndIsAudited() throws {
        let s = try makeStore()
        let vins = try CampaignFixture.fleet(s, count: 3)
        let unknown = Fleet.vin(999)
        let e = error { () throws(OTAError) in
            try withBuffer(encode(texts([vins[0], unknown]))) { (raw) throws(OTAError) in
                try TestFleet.add(s.db, actor: "eve", now: t0, vins: raw)
            }
        }
        #expect(e?.code == .notFound && e?.message == "vins[1]: no vehicle with VIN \(unknown)")
        #expect(try s.db.scalar("SELECT count(*) FROM test_fleet") == 0)
        let denied = error { () throws(OTAError) in
            try withBuffer(encode(texts([vins[0]]))) { (raw) throws(OTAError) in try TestFleet.add(s.db, actor: "cam", now: t0, vins: raw) }
        }
        #expect(denied?.code == .denied)
        try withBuffer(encode(texts(vins))) { (raw) throws(OTAError) in try TestFleet.add(s.db, actor: "eve", now: t0, vins: raw) }
        try withBuffer(encode(texts([vins[1]]))) { (raw) throws(OTAError) in try TestFleet.remove(s.db, actor: "root", now: t0, vins: raw) }
        #expect(try TestFleet.contains(s.db, vin: vins[0]) && !(try TestFleet.contains(s.db, vin: vins[1])))
        let actions = try Audit.entries(s.db).suffix(2).map(\.action)
        #expect(actions == ["test-fleet.add", "test-fleet.remove"])
    }
}

private func encode(_ v: CBOR) -> [UInt8] {
    var w = CBORWriter()
    w.value(v)
    return w.bytes
}
