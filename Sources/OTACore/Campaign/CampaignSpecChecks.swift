/// The checks of a parsed spec that look at several keys together (design/campaigns.md §2):
/// reported by validation, with the store's checks, as problems that block approval.
public enum CampaignSpecChecks {
    /// Problems of the spec alone. `from` is the earliest time the campaign could run: the
    /// later of its start and now (validation, which is given no time, takes the creation).
    public static func problems(_ spec: CampaignSpec, from: Int64) -> [String] {
        var out: [String] = []
        switch spec.urgency {
        case .scheduled:
            if spec.start == nil { out.append("start: missing; a scheduled campaign needs a start") }
        case .immediate:
            if spec.start != nil { out.append("start: an immediate campaign starts when it is started; leave start out or make it scheduled") }
        }
        if let start = spec.start, spec.end <= start {
            out.append("end: \(spec.end) is not after start \(start)")
        } else if spec.end <= from {
            // the one place for it: validation lists what approval would refuse
            out.append("end: \(spec.end) has passed (at \(from))")
        }
        // Shares: more than 100 % never works; all-share waves must add up to exactly 100.
        var shareSum = 0
        var allShares = true
        for w in spec.waves {
            if case .share(let bp)? = w.size { shareSum += bp } else { allShares = false }
        }
        if shareSum > 10_000 {
            out.append("waves: the shares add up to \(FieldChecks.decimal(shareSum)) %, more than 100")
        } else if allShares && shareSum != 10_000 {
            out.append("waves: the shares add up to \(FieldChecks.decimal(shareSum)) %, not 100 (leave share out of the last wave to give it the rest)")
        }
        let names = spec.regions.map { $0.name }
        for (i, w) in spec.windows.enumerated() {
            for (j, r) in (w.regions ?? []).enumerated() where !names.contains(r) {
                out.append("windows[\(i)].regions[\(j)]: '\(r)' is not a region of the spec")
            }
        }
        if !spec.windows.isEmpty {
            let end = spec.end
            let first = max(from, spec.start ?? from)
            if !spec.windows.contains(where: { opens($0, from: first, until: end) }) {
                out.append("windows: no window opens between \(first) and end \(end)")
            } else {
                for (i, w) in spec.windows.enumerated() where !opens(w, from: first, until: end) {
                    out.append("windows[\(i)]: never opens before end \(end)")
                }
                // A target is notified only inside a window that applies to its region: a
                // region without one would stay queued to the end (and hold its wave's gate).
                for r in spec.regions where !MaintenanceWindows.applying(spec.windows, region: r.name)
                    .contains(where: { opens($0, from: first, until: end) }) {
                    out.append("regions.\(r.name): no window that applies to it opens between \(first) and end \(end); its targets would never be notified")
                }
            }
        }
        // `reasons` has no default (design §1): without it a retry count would do nothing
        if spec.retry.max > 0 && spec.retry.reasons.isEmpty {
            out.append("retry: max \(spec.retry.max) but no reasons: nothing would be retried")
        }
        if spec.test && spec.afterTest != nil {
            out.append("after-test: a test campaign follows no other campaign")
        }
        return out
    }

    /// How many targets each wave takes from the frozen order: a share is floor(targets ×
    /// share), a count is itself, both capped by what is left; the last wave takes the rest.
    /// Problems: a wave that gets no vehicle, a share or count that would take more than is
    /// left, explicit sizes that leave targets over (more than the rounding down of shares
    /// leaves: under one target a wave).
    public static func waveSizes(_ spec: CampaignSpec, targets: Int) -> (sizes: [Int], problems: [String]) {
        var sizes: [Int] = []
        var problems: [String] = []
        var left = targets
        for (i, w) in spec.waves.enumerated() {
            var n: Int
            switch w.size {
            case .share(let bp)?: n = Int((Int64(targets) * Int64(bp)) / 10_000)
            case .count(let c)?: n = c
            case nil: n = left
            }
            // Shares are floors, so shares adding up to 100 never take more than there is:
            // only counts can overcommit, or a share after them.
            if n > left && targets > 0 {
                let what: String
                switch w.size {
                case .share(let bp)?: what = "share \(FieldChecks.decimal(bp)) % (\(n) of the \(targets) targets)"
                default: what = "count \(n)"
                }
                problems.append("waves[\(i)]: \(what) is more than the \(left) targets left after the waves before it")
            }
            n = min(n, left)
            if i == spec.waves.count - 1 {
                let over: Bool
                switch w.size {
                case .count?: over = n < left
                case .share?: over = left - n >= spec.waves.count
                case nil: over = false
                }
                if over {
                    problems.append("waves: the waves take \(targets - left + n) of the \(targets) targets; leave share and count out of the last wave to give it the rest")
                }
                n = left
            }
            if n == 0 && targets > 0 {
                problems.append("waves[\(i)]: rounds to zero vehicles (of \(targets) targets)")
            }
            sizes.append(n)
            left -= n
        }
        return (sizes, problems)
    }

    /// Whether `w` is open at some moment in [from, until).
    public static func opens(_ w: CampaignSpec.Window, from: Int64, until: Int64) -> Bool {
        guard until > from else { return false }
        // Past 8 days every weekday comes round; this also keeps the arithmetic below far
        // from Int64's ends whatever the times (the parser keeps them in UnixTime.range).
        let (span, overflow) = until.subtractingReportingOverflow(from)
        if overflow || span >= 8 * 86_400 { return !w.days.isEmpty }
        guard from > Int64.min / 2, until < Int64.max / 2 else { return false }
        let offset = Int64(w.utcOffsetMinutes) * 60
        // Local days from the one before `from` (a window from the evening before may still
        // be open) to the one holding `until`.
        var day = UnixTime.floorDiv(from + offset, 86_400) - 1
        let last = UnixTime.floorDiv(until + offset, 86_400)
        while day <= last {
            if w.days.contains(MaintenanceWindows.weekday(day)) {
                let open = day * 86_400 + Int64(w.startMinute) * 60 - offset
                let close = open + Int64(w.minutes) * 60
                if open < until && close > from { return true }
            }
            day += 1
        }
        return false
    }
}
