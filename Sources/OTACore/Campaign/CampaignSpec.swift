/// A campaign spec as parsed (design/campaigns.md §1; docs/schemas/campaign.cddl). The stored
/// form is the canonical CBOR of the spec; this is what the code works with. Percentages are
/// basis points (1 % = 100), so no float rounding decides a gate.
public struct CampaignSpec: Equatable {
    public enum Category: String, CaseIterable, Sendable { case security, bugfix, feature, recall, calibration }
    public enum Urgency: String, CaseIterable, Sendable { case immediate, scheduled }

    public struct Wave: Equatable, Sendable {
        public enum Size: Equatable, Sendable {
            case share(basisPoints: Int)   // of all targets
            case count(Int)
        }
        public enum Advance: String, CaseIterable, Sendable { case auto, manual }
        public var size: Size?             // nil only for a last wave that takes the rest
        public var successGate: Int        // basis points of the wave's targets
        public var failureThreshold: Int   // basis points of the wave's final targets
        public var minFinal: Int = 20
        public var soak: Int64 = 0         // seconds
        public var advance: Advance = .auto
        public init(size: Size?, successGate: Int, failureThreshold: Int) {
            self.size = size
            self.successGate = successGate
            self.failureThreshold = failureThreshold
        }
    }

    public struct Rate: Equatable, Sendable {
        public var perMinute: Int
        public var rampFactorHundredths: Int?   // 110...500 (1.1-5.0)
        public var rampEvery: Int?              // successes
        public init(perMinute: Int) { self.perMinute = perMinute }
    }

    public struct Window: Equatable, Sendable {
        public var regions: [String]?   // names from `regions`; nil: every target
        public var days: [Int]          // 0 = Monday ... 6 = Sunday, local time
        public var startMinute: Int     // 0...1439 local
        public var minutes: Int         // 1...1440
        public var utcOffsetMinutes: Int = 0
        public init(days: [Int], startMinute: Int, minutes: Int) {
            self.days = days
            self.startMinute = startMinute
            self.minutes = minutes
        }
    }

    public struct Notify: Equatable, Sendable {
        public var reminder: Int64 = 86_400      // seconds between reminders
        public var maxDeferrals: Int = 3
        public var feedbackOnDecline = false
        public var mandatoryAfterDeferrals = false
        public init() {}
    }

    public struct Timeouts: Equatable, Sendable {
        public var answer: Int64       // notification -> first report
        public var install: Int64      // acceptance -> final report
        public init(answer: Int64, install: Int64) {
            self.answer = answer
            self.install = install
        }
    }

    public struct Retry: Equatable, Sendable {
        public var max: Int = 0
        public var backoff: Int64 = 3600
        public var factorHundredths: Int = 100   // 1.0 ... 10.0
        public var reasons: [FailureReason] = []
        public init() {}
    }

    /// A named set of markets ("EU": ["DE", "FR", ...]).
    public struct Region: Equatable, Sendable {
        public var name: String
        public var markets: [String]
        public init(name: String, markets: [String]) {
            self.name = name
            self.markets = markets
        }
    }

    /// Addresses the host notifies for one kind of event ("on-failure", "on-success", "on-pause").
    public struct Contacts: Equatable, Sendable {
        public var kind: String
        public var addresses: [String]
        public init(kind: String, addresses: [String]) {
            self.kind = kind
            self.addresses = addresses
        }
    }

    public var name: String
    public var category: Category
    public var priority: Int = 500
    public var packages: [Int64]                 // install order
    public var rule: CBOR?                       // narrowing target-rule keys, as given
    public var regions: [Region] = []           // in spec order
    public var test = false
    public var afterTest: Int64?
    public var urgency: Urgency
    public var start: Int64?
    public var end: Int64
    public var waves: [Wave]
    public var rate: Rate?
    public var windows: [Window] = []
    public var notify = Notify()
    public var timeouts: Timeouts
    public var retry = Retry()
    public var seed: UInt64?
    public var contacts: [Contacts] = []        // on-failure, on-success, on-pause

    public init(name: String, category: Category, packages: [Int64], urgency: Urgency, end: Int64,
                waves: [Wave], timeouts: Timeouts) {
        self.name = name
        self.category = category
        self.packages = packages
        self.urgency = urgency
        self.end = end
        self.waves = waves
        self.timeouts = timeouts
    }
}
