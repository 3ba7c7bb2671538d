/// Fleet snapshots as values, for the inventory import: every vehicle decoded into a
/// `SnapshotVehicle` with its strings resolved, streamed one at a time. (The resolver does
/// not decode; it matches the same walk's fields in place.)
public enum Snapshot {
    /// Passes every vehicle of `snapshot`, in order, to `body`, and returns the header.
    /// Throws `.badInput` for anything that is not a valid snapshot of format version 1, with
    /// the vehicle's position and the byte offset, and for times or attribute integers
    /// outside Int64; `body`'s errors pass through. Vehicles before an error have been passed.
    public static func forEachVehicle(_ snapshot: UnsafeRawBufferPointer,
                                      _ body: (SnapshotVehicle) throws(OTAError) -> Void) throws(OTAError) -> SnapshotHeader {
        var walk = try SnapshotWalk(snapshot)
        var decoder = VehicleDecoder()
        try walk.begin(&decoder)
        guard walk.taken <= UInt64(Int64.max) else {
            throw .badInput("snapshot: time (key 1) \(walk.taken) is past the largest supported time")
        }
        while true {
            decoder.current.index = walk.position
            guard try walk.nextVehicle(&decoder) else { break }
            try body(decoder.current)
        }
        try walk.end()
        return walk.header
    }

    public static func forEachVehicle(_ snapshot: [UInt8],
                                      _ body: (SnapshotVehicle) throws(OTAError) -> Void) throws(OTAError) -> SnapshotHeader {
        try withBuffer(snapshot) { (raw) throws(OTAError) in try forEachVehicle(raw, body) }
    }
}

/// What one vehicle of a snapshot may hold to be imported: far more than any vehicle has, and
/// little enough that decoding it (a string-table entry is copied each time a field names it)
/// and the per-vehicle work of the import and of freezing stay small. The resolver reads in
/// place and is not bound by them.
public enum SnapshotLimits {
    public static let ecusPerVehicle = 1024
    public static let attributesPerVehicle = 1024
    /// The bytes of all of a vehicle's text fields, decoded.
    public static let textBytesPerVehicle = 1 << 20
}

/// Builds each vehicle's `SnapshotVehicle` from the walk's fields.
struct VehicleDecoder: SnapshotVisitor {
    var current = SnapshotVehicle(index: 0, vin: "", model: "", variant: "", powertrain: "", market: "",
                                  produced: 0, ecus: [])
    /// Decoded text bytes of the current vehicle.
    private var textBytes = 0

    mutating func tableRead(_ strings: SnapshotStrings) throws(OTAError) {}

    var ignoresRest: Bool { false }

    func wantsECU(node: Str, _ strings: SnapshotStrings) -> Bool { true }

    mutating func vehicle(vin: Str, model: Str, variant: Str, powertrain: Str, market: Str,
                          produced: UInt64, _ strings: SnapshotStrings) throws(OTAError) {
        guard produced <= UInt64(Int64.max) else {
            throw .badInput("produced: \(produced) is past the largest supported time")
        }
        textBytes = 0
        current = SnapshotVehicle(index: current.index, vin: "", model: "", variant: "", powertrain: "",
                                  market: "", produced: Int64(produced), ecus: [])
        current.vin = try text(vin, strings)
        current.model = try text(model, strings)
        current.variant = try text(variant, strings)
        current.powertrain = try text(powertrain, strings)
        current.market = try text(market, strings)
    }

    mutating func ecu(node: Str, hw: Str, sw: Str, calibration: Str?, serial: Str?,
                      _ strings: SnapshotStrings) throws(OTAError) {
        guard current.ecus.count < SnapshotLimits.ecusPerVehicle else {
            throw .badInput("ecus: more than \(SnapshotLimits.ecusPerVehicle) in one vehicle")
        }
        current.ecus.append(SnapshotECU(node: try text(node, strings), hw: try text(hw, strings),
                                        sw: try text(sw, strings), calibration: try optionalText(calibration, strings),
                                        serial: try optionalText(serial, strings)))
    }

    mutating func identifiers(engineNo: Str?, chassisNo: Str?, _ strings: SnapshotStrings) throws(OTAError) {
        current.engineNo = try optionalText(engineNo, strings)
        current.chassisNo = try optionalText(chassisNo, strings)
    }

    mutating func attribute(key: Str, value: AttributeItem, _ strings: SnapshotStrings) throws(OTAError) {
        guard current.attributes.count < SnapshotLimits.attributesPerVehicle else {
            throw .badInput("attributes: more than \(SnapshotLimits.attributesPerVehicle) in one vehicle")
        }
        let k = try text(key, strings)
        let v: AttributeValue
        switch value {
        case .text(let s): v = .text(try text(s, strings))
        case .bool(let b): v = .bool(b)
        case .integer(let negative, let magnitude):
            guard magnitude <= UInt64(Int64.max) else {
                throw .badInput("attributes: the value of \"\(k)\" is outside the 64-bit signed range")
            }
            v = .int(negative ? -1 - Int64(magnitude) : Int64(magnitude))
        }
        current.attributes.append(SnapshotAttribute(k, v))
    }

    mutating func vehicleEnd(_ strings: SnapshotStrings) throws(OTAError) {}

    private mutating func text(_ s: Str, _ strings: SnapshotStrings) throws(OTAError) -> String {
        let bytes = strings.bytes(s)
        textBytes += bytes.count
        guard textBytes <= SnapshotLimits.textBytesPerVehicle else {
            throw .badInput("the vehicle's text fields take more than \(SnapshotLimits.textBytesPerVehicle) bytes")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func optionalText(_ s: Str?, _ strings: SnapshotStrings) throws(OTAError) -> String? {
        guard let s else { return nil }
        return try text(s, strings)
    }
}
