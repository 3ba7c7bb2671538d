/// What became of one ingested report (docs/schemas/status-report.cddl, `ingest-result`):
/// `{"result", ? "reason", ? "detail", ? "state"}`. `reason` is one of the tokens below;
/// `detail` says it in words (an illegal transition names both states); `state` is the
/// target's state after the report, whenever the report reached a target.
public struct IngestResult: Equatable, Sendable {
    public enum Outcome: String, CaseIterable, Equatable, Sendable {
        case applied
        /// The same seq as the newest applied report: nothing changes (idempotent).
        case duplicate
        /// Older than the newest applied report: kept, not applied.
        case stale
        case rejected
    }

    /// Why a report was rejected.
    public enum Reason: String, CaseIterable, Equatable, Sendable {
        /// Not a report (CBOR, a field, the envelope), or the topic is not a status topic.
        case malformed
        /// The topic's VIN is not the report's.
        case topic
        case unknownVehicle = "unknown-vehicle"
        case unknownCampaign = "unknown-campaign"
        /// The vehicle is not one of the campaign's targets.
        case notTarget = "not-target"
        /// The campaign is not running or paused.
        case campaignState = "campaign-state"
        /// The report would move the target along an edge the transition table lacks.
        case transition
        /// The vehicle has a key and the report is not a COSE_Sign1 that verifies with it.
        case signature
        /// The vehicle sent more than `StatusQuota.perTarget` reports for the campaign.
        case quota
        /// `installed` without versions: an install is proved after the reboot, by versions.
        case unverified
    }

    public var outcome: Outcome
    public var reason: Reason?
    public var detail: String?
    public var state: TargetState?

    public init(_ outcome: Outcome, reason: Reason? = nil, detail: String? = nil, state: TargetState? = nil) {
        self.outcome = outcome
        self.reason = reason
        self.detail = detail
        self.state = state
    }

    public static func rejected(_ reason: Reason, _ detail: String, state: TargetState? = nil) -> IngestResult {
        IngestResult(.rejected, reason: reason, detail: detail, state: state)
    }

    public func write(to w: inout CBORWriter) {
        var m = CBORMapBuilder()
        m.text("result", outcome.rawValue)
        if let reason { m.text("reason", reason.rawValue) }
        if let detail { m.text("detail", detail) }
        if let state { m.text("state", state.rawValue) }
        m.write(to: &w)
    }

    public var encoded: [UInt8] {
        var w = CBORWriter(capacity: 64)
        write(to: &w)
        return w.bytes
    }
}

/// The bounds on kept reports.
public enum StatusQuota {
    /// Reports kept for one target; later ones are rejected (`quota`), counted, not kept.
    public static let perTarget = 1000
    /// Reports that reach no target (unreadable, for no known target, or not signed by the
    /// vehicle's key) kept on one UTC day; later ones are counted, not kept.
    public static let unattributedPerDay = 10_000
}

/// Status topics: `ota/v1/vehicles/{vin}/status`.
public enum StatusTopic {
    static let prefix = "ota/v1/vehicles/"
    static let suffix = "/status"

    /// The VIN in a status topic, or nil when the topic is not one.
    public static func vin(_ topic: String) -> String? {
        let u = Array(topic.utf8)
        let p = Array(prefix.utf8), s = Array(suffix.utf8)
        guard u.count == p.count + VIN.length + s.count,
              u.starts(with: p), u[(p.count + VIN.length)...].elementsEqual(s) else { return nil }
        return String(decoding: u[p.count..<(p.count + VIN.length)], as: UTF8.self)
    }

    public static func of(_ vin: String) -> String { prefix + vin + suffix }
}
