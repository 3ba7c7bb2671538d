import OTACore

/// The rules of a step (design/campaigns.md §4), each reading only what is due: index
/// entries of `targets_due` and `targets_queued`, a few counter rows, the waves.
extension CampaignActivity {
    // MARK: 2-4: timeouts, retries, reminders

    /// Every target whose `due` has come, in (due, frozen order): silent ones time out,
    /// failed ones whose retry is due are queued again, deferring ones whose reminder is due
    /// are queued again (they get a reminder when notified).
    mutating func processDue() throws(OTAError) {
        while true {
            let batch = try targets("due IS NOT NULL AND due <= ?2 ORDER BY due, ord") { $0.bind(2, now) }
            if batch.isEmpty { return }
            for t in batch { try handleDue(t) }
        }
    }

    private mutating func handleDue(_ t: TargetRecord) throws(OTAError) {
        var n = t
        switch t.status.state {
        case .notified, .accepted, .downloading, .downloaded, .installing:
            let reason = FailureReason.timeout.rawValue
            let next = TargetPolicy.next(spec, state: .failed, now: now, notifiedAt: t.notifiedAt,
                                         acceptedAt: t.acceptedAt, retries: t.retries, reason: reason)
            n.status = TargetStatus(state: .failed, final: next.final, reason: reason, code: nil)
            n.due = next.due
            try move(t, n, .timeout)
            tally.timedOut += 1
            if next.final { try Outbox.clear(db, target: n, now: now) }
        case .failed where !t.status.final:
            n.status = TargetStatus(state: .queued, final: false, reason: t.status.reason, code: t.status.code)
            n.due = nil
            n.retries = t.retries + 1
            // a new attempt: its notification is an offer, and its timeouts start afresh
            // (the first offer's time stays: time to success is measured from it)
            n.notifiedAt = nil
            n.acceptedAt = nil
            try move(t, n, .retry)
            tally.retried += 1
        case .deferred:
            n.status = TargetStatus(state: .queued, final: false, reason: t.status.reason, code: t.status.code)
            n.due = nil
            try move(t, n, .remind)
            tally.reminded += 1
        default:
            // nothing is ever due in these states; drop the stray entry so it cannot spin
            n.due = nil
            try Targets.save(db, old: t, new: n, now: now, counters: &counters)
        }
    }

    // MARK: 5: failure threshold

    /// Pauses the campaign when an open wave's failure share (failed and final / final, in
    /// basis points) passes its threshold with at least `min-final` final. An operator who
    /// resumed after such a pause has accepted that wave's failures: it does not pause again.
    /// Returns whether it paused.
    mutating func checkThresholds(_ counts: StepCounts) throws(OTAError) -> Bool {
        guard row.openWave >= 0, !spec.waves.isEmpty else { return false }
        for w in 0...min(row.openWave, spec.waves.count - 1) {
            let wave = spec.waves[w]
            let final = counts.final(wave: w)
            let failed = counts.failedFinal(wave: w)
            guard final > 0, final >= Int64(wave.minFinal),
                  failed * 10_000 > Int64(wave.failureThreshold) * final else { continue }
            let tag = Self.thresholdTag(w)
            if try pausedBefore(tag) { continue }
            let share = Int(failed * 10_000 / final)
            let reasons = try topFailureReasons(wave: w)
            var because = "\(tag) \(percentText(share)) of \(final) final targets failed, above the threshold of \(percentText(wave.failureThreshold))"
            if !reasons.isEmpty {
                because += " (" + reasons.map { "\($0.reason) \($0.count)" }.joined(separator: ", ") + ")"
            }
            try transition(.pause, reason: because)
            var e = event("paused-threshold")
            e.wave = w
            e.share = share
            e.threshold = wave.failureThreshold
            e.final = final
            e.failed = failed
            e.reasons = reasons
            e.reason = because
            try emit(e)
            return true
        }
        return false
    }

    static func thresholdTag(_ w: Int) -> String { "failure-threshold wave \(w):" }
    static func gateTag(_ w: Int) -> String { "success-gate wave \(w):" }

    /// Whether the campaign was ever paused with a reason starting with `tag`.
    func pausedBefore(_ tag: String) throws(OTAError) -> Bool {
        try db.prepare("""
            SELECT 1 FROM campaign_events WHERE campaign_id = ? AND state = 'paused' AND substr(reason, 1, ?) = ? LIMIT 1
            """).bind(1, row.id).bind(2, Int64(tag.utf8.count)).bind(3, tag).firstRow { _ in true } ?? false
    }

