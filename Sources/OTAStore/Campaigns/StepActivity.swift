import OTACore

/// What a step or an operator's action on one campaign does, in the caller's transaction:
/// it moves the campaign through `CampaignLifecycle` (recorded in campaign_events and the
/// audit trail), moves targets through `TargetMachine` and `Targets.save` (counters follow),
/// and sends the resulting messages and events through the outbox.
struct CampaignActivity {
    let db: SQLiteConnection
    let actor: String
    let now: Int64
    var row: CampaignRow
    let spec: CampaignSpec
    var messenger: CampaignMessenger
    var counters: CampaignCounters
    var events: [CampaignEvent] = []
    var tally = StepTally()
    /// The waves (read once, with `opened` kept up to date).
    var waves: [WaveRow]

    init(_ db: SQLiteConnection, actor: String, now: Int64, row: CampaignRow, spec: CampaignSpec,
         signer: Ed25519Signer?) throws(OTAError) {
        self.db = db
        self.actor = actor
        self.now = now
        self.row = row
        self.spec = spec
        messenger = CampaignMessenger(campaign: row.id, spec: spec, signer: signer)
        counters = CampaignCounters(campaign: row.id)
        waves = try WaveRow.all(db, campaign: row.id)
    }

    static let batch: Int64 = 1000

    // MARK: the campaign

    /// Moves the campaign by `action` (to `to` where the action has two ends) through
    /// `Campaigns.move`, which records it in campaign_events and the audit trail.
    mutating func transition(_ action: CampaignAction, to: CampaignState? = nil, reason: String? = nil) throws(OTAError) {
        row.state = try Campaigns.move(db, campaign: row.id, action, to: to, actor: actor, now: now, reason: reason)
        if row.state.isFinal { row.nextDue = nil }
    }

    /// Numbers an event (the campaign's next event seq), records it in the result and sends
    /// it to the campaign's events topic.
    mutating func emit(_ event: CampaignEvent) throws(OTAError) {
        var e = event
        row.eventSeq += 1
        e.seq = row.eventSeq
        events.append(e)
        try messenger.event(db, e, name: row.name, state: row.state)
    }

    func event(_ type: String) -> CampaignEvent { CampaignEvent(type, at: now, campaign: row.id) }

    /// scheduled (or approved, by the operator's start) -> running: wave 0 opens.
    mutating func begin(_ action: CampaignAction) throws(OTAError) {
        try transition(action, to: .running)
        try emit(event("started"))
        try openWave(0)
    }

    // MARK: targets

    /// Moves `old` to `new` if the target machine allows it for `cause`.
    mutating func move(_ old: TargetRecord, _ new: TargetRecord, _ cause: TargetMachine.Cause) throws(OTAError) {
        _ = try TargetMachine.check(old.status.state, new.status.state, cause: cause, vin: old.vin)
        try Targets.save(db, old: old, new: new, now: now, counters: &counters)
    }

    /// Up to `batch` target rows of a query whose `?1` is the campaign id.
    func targets(_ whereClause: String, _ bind: (Statement) -> Void = { _ in }) throws(OTAError) -> [TargetRecord] {
        let s = try db.prepare("SELECT \(Targets.columns) FROM targets WHERE campaign_id = ?1 AND \(whereClause) LIMIT \(Self.batch)")
        s.bind(1, row.id)
        bind(s)
        return try s.rows { (r) throws(OTAError) -> TargetRecord in try Targets.read(r) }
    }

    /// Opens wave `w`: its pending targets are queued (in index order; notification later
    /// follows the frozen order), and the gate of the new wave starts afresh.
    mutating func openWave(_ w: Int) throws(OTAError) {
        guard w >= 0, w < waves.count else { return }
        try db.prepare("UPDATE campaign_waves SET opened = ? WHERE campaign_id = ? AND idx = ?")
            .bind(1, now).bind(2, row.id).bind(3, Int64(w)).run()
        waves[w].opened = now
        row.openWave = w
        row.gateAt = nil
        var queued: Int64 = 0
        while true {
            let batch = try targets("wave = ?2 AND state = 'pending'") { $0.bind(2, Int64(w)) }
            for t in batch {
                var n = t
                n.status = TargetStatus(state: .queued, final: false, reason: t.status.reason, code: t.status.code)
                n.due = nil
                try move(t, n, .openWave)
                queued += 1
            }
            if Int64(batch.count) < Self.batch { break }
        }
        var detail = CBORMapBuilder()
        detail.int("wave", w)
        detail.int("queued", queued)
        try Audit.append(db, at: now, actor: actor, action: "campaign.open-wave", subject: "campaign:\(row.id)",
                         detail: detail.encoded)
        var e = event("wave-opened")
        e.wave = w
        e.targets = waves[w].targets
        try emit(e)
    }

    /// Writes the counters and the campaign's progress columns.
    mutating func finish() throws(OTAError) {
        try counters.flush(db)
        try row.saveProgress(db)
    }
}

/// What a step did, counted.
struct StepTally: Equatable {
    var notified: Int64 = 0
    var timedOut: Int64 = 0
    var retried: Int64 = 0
    var reminded: Int64 = 0
    var expired: Int64 = 0

    mutating func add(_ o: StepTally) {
        notified += o.notified
        timedOut += o.timedOut
        retried += o.retried
        reminded += o.reminded
        expired += o.expired
    }
}
