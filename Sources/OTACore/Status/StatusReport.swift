/// A vehicle's status report (design/campaigns.md §6; docs/schemas/status-report.cddl), as
/// parsed. The vehicle publishes it on `ota/v1/vehicles/{vin}/status`, as a plain CBOR map or
/// as a COSE_Sign1 (tag 18) whose payload is that map.
public struct StatusReport: Equatable, Sendable {
    /// What the vehicle says about one campaign.
    public enum State: String, CaseIterable, Equatable, Sendable {
        case received, accepted, deferred, declined, downloading, downloaded, installing, installed, failed
        case rolledBack = "rolled-back"
    }

    /// Why the vehicle failed (only with `failed`; `rolled-back` may carry one too).
    public enum Reason: String, CaseIterable, Equatable, Sendable {
        case precondition, user, connectivity, power, download, install, verification, other
    }

    /// One ECU's versions as the vehicle reads them (after the reboot, for `installed`).
    public struct ECU: Equatable, Sendable {
        public var node: String
        public var slot: Int64
        public var hw: String
        public var sw: String
        public var calibration: String?
        public var serial: String?
        public init(node: String, slot: Int64, hw: String, sw: String, calibration: String? = nil, serial: String? = nil) {
            self.node = node
            self.slot = slot
            self.hw = hw
            self.sw = sw
            self.calibration = calibration
            self.serial = serial
        }
    }

    public var vin: String
    public var campaign: Int64
    /// Grows per vehicle and campaign: orders reports that arrive out of order.
    public var seq: Int64
    /// The vehicle's clock (informational; the store stamps `now`).
    public var time: Int64?
    public var state: State
    public var reason: Reason?
    public var code: Int64?
    /// Percent 0-100 (download or install progress).
    public var progress: Int64?
    /// The owner's words, when the offer asked for them (at most 1 KiB of UTF-8).
    public var feedback: String?
    /// Versions read back; nil when the report has no `ecus` key.
    public var ecus: [ECU]?

    public init(vin: String, campaign: Int64, seq: Int64, state: State) {
        self.vin = vin
        self.campaign = campaign
        self.seq = seq
        self.state = state
    }
}
