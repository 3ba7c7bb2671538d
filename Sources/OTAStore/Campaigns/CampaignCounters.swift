import OTACore

/// What statistics group a target by; fixed when its campaign is approved.
public struct TargetFacets: Equatable, Sendable {
    public var wave: Int
    public var market: String
    public var region: String?
    public var model: String
    public var variant: String
    public init(wave: Int, market: String, region: String?, model: String, variant: String) {
        self.wave = wave
        self.market = market
        self.region = region
        self.model = model
        self.variant = variant
    }
}

/// The part of a target that its counters follow.
public struct TargetStatus: Equatable, Sendable {
    public var state: TargetState
    /// Settled for good (a failed target with a retry left is not final).
    public var final: Bool
    public var reason: String?
    public var code: Int64?
    public init(state: TargetState, final: Bool, reason: String? = nil, code: Int64? = nil) {
        self.state = state
        self.final = final
        self.reason = reason
        self.code = code
    }
}

/// The counters of a campaign's statistics, changed as targets move (so statistics cost the
/// same at 10,000 and at 1,000,000 targets). Changes are collected in memory and written by
/// `flush` once per transaction (a step, an ingestion batch, an approval): a batch of 1,000
/// reports touches a few dozen counter rows, not ten per report.
///
/// Rows of `campaign_counts` (dim, key, sub):
///   ('state', '', state)            targets by state; they add up to the campaign's targets
///   ('final', '', '')               targets whose outcome is settled
///   ('wave-final', index, state)    a wave's settled targets by state (its failure threshold)
///   ('wave', index, state), ('market', market, state), ('region', region, state),
///   ('model', "model/variant", state)
///   ('failure', reason, code)       targets now failed, by reason and code ('' when none)
///   ('tts', bucket, '')             succeeded targets by time from first offer to success
public struct CampaignCounters {
    public let campaign: Int64
    private var deltas: [CounterKey: Int64] = [:]
    private var hours: [Int64: (notified: Int64, succeeded: Int64, failed: Int64)] = [:]
    /// The earliest time a step must look at the campaign because of these changes (a new
    /// `due`, a target that became final): `flush` lowers `campaigns.next_due` to it.
    public private(set) var wakeAt: Int64?

    public init(campaign: Int64) { self.campaign = campaign }

    public var isEmpty: Bool { deltas.isEmpty && hours.isEmpty && wakeAt == nil }

    /// A step has something to do at `t` (a target's timeout, retry or reminder; a gate,
    /// threshold or completion to check after a target became final).
    public mutating func wake(at t: Int64) {
        if let w = wakeAt, w <= t { return }
        wakeAt = t
    }

    private mutating func bump(_ dim: String, _ key: String, _ sub: String, _ by: Int64) {
        deltas[CounterKey(dim: dim, key: key, sub: sub), default: 0] += by
    }

    /// Counts a target in `status` (`by` 1) or takes it out (`by` -1).
    public mutating func add(_ f: TargetFacets, _ status: TargetStatus, by: Int64 = 1) {
        let s = status.state.rawValue
        bump("state", "", s, by)
        bump("wave", String(f.wave), s, by)
        bump("market", f.market, s, by)
        if let r = f.region { bump("region", r, s, by) }
        bump("model", f.model + "/" + f.variant, s, by)
        if status.final {
            bump("final", "", "", by)
            bump("wave-final", String(f.wave), s, by)
        }
        if status.state == .failed {
            bump("failure", status.reason ?? "other", status.code.map { String($0) } ?? "", by)
        }
    }

    /// A target moved from one status to another.
    public mutating func move(_ f: TargetFacets, from: TargetStatus, to: TargetStatus) {
        guard from != to else { return }
        add(f, from, by: -1)
        add(f, to, by: 1)
    }

    /// A success `seconds` after the target's first offer (the time-to-success histogram).
    public mutating func succeeded(after seconds: Int64) {
        bump("tts", String(TimeToSuccess.bucket(seconds)), "", 1)
    }

    /// Per-hour events for the timeline chart.
    public mutating func event(at now: Int64, notified: Int64 = 0, succeeded: Int64 = 0, failed: Int64 = 0) {
        let hour = UnixTime.floorDiv(now, 3600)
        var h = hours[hour] ?? (0, 0, 0)
        h.notified += notified
        h.succeeded += succeeded
        h.failed += failed
        hours[hour] = h
    }

