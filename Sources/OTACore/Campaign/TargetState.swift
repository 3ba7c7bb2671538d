/// The state of one target (one vehicle in one campaign), design/campaigns.md §3, and its
/// one transition table. Both the step (wave opening, notifications, timeouts, retries,
/// reminders, expiry, abort) and status ingestion (the vehicle's reports) move targets only
/// through `TargetMachine.check`.
///
///     pending -> queued -> notified -> accepted | deferred | declined
///                                      accepted -> downloading -> downloaded -> installing -> succeeded
///     any non-final -> failed (reason, code); failed with a retry left -> queued
///     deferred -> queued (reminder due)
///     any non-final -> expired (end) | cancelled (abort; not while installing)
///     (an abort spares installing targets: they finish by report or install timeout, with no retry)
///
/// A vehicle may skip reports (a lost message): forward moves along the install pipeline
/// are allowed, backward ones are not.
public enum TargetState: String, CaseIterable, Equatable, Sendable {
    case pending, queued, notified, accepted, deferred, declined, downloading, downloaded,
         installing, succeeded, failed, expired, cancelled

    /// Final for good whatever else is known (a `failed` target is final only when no retry
    /// is left: that is the row's `final` flag, not its state).
    public var isAlwaysFinal: Bool {
        self == .succeeded || self == .declined || self == .expired || self == .cancelled
    }

    /// The position along the install pipeline, for the forward-only rule.
    var pipelineRank: Int? {
        switch self {
        case .notified: return 0
        case .accepted: return 1
        case .downloading: return 2
        case .downloaded: return 3
        case .installing: return 4
        case .succeeded: return 5
        default: return nil
        }
    }
}

/// Why a target failed (the report's `reason`, plus the library's own).
public enum FailureReason: String, CaseIterable, Equatable, Sendable {
    case precondition, user, connectivity, power, download, install, verification, other
    /// Set by the step: no report within the answer or install timeout.
    case timeout
    /// The vehicle reported `rolled-back`.
    case rolledBack = "rolled-back"
}

public enum TargetMachine {
    /// What moves a target: the step's own events, or a vehicle's report.
    public enum Cause: Equatable, Sendable {
        case openWave, notify, timeout, retry, remind, expire, abort
        case report
    }

    /// The legal `to` states from `from` for a cause; the whole table.
    public static func allowed(from: TargetState, cause: Cause) -> [TargetState] {
        switch (cause, from) {
        case (.openWave, .pending): return [.queued]
        case (.notify, .queued): return [.notified]
        case (.timeout, .notified), (.timeout, .accepted), (.timeout, .downloading),
             (.timeout, .downloaded), (.timeout, .installing): return [.failed]
        case (.retry, .failed): return [.queued]
        case (.remind, .deferred): return [.queued]
        case (.expire, let s) where !s.isAlwaysFinal: return [.expired]
        case (.abort, let s) where !s.isAlwaysFinal && s != .installing: return [.cancelled]
        case (.report, .notified):
            return [.notified, .accepted, .deferred, .declined, .downloading, .downloaded, .installing, .succeeded, .failed]
        case (.report, .deferred), (.report, .queued):
            // an owner may accept or decline a deferred offer before the reminder
            return [.accepted, .deferred, .declined, .downloading, .downloaded, .installing, .succeeded, .failed]
        case (.report, let s) where s.pipelineRank != nil && !s.isAlwaysFinal:
            // forward along the pipeline (or the same state again, e.g. download progress);
            // a succeeded target is final: no report moves it again
            var out: [TargetState] = []
            for t in [TargetState.accepted, .downloading, .downloaded, .installing, .succeeded]
            where (t.pipelineRank ?? 0) >= (s.pipelineRank ?? 0) { out.append(t) }
            out.append(.failed)
            return out
        default: return []
        }
    }

    /// `to` if legal, else `.conflict` naming both states.
    public static func check(_ from: TargetState, _ to: TargetState, cause: Cause,
                             vin: String) throws(OTAError) -> TargetState {
        if allowed(from: from, cause: cause).contains(to) { return to }
        throw .conflict("illegal transition for \(vin): \(from.rawValue) -> \(to.rawValue)")
    }
}
