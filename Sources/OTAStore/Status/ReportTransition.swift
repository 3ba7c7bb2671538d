import OTACore

/// What one report does to its target (design/campaigns.md §6), decided without touching the
/// store: the new row, the per-ECU outcomes and the versions to write into the inventory.
/// The target moves only along `TargetMachine`'s table (cause `.report`); `TargetPolicy`
/// decides what is due next and whether a failure is final.
struct ReportTransition {
    var target: TargetRecord
    /// ECUs whose outcome changed.
    var ecus: [TargetECU] = []
    /// Versions proved by the report, for the inventory (source `campaign:<id>`).
    var inventory: [StatusReport.ECU] = []

    enum Decision {
        case move(ReportTransition)
        case reject(IngestResult)
    }

    /// States at or past acceptance (the install timeout runs from the first of them).
    static func accepting(_ s: TargetState) -> Bool {
        s == .accepted || s == .downloading || s == .downloaded || s == .installing || s == .succeeded
    }

    /// The state the vehicle's report names, as a target state.
    static func reported(_ s: StatusReport.State) -> TargetState {
        switch s {
        case .received: return .notified
        case .accepted: return .accepted
        case .deferred: return .deferred
        case .declined: return .declined
        case .downloading: return .downloading
        case .downloaded: return .downloaded
        case .installing: return .installing
        case .installed: return .succeeded
        case .failed, .rolledBack: return .failed
        }
    }

    /// The transition, or the rejection (`transition`, `unverified`). `targetECUs` is read
    /// only for reports that carry versions.
    static func decide(_ old: TargetRecord, _ report: StatusReport, spec: CampaignSpec, now: Int64,
                       targetECUs: () throws(OTAError) -> [TargetECU]) throws(OTAError) -> Decision {
        let from = old.status.state
        let named = reported(report.state)
        do throws(OTAError) {
            _ = try TargetMachine.check(from, named, cause: .report, vin: old.vin)
        } catch {
            return .reject(.rejected(.transition, error.message + " (the vehicle reported \(report.state.rawValue))", state: from))
        }
        if report.state == .installed && (report.ecus ?? []).isEmpty {
            return .reject(.rejected(.unverified, "\(old.vin) reported installed without versions: an install counts only when the versions read after the reboot are reported (ecus)", state: from))
        }

        var t = ReportTransition(target: old)
        var new = old
        new.reportSeq = report.seq
        new.lastReport = now
        var status = TargetStatus(state: named, final: false, reason: old.status.reason, code: old.status.code)

        switch report.state {
        case .deferred:
            if TargetPolicy.deferralAllowed(spec, deferralsBefore: old.deferrals) {
                new.deferrals = old.deferrals + 1
            } else {
                status.state = .failed
                status.reason = FailureReason.user.rawValue
                status.code = nil
            }
        case .declined:
            new.feedback = spec.notify.feedbackOnDecline ? report.feedback : nil
        case .failed:
            status.reason = report.reason?.rawValue ?? FailureReason.other.rawValue
            status.code = report.code
        case .rolledBack:
            status.reason = FailureReason.rolledBack.rawValue
            status.code = report.code
        default:
            break
        }

        if let versions = report.ecus, !versions.isEmpty,
           report.state == .installed || report.state == .failed || report.state == .rolledBack {
            // Every targeted ECU the report names is checked, the ones verified before too: a
            // version proved earlier stands until a report shows the ECU on another one.
            let ecus = try targetECUs()
            var allVerified = !ecus.isEmpty
            for var e in ecus {
                var outcome = e.outcome
                // By bytes (ByteText), as the targets were frozen: another spelling is another version.
                if let match = versions.first(where: { $0.slot == e.slot && $0.node.sameBytes(as: e.node) }) {
                    let verified = match.sw.sameBytes(as: e.toSW) && match.hw.sameBytes(as: e.hw)
                    // The inventory takes a proved version, and the truth about one it was
                    // told earlier (an ECU verified before that the vehicle no longer runs).
                    if verified || e.outcome == .verified { t.inventory.append(match) }
                    outcome = verified ? .verified : .failed
                } else if outcome != .verified {
                    outcome = .failed
                }
                if outcome != .verified { allVerified = false }
                if outcome != e.outcome {
                    e.outcome = outcome
                    t.ecus.append(e)
                }
            }
            if report.state == .installed && !allVerified {
                status.state = .failed
                status.reason = FailureReason.verification.rawValue
                status.code = report.code
            }
            if report.state == .rolledBack {
                // The vehicle's versions after falling back are the truth, proved or not.
                for v in versions where !t.inventory.contains(where: { $0.slot == v.slot && $0.node.sameBytes(as: v.node) }) {
                    t.inventory.append(v)
                }
            }
        }

        // The policy's moves (deferral past the limit, verification) stay on the table too.
        do throws(OTAError) {
            _ = try TargetMachine.check(from, status.state, cause: .report, vin: old.vin)
        } catch {
            return .reject(.rejected(.transition, error.message, state: from))
        }

        if status.state == .succeeded {
            status.reason = nil
            status.code = nil
            new.succeededAt = now
        }
        // Acceptance (or any report beyond it) starts the install timeout of this attempt.
        if accepting(status.state) && (!accepting(from) || new.acceptedAt == nil) { new.acceptedAt = now }

        let next = TargetPolicy.next(spec, state: status.state, now: now, notifiedAt: new.notifiedAt,
                                     acceptedAt: new.acceptedAt, retries: new.retries, reason: status.reason)
        status.final = next.final
        // A `received` report does not answer: the answer timeout keeps running.
        new.due = (from == .notified && status.state == .notified) ? old.due : next.due
        new.status = status
        t.target = new
        return .move(t)
    }
}
