/// Merging the statistics of shards (stores split by VIN) of one campaign into those of the
/// whole: counts add, histogram buckets add, and what is derived (progress, success, the
/// median) is derived again from the sums. `libota stats --merge` uses it.
extension CampaignStats {
    /// The order in which a merged campaign's state is chosen when the shards differ: the
    /// least settled state wins (a campaign is completed only when every shard is).
    static let stateOrder = ["running", "paused", "scheduled", "approved", "draft", "completed", "aborted"]

    public static func merge(_ a: CampaignStats, _ b: CampaignStats) throws(OTAError) -> CampaignStats {
        guard a.campaign == b.campaign else {
            throw .badInput("campaign statistics: cannot merge campaign \(a.campaign) with campaign \(b.campaign)")
        }
        var m = a
        m.at = max(a.at, b.at)
        if a.state != b.state {
            let ra = stateOrder.firstIndex(of: a.state) ?? stateOrder.count
            let rb = stateOrder.firstIndex(of: b.state) ?? stateOrder.count
            m.state = rb < ra || (rb == ra && b.state < a.state) ? b.state : a.state
        }
        m.targets = a.targets &+ b.targets
        m.final = a.final &+ b.final
        m.byState = add(a.byState, b.byState)
        var waves: [Int64: Wave] = [:]
        for w in a.waves + b.waves {
            guard var x = waves[w.index] else { waves[w.index] = w; continue }
            x.targets = x.targets &+ w.targets
            if let o = w.opened { x.opened = min(x.opened ?? o, o) }
            x.byState = add(x.byState, w.byState)
            waves[w.index] = x
        }
        m.waves = waves.keys.sorted().compactMap { waves[$0] }
        m.byMarket = add(a.byMarket, b.byMarket)
        m.byRegion = add(a.byRegion, b.byRegion)
        m.byModel = add(a.byModel, b.byModel)
        m.failures = add(a.failures, b.failures)
        for i in m.timeToSuccess.indices where i < b.timeToSuccess.count {
            m.timeToSuccess[i] = m.timeToSuccess[i] &+ b.timeToSuccess[i]
        }
        var hours: [Int64: Hour] = [:]
        for h in a.timeline + b.timeline {
            guard var x = hours[h.start] else { hours[h.start] = h; continue }
            x.notified = x.notified &+ h.notified
            x.succeeded = x.succeeded &+ h.succeeded
            x.failed = x.failed &+ h.failed
            hours[h.start] = x
        }
        m.timeline = hours.keys.sorted().compactMap { hours[$0] }
        return m
    }

    /// Two statistics documents merged into one (the bytes `ota_campaign_stats` would give
    /// for one store holding both shards).
    public static func merge(_ a: [UInt8], _ b: [UInt8]) throws(OTAError) -> [UInt8] {
        try merge(try decode(a), try decode(b)).encoded
    }

    static func add(_ a: [String: Int64], _ b: [String: Int64]) -> [String: Int64] {
        var out = a
        for (k, n) in b { out[k] = (out[k] ?? 0) &+ n }
        return out
    }

    static func add(_ a: [String: [String: Int64]], _ b: [String: [String: Int64]]) -> [String: [String: Int64]] {
        var out = a
        for (k, counts) in b { out[k] = add(out[k] ?? [:], counts) }
        return out
    }
}
