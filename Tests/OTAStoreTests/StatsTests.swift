import Testing
import OTACore
@testable import OTAStore

/// Campaign statistics (design §7): read from counters, adding up, mergeable across shards,
/// identical for identical replays; and the per-vehicle rows.
@Suite struct StatsTests {
    let t = StatusFixture.notifiedAt

    /// A deterministic stream for vehicle n of a StatusFixture campaign: a mix of outcomes.
    func play(_ f: StatusFixture, first: Int = 0) throws {
        for i in 0..<f.vins.count {
            let n = first + i
            switch n % 5 {
            case 0:
                try f.ingest(i, seq: 1, "accepted", now: t + 60)
                try f.ingest(i, seq: 2, "installed", now: t + Int64(200 * (n + 1)), ecus: [("BCM", 0, "BCM-A", "2.0")])
            case 1:
                try f.ingest(i, seq: 1, "failed", now: t + 3700, reason: "install", code: Int64(n % 2))
            case 2:
                try f.ingest(i, seq: 1, "declined", now: t + 7300)
            case 3:
                try f.ingest(i, seq: 1, "downloading", now: t + 100)
                try f.ingest(i, seq: 1, "downloading", now: t + 110)   // duplicate
            default:
                break   // silent
            }
        }
    }

    func stats(_ f: StatusFixture, now: Int64 = 1_800_100_000) throws -> CampaignStats {
        try CampaignStatsQuery.stats(f.db, campaign: f.campaign, now: now)
    }

    @Test func statisticsAddUpAndComeFromTheCounters() throws {
        let f = try StatusFixture(StatusFixture.Options(vehicles: 10, waves: 2))
        try play(f)
        let s = try stats(f)
        #expect(s.targets == 10)
        var sum: Int64 = 0
        for (_, n) in s.byState { sum += n }
        #expect(sum == 10)
        #expect(s.byState.count == TargetState.allCases.count)
        // wave 0 = even vehicles (notified); wave 1 = odd (pending: their reports are refused)
        #expect(s.waves.map { $0.index } == [0, 1])
        #expect(s.waves[0].targets == 5 && s.waves[1].targets == 5)
        #expect(s.waves[0].opened == t && s.waves[1].opened == nil)
        #expect(s.waves[1].byState == ["pending": 5])
        #expect(s.byState["succeeded"] == 1)   // vehicle 0 (5 is in the pending wave)
        #expect(s.byMarket["US"]?["succeeded"] == s.byState["succeeded"])
        #expect(s.byRegion["NA"]?["succeeded"] == s.byState["succeeded"])
        #expect(s.byModel["Aster/sedan"]?.values.reduce(0, +) == 10)
        var tts: Int64 = 0
        for n in s.timeToSuccess { tts += n }
        #expect(tts == s.succeeded)
        #expect(s.success == s.succeeded * 10_000 / 10)
        #expect(s.progress == s.final * 10_000 / 10)
        #expect(s.medianTimeToSuccess != nil)
        #expect(s.timeline.first?.start == (t / 3600) * 3600)
        #expect(s.timeline.map { $0.notified }.reduce(0, +) == 5)
        #expect(s.timeline.map { $0.succeeded }.reduce(0, +) == s.succeeded)
        // the document reads back to the same statistics
        #expect(try CampaignStats.decode(s.encoded) == s)
        #expect(try f.countersMatchRecount())
    }

    @Test func theExactFiguresOfAKnownStream() throws {
        let f = try StatusFixture(StatusFixture.Options(vehicles: 10))
        try play(f)
        let s = try stats(f)
        // n % 5: 0 succeeded (0, 5), 1 failed install (1, 6), 2 declined (2, 7), 3 downloading, 4 notified
        #expect(s.byState["succeeded"] == 2)
        #expect(s.byState["failed"] == 2)
        #expect(s.byState["declined"] == 2)
        #expect(s.byState["downloading"] == 2)
        #expect(s.byState["notified"] == 2)
        #expect(s.final == 4)                      // failures with a retry left are not final
        #expect(s.failures == ["install": ["0": 1, "1": 1]])   // codes n % 2 of vehicles 1 and 6
        #expect(s.progress == 4000)
        #expect(s.success == 2000)
        // successes 200 s and 1200 s after the notification
        #expect(s.timeToSuccess[TimeToSuccess.bucket(200)] == 1)
        #expect(s.timeToSuccess[TimeToSuccess.bucket(1200)] == 1)
        #expect(s.medianTimeToSuccess == TimeToSuccess.upperBounds[TimeToSuccess.bucket(200)])
        #expect(s.byMarket["US"]?["succeeded"] == 1 && s.byMarket["DE"]?["succeeded"] == 1)
    }

