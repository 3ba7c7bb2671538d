/// The rate limit of a campaign's notifications (design/campaigns.md §1 `rate`): a budget of
/// `per-minute` notifications in each minute of `now` (minute = floor(now / 60)), across the
/// campaign; with a ramp, the per-minute rate is multiplied by `factor` after every `every`
/// successes. Integer arithmetic, rounded up (so a rate of 1 with factor 1.1 still grows),
/// capped at `maxPerMinute`.
public enum RateLimit {
    public static let maxPerMinute = 100_000

    /// The minute that `t` falls in.
    public static func minute(of t: Int64) -> Int64 {
        let q = t / 60
        return (t % 60 != 0 && t < 0) ? q - 1 : q
    }

    /// The start of the minute after the one `t` falls in (saturating at the ends of time).
    public static func nextMinute(after t: Int64) -> Int64 {
        let (start, o1) = minute(of: t).multipliedReportingOverflow(by: 60)
        if o1 { return t < 0 ? Int64.min : Int64.max }
        let (next, o2) = start.addingReportingOverflow(60)
        return o2 ? Int64.max : next
    }

    /// Notifications allowed per minute after `successes` successes.
    public static func perMinute(_ rate: CampaignSpec.Rate, successes: Int64) -> Int {
        let cap = max(rate.perMinute, maxPerMinute)
        var r = max(rate.perMinute, 0)
        guard let factor = rate.rampFactorHundredths, let every = rate.rampEvery, every > 0, factor > 100 else {
            return r
        }
        var steps = successes / Int64(every)
        while steps > 0 && r < cap {
            r = max(r + 1, (r * factor + 99) / 100)
            steps -= 1
        }
        return min(r, cap)
    }

    /// The budget left at `now`, given the stored minute and the notifications already sent
    /// in it; `left` is `Int.max` without a rate. `minute` and `used` are what to store after
    /// sending `n` more: (`minute`, `used + n`).
    public struct Budget: Equatable, Sendable {
        public var minute: Int64
        public var used: Int
        public var left: Int
    }

    public static func budget(_ rate: CampaignSpec.Rate?, successes: Int64, now: Int64,
                              storedMinute: Int64, storedUsed: Int64) -> Budget {
        let m = minute(of: now)
        let used = m == storedMinute ? Int(clamping: max(storedUsed, 0)) : 0
        guard let rate else { return Budget(minute: m, used: used, left: Int.max) }
        return Budget(minute: m, used: used, left: max(0, perMinute(rate, successes: successes) - used))
    }
}
