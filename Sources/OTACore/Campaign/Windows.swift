/// Maintenance windows (design/campaigns.md §1): when a window is open and when it next
/// opens. A window is a weekly slot in local time: on each of `days` (0 = Monday) from
/// `startMinute` for `minutes` (up to a whole day, so a slot may run past midnight into the
/// next day), where local time = UTC + `utcOffsetMinutes`. Fixed offsets, no daylight saving:
/// the same spec and `now` always give the same answer.
public enum MaintenanceWindows {
    static let day: Int64 = 86_400
    /// Times beyond this are treated as never inside a window (no overflow in the arithmetic).
    static let limit: Int64 = 1 << 60

    /// The windows that apply to a target in `region` (nil: in no named region): those that
    /// name no regions, and those that name `region`.
    public static func applying(_ windows: [CampaignSpec.Window], region: String?) -> [CampaignSpec.Window] {
        windows.filter { w in
            guard let names = w.regions else { return true }
            guard let region else { return false }
            return names.contains(region)
        }
    }

    /// Whether a target to which `windows` apply may be notified at `t`: with no windows at
    /// all in the spec any time is fine, but that is the caller's case; here an empty list
    /// means never.
    public static func isOpen(_ windows: [CampaignSpec.Window], at t: Int64) -> Bool {
        windows.contains { isOpen($0, at: t) }
    }

    public static func isOpen(_ w: CampaignSpec.Window, at t: Int64) -> Bool {
        guard t > -limit, t < limit else { return false }
        let local = t + Int64(w.utcOffsetMinutes) * 60
        let today = UnixTime.floorDiv(local, day)
        // a slot that started yesterday may still be running
        for d in [today - 1, today] where w.days.contains(weekday(d)) {
            let start = d * day + Int64(w.startMinute) * 60
            if local >= start && local < start + Int64(w.minutes) * 60 { return true }
        }
        return false
    }

    /// The earliest time after `t` (strictly) at which one of `windows` opens, or nil.
    public static func nextOpening(_ windows: [CampaignSpec.Window], after t: Int64) -> Int64? {
        var best: Int64?
        for w in windows {
            if let o = nextOpening(w, after: t), best.map({ o < $0 }) ?? true { best = o }
        }
        return best
    }

    public static func nextOpening(_ w: CampaignSpec.Window, after t: Int64) -> Int64? {
        guard t > -limit, t < limit, !w.days.isEmpty else { return nil }
        let offset = Int64(w.utcOffsetMinutes) * 60
        let today = UnixTime.floorDiv(t + offset, day)
        for d in today...(today + 8) where w.days.contains(weekday(d)) {
            let opening = d * day + Int64(w.startMinute) * 60 - offset
            if opening > t { return opening }
        }
        return nil
    }

    /// 0 = Monday for day `d` since 1970-01-01 (a Thursday).
    public static func weekday(_ d: Int64) -> Int { Int(floorMod(d + 3, 7)) }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - UnixTime.floorDiv(a, b) * b }
}