    @Test func shardsMergeIntoTheWhole() throws {
        var a = StatusFixture.Options(vehicles: 6)
        a.waves = 2
        var b = a
        b.first = 6
        var whole = a
        whole.vehicles = 12
        let fa = try StatusFixture(a), fb = try StatusFixture(b), fw = try StatusFixture(whole)
        try play(fa)
        try play(fb, first: 6)
        try play(fw)
        let merged = try CampaignStats.merge(try stats(fa).encoded, try stats(fb).encoded)
        #expect(merged == (try stats(fw)).encoded)
        // merging is symmetric
        #expect(try CampaignStats.merge(try stats(fb).encoded, try stats(fa).encoded) == merged)
        // different campaigns do not merge
        var other = try stats(fa)
        other.campaign = 2
        #expect(throws: OTAError.self) { try CampaignStats.merge(try stats(fa), other) }
    }

    /// A recorded stream replayed into two fresh stores built by the campaign fixture.
    @Test func replayingOneStreamTwiceGivesIdenticalStatisticsAndRows() throws {
        func run() throws -> ([UInt8], [UInt8], Bool) {
            let s = try makeStore()
            let c = try CampaignFixture.approved(s, vehicles: 40)
            try s.db.exec("UPDATE campaigns SET state = 'running' WHERE id = \(c.campaign)")
            try openWave(s, c.campaign, now: CampaignFixture.now + 10)
            var rng = SplitMix(seed: 42)
            let targets = try CampaignFixture.targets(s, c.campaign)
            var items: [(String, [UInt8])] = []
            var installs = 0
            for target in targets where target.wave == 0 {
                let path: [String] = [["accepted", "downloading", "installing", "installed"],
                                      ["failed"], ["deferred", "accepted"], ["declined"], ["received"]][Int(rng.next() % 5)]
                for (k, state) in path.enumerated() {
                    if state == "installed" { installs += 1 }
                    let ecus: [(String, Int64, String, String)]? = state == "installed"
                        ? [("BCM", 0, "HW-1", installs % 2 == 0 ? "0.9" : "1.0")] : nil
                    items.append((StatusTopic.of(target.vin),
                                  StatusFixture.report(target.vin, campaign: c.campaign, seq: Int64(k + 1), state,
                                                       reason: state == "failed" ? "download" : nil, code: state == "failed" ? 3 : nil,
                                                       ecus: ecus)))
                }
            }
            // out of order, with repeats: stale and duplicate reports along the way
            var shuffled = items
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) {
                shuffled.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
            shuffled += items.prefix(10)
            var at = CampaignFixture.now + 100
            for chunk in stride(from: 0, to: shuffled.count, by: 7) {
                var a = CBORArrayBuilder()
                for (topic, report) in shuffled[chunk..<min(chunk + 7, shuffled.count)] {
                    a.array { e in e.text(topic); e.bytes(report) }
                }
                _ = try withBuffer(a.encoded) { (raw) throws(OTAError) in
                    try StatusIngest.ingestBatch(s.db, actor: "gus", now: at, batch: raw)
                }
                at += 450
            }
            let stats = try CampaignStatsQuery.stats(s.db, campaign: c.campaign, now: at).encoded
            let rows = try CampaignVehicles.rows(s.db, campaign: c.campaign, filter: CampaignVehicles.Filter())
            let consistent = try CampaignCounters.stored(s.db, campaign: c.campaign)
                == CampaignCounters.recount(s.db, campaign: c.campaign)
            return (stats, rows, consistent)
        }
        let first = try run(), second = try run()
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
        #expect(first.2 && second.2)
        let s = try CampaignStats.decode(first.0)
        #expect(s.byState.values.reduce(0, +) == s.targets)
        #expect(s.targets == 40)
        #expect((s.byState["succeeded"] ?? 0) > 0)
        #expect(s.failures["verification"] != nil)   // the 0.9 reports
        #expect(s.failures["download"]?["3"] != nil)
        #expect((s.byState["declined"] ?? 0) > 0)
    }

