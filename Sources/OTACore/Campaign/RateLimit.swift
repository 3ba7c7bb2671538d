/// The rate limit of a campaign's notifications (design/campaigns.md §1 `rate`): a budget of
/// `per-minute` notifications in each minute of `now` (minute = floor(now / 60)), across the
/// campaign; with a ramp, the per-minute rate is multiplied by `factor` after every `every`
/// successes: ceil(per-minute × factor^ramps), rounded up once (so a rate of 1 with factor 1.1
/// still grows), capped at `maxPerMinute`.
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

    /// Notifications allowed per minute after `successes` successes. In billionths, rounded
    /// down at each ramp and up once at the end, so that no ramp's rounding compounds into
    /// the next (10/min × 1.1^10 is 26, not 33).
    public static func perMinute(_ rate: CampaignSpec.Rate, successes: Int64) -> Int {
        let cap = max(rate.perMinute, maxPerMinute)   // a stored rate above the maximum is kept
        let r = max(rate.perMinute, 0)
        guard let factor = rate.rampFactorHundredths, let every = rate.rampEvery, every > 0, factor > 100,
              r > 0, r < cap else {
            return r
        }
        let unit: Int64 = 1_000_000_000
        let top = Int64(cap) * unit
        var scaled = Int64(r) * unit
        var steps = successes / Int64(every)
        while steps > 0 && scaled < top {
            let (m, overflow) = scaled.multipliedReportingOverflow(by: Int64(factor))
            scaled = overflow ? top : m / 100
            steps -= 1
        }
        let rounded = scaled / unit + (scaled % unit == 0 ? 0 : 1)
        return Int(min(rounded, Int64(cap)))
    }

    /// The budget left at `now`, given the stored minute and the notifications already sent
    /// in it; `left` is `Int.max` without a rate, 0 at a `now` before the stored minute.
    /// `minute` and `used` are what to store after sending `n` more: (`minute`, `used + n`).
    public struct Budget: Equatable, Sendable {
        public var minute: Int64
        public var used: Int
        public var left: Int
    }

    public static func budget(_ rate: CampaignSpec.Rate?, successes: Int64, now: Int64,
                              storedMinute: Int64, storedUsed: Int64) -> Budget {
        let m = minute(of: now)
        // A `now` before the stored minute (a host's clock stepped back) gets nothing and
        // keeps the stored count: storing the older minute would give the later one a
        // fresh budget when time comes back to it.
        if m < storedMinute {
            return Budget(minute: storedMinute, used: Int(clamping: max(storedUsed, 0)), left: rate == nil ? Int.max : 0)
        }
        let used = m == storedMinute ? Int(clamping: max(storedUsed, 0)) : 0
        guard let rate else { return Budget(minute: m, used: used, left: Int.max) }
        return Budget(minute: m, used: used, left: max(0, perMinute(rate, successes: successes) - used))
    }
}