    /// The three most frequent reasons among the wave's final failures (ties by name).
    func topFailureReasons(wave w: Int) throws(OTAError) -> [CampaignEvent.ReasonCount] {
        try db.prepare("""
            SELECT coalesce(reason, 'other'), count(*) AS n FROM targets
            WHERE campaign_id = ? AND wave = ? AND state = 'failed' AND final = 1
            GROUP BY 1 ORDER BY n DESC, 1 LIMIT 3
            """).bind(1, row.id).bind(2, Int64(w))
            .rows { CampaignEvent.ReasonCount(reason: $0.text(0) ?? "other", count: $0.int64(1)) }
    }

    // MARK: 6: success gate and soak

    /// Opens the next wave once the open one's successes reach its gate and its soak has
    /// passed (the gate time is kept in `gate_at`); with `advance: manual` the campaign pauses
    /// at that point instead and `ota_campaign_resume` opens the wave.
    mutating func checkGates(_ counts: StepCounts) throws(OTAError) {
        while row.state == .running, row.openWave >= 0, row.openWave + 1 < spec.waves.count,
              row.openWave < waves.count {
            let w = row.openWave
            let wave = spec.waves[w]
            let succeeded = counts.succeeded(wave: w)
            let total = waves[w].targets
            guard succeeded * 10_000 >= Int64(wave.successGate) * total else { return }
            if row.gateAt == nil {
                row.gateAt = now
                var e = event("gate-reached")
                e.wave = w
                e.targets = total
                e.succeeded = succeeded
                e.share = total > 0 ? Int(succeeded * 10_000 / total) : 10_000
                try emit(e)
            }
            guard let gateAt = row.gateAt, now >= addSaturating(gateAt, wave.soak) else { return }
            if wave.advance == .manual {
                let because = "\(Self.gateTag(w)) \(succeeded) of \(total) targets succeeded; the next wave opens when the campaign is resumed"
                try transition(.pause, reason: because)
                var e = event("paused-gate")
                e.wave = w
                e.reason = because
                try emit(e)
                return
            }
            try openWave(w + 1)
        }
    }

    /// When the open wave's soak ends (a step must then open the next wave), if it is soaking.
    func soakEnd() -> Int64? {
        guard row.state == .running, let gateAt = row.gateAt, row.openWave >= 0,
              row.openWave < spec.waves.count, row.openWave + 1 < spec.waves.count else { return nil }
        return addSaturating(gateAt, spec.waves[row.openWave].soak)
    }

    // MARK: 7: notifications

    /// Notifies queued targets in frozen order, within the rate budget of this minute and the
    /// windows that apply to each (one outside its windows stays queued). Returns when a step
    /// should next try, if targets are left waiting.
    mutating func notifyQueued(successes: Int64) throws(OTAError) -> Int64? {
        var budget = RateLimit.budget(spec.rate, successes: successes, now: now,
                                      storedMinute: row.rateMinute, storedUsed: row.rateUsed)
        var open = WindowCache(spec.windows, now: now)
        var sent = 0
        var skipped = false
        var after = Int64.min
        scan: while budget.left > sent {
            if !open.anyOpen {
                skipped = true
                break
            }
            let batch = try targets("state = 'queued' AND ord > ?2 ORDER BY ord") { $0.bind(2, after) }
            for t in batch {
                if sent >= budget.left { break scan }
                after = t.ord
                guard open.isOpen(region: t.facets.region) else {
                    skipped = true
                    continue
                }
                try notify(t)
                sent += 1
            }
            if Int64(batch.count) < Self.batch { break }
        }
        if budget.minute != row.rateMinute || sent > 0 {
            budget.used += sent
            row.rateMinute = budget.minute
            row.rateUsed = Int64(budget.used)
        }
        tally.notified += Int64(sent)
        // what is still queued waits for the next minute's budget or the next window
        guard try hasQueued() else { return nil }
        let nextMinute = RateLimit.nextMinute(after: now)
        var wake: Int64?
        if budget.left != Int.max && sent >= budget.left { wake = nextMinute }
        if skipped, let opening = MaintenanceWindows.nextOpening(spec.windows, after: now) {
            wake = min(wake ?? opening, opening)
        }
        return wake ?? nextMinute
    }

