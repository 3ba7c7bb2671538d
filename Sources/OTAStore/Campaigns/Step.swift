import OTACore

/// `ota_campaign_step` (design/campaigns.md §4): everything that is due at `now` and nothing
/// else, in one write transaction, deterministically (the same store and `now` give the
/// same result, the same rows and the same outbox). `campaign` 0 steps every scheduled,
/// running or paused campaign whose `next_due` has come, highest priority first (then id),
/// and every aborted one whose spared (installing) targets have a timeout due.
///
/// Cost follows the work: a campaign whose `next_due` is in the future is not even parsed,
/// and a step that has work reads only due index entries, the queue's head and a few counter
/// rows. `campaigns.next_due` stays right because every writer lowers it (Targets.save wakes
/// the campaign through the counters when a target gets a `due` or becomes final).
public enum CampaignStep {
    public static var roles: [Role] { [.campaignManager] }

    /// The step's CBOR result (docs/schemas/message.cddl `step-result`).
    public static func run(_ db: SQLiteConnection, actor: String, now: Int64, campaign id: Int64,
                           signer: Ed25519Signer?) throws(OTAError) -> [UInt8] {
        try run(db, actor: actor, now: now, campaign: id, signer: signer) { (r: [UInt8]) throws(OTAError) -> [UInt8] in r }
    }

    /// `run`, with `deliver` run on the result before the commit: what it allocates for the
    /// caller is there before anything is on disk, so a failure of it (out of memory) rolls the
    /// step back instead of failing a call whose step was committed.
    public static func run<R>(_ db: SQLiteConnection, actor: String, now: Int64, campaign id: Int64,
                              signer: Ed25519Signer?, deliver: ([UInt8]) throws(OTAError) -> R) throws(OTAError) -> R {
        try db.write { () throws(OTAError) -> R in
            try deliver(try result(db, actor: actor, now: now, campaign: id, signer: signer))
        }
    }

    private static func result(_ db: SQLiteConnection, actor: String, now: Int64, campaign id: Int64,
                               signer: Ed25519Signer?) throws(OTAError) -> [UInt8] {
        try Roles.require(db, actor: actor, anyOf: roles, for: "stepping a campaign")
        guard id == 0 else {
            var m = CBORMapBuilder()
            try step(db, actor: actor, now: now, campaign: id, signer: signer).write(to: &m)
            return m.encoded
        }
        var outcomes: [Outcome] = []
        for c in try dueCampaigns(db, now: now) {
            outcomes.append(try step(db, actor: actor, now: now, campaign: c, signer: signer))
        }
        var tally = StepTally()
        for o in outcomes { tally.add(o.tally) }
        var m = CBORMapBuilder()
        m.array("events") { a in
            for o in outcomes { for e in o.events { a.map { e.write(to: &$0) } } }
        }
        tally.write(to: &m)
        m.optionalInt("next-due", try earliestDue(db))
        m.array("campaigns") { a in for o in outcomes { a.map { o.write(to: &$0) } } }
        return m.encoded
    }

    /// What stepping one campaign did.
    struct Outcome {
        var campaign: Int64
        var state: CampaignState
        var events: [CampaignEvent]
        var tally: StepTally
        var nextDue: Int64?

        func write(to m: inout CBORMapBuilder) {
            m.int("campaign", campaign)
            m.text("state", state.rawValue)
            m.array("events") { a in for e in events { a.map { e.write(to: &$0) } } }
            tally.write(to: &m)
            m.optionalInt("next-due", nextDue)
        }
    }

