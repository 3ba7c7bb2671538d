import OTACore
@testable import OTAStore

/// A running campaign built straight in the tables (targets notified, counters consistent),
/// so ingestion can be tested on its own: vehicles from `Fleet`, ECUs BCM (1.0 -> 2.0) and,
/// with `multi`, ECM (2.0 -> 3.0). Gateway "gw" ingests.
struct StatusFixture {
    static let notifiedAt: Int64 = 1_800_000_000
    let store: Store
    let campaign: Int64
    let vins: [String]
    var db: SQLiteConnection { store.db }

    struct Options {
        var vehicles = 4
        var multi = false
        var first = 0
        var markets: [String] = ["US", "DE"]
        /// Models by vehicle, cycled (the fleet's vehicles are all "Aster" otherwise).
        var models: [String] = ["Aster"]
        var waves = 1
        var maxDeferrals = 2
        var feedbackOnDecline = true
        var retryMax = 2
        var retryReasons = ["install", "download", "verification", "rolled-back"]
        var state = "running"
        var campaign: Int64 = 1
        var path = ":memory:"
    }

    static func spec(_ o: Options) -> [UInt8] {
        var m = CBORMapBuilder()
        m.text("name", "BCM fix")
        m.text("category", "bugfix")
        m.array("packages") { a in a.int(Int64(1)); if o.multi { a.int(Int64(2)) } }
        m.text("urgency", "immediate")
        m.int("end", Int64(1_900_000_000))
        m.array("waves") { a in
            for i in 0..<o.waves {
                a.map { w in
                    if i < o.waves - 1 { w.int("share", Int64(100 / o.waves)) }
                    w.int("success-gate", Int64(50))
                    w.int("failure-threshold", Int64(50))
                }
            }
        }
        m.map("timeouts") { t in t.int("answer", Int64(86_400)); t.int("install", Int64(7 * 86_400)) }
        m.map("notify") { n in
            n.int("reminder", Int64(3600))
            n.int("max-deferrals", Int64(o.maxDeferrals))
            n.bool("feedback-on-decline", o.feedbackOnDecline)
        }
        m.map("retry") { r in
            r.int("max", Int64(o.retryMax))
            r.int("backoff", Int64(600))
            r.int("factor", Int64(2))
            r.array("reasons") { a in for x in o.retryReasons { a.text(x) } }
        }
        return m.encoded
    }

