/// The messages the backend sends to a vehicle (design/campaigns.md §5,
/// docs/schemas/message.cddl `vehicle-message`): the CBOR payload that is signed as a
/// COSE_Sign1. Deterministic encoding (CBORMapBuilder), so the same step gives the same bytes.
public struct VehicleMessage: Equatable {
    public enum Kind: String, CaseIterable, Sendable {
        case offer       // the first notification of an attempt
        case reminder    // after a deferral
        case cancel      // the campaign was aborted
    }

    /// One file of an update, as the package manifest lists it.
    public struct File: Equatable, Sendable {
        public var name: String
        public var size: Int64
        public var sha256: [UInt8]
        public var uri: String
        public init(name: String, size: Int64, sha256: [UInt8], uri: String) {
            self.name = name
            self.size = size
            self.sha256 = sha256
            self.uri = uri
        }
    }

    /// What one ECU installs, in the campaign's install order.
    public struct Update: Equatable, Sendable {
        public var node: String
        public var slot: Int64
        public var hw: String
        public var from: String
        public var to: String
        public var releaseCounter: Int64
        public var files: [File]
        /// The package's own approval: its tagged COSE_Sign1 over the manifest.
        public var approval: [UInt8]
        public init(node: String, slot: Int64, hw: String, from: String, to: String, releaseCounter: Int64,
                    files: [File], approval: [UInt8]) {
            self.node = node
            self.slot = slot
            self.hw = hw
            self.from = from
            self.to = to
            self.releaseCounter = releaseCounter
            self.files = files
            self.approval = approval
        }
    }

    public var kind: Kind
    public var campaign: Int64
    public var vin: String
    public var seq: Int64
    public var issued: Int64
    public var expires: Int64
    public var category: String
    public var urgency: String
    public var priority: Int
    public var mandatory: Bool
    public var deferralsLeft: Int
    public var feedback: Bool
    public var updates: [Update]
    /// Why a cancel was sent (the abort's reason); nil for offers and reminders.
    public var reason: String?

    public init(kind: Kind, campaign: Int64, vin: String, seq: Int64, issued: Int64, expires: Int64,
                category: String, urgency: String, priority: Int, mandatory: Bool, deferralsLeft: Int,
                feedback: Bool, updates: [Update], reason: String? = nil) {
        self.kind = kind
        self.campaign = campaign
        self.vin = vin
        self.seq = seq
        self.issued = issued
        self.expires = expires
        self.category = category
        self.urgency = urgency
        self.priority = priority
        self.mandatory = mandatory
        self.deferralsLeft = deferralsLeft
        self.feedback = feedback
        self.updates = updates
        self.reason = reason
    }

    public var encoded: [UInt8] {
        var m = CBORMapBuilder()
        m.text("type", kind.rawValue)
        m.int("campaign", campaign)
        m.text("vin", vin)
        m.int("seq", seq)
        m.int("issued", issued)
        m.int("expires", expires)
        m.text("category", category)
        m.text("urgency", urgency)
        m.int("priority", priority)
        m.bool("mandatory", mandatory)
        m.int("deferrals-left", deferralsLeft)
        m.bool("feedback", feedback)
        if let reason { m.text("reason", reason) }
        m.array("updates") { a in
            for u in updates {
                a.map { e in
                    e.text("node", u.node)
                    e.int("slot", u.slot)
                    e.text("hw", u.hw)
                    e.text("from", u.from)
                    e.text("to", u.to)
                    e.int("release-counter", u.releaseCounter)
                    e.array("files") { files in
                        for f in u.files {
                            files.map { fm in
                                fm.text("name", f.name)
                                fm.int("size", f.size)
                                fm.bytes("sha256", f.sha256)
                                fm.text("uri", f.uri)
                            }
                        }
                    }
                    e.bytes("approval", u.approval)
                }
            }
        }
        return m.encoded
    }
}

