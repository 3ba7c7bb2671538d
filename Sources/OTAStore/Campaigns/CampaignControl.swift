import OTACore

/// The operator's actions on a campaign (design/campaigns.md §3): start, pause, resume,
/// abort. Each checks the role, moves the campaign through `CampaignLifecycle` (recorded in
/// campaign_events and the audit trail) and sends its event through the outbox, in one
/// transaction. Events are signed: the handle needs a signer (`.misuse` otherwise).
public enum CampaignControl {
    public static var roles: [Role] { [.campaignManager] }

    /// approved -> scheduled, or -> running (wave 0 opens) when the campaign is immediate or
    /// its start has come.
    public static func start(_ db: SQLiteConnection, actor: String, now: Int64, campaign id: Int64,
                             signer: Ed25519Signer?) throws(OTAError) {
        try act(db, actor: actor, now: now, campaign: id, signer: signer, "starting a campaign") { (a) throws(OTAError) in
            let start = a.row.startAt ?? a.spec.start
            if a.spec.urgency == .immediate || (start ?? now) <= now {
                try a.begin(.start)
                a.row.nextDue = now
            } else {
                try a.transition(.start, to: .scheduled)
                try a.emit(a.event("scheduled"))
                a.row.nextDue = start
            }
        }
    }

    /// running -> paused: no one is notified and no wave opens until resumed; timeouts,
    /// retries, reminders and reports go on.
    public static func pause(_ db: SQLiteConnection, actor: String, now: Int64, campaign id: Int64,
                             signer: Ed25519Signer?) throws(OTAError) {
        try act(db, actor: actor, now: now, campaign: id, signer: signer, "pausing a campaign") { (a) throws(OTAError) in
            try a.transition(.pause)
            try a.emit(a.event("paused"))
            a.row.nextDue = now
        }
    }

    /// paused -> running. After a pause at a manual gate, the next wave opens; after a pause
    /// at a failure threshold, that wave's failures no longer pause the campaign.
    public static func resume(_ db: SQLiteConnection, actor: String, now: Int64, campaign id: Int64,
                              signer: Ed25519Signer?) throws(OTAError) {
        try act(db, actor: actor, now: now, campaign: id, signer: signer, "resuming a campaign") { (a) throws(OTAError) in
            let lastPause = try db.prepare("""
                SELECT reason FROM campaign_events WHERE campaign_id = ? AND state = 'paused' ORDER BY id DESC LIMIT 1
                """).bind(1, id).firstRow { $0.text(0) } ?? nil
            try a.transition(.resume)
            try a.emit(a.event("resumed"))
            if let lastPause, a.row.openWave >= 0,
               lastPause.hasPrefix(CampaignActivity.gateTag(a.row.openWave)) {
                try a.openWave(a.row.openWave + 1)
            }
            a.row.nextDue = now
        }
    }

    /// draft, approved, scheduled, running or paused -> aborted, with a reason: every target
    /// that is not final and not already installing is cancelled, and each that was sent
    /// something gets a signed cancel (retained, replacing its offer). The installing ones
    /// finish: their reports still count and their install timeout still runs, with no retry.
    public static func abort(_ db: SQLiteConnection, actor: String, now: Int64, campaign id: Int64,
                             reason: String, signer: Ed25519Signer?) throws(OTAError) {
        var c = FieldChecks()
        guard let reason = c.prose(.text(reason), "reason") else {
            throw c.problems.error("abort") ?? .badInput("abort: reason is invalid")
        }
        try act(db, actor: actor, now: now, campaign: id, signer: signer, "aborting a campaign") { (a) throws(OTAError) in
            try a.transition(.abort, reason: reason)
            try CampaignPlanStore.drop(db, campaign: id)  // an aborted draft is never approved
            var cancelled: Int64 = 0
            let open = "'pending', 'queued', 'notified', 'accepted', 'deferred', 'downloading', 'downloaded', 'failed'"
            for w in 0..<max(a.waves.count, a.spec.waves.count) {
                while true {
                    let batch = try a.targets("wave = ?2 AND state IN (\(open)) AND final = 0") { $0.bind(2, Int64(w)) }
                    for t in batch {
                        var n = t
                        n.status = TargetStatus(state: .cancelled, final: true, reason: t.status.reason, code: t.status.code)
                        n.due = nil
                        if t.messageSeq > 0 { n.messageSeq = try a.messenger.cancel(db, t, reason: reason, now: now) }
                        try a.move(t, n, .abort)
                        cancelled += 1
                    }
                    if Int64(batch.count) < CampaignActivity.batch { break }
                }
            }
            var e = a.event("aborted")
            e.reason = reason
            e.cancelled = cancelled
            try a.emit(e)
            // what is left are the installing targets: their install timeouts still run
            a.row.nextDue = try CampaignStep.earliestTargetDue(a)
        }
    }

    private static func act(_ db: SQLiteConnection, actor: String, now: Int64, campaign id: Int64,
                            signer: Ed25519Signer?, _ what: String,
                            _ body: (inout CampaignActivity) throws(OTAError) -> Void) throws(OTAError) {
        try db.write { () throws(OTAError) in
            try Roles.require(db, actor: actor, anyOf: roles, for: what)
            let row = try CampaignRow.load(db, id: id)
            var a = try CampaignActivity(db, actor: actor, now: now, row: row,
                                         spec: try CampaignRow.spec(db, id: id), signer: signer)
            try body(&a)
            try a.finish()
        }
    }
}