    /// Writes the collected changes (in sorted order: nothing depends on hash order) and
    /// forgets them. Call inside the transaction that moved the targets.
    public mutating func flush(_ db: SQLiteConnection) throws(OTAError) {
        let count = try db.prepare("""
            INSERT INTO campaign_counts(campaign_id, dim, key, sub, n) VALUES(?, ?, ?, ?, ?)
            ON CONFLICT(campaign_id, dim, key, sub) DO UPDATE SET n = n + excluded.n
            """)
        // A counter that drops to 0 goes (a failure code no target has any more): statistics
        // read the counters in use, not every key the campaign ever had.
        let drop = try db.prepare("""
            DELETE FROM campaign_counts WHERE campaign_id = ? AND dim = ? AND key = ? AND sub = ? AND n = 0
            """)
        for k in deltas.keys.sorted() {
            guard let n = deltas[k], n != 0 else { continue }
            try count.bind(1, campaign).bind(2, k.dim).bind(3, k.key).bind(4, k.sub).bind(5, n).run()
            if n < 0 { try drop.bind(1, campaign).bind(2, k.dim).bind(3, k.key).bind(4, k.sub).run() }
        }
        let timeline = try db.prepare("""
            INSERT INTO campaign_timeline(campaign_id, hour, notified, succeeded, failed) VALUES(?, ?, ?, ?, ?)
            ON CONFLICT(campaign_id, hour) DO UPDATE SET notified = notified + excluded.notified,
              succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed
            """)
        for hour in hours.keys.sorted() {
            guard let h = hours[hour] else { continue }
            try timeline.bind(1, campaign).bind(2, hour).bind(3, h.notified).bind(4, h.succeeded)
                .bind(5, h.failed).run()
        }
        if let wakeAt {
            // Only a campaign with live targets is stepped; a completed one keeps next_due NULL.
            try db.prepare("""
                UPDATE campaigns SET next_due = ?
                WHERE id = ? AND state IN (\(CampaignState.liveStatesSQL)) AND (next_due IS NULL OR next_due > ?)
                """).bind(1, wakeAt).bind(2, campaign).bind(3, wakeAt).run()
        }
        deltas.removeAll()
        hours.removeAll()
        wakeAt = nil
    }

    /// One stored counter row.
    public struct Row: Equatable, Sendable {
        public var dim: String
        public var key: String
        public var sub: String
        public var n: Int64
    }

    /// The stored counters (non-zero), sorted.
    public static func stored(_ db: SQLiteConnection, campaign: Int64) throws(OTAError) -> [Row] {
        try db.prepare("SELECT dim, key, sub, n FROM campaign_counts WHERE campaign_id = ? AND n <> 0 ORDER BY dim, key, sub")
            .bind(1, campaign)
            .rows { Row(dim: $0.text(0) ?? "", key: $0.text(1) ?? "", sub: $0.text(2) ?? "", n: $0.int64(3)) }
    }

    /// The same counters recounted from the target rows (the consistency check the tests
    /// use; its cost grows with the campaign).
    public static func recount(_ db: SQLiteConnection, campaign: Int64) throws(OTAError) -> [Row] {
        try db.read { () throws(OTAError) -> [Row] in
            var c = CampaignCounters(campaign: campaign)
            let s = try db.prepare("""
                SELECT wave, market, region, model, variant, state, final, reason, code, first_offer_at, succeeded_at
                FROM targets WHERE campaign_id = ?
                """).bind(1, campaign)
            var bad: OTAError?
            try s.forEachRow { (r) throws(OTAError) -> Bool in
                guard let state = r.text(5).flatMap({ TargetState(rawValue: $0) }) else {
                    bad = .corrupt("campaign \(campaign): a target has an unknown state '\(r.text(5) ?? "NULL")'")
                    return false
                }
                let f = TargetFacets(wave: Int(r.int64(0)), market: r.text(1) ?? "", region: r.text(2),
                                     model: r.text(3) ?? "", variant: r.text(4) ?? "")
                c.add(f, TargetStatus(state: state, final: r.int64(6) != 0, reason: r.text(7),
                                      code: r.isNull(8) ? nil : r.int64(8)))
                if state == .succeeded {
                    c.succeeded(after: TimeToSuccess.seconds(firstOffer: r.isNull(9) ? nil : r.int64(9),
                                                             succeeded: r.isNull(10) ? nil : r.int64(10)))
                }
                return true
            }
            if let bad { throw bad }
            var rows: [Row] = []
            for k in c.deltas.keys.sorted() {
                guard let n = c.deltas[k], n != 0 else { continue }
                rows.append(Row(dim: k.dim, key: k.key, sub: k.sub, n: n))
            }
            return rows
        }
    }
}