    @Test func vehiclesArePagedAndFiltered() throws {
        let f = try StatusFixture(StatusFixture.Options(vehicles: 10, waves: 2))
        try play(f)
        func page(_ filter: [UInt8]) throws -> CBOR {
            let parsed = try withBuffer(filter) { (raw) throws(OTAError) in try CampaignVehicles.parseFilter(raw) }
            return try CBORReader.decode(try CampaignVehicles.rows(f.db, campaign: 1, filter: parsed))
        }
        func filter(_ body: (inout CBORMapBuilder) -> Void) -> [UInt8] {
            var m = CBORMapBuilder()
            body(&m)
            return m.encoded
        }
        let all = try page([])
        #expect(all["rows"]?.array?.count == 10)
        #expect(all["next"] == .null)
        var vins: [String] = []
        var after: Int64? = nil
        repeat {
            let p = try page(filter { m in m.int("limit", Int64(3)); if let after { m.int("after", after) } })
            for r in p["rows"]?.array ?? [] { vins.append(r["vin"]?.text ?? "") }
            after = p["next"]?.int64
        } while after != nil
        #expect(vins == f.vins)
        let failed = try page(filter { $0.text("state", "failed") })
        let rows = failed["rows"]?.array ?? []
        #expect(rows.count == 1)   // vehicle 6 (wave 0); vehicle 1 is in wave 1 (pending)
        #expect(rows.first?["reason"]?.text == "install")
        #expect(rows.first?["code"]?.int64 == 0)
        #expect(rows.first?["last-report"]?.int64 == t + 3700)
        #expect(rows.first?["retries"]?.int64 == 0)
        let wave1 = try page(filter { $0.int("wave", Int64(1)) })
        #expect(wave1["rows"]?.array?.allSatisfy { $0["state"]?.text == "pending" } == true)
        #expect(wave1["rows"]?.array?.count == 5)
        let de = try page(filter { $0.text("market", "DE") })
        #expect(de["rows"]?.array?.allSatisfy { $0["market"]?.text == "DE" } == true)
        #expect(de["rows"]?.array?.count == 5)
        // bad filters name every problem
        do {
            _ = try page(filter { m in m.text("state", "lost"); m.int("limit", Int64(20_000)); m.int("color", Int64(1)) })
            Issue.record("accepted a bad filter")
        } catch let e as OTAError {
            #expect(e.message.contains("state") && e.message.contains("limit") && e.message.contains("color"))
        }
        #expect(throws: OTAError.self) { _ = try CampaignVehicles.rows(f.db, campaign: 99, filter: CampaignVehicles.Filter()) }
    }

    /// One counter per distinct failure code: 20,000 of them come out each once, counted
    /// (the builder compared every key with every earlier one: 2·10⁸ comparisons here).
    @Test func twentyThousandFailureCodesComeOutEachOnce() throws {
        let f = try StatusFixture()
        try f.db.exec("""
            WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x < 19999)
            INSERT INTO campaign_counts(campaign_id, dim, key, sub, n)
              SELECT 1, 'failure', 'install', CAST((x * 7919) % 20000 - 10000 AS TEXT), 1 + x % 3 FROM i
            """)
        let doc = try CBORReader.decode(try stats(f).encoded)
        let install = try #require(doc["failures"]?["install"]?.pairs)
        #expect(install.count == 20_000)
        var total: Int64 = 0, expected: Int64 = 0
        for p in install { total += p.value.int64 ?? 0 }
        for x in 0..<20_000 { expected += 1 + Int64(x % 3) }
        #expect(total == expected)
        #expect(install.first?.key.text == "0" && install.last?.key.text == "-10000")   // shorter first
    }

