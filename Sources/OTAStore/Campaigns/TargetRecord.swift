import OTACore

/// One target row (a vehicle in a campaign) as the step and ingestion work on it. Every
/// change of a target goes through `Targets.save`, which writes the row and moves the
/// campaign's counters, so statistics always equal a recount of the rows.
public struct TargetRecord: Equatable {
    public var id: Int64
    public var campaign: Int64
    public var vehicleID: Int64
    public var vin: String
    public var ord: Int64
    public var facets: TargetFacets
    public var status: TargetStatus
    public var due: Int64?
    public var retries: Int
    public var deferrals: Int
    public var reportSeq: Int64
    public var messageSeq: Int64
    public var reports: Int
    /// This attempt's notification (a retry clears it, a reminder moves it): nil means the
    /// next notification is an offer, not a reminder.
    public var notifiedAt: Int64?
    /// The first offer in this campaign, never reset: time to success is measured from it.
    public var firstOfferAt: Int64?
    public var acceptedAt: Int64?
    public var succeededAt: Int64?
    public var lastReport: Int64?
    public var feedback: String?

    /// The target was notified at `now` (an offer or a reminder).
    public mutating func notified(at now: Int64) {
        notifiedAt = now
        if firstOfferAt == nil { firstOfferAt = now }
    }
}

public enum Targets {
    /// The columns `read` expects, in order.
    public static let columns = """
        id, campaign_id, vehicle_id, vin, ord, wave, market, region, model, variant, state, final, reason, code, \
        due, retries, deferrals, report_seq, message_seq, reports, notified_at, accepted_at, succeeded_at, \
        last_report, feedback, first_offer_at
        """
    /// How many `columns` there are (a query may select more after them).
    public static let columnCount = Int32(columns.split(separator: ",").count)

    /// A row selected with `columns`; a state the library does not know is `.corrupt`.
    public static func read(_ r: Statement) throws(OTAError) -> TargetRecord {
        let id = r.int64(0)
        guard let stateText = r.text(10), let state = TargetState(rawValue: stateText) else {
            throw .corrupt("target \(id): unknown state '\(r.text(10) ?? "NULL")' in the store")
        }
        func optional(_ c: Int32) -> Int64? { r.isNull(c) ? nil : r.int64(c) }
        // Counts the policy adds to or loops over: a tampered row is reported, never trusted.
        func count(_ c: Int32, _ name: StaticString) throws(OTAError) -> Int {
            let n = r.int64(c)
            guard n >= 0, n <= Int64(Int32.max) else { throw .corrupt("target \(id): \(name) is \(n) in the store") }
            return Int(n)
        }
        let retries = try count(15, "retries"), deferrals = try count(16, "deferrals"), reports = try count(19, "reports")
        let facets = TargetFacets(wave: Int(clamping: r.int64(5)), market: r.text(6) ?? "", region: r.text(7),
                                  model: r.text(8) ?? "", variant: r.text(9) ?? "")
        return TargetRecord(
            id: id, campaign: r.int64(1), vehicleID: r.int64(2), vin: r.text(3) ?? "", ord: r.int64(4),
            facets: facets,
            status: TargetStatus(state: state, final: r.int64(11) != 0, reason: r.text(12), code: optional(13)),
            due: optional(14), retries: retries, deferrals: deferrals,
            reportSeq: r.int64(17), messageSeq: r.int64(18), reports: reports,
            notifiedAt: optional(20), firstOfferAt: optional(25), acceptedAt: optional(21), succeededAt: optional(22),
            lastReport: optional(23), feedback: r.text(24))
    }

    public static func load(_ db: SQLiteConnection, id: Int64) throws(OTAError) -> TargetRecord? {
        let s = try db.prepare("SELECT \(columns) FROM targets WHERE id = ?").bind(1, id)
        defer { s.reset() }
        guard try s.step() else { return nil }
        return try read(s)
    }

    public static func load(_ db: SQLiteConnection, campaign: Int64, vehicle: Int64) throws(OTAError) -> TargetRecord? {
        let s = try db.prepare("SELECT \(columns) FROM targets WHERE campaign_id = ? AND vehicle_id = ?")
            .bind(1, campaign).bind(2, vehicle)
        defer { s.reset() }
        guard try s.step() else { return nil }
        return try read(s)
    }

    /// Writes `new` over `old` (the same target) and records what the move means for the
    /// statistics: counters, the timeline (notified, succeeded, failed at `now`) and the
    /// time-to-success histogram.
    public static func save(_ db: SQLiteConnection, old: TargetRecord, new: TargetRecord, now: Int64,
                            counters: inout CampaignCounters) throws(OTAError) {
        try db.prepare("""
            UPDATE targets SET state = ?, final = ?, reason = ?, code = ?, due = ?, retries = ?, deferrals = ?,
              report_seq = ?, message_seq = ?, reports = ?, notified_at = ?, accepted_at = ?, succeeded_at = ?,
              last_report = ?, feedback = ?, first_offer_at = ?
            WHERE id = ?
            """)
            .bind(1, new.status.state.rawValue).bind(2, new.status.final ? 1 : 0).bind(3, new.status.reason)
            .bind(4, new.status.code).bind(5, new.due).bind(6, Int64(new.retries)).bind(7, Int64(new.deferrals))
            .bind(8, new.reportSeq).bind(9, new.messageSeq).bind(10, Int64(new.reports))
            .bind(11, new.notifiedAt).bind(12, new.acceptedAt).bind(13, new.succeededAt)
            .bind(14, new.lastReport).bind(15, new.feedback).bind(16, new.firstOfferAt).bind(17, new.id)
            .run()
        counters.move(new.facets, from: old.status, to: new.status)
        // campaigns.next_due follows every change that gives a step something to do
        if let due = new.due, due != old.due { counters.wake(at: due) }
        if new.status.final != old.status.final { counters.wake(at: now) }
        let entered = old.status.state != new.status.state
        if entered && new.status.state == .notified { counters.event(at: now, notified: 1) }
        if entered && new.status.state == .failed { counters.event(at: now, failed: 1) }
        if entered && new.status.state == .succeeded {
            counters.event(at: now, succeeded: 1)
            counters.succeeded(after: TimeToSuccess.seconds(firstOffer: new.firstOfferAt, succeeded: new.succeededAt))
        }
    }
}