    static func step(_ db: SQLiteConnection, actor: String, now: Int64, campaign id: Int64,
                     signer: Ed25519Signer?) throws(OTAError) -> Outcome {
        let row = try CampaignRow.load(db, id: id)
        guard row.state.hasLiveTargets, let due = row.nextDue, due <= now else {
            return Outcome(campaign: id, state: row.state, events: [], tally: StepTally(),
                           nextDue: row.state.hasLiveTargets ? row.nextDue : nil)
        }
        var a = try CampaignActivity(db, actor: actor, now: now, row: row,
                                     spec: TargetPolicy.spec(try CampaignRow.spec(db, id: id), in: row.state),
                                     signer: signer)
        // 1: a scheduled campaign whose start has come starts (wave 0 opens)
        if a.row.state == .scheduled && (a.row.startAt ?? now) <= now { try a.begin(.begin) }
        var queuedWake: Int64?
        if a.row.state == .aborted {
            // the targets the abort spared (installing) still time out, without retries
            try a.processDue()
            try a.counters.flush(db)
        }
        if a.row.state == .running || a.row.state == .paused {
            // 2-4: timeouts, retries, reminders (also while paused)
            try a.processDue()
            try a.counters.flush(db)
            var counts = try StepCounts.load(db, campaign: id)
            // 5-7 only while running: a paused campaign notifies no one and opens nothing
            if a.row.state == .running { _ = try a.checkThresholds(counts) }
            if a.row.state == .running { try a.checkGates(counts) }
            if a.row.state == .running && now < a.row.endAt {
                queuedWake = try a.notifyQueued(successes: counts.campaignSucceeded)
            }
            // 8: the end, and completion
            if now >= a.row.endAt { try a.expireAll() }
            try a.counters.flush(db)
            counts = try StepCounts.load(db, campaign: id)
            try a.completeIfDone(counts)
            a.row.successes = counts.campaignSucceeded
        }
        a.row.nextDue = try nextDue(a, queuedWake: queuedWake)
        try a.finish()
        return Outcome(campaign: id, state: a.row.state, events: a.events, tally: a.tally, nextDue: a.row.nextDue)
    }

    /// The earliest time a step would have something to do for this campaign: a target's
    /// due (the head of targets_due), the start, the end, the soak's end, the next minute or
    /// window opening when queued targets wait. Nil for a campaign that is done.
    static func nextDue(_ a: CampaignActivity, queuedWake: Int64?) throws(OTAError) -> Int64? {
        let row = a.row
        switch row.state {
        case .scheduled:
            return row.startAt ?? a.now
        case .running, .paused:
            var best: Int64? = a.now < row.endAt ? row.endAt : nil
            func take(_ t: Int64?) {
                guard let t else { return }
                best = min(best ?? t, t)
            }
            take(try earliestTargetDue(a))
            if row.state == .running {
                take(a.soakEnd())
                take(queuedWake)
            }
            return best
        case .aborted:
            return try earliestTargetDue(a)
        case .draft, .approved, .completed:
            return nil
        }
    }

    /// The head of targets_due for this campaign.
    static func earliestTargetDue(_ a: CampaignActivity) throws(OTAError) -> Int64? {
        try a.db.prepare("""
            SELECT due FROM targets WHERE campaign_id = ? AND due IS NOT NULL ORDER BY due LIMIT 1
            """).bind(1, a.row.id).firstRow { $0.int64(0) }
    }

    /// Active campaigns whose next_due has come, highest priority first, then by id.
    static func dueCampaigns(_ db: SQLiteConnection, now: Int64) throws(OTAError) -> [Int64] {
        try db.prepare("""
            SELECT id FROM campaigns
            WHERE next_due IS NOT NULL AND next_due <= ? AND state IN (\(CampaignState.liveStatesSQL))
            ORDER BY priority DESC, id
            """).bind(1, now).rows { $0.int64(0) }
    }

    /// The earliest next_due of any active campaign.
    static func earliestDue(_ db: SQLiteConnection) throws(OTAError) -> Int64? {
        try db.prepare("""
            SELECT next_due FROM campaigns
            WHERE next_due IS NOT NULL AND state IN (\(CampaignState.liveStatesSQL)) ORDER BY next_due LIMIT 1
            """).firstRow { $0.int64(0) }
    }
}

extension StepTally {
    func write(to m: inout CBORMapBuilder) {
        m.int("notified", notified)
        m.int("timed-out", timedOut)
        m.int("retried", retried)
        m.int("reminded", reminded)
        m.int("expired", expired)
    }
}

extension StepCounts {
    /// Succeeded targets of the whole campaign (the ramp's count).
    var campaignSucceeded: Int64 { state[TargetState.succeeded.rawValue] ?? 0 }
}
