/// One pass over a fleet snapshot (format version 1, docs/schemas/fleet-snapshot.cddl) in
/// place: `begin` reads the top-level keys up to the vehicles, `nextVehicle` reads one vehicle
/// into a visitor, `end` reads what follows. Memory is the string table's index plus one
/// vehicle, whatever the size of the fleet. This is the one reader of the format; the
/// resolver and the inventory import are its visitors.
struct SnapshotWalk {
    var scanner: CBORScanner
    var strings: SnapshotStrings
    private(set) var formatVersion: UInt64 = 0
    /// When the snapshot was taken (key 1).
    private(set) var taken: UInt64 = 0
    /// Vehicles read so far.
    private(set) var position = 0

    private var keys = CBORItems(remaining: 0, indefinite: false)
    private var previousKey: UInt64? = nil
    private var vehicles = CBORItems(remaining: 0, indefinite: false)
    /// Per-vehicle scratch of `VehicleReader`, kept for its capacity.
    var attributeKeys: [Str] = []
    /// For `quickSkipECU`, filled when the string table is known.
    let fieldTable = FieldTable()

    init(_ snapshot: UnsafeRawBufferPointer) throws(OTAError) {
        scanner = try CBORScanner(snapshot)
        strings = SnapshotStrings(snapshot: scanner.base)
    }

    /// Reads the top-level keys up to the vehicles (key 3). Keys come in ascending order (so
    /// the table is known before the first vehicle); version and time must come first.
    mutating func begin<V: SnapshotVisitor>(_ visitor: inout V) throws(OTAError) {
        keys = try scanner.container(5, "snapshot")
        var seen: UInt64 = 0  // bits for keys 0, 1, 2
        while try scanner.next(&keys) {
            let (key, at) = try self.key()
            switch key {
            case 0:
                let h = try scanner.head()
                guard h.major == 0 else { throw scanner.typeError(h, expected: "an unsigned integer", "snapshot: format version (key 0)") }
                guard h.argument == 1 else {
                    throw .badInput("snapshot: format version \(h.argument) at byte \(h.offset) is not supported; this libota reads version 1")
                }
                formatVersion = h.argument
            case 1:
                let h = try scanner.head()
                guard h.major == 0 else { throw scanner.typeError(h, expected: "an unsigned integer (Unix seconds)", "snapshot: time (key 1)") }
                taken = h.argument
            case 2:
                try strings.readTable(&scanner)
            case 3:
                guard seen & 0b11 == 0b11 else { throw missing(seen, at: at) }
                try visitor.tableRead(strings)
                fieldTable.fill(tableCount: strings.tableCount)
                vehicles = try scanner.container(4, "snapshot: vehicles (key 3)")
                return
            default:
                throw missing(seen, at: at)  // past key 3 without it
            }
            seen |= 1 << key
        }
        throw missing(seen, at: scanner.offset)
    }

    /// Reads the next vehicle into `visitor`; false after the last. Errors name the vehicle.
    mutating func nextVehicle<V: SnapshotVisitor>(_ visitor: inout V) throws(OTAError) -> Bool {
        guard try scanner.next(&vehicles) else { return false }
        let start = scanner.offset
        do throws(OTAError) {
            try vehicle(&visitor)
        } catch {
            throw error.prefixed("snapshot: vehicle \(position) (byte \(start))")
        }
        position += 1
        return true
    }

    /// Skips the keys after the vehicles (later versions' additions) and checks that the
    /// map is the whole document.
    mutating func end() throws(OTAError) {
        while try scanner.next(&keys) {
            _ = try key()
            try scanner.skipItem()
        }
        guard scanner.atEnd else {
            throw .badInput("snapshot: trailing bytes after the top-level map at byte \(scanner.offset)")
        }
    }

    /// The walk's header: version, time and the string table as text.
    var header: SnapshotHeader {
        SnapshotHeader(formatVersion: formatVersion, taken: Int64(truncatingIfNeeded: taken),
                       table: strings.table.map { String(decoding: strings.bytes($0), as: UTF8.self) })
    }

    /// A top-level key: an unsigned integer greater than the one before.
    private mutating func key() throws(OTAError) -> (UInt64, Int) {
        let k = try scanner.head()
        guard k.major == 0 else {
            throw scanner.typeError(k, expected: "an unsigned integer key", "snapshot: top-level map")
        }
        if let previousKey, k.argument <= previousKey {
            throw .badInput("snapshot: key \(k.argument) at byte \(k.offset) follows key \(previousKey); the top-level keys must be in ascending order, each once (the string table must come before the vehicles)")
        }
        previousKey = k.argument
        return (k.argument, k.offset)
    }

    private func missing(_ seen: UInt64, at offset: Int) -> OTAError {
        let names = ["format version (key 0)", "time (key 1)"]
        for key in 0..<2 where seen & (1 << UInt64(key)) == 0 {
            return .badInput("snapshot: the top-level map has no \(names[key]) before byte \(offset)")
        }
        return .badInput("snapshot: the top-level map has no vehicles (key 3) (checked at byte \(offset))")
    }
}
