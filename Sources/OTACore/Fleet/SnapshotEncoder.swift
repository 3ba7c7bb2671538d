/// Writes a format-1 fleet snapshot with a string table (docs/schemas/fleet-snapshot.cddl).
/// Vehicles are added one at a time; the table must precede them in the output (keys in
/// ascending order, so readers can stream), so their encoding is kept apart and joined at
/// the end. Output is a function of the vehicles' order and content only: table entries are
/// numbered in order of first use, lengths are definite, heads are minimal, and every
/// array is cut after its last present optional field.
public struct SnapshotEncoder {
    private var body = CBORWriter(capacity: 1 << 16)
    private var table: [String] = []
    /// Keyed by bytes: an equivalent spelling (composed or not) is another entry, so the
    /// snapshot keeps every stored text as it is (ByteText).
    private var index: [ByteKey: UInt64] = [:]
    public private(set) var count = 0
    public let taken: Int64

    public init(taken: Int64) { self.taken = taken }

    /// Strings that repeat across a fleet go through the table; unique ones (VIN, engine,
    /// chassis and serial numbers) stay inline, where an index would only add bytes.
    private mutating func str(_ s: String) {
        body.unsigned(tableIndex(s))
    }

    /// The text's table index, the next one for a text not yet in the table.
    private mutating func tableIndex(_ s: String) -> UInt64 {
        let next = UInt64(table.count)
        let i = index[ByteKey(s), default: next]
        if i == next {
            table.append(s)
            index[ByteKey(s)] = i
        }
        return i
    }

    public mutating func add(_ v: SnapshotVehicle) {
        count += 1
        let fields = v.attributes.isEmpty ? (v.chassisNo == nil ? (v.engineNo == nil ? 7 : 8) : 9) : 10
        body.arrayHeader(fields)
        body.text(v.vin)
        str(v.model)
        str(v.variant)
        str(v.powertrain)
        str(v.market)
        body.int(v.produced)
        body.arrayHeader(v.ecus.count)
        for e in v.ecus {
            body.arrayHeader(e.serial != nil ? 5 : e.calibration != nil ? 4 : 3)
            str(e.node)
            str(e.hw)
            str(e.sw)
            if e.serial != nil || e.calibration != nil {
                if let c = e.calibration { str(c) } else { body.null() }
            }
            if let s = e.serial { body.text(s) }
        }
        if fields > 7 { body.optionalText(v.engineNo) }
        if fields > 8 { body.optionalText(v.chassisNo) }
        if fields > 9 { attributes(v.attributes) }
    }

    /// Keys through the table, sorted by their encoding (RFC 8949 §4.2.1: for the small
    /// unsigned integers of table indices that is their numeric order).
    private mutating func attributes(_ attributes: [SnapshotAttribute]) {
        var keyed: [(key: UInt64, value: AttributeValue)] = []
        keyed.reserveCapacity(attributes.count)
        for a in attributes { keyed.append((tableIndex(a.key), a.value)) }
        keyed.sort { $0.key < $1.key }
        body.mapHeader(keyed.count)
        for (key, value) in keyed {
            body.unsigned(key)
            value.write(to: &body)
        }
    }

    /// Everything before the vehicles: `{0: 1, 1: taken, 2: table, 3: [` (definite lengths).
    public func header() -> [UInt8] {
        var head = CBORWriter(capacity: 64 + 16 * table.count)
        head.mapHeader(4)
        head.unsigned(0)
        head.unsigned(1)
        head.unsigned(1)
        head.int(taken)
        head.unsigned(2)
        head.arrayHeader(table.count)
        for s in table { head.text(s) }
        head.unsigned(3)
        head.arrayHeader(count)
        return head.bytes
    }

    /// The vehicles' encoding, which follows `header()`, in its writer (kept apart so that a
    /// caller can join the two straight into its own buffer, with no copy before).
    public var vehicles: CBORWriter { body }

    /// The whole snapshot: `{0: 1, 1: taken, 2: table, 3: vehicles}`.
    public func finish() -> [UInt8] {
        joinedBytes([header(), body.bytes])
    }
}