/// Something that happened to a campaign (design/campaigns.md §4): an entry of a step's
/// `events` and, wrapped in a `campaign-event` message, what goes to the campaign's events
/// topic. Percentages are reported in percent (integers when whole, else with two decimals).
public struct CampaignEvent: Equatable, Sendable {
    public struct ReasonCount: Equatable, Sendable {
        public var reason: String
        public var count: Int64
        public init(reason: String, count: Int64) {
            self.reason = reason
            self.count = count
        }
    }

    public var type: String
    public var at: Int64
    public var campaign: Int64
    /// 1, 2, 3, ... per campaign, one per event: what tools de-duplicate by (several events
    /// of one step share their type and `at`). Given when the event is sent.
    public var seq: Int64 = 0
    public var wave: Int?
    /// Targets of the wave (wave-opened, gate-reached).
    public var targets: Int64?
    /// Basis points: the wave's failure share (paused-threshold) or success share (gate).
    public var share: Int?
    public var threshold: Int?
    public var final: Int64?
    public var failed: Int64?
    public var succeeded: Int64?
    public var reasons: [ReasonCount] = []
    /// The operator's reason (abort) or the step's (a pause).
    public var reason: String?
    /// Targets expired at the end, cancelled by an abort.
    public var expired: Int64?
    public var cancelled: Int64?

    public init(_ type: String, at: Int64, campaign: Int64) {
        self.type = type
        self.at = at
        self.campaign = campaign
    }

    public func write(to m: inout CBORMapBuilder) {
        m.text("type", type)
        m.int("at", at)
        m.int("campaign", campaign)
        m.int("seq", seq)
        if let wave { m.int("wave", wave) }
        if let targets { m.int("targets", targets) }
        if let share { m.add("share") { $0.percent(share) } }
        if let threshold { m.add("threshold") { $0.percent(threshold) } }
        if let final { m.int("final", final) }
        if let failed { m.int("failed", failed) }
        if let succeeded { m.int("succeeded", succeeded) }
        if !reasons.isEmpty {
            m.array("reasons") { a in
                for r in reasons {
                    a.map { e in
                        e.text("reason", r.reason)
                        e.int("count", r.count)
                    }
                }
            }
        }
        if let reason { m.text("reason", reason) }
        if let expired { m.int("expired", expired) }
        if let cancelled { m.int("cancelled", cancelled) }
    }

    /// The payload signed for the events topic: the event with the campaign's name, its
    /// state after the event and the spec's contacts for this kind of event.
    public func message(name: String, state: String, contacts: [String]) -> [UInt8] {
        var m = CBORMapBuilder()
        m.text("type", "event")
        m.int("campaign", campaign)
        m.text("name", name)
        m.int("issued", at)
        m.text("state", state)
        m.array("contacts") { a in for c in contacts { a.text(c) } }
        m.map("event") { write(to: &$0) }
        return m.encoded
    }

    /// Which `contacts` kinds hear of an event of `type`.
    public static func contactKinds(_ type: String) -> [String] {
        switch type {
        case "paused-threshold": return ["on-failure", "on-pause"]
        case "paused-gate", "paused": return ["on-pause"]
        case "aborted": return ["on-failure"]
        case "completed": return ["on-success"]
        default: return []
        }
    }

    /// The addresses for an event of `type`, in spec order, each once.
    public static func contacts(_ type: String, in spec: CampaignSpec) -> [String] {
        var out: [String] = []
        for kind in contactKinds(type) {
            for c in spec.contacts where c.kind == kind {
                for a in c.addresses where !out.contains(a) { out.append(a) }
            }
        }
        return out
    }
}

extension CBORWriter {
    /// Basis points as percent: an integer when whole, else the double with two decimals.
    mutating func percent(_ basisPoints: Int) {
        if basisPoints % 100 == 0 {
            int(Int64(basisPoints / 100))
        } else {
            value(.float(Double(basisPoints) / 100))
        }
    }
}