    init(_ o: Options = Options()) throws {
        var options = StoreOptions(bootstrapAdmin: "alice")
        options.now = 1
        store = try Store.open(path: o.path, options: options)
        try Roles.grant(store.db, actor: "alice", now: 1, to: "erin", .engineer)
        try Roles.grant(store.db, actor: "alice", now: 1, to: "gw", .gateway)
        let vehicles = (o.first..<(o.first + o.vehicles)).map { n in
            var v = Fleet.vehicle(n, market: o.markets[n % o.markets.count])
            v.model = o.models[n % o.models.count]
            return v
        }
        try Fleet.load(store, vehicles)
        vins = vehicles.map { $0.vin }
        campaign = o.campaign
        let db = store.db
        try db.write { () throws(OTAError) in
            try db.prepare("""
                INSERT INTO campaigns(id, name, category, priority, spec, state, author, created_at, approved_by,
                  approved_at, seed, start_at, end_at, targets, open_wave)
                VALUES(?, 'BCM fix', 'bugfix', 500, ?, ?, 'cam', 1, 'abe', 2, 7, NULL, 1900000000, ?, 0)
                """).bind(1, o.campaign).bind(2, blob: Self.spec(o)).bind(3, o.state).bind(4, Int64(o.vehicles)).run()
            var counters = CampaignCounters(campaign: o.campaign)
            var perWave = [Int64](repeating: 0, count: o.waves)
            for (i, v) in vehicles.enumerated() {
                let n = o.first + i
                let wave = n % o.waves
                perWave[wave] += 1
                let vid = try db.prepare("SELECT id FROM vehicles WHERE vin = ?").bind(1, v.vin).firstRow { $0.int64(0) } ?? 0
                let state = wave == 0 ? "notified" : "pending"
                try db.prepare("""
                    INSERT INTO targets(campaign_id, vehicle_id, vin, ord, wave, market, model, variant, region, state,
                      notified_at, first_offer_at, due) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).bind(1, o.campaign).bind(2, vid).bind(3, v.vin).bind(4, Int64(n)).bind(5, Int64(wave))
                    .bind(6, v.market).bind(7, v.model).bind(8, v.variant).bind(9, v.market == "DE" ? "EU" : "NA")
                    .bind(10, state).bind(11, wave == 0 ? Self.notifiedAt : nil).bind(12, wave == 0 ? Self.notifiedAt : nil)
                    .bind(13, wave == 0 ? Self.notifiedAt + 86_400 : nil).run()
                let tid = db.lastInsertRowID
                var ecus: [(Int64, String, String, String, String)] = [(0, "BCM", "BCM-A", "1.0", "2.0")]
                if o.multi { ecus.append((1, "ECM", "ECM-A", "2.0", "3.0")) }
                for (pos, node, hw, from, to) in ecus {
                    let eid = try db.prepare("SELECT id FROM ecus WHERE vehicle_id = ? AND node = ? AND slot = 0")
                        .bind(1, vid).bind(2, node).firstRow { $0.int64(0) } ?? 0
                    try db.prepare("""
                        INSERT INTO target_ecus(target_id, position, ecu_id, node, slot, hw, from_sw, to_sw)
                        VALUES(?, ?, ?, ?, 0, ?, ?, ?)
                        """).bind(1, tid).bind(2, pos).bind(3, eid).bind(4, node).bind(5, hw).bind(6, from).bind(7, to).run()
                }
                counters.add(TargetFacets(wave: wave, market: v.market, region: v.market == "DE" ? "EU" : "NA",
                                          model: v.model, variant: v.variant),
                             TargetStatus(state: wave == 0 ? .notified : .pending, final: false))
                if wave == 0 { counters.event(at: Self.notifiedAt, notified: 1) }
            }
            for (i, n) in perWave.enumerated() {
                try db.prepare("INSERT INTO campaign_waves(campaign_id, idx, targets, opened) VALUES(?, ?, ?, ?)")
                    .bind(1, o.campaign).bind(2, Int64(i)).bind(3, n).bind(4, i == 0 ? Self.notifiedAt : nil).run()
            }
            try counters.flush(db)
        }
    }

    func target(_ i: Int) throws -> TargetRecord {
        let vid = try db.prepare("SELECT id FROM vehicles WHERE vin = ?").bind(1, vins[i]).firstRow { $0.int64(0) } ?? 0
        guard let t = try Targets.load(db, campaign: campaign, vehicle: vid) else { throw OTAError.notFound("target") }
        return t
    }

    /// Moves a target as the step would (through the table), e.g. a retry: failed -> queued -> notified.
    func step(_ i: Int, _ cause: TargetMachine.Cause, to state: TargetState, now: Int64) throws {
        let old = try target(i)
        var new = old
        new.status.state = try TargetMachine.check(old.status.state, state, cause: cause, vin: old.vin)
        new.status.final = false
        if cause == .retry { new.retries += 1 }
        if state == .notified { new.notified(at: now) }
        new.due = nil
        var c = CampaignCounters(campaign: campaign)
        try db.write { () throws(OTAError) in
            try Targets.save(db, old: old, new: new, now: now, counters: &c)
            try c.flush(db)
        }
    }

    static func report(_ vin: String, campaign: Int64 = 1, seq: Int64, _ state: String, reason: String? = nil,
                       code: Int64? = nil, feedback: String? = nil, ecus: [(String, Int64, String, String)]? = nil,
                       progress: Int64? = nil) -> [UInt8] {
        var m = CBORMapBuilder()
        m.text("vin", vin)
        m.int("campaign", campaign)
        m.int("seq", seq)
        m.int("time", Int64(1_800_000_000) + seq)
        m.text("state", state)
        if let reason { m.text("reason", reason) }
        if let code { m.int("code", code) }
        if let feedback { m.text("feedback", feedback) }
        if let progress { m.int("progress", progress) }
        if let ecus {
            m.array("ecus") { a in
                for (node, slot, hw, sw) in ecus {
                    a.map { e in e.text("node", node); e.int("slot", slot); e.text("hw", hw); e.text("sw", sw) }
                }
            }
        }
        return m.encoded
    }

    @discardableResult
    func ingest(_ i: Int, seq: Int64, _ state: String, now: Int64 = notifiedAt + 100, reason: String? = nil,
                code: Int64? = nil, feedback: String? = nil, ecus: [(String, Int64, String, String)]? = nil,
                topicVIN: String? = nil) throws -> IngestResult {
        let bytes = Self.report(vins[i], campaign: campaign, seq: seq, state, reason: reason, code: code,
                                feedback: feedback, ecus: ecus)
        return try ingestRaw(bytes, topic: StatusTopic.of(topicVIN ?? vins[i]), now: now)
    }

    func ingestRaw(_ bytes: [UInt8], topic: String, now: Int64 = notifiedAt + 100, actor: String = "gw") throws -> IngestResult {
        try withBuffer(bytes) { (raw) throws(OTAError) in
            try StatusIngest.ingest(db, actor: actor, now: now, topic: topic, report: raw)
        }
    }

    func batch(_ items: [(String, [UInt8])], now: Int64 = notifiedAt + 100) throws -> [IngestResult] {
        var a = CBORArrayBuilder()
        for (topic, report) in items { a.array { e in e.text(topic); e.bytes(report) } }
        return try withBuffer(a.encoded) { (raw) throws(OTAError) in
            try StatusIngest.ingestBatch(db, actor: "gw", now: now, batch: raw)
        }
    }

    func countersMatchRecount() throws -> Bool {
        try CampaignCounters.stored(db, campaign: campaign) == CampaignCounters.recount(db, campaign: campaign)
    }

    func count(_ sql: String) throws -> Int64 { try db.scalar(sql) ?? -1 }
}
