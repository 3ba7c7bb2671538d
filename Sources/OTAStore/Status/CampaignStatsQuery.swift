import OTACore

/// `ota_campaign_stats`: the statistics of one campaign from its counters
/// (`campaign_counts`, `campaign_timeline`), its waves and its row, never from the targets,
/// so the cost is the same at 10,000 and at 1,000,000 targets.
public enum CampaignStatsQuery {
    public static func stats(_ db: SQLiteConnection, campaign id: Int64, now: Int64) throws(OTAError) -> CampaignStats {
        try db.read { () throws(OTAError) -> CampaignStats in
            guard let row = try db.prepare("SELECT state, targets FROM campaigns WHERE id = ?").bind(1, id)
                .firstRow({ r in (r.text(0) ?? "", r.int64(1)) }) else {
                throw .notFound("no campaign \(id)")
            }
            // Counts are checked where they are read (StoredCount): the document says uint.
            var s = CampaignStats(campaign: id, state: row.0, at: now,
                                  targets: try StoredCount.check(row.1, "campaign \(id): targets"))
            var waves: [Int64: CampaignStats.Wave] = [:]
            var waveOrder: [Int64] = []
            try db.prepare("SELECT idx, targets, opened FROM campaign_waves WHERE campaign_id = ? ORDER BY idx")
                .bind(1, id).forEachRow { (r) throws(OTAError) -> Bool in
                    let targets = try StoredCount.check(r.int64(1), "campaign \(id) wave \(r.int64(0)): targets")
                    let w = CampaignStats.Wave(index: r.int64(0), targets: targets,
                                               opened: r.isNull(2) ? nil : r.int64(2), byState: [:])
                    waves[w.index] = w
                    waveOrder.append(w.index)
                    return true
                }
            try db.prepare("SELECT dim, key, sub, n FROM campaign_counts WHERE campaign_id = ? AND n <> 0")
                .bind(1, id).forEachRow { (r) throws(OTAError) -> Bool in
                    let dim = r.text(0) ?? "", key = r.text(1) ?? "", sub = r.text(2) ?? ""
                    let n = try StoredCount.check(r.int64(3), "campaign \(id): counter ('\(dim)', '\(key)', '\(sub)')")
                    switch dim {
                    case "state": s.byState[sub] = n
                    case "final": s.final = n
                    case "wave":
                        if let index = Int64(key) {
                            if waves[index] == nil {
                                waves[index] = CampaignStats.Wave(index: index, targets: 0, opened: nil, byState: [:])
                                waveOrder.append(index)
                            }
                            waves[index]?.byState[sub] = n
                        }
                    case "market": s.byMarket[key, default: [:]][sub] = n
                    case "region": s.byRegion[key, default: [:]][sub] = n
                    case "model": s.byModel[key, default: [:]][sub] = n
                    case "failure": s.failures[key, default: [:]][sub.isEmpty ? "none" : sub] = n
                    case "tts":
                        if let b = Int(key), b >= 0, b < s.timeToSuccess.count { s.timeToSuccess[b] = n }
                    default: break
                    }
                    return true
                }
            s.waves = waveOrder.sorted().compactMap { waves[$0] }
            try db.prepare("""
                SELECT hour, notified, succeeded, failed FROM campaign_timeline WHERE campaign_id = ?
                AND (notified <> 0 OR succeeded <> 0 OR failed <> 0) ORDER BY hour
                """).bind(1, id).forEachRow { (r) throws(OTAError) -> Bool in
                    let (start, overflow) = r.int64(0).multipliedReportingOverflow(by: 3600)
                    func count(_ c: Int32, _ name: StaticString) throws(OTAError) -> Int64 {
                        try StoredCount.check(r.int64(c), "campaign \(id) timeline hour \(r.int64(0)): \(name)")
                    }
                    s.timeline.append(CampaignStats.Hour(start: overflow ? Int64.max : start, notified: try count(1, "notified"),
                                                         succeeded: try count(2, "succeeded"), failed: try count(3, "failed")))
                    return true
                }
            return s
        }
    }
}