    func hasQueued() throws(OTAError) -> Bool {
        try db.prepare("SELECT 1 FROM targets WHERE campaign_id = ? AND state = 'queued' LIMIT 1")
            .bind(1, row.id).firstRow { _ in true } ?? false
    }

    /// queued -> notified: an offer (or a reminder after a deferral), the answer timeout due.
    private mutating func notify(_ t: TargetRecord) throws(OTAError) {
        let kind: VehicleMessage.Kind = t.notifiedAt == nil ? .offer : .reminder
        var n = t
        n.messageSeq = try messenger.offer(db, t, kind: kind, now: now)
        n.status = TargetStatus(state: .notified, final: false, reason: t.status.reason, code: t.status.code)
        n.notified(at: now)
        n.due = TargetPolicy.next(spec, state: .notified, now: now, notifiedAt: now, acceptedAt: nil,
                                  retries: t.retries, reason: nil).due
        try move(t, n, .notify)
    }

    // MARK: 8: the end and completion

    /// At `end`, every target that is not final expires (a vehicle that was sent something
    /// gets the empty retained message that clears its offer).
    mutating func expireAll() throws(OTAError) {
        var expired: Int64 = 0
        let open = "'pending', 'queued', 'notified', 'accepted', 'deferred', 'downloading', 'downloaded', 'installing', 'failed'"
        for w in 0..<max(waves.count, spec.waves.count) {
            while true {
                let batch = try targets("wave = ?2 AND state IN (\(open)) AND final = 0") { $0.bind(2, Int64(w)) }
                for t in batch {
                    var n = t
                    n.status = TargetStatus(state: .expired, final: true, reason: t.status.reason, code: t.status.code)
                    n.due = nil
                    try move(t, n, .expire)
                    try Outbox.clear(db, target: n, now: now)
                    expired += 1
                }
                if Int64(batch.count) < Self.batch { break }
            }
        }
        tally.expired += expired
        if expired > 0 {
            var e = event("expired")
            e.expired = expired
            try emit(e)
        }
    }

    /// A campaign whose targets are all final completes.
    mutating func completeIfDone(_ counts: StepCounts) throws(OTAError) {
        guard row.state == .running || row.state == .paused, counts.final >= row.targets else { return }
        try transition(.complete)
        var e = event("completed")
        e.succeeded = counts.state[TargetState.succeeded.rawValue] ?? 0
        e.failed = counts.state[TargetState.failed.rawValue] ?? 0
        e.expired = counts.state[TargetState.expired.rawValue] ?? 0
        e.final = counts.final
        e.targets = row.targets
        try emit(e)
    }
}

/// Which windows are open at one `now`, per region (computed once per region a step meets).
struct WindowCache {
    let windows: [CampaignSpec.Window]
    let now: Int64
    private var byRegion: [String: Bool] = [:]
    private var unnamed: Bool?
    /// Whether any window at all is open (none open: no queued target can be notified).
    let anyOpen: Bool

    init(_ windows: [CampaignSpec.Window], now: Int64) {
        self.windows = windows
        self.now = now
        anyOpen = windows.isEmpty || MaintenanceWindows.isOpen(windows, at: now)
    }

    mutating func isOpen(region: String?) -> Bool {
        if windows.isEmpty { return true }
        guard let region else {
            if let u = unnamed { return u }
            let u = MaintenanceWindows.isOpen(MaintenanceWindows.applying(windows, region: nil), at: now)
            unnamed = u
            return u
        }
        if let o = byRegion[region] { return o }
        let o = MaintenanceWindows.isOpen(MaintenanceWindows.applying(windows, region: region), at: now)
        byRegion[region] = o
        return o
    }
}

/// Basis points as text ("12.5 %", "20 %").
func percentText(_ bp: Int) -> String {
    let whole = bp / 100
    let frac = bp % 100
    if frac == 0 { return "\(whole) %" }
    return frac % 10 == 0 ? "\(whole).\(frac / 10) %" : "\(whole).\(frac < 10 ? "0" : "")\(frac) %"
}

/// `a + b`, saturating (times come from callers and specs).
func addSaturating(_ a: Int64, _ b: Int64) -> Int64 {
    let (s, overflow) = a.addingReportingOverflow(b)
    return overflow ? (b > 0 ? Int64.max : Int64.min) : s
}
