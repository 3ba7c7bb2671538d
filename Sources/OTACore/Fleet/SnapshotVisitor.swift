/// What a `SnapshotWalk` reports of each vehicle, in snapshot order. The walk enforces the
/// format (shape, types, string-table indices, VIN syntax, unique attribute keys), so a
/// visitor only ever sees valid fields. A generic parameter, never an existential: each
/// visitor gets its own specialized walk.
///
/// `Str`s are valid until the walk moves to the next vehicle; their bytes come from
/// `strings.bytes(_:)` (valid UTF-8).
protocol SnapshotVisitor {
    /// The string table is complete: once, before the first vehicle (with or without a table).
    mutating func tableRead(_ strings: SnapshotStrings) throws(OTAError)

    /// A vehicle's first six fields; its ECUs, identifiers and attributes follow.
    mutating func vehicle(vin: Str, model: Str, variant: Str, powertrain: Str, market: Str,
                          produced: UInt64, _ strings: SnapshotStrings) throws(OTAError)

    /// True when `ecu` and `attribute` would ignore the rest of the current vehicle (it is
    /// already decided): the walk then only checks its ECUs and attributes, without
    /// decoding them or calling `ecu` and `attribute` (it may still call them).
    var ignoresRest: Bool { get }

    /// False when `ecu` would ignore an ECU of this node: the walk then only checks the
    /// ECU's other fields, without decoding. (`ecu` may still be called for it.)
    mutating func wantsECU(node: Str, _ strings: SnapshotStrings) -> Bool

    mutating func ecu(node: Str, hw: Str, sw: Str, calibration: Str?, serial: Str?,
                      _ strings: SnapshotStrings) throws(OTAError)

    /// Engine and chassis numbers (nil if null or absent); always called, after the ECUs.
    mutating func identifiers(engineNo: Str?, chassisNo: Str?, _ strings: SnapshotStrings) throws(OTAError)

    /// One attribute, in snapshot order; keys are unique within a vehicle.
    mutating func attribute(key: Str, value: AttributeItem, _ strings: SnapshotStrings) throws(OTAError)

    /// The vehicle is complete.
    mutating func vehicleEnd(_ strings: SnapshotStrings) throws(OTAError)
}

/// An attribute value as it is encoded: text, any CBOR integer, or a bool.
enum AttributeItem {
    case text(Str)
    /// The value is `magnitude` or, if negative, `-1 - magnitude`.
    case integer(negative: Bool, magnitude: UInt64)
    case bool(Bool)
}
