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
            var s = CampaignStats(campaign: id, state: row.0, at: now, targets: row.1)
            var waves: [Int64: CampaignStats.Wave] = [:]
            var waveOrder: [Int64] = []
            try db.prepare("SELECT idx, targets, opened FROM campaign_waves WHERE campaign_id = ? ORDER BY idx")
                .bind(1, id).forEachRow { (r) throws(OTAError) -> Bool in
                    let w = CampaignStats.Wave(index: r.int64(0), targets: r.int64(1),
                                               opened: r.isNull(2) ? nil : r.int64(2), byState: [:])
                    waves[w.index] = w
                    waveOrder.append(w.index)
                    return true
                }
            try db.prepare("SELECT dim, key, sub, n FROM campaign_counts WHERE campaign_id = ? AND n <> 0")
                .bind(1, id).forEachRow { (r) throws(OTAError) -> Bool in
                    let dim = r.text(0) ?? "", key = r.text(1) ?? "", sub = r.text(2) ?? "", n = r.int64(3)
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
                    s.timeline.append(CampaignStats.Hour(start: overflow ? Int64.max : start, notified: r.int64(1),
                                                         succeeded: r.int64(2), failed: r.int64(3)))
                    return true
                }
            return s
        }
    }
}