    /// A counter that drops to 0 (a failure code no target has any more, after a retry) is
    /// deleted, so the rows statistics read are those of the keys in use.
    @Test func aCounterThatDropsToZeroIsDeleted() throws {
        let f = try StatusFixture()
        try f.ingest(0, seq: 1, "failed", now: t + 100, reason: "install", code: 77)
        #expect(try f.count("SELECT n FROM campaign_counts WHERE dim = 'failure' AND sub = '77'") == 1)
        try f.step(0, .retry, to: .queued, now: t + 800)
        #expect(try f.count("SELECT count(*) FROM campaign_counts WHERE dim = 'failure'") == 0)
        #expect(try f.count("SELECT count(*) FROM campaign_counts WHERE n = 0") == 0)
        #expect(try f.countersMatchRecount())
    }

    /// The fleet import takes any valid UTF-8: a model or market holding U+0001 (the
    /// separator the counters' keys were once joined with) is counted like any other.
    @Test func aModelAndAMarketHoldingU0001AreCounted() throws {
        var o = StatusFixture.Options(vehicles: 2)
        o.models = ["A\u{1}B", "Aster"]
        o.markets = ["D\u{1}E", "US"]
        let f = try StatusFixture(o)
        try f.ingest(0, seq: 1, "installed", now: t + 300, ecus: [("BCM", 0, "BCM-A", "2.0")])
        let s = try stats(f)
        #expect(s.byModel["A\u{1}B/sedan"] == ["succeeded": 1])
        #expect(s.byModel["Aster/sedan"] == ["notified": 1])
        #expect(s.byMarket["D\u{1}E"] == ["succeeded": 1])
        #expect(s.byModel.values.flatMap(\.values).reduce(0, +) == 2)
        #expect(try f.countersMatchRecount())
        #expect(try CampaignCounters.recount(f.db, campaign: 1).contains { $0.dim == "model" && $0.key == "A\u{1}B/sedan" })
    }

    /// Counter keys are compared by bytes, as SQLite compares the rows: a composed and a
    /// decomposed "é" are two models with a counter each.
    @Test func modelsThatDifferOnlyInNormalizationKeepTheirOwnCounters() throws {
        var o = StatusFixture.Options(vehicles: 2)
        o.models = ["Caf\u{e9}", "Cafe\u{301}"]
        let f = try StatusFixture(o)
        let models = try f.db.prepare("SELECT hex(key), n FROM campaign_counts WHERE dim = 'model' ORDER BY key")
            .rows { "\($0.text(0) ?? "")=\($0.int64(1))" }
        #expect(models == ["43616665CC812F736564616E=1", "436166C3A92F736564616E=1"])
        #expect(try f.countersMatchRecount())
    }

    @Test func statsOfAMissingCampaignAreNotFound() throws {
        let f = try StatusFixture()
        #expect(throws: OTAError.notFound("no campaign 9")) { _ = try CampaignStatsQuery.stats(f.db, campaign: 9, now: 0) }
    }
}

/// Opens wave 0 of an approved campaign as the step would: pending -> queued -> notified,
/// through the transition table and `Targets.save`.
func openWave(_ s: Store, _ campaign: Int64, now: Int64) throws {
    let db = s.db
    try db.write { () throws(OTAError) in
        var c = CampaignCounters(campaign: campaign)
        let rows = try db.prepare("SELECT \(Targets.columns) FROM targets WHERE campaign_id = ? AND wave = 0 ORDER BY ord")
            .bind(1, campaign).rows { (r) throws(OTAError) in try Targets.read(r) }
        for old in rows {
            var q = old
            q.status.state = try TargetMachine.check(old.status.state, .queued, cause: .openWave, vin: old.vin)
            try Targets.save(db, old: old, new: q, now: now, counters: &c)
            var n = q
            n.status.state = try TargetMachine.check(q.status.state, .notified, cause: .notify, vin: q.vin)
            n.notified(at: now)
            n.due = now + 7 * 86_400
            try Targets.save(db, old: q, new: n, now: now, counters: &c)
        }
        try db.exec("UPDATE campaign_waves SET opened = \(now) WHERE campaign_id = \(campaign) AND idx = 0")
        try c.flush(db)
    }
}

/// A small seeded generator for test streams.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
