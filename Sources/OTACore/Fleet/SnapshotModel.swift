/// Vehicles as a fleet snapshot describes them (docs/schemas/fleet-snapshot.cddl), with every
/// string-table index already resolved. The resolver never builds these (it matches on table
/// indices in place); the inventory import and export do.

/// The top-level fields of a snapshot other than the vehicles.
public struct SnapshotHeader: Equatable {
    public var formatVersion: UInt64
    /// When the snapshot was taken (Unix seconds).
    public var taken: Int64
    public var table: [String]

    public init(formatVersion: UInt64 = 1, taken: Int64, table: [String] = []) {
        self.formatVersion = formatVersion
        self.taken = taken
        self.table = table
    }
}

/// A vehicle attribute's value: `tstr / int / bool` (an int within Int64).
public enum AttributeValue: Equatable {
    case text(String)
    case int(Int64)
    case bool(Bool)

    /// The one place an attribute value becomes CBOR: in snapshots, in the stored form and
    /// in vehicle documents.
    public func write(to w: inout CBORWriter) {
        switch self {
        case .text(let s): w.text(s)
        case .int(let n): w.int(n)
        case .bool(let b): w.bool(b)
        }
    }

    /// The attribute value a decoded item holds; nil for an item no attribute may be.
    public init?(_ item: CBOR) {
        if let s = item.text { self = .text(s); return }
        if case .bool(let b) = item { self = .bool(b); return }
        guard let n = item.int64 else { return nil }
        self = .int(n)
    }
}

public struct SnapshotAttribute: Equatable {
    public var key: String
    public var value: AttributeValue
    public init(_ key: String, _ value: AttributeValue) {
        self.key = key
        self.value = value
    }
}

public struct SnapshotECU: Equatable {
    public var node: String
    public var hw: String
    public var sw: String
    public var calibration: String?
    public var serial: String?

    public init(node: String, hw: String, sw: String, calibration: String? = nil, serial: String? = nil) {
        self.node = node
        self.hw = hw
        self.sw = sw
        self.calibration = calibration
        self.serial = serial
    }
}

public struct SnapshotVehicle: Equatable {
    /// Position in the snapshot's vehicle array (0-based), for error messages.
    public var index: Int
    public var vin: String
    public var model: String
    public var variant: String
    public var powertrain: String
    public var market: String
    public var produced: Int64
    public var ecus: [SnapshotECU]
    public var engineNo: String?
    public var chassisNo: String?
    /// In snapshot order (the order never depends on hashing).
    public var attributes: [SnapshotAttribute]

    public init(index: Int, vin: String, model: String, variant: String, powertrain: String,
                market: String, produced: Int64, ecus: [SnapshotECU], engineNo: String? = nil,
                chassisNo: String? = nil, attributes: [SnapshotAttribute] = []) {
        self.index = index
        self.vin = vin
        self.model = model
        self.variant = variant
        self.powertrain = powertrain
        self.market = market
        self.produced = produced
        self.ecus = ecus
        self.engineNo = engineNo
        self.chassisNo = chassisNo
        self.attributes = attributes
    }
}
