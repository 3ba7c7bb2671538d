/// When a target that just entered a state must be looked at again, and whether its outcome
/// is settled: the campaign's timeouts, retries and reminders (design/campaigns.md §1, §4) in
/// one place, used by the step and by status ingestion alike.
///
/// - notified: the owner must answer (accept, defer, decline, or report further progress)
///   within `timeouts.answer` of the notification; a `received` report does not answer.
/// - accepted ... installing: a final report is due within `timeouts.install` of acceptance.
/// - deferred: reminded after `notify.reminder`, while deferrals remain; a deferral past
///   `max-deferrals` fails the target with reason `user` (never retried). With
///   `mandatory-after-deferrals`, the offer after the last allowed deferral is mandatory.
/// - failed: queued again after backoff × factor^n (n = retries so far) while the reason is
///   retryable and fewer than `retry.max` retries were made; otherwise final.
public enum TargetPolicy {
    public struct Next: Equatable, Sendable {
        public var final: Bool
        public var due: Int64?
        public init(final: Bool, due: Int64?) {
            self.final = final
            self.due = due
        }
    }

    /// For a target now in `state`. `notifiedAt` and `acceptedAt` are the row's times (the
    /// acceptance time is the first report of acceptance or beyond); `retries` counts the
    /// retries already made; `reason` is the failure's.
    public static func next(_ spec: CampaignSpec, state: TargetState, now: Int64, notifiedAt: Int64?,
                            acceptedAt: Int64?, retries: Int, reason: String?) -> Next {
        switch state {
        case .pending, .queued: return Next(final: false, due: nil)
        case .notified: return Next(final: false, due: add(notifiedAt ?? now, spec.timeouts.answer))
        case .accepted, .downloading, .downloaded, .installing:
            return Next(final: false, due: add(acceptedAt ?? now, spec.timeouts.install))
        case .deferred: return Next(final: false, due: add(now, spec.notify.reminder))
        case .failed:
            guard let at = retryAt(spec, reason: reason, retries: retries, now: now) else {
                return Next(final: true, due: nil)
            }
            return Next(final: false, due: at)
        case .succeeded, .declined, .expired, .cancelled: return Next(final: true, due: nil)
        }
    }

    /// The policy of a campaign in `state`: an aborted campaign retries nothing, so a target
    /// it spared (installing at the abort) that fails or times out is final.
    public static func spec(_ spec: CampaignSpec, in state: CampaignState) -> CampaignSpec {
        guard state == .aborted else { return spec }
        var s = spec
        s.retry.max = 0
        return s
    }

    /// Whether a failure with `reason` is retried, and when: nil when it is final.
    public static func retryAt(_ spec: CampaignSpec, reason: String?, retries: Int, now: Int64) -> Int64? {
        guard let reason, reason != FailureReason.user.rawValue, retries >= 0, retries < spec.retry.max,
              spec.retry.reasons.contains(where: { $0.rawValue == reason }) else { return nil }
        return add(now, backoff(spec.retry, retries: retries))
    }

    /// backoff × factor^retries seconds, rounded down: computed in microseconds, so that the
    /// rounding of one retry does not compound into the next (1 s × 1.5^n is 1, 1, 2, 3, 5,
    /// not 1, 1, 1, ...), saturating at about 292,000 years.
    public static func backoff(_ retry: CampaignSpec.Retry, retries: Int) -> Int64 {
        let micro: Int64 = 1_000_000
        var wait = retry.backoff.multipliedReportingOverflow(by: micro)
        for _ in 0..<max(retries, 0) where !wait.overflow {
            let m = wait.partialValue.multipliedReportingOverflow(by: Int64(retry.factorHundredths))
            wait = (m.partialValue / 100, m.overflow)
        }
        return wait.overflow ? Int64.max : wait.partialValue / micro
    }

    /// A deferral report: the number of deferrals after it, and whether it is still allowed
    /// (false: the target fails with reason `user`).
    public static func deferralAllowed(_ spec: CampaignSpec, deferralsBefore: Int) -> Bool {
        deferralsBefore + 1 <= spec.notify.maxDeferrals
    }

    /// Deferrals the owner has left (carried in offers), and whether the next offer is mandatory.
    public static func deferralsLeft(_ spec: CampaignSpec, deferrals: Int) -> Int {
        max(0, spec.notify.maxDeferrals - deferrals)
    }

    public static func mandatory(_ spec: CampaignSpec, deferrals: Int) -> Bool {
        spec.notify.mandatoryAfterDeferrals && deferrals >= spec.notify.maxDeferrals
    }

    /// `a + b`, saturating (times come from callers and specs).
    static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? Int64.max : Int64.min) : s
    }
}
