/// The one state machine of a package. Every state change goes through `next`; the table
/// below is the whole of it.
///
///     draft --validate--> validated --approve--> approved --release--> released
///       \                    \                      \                     |
///        `------------------- `-------------------- `---withdraw-->  withdrawn  <--'
///
/// `released` and `withdrawn` are immutable: nothing about the package changes any more
/// (a released package may only be withdrawn). File checks are recorded only in `draft`.
public enum PackageState: String, CaseIterable, Equatable, Sendable {
    case draft, validated, approved, released, withdrawn

    /// Released and withdrawn packages never change (the store's triggers enforce it too).
    public var isImmutable: Bool { self == .released || self == .withdrawn }
}

public enum PackageAction: String, CaseIterable, Equatable, Sendable {
    case validate, approve, release, withdraw
}

public enum PackageLifecycle {
    public struct Transition: Sendable {
        public let action: PackageAction
        public let from: PackageState
        public let to: PackageState
    }

    /// Every legal transition; anything else is `.conflict`.
    public static let transitions: [Transition] = [
        Transition(action: .validate, from: .draft, to: .validated),
        Transition(action: .approve, from: .validated, to: .approved),
        Transition(action: .release, from: .approved, to: .released),
        Transition(action: .withdraw, from: .draft, to: .withdrawn),
        Transition(action: .withdraw, from: .validated, to: .withdrawn),
        Transition(action: .withdraw, from: .approved, to: .withdrawn),
        Transition(action: .withdraw, from: .released, to: .withdrawn),
    ]

    /// The state `action` leads to from `state`, or `.conflict` naming the current state.
    public static func next(_ state: PackageState, _ action: PackageAction,
                            package id: Int64) throws(OTAError) -> PackageState {
        for t in transitions where t.action == action && t.from == state { return t.to }
        var legal = ""
        for t in transitions where t.action == action {
            legal += (legal.isEmpty ? "" : " or ") + t.from.rawValue
        }
        let why = state.isImmutable ? " and immutable" : ""
        throw .conflict("cannot \(action.rawValue) package \(id): it is \(state.rawValue)\(why) (\(action.rawValue) needs \(legal))")
    }

    /// File checks change the package, so they are allowed only while it is a draft.
    public static func requireFileChecksAllowed(_ state: PackageState, package id: Int64) throws(OTAError) {
        guard state == .draft else {
            let why = state.isImmutable ? " and immutable" : ""
            throw .conflict("cannot verify files of package \(id): it is \(state.rawValue)\(why) (file checks need draft)")
        }
    }
}
