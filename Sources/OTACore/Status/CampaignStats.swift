/// A campaign's statistics (design/campaigns.md §7; docs/schemas/campaign-stats.cddl): what
/// `ota_campaign_stats` returns, built from counters only. Every number is a count or derived
/// from counts, so the statistics of shards (stores split by VIN) merge into those of the whole
/// (`CampaignStats.merge`). Shares are basis points (0-10000, integer: 1 % = 100), never floats,
/// so the same counts always give the same bytes.
public struct CampaignStats: Equatable, Sendable {
    public struct Wave: Equatable, Sendable {
        public var index: Int64
        public var targets: Int64
        public var opened: Int64?
        public var byState: [String: Int64]
        public init(index: Int64, targets: Int64, opened: Int64?, byState: [String: Int64]) {
            self.index = index
            self.targets = targets
            self.opened = opened
            self.byState = byState
        }
    }

    /// One hour of the timeline: its start (Unix seconds, a multiple of 3600) and events.
    public struct Hour: Equatable, Sendable {
        public var start: Int64
        public var notified: Int64
        public var succeeded: Int64
        public var failed: Int64
        public init(start: Int64, notified: Int64, succeeded: Int64, failed: Int64) {
            self.start = start
            self.notified = notified
            self.succeeded = succeeded
            self.failed = failed
        }
    }

    public var campaign: Int64
    public var state: String
    /// The `now` the statistics were read at.
    public var at: Int64
    public var targets: Int64
    /// Targets whose outcome is settled.
    public var final: Int64
    /// Every target state, zeros included; the counts add up to `targets`.
    public var byState: [String: Int64]
    public var waves: [Wave]
    public var byMarket: [String: [String: Int64]]
    public var byRegion: [String: [String: Int64]]
    /// Keyed "model/variant".
    public var byModel: [String: [String: Int64]]
    /// Targets now failed, by reason and code ("none" when the failure had no code).
    public var failures: [String: [String: Int64]]
    /// Counts per bucket of `TimeToSuccess.upperBounds` (one more: the open last bucket).
    public var timeToSuccess: [Int64]
    public var timeline: [Hour]

    public init(campaign: Int64, state: String, at: Int64, targets: Int64) {
        self.campaign = campaign
        self.state = state
        self.at = at
        self.targets = targets
        final = 0
        byState = [:]
        for s in TargetState.allCases { byState[s.rawValue] = 0 }
        waves = []
        byMarket = [:]
        byRegion = [:]
        byModel = [:]
        failures = [:]
        timeToSuccess = [Int64](repeating: 0, count: TimeToSuccess.upperBounds.count + 1)
        timeline = []
    }

    public var succeeded: Int64 { byState[TargetState.succeeded.rawValue] ?? 0 }

    /// Final targets per 10,000 targets (0 with no targets).
    public var progress: Int64 { Self.share(final, of: targets) }
    /// Succeeded targets per 10,000 targets.
    public var success: Int64 { Self.share(succeeded, of: targets) }
    public var medianTimeToSuccess: Int64? { TimeToSuccess.median(timeToSuccess) }

    static func share(_ n: Int64, of total: Int64) -> Int64 {
        guard total > 0, n > 0 else { return 0 }
        let (m, overflow) = n.multipliedReportingOverflow(by: 10_000)
        return overflow ? n / (total / 10_000 == 0 ? 1 : total / 10_000) : m / total
    }

    // MARK: the document

    public var encoded: [UInt8] {
        var m = CBORMapBuilder()
        m.int("campaign", campaign)
        m.text("state", state)
        m.int("at", at)
        m.int("targets", targets)
        m.int("final", final)
        m.counts("by-state", byState.map { ($0.key, $0.value) })
        m.array("waves") { a in
            for w in waves.sorted(by: { $0.index < $1.index }) {
                a.map { wm in
                    wm.int("index", w.index)
                    wm.int("targets", w.targets)
                    wm.optionalInt("opened", w.opened)
                    wm.counts("by-state", w.byState.map { ($0.key, $0.value) })
                }
            }
        }
        Self.nested(&m, "by-market", byMarket)
        Self.nested(&m, "by-region", byRegion)
        Self.nested(&m, "by-model", byModel)
        Self.nested(&m, "failures", failures)
        m.int("progress", progress)
        m.int("success", success)
        m.map("time-to-success") { h in
            h.array("bounds") { a in for b in TimeToSuccess.upperBounds { a.int(b) } }
            h.array("counts") { a in for n in timeToSuccess { a.int(n) } }
        }
        m.optionalInt("median-time-to-success", medianTimeToSuccess)
        m.array("timeline") { a in
            for h in timeline.sorted(by: { $0.start < $1.start }) {
                a.array { row in
                    row.int(h.start)
                    row.int(h.notified)
                    row.int(h.succeeded)
                    row.int(h.failed)
                }
            }
        }
        return m.encoded
    }

