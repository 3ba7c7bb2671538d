/// Receives the targets of a resolution one by one, in snapshot order, as bytes in place
/// (valid UTF-8, borrowed for the duration of the call). A generic parameter, not an
/// existential, so the resolver is specialized for each sink.
public protocol ResolutionSink {
    mutating func target(vin: UnsafeBufferPointer<UInt8>, hw: UnsafeBufferPointer<UInt8>,
                         from: UnsafeBufferPointer<UInt8>,
                         serial: UnsafeBufferPointer<UInt8>?) throws(OTAError)

    /// Vehicle `index` (its position in the snapshot) is decided: `excluded` is nil when it is
    /// targeted (its targets were passed just before), else the reason it was counted under.
    /// For sinks that need every vehicle's outcome (campaign freezing); by default nothing.
    mutating func vehicleDecided(index: Int, excluded: ExclusionReason?) throws(OTAError)
}

extension ResolutionSink {
    @inline(always)
    public mutating func vehicleDecided(index: Int, excluded: ExclusionReason?) throws(OTAError) {}
}

/// How many vehicles were read, targeted and excluded (by reason).
public struct ResolutionCounts: Equatable {
    /// Vehicles read.
    public var scanned = 0
    /// Vehicles with at least one target.
    public var targetedVehicles = 0
    /// Targets (matching ECUs).
    public var targets = 0
    /// Indexed by `ExclusionReason.rawValue`.
    public var excluded = [Int](repeating: 0, count: ExclusionReason.all.count)

    public init() {}

    public func excluded(_ reason: ExclusionReason) -> Int { excluded[reason.rawValue] }

    /// Adds another shard's counts.
    public mutating func add(_ other: ResolutionCounts) {
        scanned += other.scanned
        targetedVehicles += other.targetedVehicles
        targets += other.targets
        for i in excluded.indices { excluded[i] += other.excluded[i] }
    }
}

/// One target with its strings copied out, for Swift callers (campaign planning, tests).
public struct ResolvedTarget: Equatable {
    public var vin: String
    public var hw: String
    /// The installed software version that will be replaced.
    public var from: String
    public var serial: String?

    public init(vin: String, hw: String, from: String, serial: String? = nil) {
        self.vin = vin
        self.hw = hw
        self.from = from
        self.serial = serial
    }
}

/// A sink that keeps every target as a `ResolvedTarget`.
public struct TargetList: ResolutionSink {
    public private(set) var targets: [ResolvedTarget] = []

    public init() {}

    public mutating func target(vin: UnsafeBufferPointer<UInt8>, hw: UnsafeBufferPointer<UInt8>,
                                from: UnsafeBufferPointer<UInt8>,
                                serial: UnsafeBufferPointer<UInt8>?) throws(OTAError) {
        targets.append(ResolvedTarget(vin: String(decoding: vin, as: UTF8.self),
                                      hw: String(decoding: hw, as: UTF8.self),
                                      from: String(decoding: from, as: UTF8.self),
                                      serial: serial.map { String(decoding: $0, as: UTF8.self) }))
    }
}
