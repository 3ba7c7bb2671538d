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

/// Builds each vehicle's `SnapshotVehicle` from the walk's fields.
struct VehicleDecoder: SnapshotVisitor {
    var current = SnapshotVehicle(index: 0, vin: "", model: "", variant: "", powertrain: "", market: "",
                                  produced: 0, ecus: [])

    mutating func tableRead(_ strings: SnapshotStrings) throws(OTAError) {}

    var ignoresRest: Bool { false }

    func wantsECU(node: Str, _ strings: SnapshotStrings) -> Bool { true }

    mutating func vehicle(vin: Str, model: Str, variant: Str, powertrain: Str, market: Str,
                          produced: UInt64, _ strings: SnapshotStrings) throws(OTAError) {
        guard produced <= UInt64(Int64.max) else {
            throw .badInput("produced: \(produced) is past the largest supported time")
        }
        current = SnapshotVehicle(index: current.index, vin: text(vin, strings), model: text(model, strings),
                                  variant: text(variant, strings), powertrain: text(powertrain, strings),
                                  market: text(market, strings), produced: Int64(produced), ecus: [])
    }

    mutating func ecu(node: Str, hw: Str, sw: Str, calibration: Str?, serial: Str?,
                      _ strings: SnapshotStrings) throws(OTAError) {
        current.ecus.append(SnapshotECU(node: text(node, strings), hw: text(hw, strings), sw: text(sw, strings),
                                        calibration: calibration.map { text($0, strings) },
                                        serial: serial.map { text($0, strings) }))
    }

    mutating func identifiers(engineNo: Str?, chassisNo: Str?, _ strings: SnapshotStrings) throws(OTAError) {
        current.engineNo = engineNo.map { text($0, strings) }
        current.chassisNo = chassisNo.map { text($0, strings) }
    }

    mutating func attribute(key: Str, value: AttributeItem, _ strings: SnapshotStrings) throws(OTAError) {
        let k = text(key, strings)
        let v: AttributeValue
        switch value {
        case .text(let s): v = .text(text(s, strings))
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

    private func text(_ s: Str, _ strings: SnapshotStrings) -> String {
        String(decoding: strings.bytes(s), as: UTF8.self)
    }
}
