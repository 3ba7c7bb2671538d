/// The one state machine of a campaign (design/campaigns.md §3). Every state change goes
/// through `CampaignLifecycle.next`; the table below is the whole of it.
///
///     draft --approve--> approved --start--> scheduled --begin--> running <--pause/resume--> paused
///                            \________start (immediate or start reached)___^
///     running, paused --complete--> completed
///     draft, approved, scheduled, running, paused --abort--> aborted
public enum CampaignState: String, CaseIterable, Equatable, Sendable {
    case draft, approved, scheduled, running, paused, completed, aborted

    /// Completed and aborted campaigns never change again.
    public var isFinal: Bool { self == .completed || self == .aborted }
    /// Campaigns a step looks at (and whose targets make a vehicle `busy` for another).
    public var isActive: Bool { self == .scheduled || self == .running || self == .paused }
    /// Campaigns whose non-final targets still run: the active ones, and an aborted one,
    /// whose targets that were installing at the abort finish (they report, or time out).
    public var hasLiveTargets: Bool { isActive || self == .aborted }
    /// `hasLiveTargets` as an SQL list, for `state IN (...)`.
    public static let liveStatesSQL = "'scheduled', 'running', 'paused', 'aborted'"
    /// Campaigns whose non-final targets keep their vehicles `busy` for another campaign of
    /// the same ECU nodes: from approval, which freezes them, until they are final (an
    /// approved campaign not yet started holds its vehicles too, or two could be started
    /// over the same ECUs).
    public static let holdingStatesSQL = "'approved', " + liveStatesSQL

    /// Whether a report of a target whose finality is `targetFinal` counts: while running or
    /// paused, and after an abort for the targets it spared until they are final.
    public func takesReports(targetFinal: Bool) -> Bool {
        self == .running || self == .paused || (self == .aborted && !targetFinal)
    }
}

public enum CampaignAction: String, CaseIterable, Equatable, Sendable {
    case approve
    /// The operator's start: to `scheduled`, or straight to `running` when due.
    case start
    /// A scheduled campaign whose start time came (a step does it).
    case begin
    case pause, resume, complete, abort
}

public enum CampaignLifecycle {
    public struct Transition: Sendable {
        public let action: CampaignAction
        public let from: CampaignState
        public let to: CampaignState
    }

    /// Every legal transition; anything else is `.conflict` naming the current state.
    public static let transitions: [Transition] = [
        Transition(action: .approve, from: .draft, to: .approved),
        Transition(action: .start, from: .approved, to: .scheduled),
        Transition(action: .start, from: .approved, to: .running),
        Transition(action: .begin, from: .scheduled, to: .running),
        Transition(action: .pause, from: .running, to: .paused),
        Transition(action: .resume, from: .paused, to: .running),
        Transition(action: .complete, from: .running, to: .completed),
        Transition(action: .complete, from: .paused, to: .completed),
        Transition(action: .abort, from: .draft, to: .aborted),
        Transition(action: .abort, from: .approved, to: .aborted),
        Transition(action: .abort, from: .scheduled, to: .aborted),
        Transition(action: .abort, from: .running, to: .aborted),
        Transition(action: .abort, from: .paused, to: .aborted),
    ]

    /// Checks that `action` may take the campaign from `state` to `to` (for `.start`, which
    /// has two targets, the caller says which); returns `to` or throws `.conflict`.
    public static func next(_ state: CampaignState, _ action: CampaignAction, to: CampaignState? = nil,
                            campaign id: Int64) throws(OTAError) -> CampaignState {
        for t in transitions where t.action == action && t.from == state && (to == nil || t.to == to) {
            return t.to
        }
        var from: [CampaignState] = []
        for t in transitions where t.action == action && !from.contains(t.from) { from.append(t.from) }
        var legal = ""
        for state in from { legal += (legal.isEmpty ? "" : " or ") + state.rawValue }
        throw .conflict("cannot \(action.rawValue) campaign \(id): it is \(state.rawValue) (\(action.rawValue) needs \(legal))")
    }
}
