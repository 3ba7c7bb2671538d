import Testing
import OTACore
@testable import OTAStore

/// Counts read back from the store (campaign and wave targets, counters, the rate's minute,
/// the timeline) are checked where they are read: a tampered one is `.corrupt`, naming it,
/// never an overflow trap in a basis-point product or a wave's sum.
@Suite struct TamperedCountsTests {
    let t = StatusFixture.notifiedAt
    static let huge = "9223372036854775807"

    /// (raw SQL, the operations that must refuse the store: "step", "list", "stats").
    static let cases: [(String, [String])] = [
        ("SELECT 1", []),
        // two final counts of Int64.max: their sum trapped in the failure threshold
        ("UPDATE campaign_counts SET n = \(huge) WHERE dim = 'wave-final'", ["step", "stats"]),
        // min(final, targets) × 10,000 trapped in the list
        ("UPDATE campaign_counts SET n = \(huge) WHERE dim = 'final'; UPDATE campaigns SET targets = \(huge)",
         ["step", "list", "stats"]),
        ("UPDATE campaign_counts SET n = -1 WHERE dim = 'state' AND sub = 'failed'", ["step", "list", "stats"]),
        // success-gate × wave targets trapped in the gate check
        ("UPDATE campaign_waves SET targets = \(huge) WHERE idx = 0", ["step", "stats"]),
        ("UPDATE campaign_counts SET n = 4611686018427387904 WHERE dim = 'wave' AND sub = 'succeeded'", ["step", "stats"]),
        ("UPDATE campaigns SET rate_used = -5", ["step"]),
        ("UPDATE campaigns SET successes = \(huge)", ["step"]),
        ("UPDATE campaign_timeline SET notified = -1", ["stats"]),
    ]

    /// A running campaign of 4 vehicles in 2 waves: in wave 0 one succeeded, one declined,
    /// one failed for good (wave 1 is pending); a step is due.
    func world() throws -> StatusFixture {
        var o = StatusFixture.Options(vehicles: 6, waves: 2)
        o.retryMax = 0
        let f = try StatusFixture(o)
        try Roles.grant(f.db, actor: "alice", now: 1, to: "cam", .campaignManager)
        try f.ingest(0, seq: 1, "installed", now: t + 100, ecus: [("BCM", 0, "BCM-A", "2.0")])
        try f.ingest(2, seq: 1, "declined", now: t + 100)
        try f.ingest(4, seq: 1, "failed", now: t + 100, reason: "install", code: 5)
        try f.db.exec("UPDATE campaigns SET next_due = 0")
        return f
    }

    func outcome(_ op: String, _ f: StatusFixture) -> OTAError? {
        error { () throws(OTAError) in
            switch op {
            case "step": _ = try CampaignStep.run(f.db, actor: "cam", now: t + 200, campaign: 1, signer: try testSigner())
            case "list": _ = try Campaigns.list(f.db, filter: Campaigns.ListFilter())
            default: _ = try CampaignStatsQuery.stats(f.db, campaign: 1, now: t + 200)
            }
        }
    }

    @Test(arguments: cases)
    func aTamperedCountIsCorruptNotATrap(_ sql: String, _ refusing: [String]) throws {
        for op in ["list", "stats", "step"] {
            let f = try world()
            try f.db.exec(sql)
            let e = outcome(op, f)
            if refusing.contains(op) {
                #expect(e?.code == .corrupt, "\(op) after \(sql): \(e?.message ?? "accepted")")
                #expect(e?.message.hasPrefix("campaign 1") == true && e?.message.contains("in the store") == true,
                        "\(e?.message ?? "")")
            } else {
                #expect(e == nil, "\(op) after \(sql): \(e?.message ?? "")")
            }
        }
    }
}
