import OTACore

/// The columns of a `campaigns` row that running a campaign reads and moves (the spec is
/// parsed separately, only when a step has work: a spec may hold a million VINs).
public struct CampaignRow: Equatable {
    public var id: Int64
    public var name: String
    public var state: CampaignState
    public var priority: Int64
    public var startAt: Int64?
    public var endAt: Int64
    public var targets: Int64
    public var openWave: Int
    public var gateAt: Int64?
    public var rateMinute: Int64
    public var rateUsed: Int64
    public var successes: Int64
    public var nextDue: Int64?
    /// The seq of the campaign's latest event (0: none yet).
    public var eventSeq: Int64

    static let columns = """
        id, name, state, priority, start_at, end_at, targets, open_wave, gate_at, rate_minute, rate_used, \
        successes, next_due, event_seq
        """

    static func read(_ r: Statement) throws(OTAError) -> CampaignRow {
        let id = r.int64(0)
        guard let state = r.text(2).flatMap({ CampaignState(rawValue: $0) }) else {
            throw .corrupt("campaign \(id): unknown state '\(r.text(2) ?? "NULL")' in the store")
        }
        func optional(_ c: Int32) -> Int64? { r.isNull(c) ? nil : r.int64(c) }
        func count(_ c: Int32, _ name: StaticString) throws(OTAError) -> Int64 {
            try StoredCount.check(r.int64(c), "campaign \(id): \(name)")
        }
        return CampaignRow(id: id, name: r.text(1) ?? "", state: state, priority: r.int64(3),
                           startAt: optional(4), endAt: r.int64(5), targets: try count(6, "targets"),
                           openWave: Int(clamping: r.int64(7)), gateAt: optional(8), rateMinute: r.int64(9),
                           rateUsed: try count(10, "rate_used"), successes: try count(11, "successes"),
                           nextDue: optional(12), eventSeq: try count(13, "event_seq"))
    }

    public static func load(_ db: SQLiteConnection, id: Int64) throws(OTAError) -> CampaignRow {
        let s = try db.prepare("SELECT \(columns) FROM campaigns WHERE id = ?").bind(1, id)
        defer { s.reset() }
        guard try s.step() else { throw .notFound("no campaign with id \(id)") }
        return try read(s)
    }

    /// The campaign's parsed spec as running it needs it: the working spec kept at approval
    /// (the spec without its rule), or the whole stored spec when there is none (a draft,
    /// a campaign approved before migration 8).
    public static func spec(_ db: SQLiteConnection, id: Int64) throws(OTAError) -> CampaignSpec {
        guard let bytes = try db.prepare("SELECT coalesce(working_spec, spec) FROM campaigns WHERE id = ?").bind(1, id)
            .firstRow({ $0.blob(0) }) ?? nil else {
            throw .notFound("no campaign with id \(id)")
        }
        do throws(OTAError) {
            return try CampaignSpecParser.parse(bytes)
        } catch {
            throw .corrupt("campaign \(id): its stored spec does not parse: \(error.message)")
        }
    }

    /// Writes the columns a step or an operator's action moves (never the spec).
    func saveProgress(_ db: SQLiteConnection) throws(OTAError) {
        try db.prepare("""
            UPDATE campaigns SET open_wave = ?, gate_at = ?, rate_minute = ?, rate_used = ?, successes = ?,
              next_due = ?, event_seq = ?
            WHERE id = ?
            """)
            .bind(1, Int64(openWave)).bind(2, gateAt).bind(3, rateMinute).bind(4, rateUsed)
            .bind(5, successes).bind(6, nextDue).bind(7, eventSeq).bind(8, id).run()
    }
}

/// One wave of a running campaign (`campaign_waves`).
public struct WaveRow: Equatable, Sendable {
    public var index: Int
    public var targets: Int64
    public var opened: Int64?

    static func all(_ db: SQLiteConnection, campaign: Int64) throws(OTAError) -> [WaveRow] {
        try db.prepare("SELECT idx, targets, opened FROM campaign_waves WHERE campaign_id = ? ORDER BY idx")
            .bind(1, campaign)
            .rows { (r) throws(OTAError) -> WaveRow in
                let targets = try StoredCount.check(r.int64(1), "campaign \(campaign) wave \(r.int64(0)): targets")
                return WaveRow(index: Int(clamping: r.int64(0)), targets: targets,
                               opened: r.isNull(2) ? nil : r.int64(2))
            }
    }
}

/// The counters a step decides on (gates, thresholds, completion, the ramp): a few rows of
/// `campaign_counts`, never the targets themselves.
struct StepCounts {
    /// ('wave', index, state)
    var wave: [Int: [String: Int64]] = [:]
    /// ('wave-final', index, state)
    var waveFinal: [Int: [String: Int64]] = [:]
    var state: [String: Int64] = [:]
    var final: Int64 = 0

    static func load(_ db: SQLiteConnection, campaign: Int64) throws(OTAError) -> StepCounts {
        var c = StepCounts()
        try db.prepare("""
            SELECT dim, key, sub, n FROM campaign_counts
            WHERE campaign_id = ? AND dim IN ('wave', 'wave-final', 'state', 'final')
            """).bind(1, campaign)
            .forEachRow { (r) throws(OTAError) -> Bool in
                let dim = r.text(0) ?? ""
                let key = r.text(1) ?? ""
                let sub = r.text(2) ?? ""
                let n = try StoredCount.check(r.int64(3), "campaign \(campaign): counter ('\(dim)', '\(key)', '\(sub)')")
                switch dim {
                case "wave": if let w = Int(key) { c.wave[w, default: [:]][sub] = n }
                case "wave-final": if let w = Int(key) { c.waveFinal[w, default: [:]][sub] = n }
                case "state": c.state[sub] = n
                case "final": c.final = n
                default: break
                }
                return true
            }
        return c
    }

    func succeeded(wave w: Int) -> Int64 { wave[w]?[TargetState.succeeded.rawValue] ?? 0 }

    func final(wave w: Int) -> Int64 {
        var n: Int64 = 0
        for (_, v) in waveFinal[w] ?? [:] { n += v }
        return n
    }

    func failedFinal(wave w: Int) -> Int64 { waveFinal[w]?[TargetState.failed.rawValue] ?? 0 }
}