    static func nested(_ m: inout CBORMapBuilder, _ key: String, _ value: [String: [String: Int64]]) {
        m.map(key) { outer in
            for (name, counts) in value {
                outer.counts(name, counts.map { ($0.key, $0.value) })
            }
        }
    }

    /// Reads a statistics document back (for merging); anything unexpected is `.badInput`.
    public static func decode(_ bytes: [UInt8]) throws(OTAError) -> CampaignStats {
        let doc: CBOR
        do throws(OTAError) { doc = try CBORReader.decode(bytes, maxDepth: 8) } catch {
            throw error.prefixed("campaign statistics")
        }
        var r = StatsReader()
        let s = r.read(doc)
        if let problem = r.problem { throw .badInput("campaign statistics: " + problem) }
        guard let s else { throw .badInput("campaign statistics: not a statistics document") }
        return s
    }
}

/// Reads a statistics document; the first problem is kept.
struct StatsReader {
    var problem: String?

    mutating func fail(_ path: String, _ what: String) {
        if problem == nil { problem = path + ": " + what }
    }

    mutating func int(_ doc: CBOR, _ key: String) -> Int64? {
        guard let v = doc[key] else { fail(key, "missing"); return nil }
        guard let n = v.int64 else { fail(key, "expected an integer, found \(v.typeName)"); return nil }
        return n
    }

    mutating func counts(_ v: CBOR?, _ path: String) -> [String: Int64] {
        guard let pairs = v?.pairs else { fail(path, "expected a map"); return [:] }
        var out: [String: Int64] = [:]
        for p in pairs {
            guard let k = p.key.text, let n = p.value.int64 else { fail(path, "expected {text => integer}"); continue }
            out[k] = n
        }
        return out
    }

    mutating func nested(_ doc: CBOR, _ key: String) -> [String: [String: Int64]] {
        guard let pairs = doc[key]?.pairs else { fail(key, "expected a map"); return [:] }
        var out: [String: [String: Int64]] = [:]
        for p in pairs {
            guard let k = p.key.text else { fail(key, "expected text keys"); continue }
            out[k] = counts(p.value, key + "." + k)
        }
        return out
    }

    mutating func read(_ doc: CBOR) -> CampaignStats? {
        guard doc.pairs != nil else { fail("(top level)", "expected a map, found \(doc.typeName)"); return nil }
        guard let campaign = int(doc, "campaign"), let at = int(doc, "at"), let targets = int(doc, "targets"),
              let final = int(doc, "final") else { return nil }
        guard let state = doc["state"]?.text else { fail("state", "expected text"); return nil }
        var s = CampaignStats(campaign: campaign, state: state, at: at, targets: targets)
        s.final = final
        for (k, n) in counts(doc["by-state"], "by-state") { s.byState[k] = n }
        guard let waves = doc["waves"]?.array else { fail("waves", "expected an array"); return nil }
        for (i, w) in waves.enumerated() {
            guard let index = w["index"]?.int64, let t = w["targets"]?.int64, let opened = w["opened"] else {
                fail("waves[\(i)]", "expected index, targets and opened"); return nil
            }
            s.waves.append(CampaignStats.Wave(index: index, targets: t, opened: opened.int64,
                                              byState: counts(w["by-state"], "waves[\(i)].by-state")))
        }
        s.byMarket = nested(doc, "by-market")
        s.byRegion = nested(doc, "by-region")
        s.byModel = nested(doc, "by-model")
        s.failures = nested(doc, "failures")
        guard let tts = doc["time-to-success"], let bounds = tts["bounds"]?.array, let counts = tts["counts"]?.array else {
            fail("time-to-success", "expected bounds and counts"); return nil
        }
        guard bounds.map({ $0.int64 ?? -1 }) == TimeToSuccess.upperBounds,
              counts.count == TimeToSuccess.upperBounds.count + 1 else {
            fail("time-to-success", "buckets differ from this libota's (\(TimeToSuccess.upperBounds.count + 1) fixed buckets)")
            return nil
        }
        s.timeToSuccess = counts.map { $0.int64 ?? 0 }
        guard let timeline = doc["timeline"]?.array else { fail("timeline", "expected an array"); return nil }
        for (i, row) in timeline.enumerated() {
            guard let r = row.array, r.count == 4, let h = r[0].int64, let a = r[1].int64, let b = r[2].int64,
                  let c = r[3].int64 else { fail("timeline[\(i)]", "expected [hour, notified, succeeded, failed]"); return nil }
            s.timeline.append(CampaignStats.Hour(start: h, notified: a, succeeded: b, failed: c))
        }
        return s
    }
}
