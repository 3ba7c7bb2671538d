import Testing
import OTACore

@Suite struct PackageLifecycleTests {
    /// The whole table, spelled out independently of `PackageLifecycle.transitions`.
    static let expected: [PackageState: [PackageAction: PackageState]] = [
        .draft: [.validate: .validated, .withdraw: .withdrawn],
        .validated: [.approve: .approved, .withdraw: .withdrawn],
        .approved: [.release: .released, .withdraw: .withdrawn],
        .released: [.withdraw: .withdrawn],
        .withdrawn: [:],
    ]

    @Test func everyStateAndActionPair() {
        for state in PackageState.allCases {
            for action in PackageAction.allCases {
                let legal = Self.expected[state]?[action]
                do throws(OTAError) {
                    let next = try PackageLifecycle.next(state, action, package: 7)
                    #expect(next == legal, "\(state) --\(action)--> \(next)")
                } catch {
                    #expect(legal == nil, "\(state) --\(action)--> refused: \(error.message)")
                    #expect(error.code == .conflict)
                    #expect(error.message.hasPrefix("cannot \(action.rawValue) package 7: it is \(state.rawValue)"))
                }
            }
        }
    }

    @Test func messagesNameTheLegalStartStates() {
        do throws(OTAError) {
            _ = try PackageLifecycle.next(.released, .approve, package: 3)
        } catch {
            #expect(error.message == "cannot approve package 3: it is released and immutable (approve needs validated)")
        }
        do throws(OTAError) {
            _ = try PackageLifecycle.next(.withdrawn, .withdraw, package: 3)
        } catch {
            #expect(error.message == "cannot withdraw package 3: it is withdrawn and immutable (withdraw needs draft or validated or approved or released)")
        }
    }

    @Test func fileChecksOnlyInDraft() throws {
        try PackageLifecycle.requireFileChecksAllowed(.draft, package: 1)
        for state in PackageState.allCases where state != .draft {
            #expect(throws: OTAError.self) { try PackageLifecycle.requireFileChecksAllowed(state, package: 1) }
        }
        #expect(PackageState.allCases.filter(\.isImmutable) == [.released, .withdrawn])
    }
}
