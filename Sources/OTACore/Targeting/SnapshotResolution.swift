/// One pass of a rule over one snapshot: walks the top-level map in place, reads the string
/// table, then checks each vehicle as it streams by (`VehicleCheck.swift`). Memory is the
/// string table's index plus one vehicle, whatever the size of the fleet.
struct SnapshotResolution {
    var scanner: CBORScanner
    var strings: SnapshotStrings
    let matcher: RuleMatcher
    /// `matcher.classify` of each string-table entry, filled on first use.
    var tableClasses: [StringClass] = []
    var counts = ResolutionCounts()

    // Per-vehicle scratch, kept across vehicles for its capacity.
    var candidates: [Candidate] = []
    var attributeKeys: [Str] = []

    init(snapshot: UnsafeRawBufferPointer, rule: TargetRule) throws(OTAError) {
        scanner = try CBORScanner(snapshot)
        strings = SnapshotStrings(snapshot: scanner.base)
        matcher = RuleMatcher(rule)
    }

    /// The top-level map: keys in ascending order (so the table comes before the vehicles),
    /// unknown keys skipped, nothing after the map.
    mutating func run<S: ResolutionSink>(_ sink: inout S) throws(OTAError) {
        var keys = try scanner.container(5, "snapshot")
        var previous: UInt64? = nil
        var seen: UInt64 = 0  // bits for keys 0...3
        while try scanner.next(&keys) {
            let k = try scanner.head()
            guard k.major == 0 else {
                throw scanner.typeError(k, expected: "an unsigned integer key", "snapshot: top-level map")
            }
            let key = k.argument
            if let previous, key <= previous {
                throw .badInput("snapshot: key \(key) at byte \(k.offset) follows key \(previous); the top-level keys must be in ascending order, each once (the string table must come before the vehicles)")
            }
            previous = key
            switch key {
            case 0:
                let h = try scanner.head()
                guard h.major == 0 else { throw scanner.typeError(h, expected: "an unsigned integer", "snapshot: format version (key 0)") }
                guard h.argument == 1 else {
                    throw .badInput("snapshot: format version \(h.argument) at byte \(h.offset) is not supported; this libota reads version 1")
                }
            case 1:
                let h = try scanner.head()
                guard h.major == 0 else { throw scanner.typeError(h, expected: "an unsigned integer (Unix seconds)", "snapshot: time (key 1)") }
            case 2:
                try strings.readTable(&scanner)
                tableClasses = [StringClass](repeating: StringClass(), count: strings.table.count)
            case 3:
                guard seen & 0b11 == 0b11 else { throw missing(seen, at: k.offset) }
                try vehicles(&sink)
            default:
                try scanner.skipItem()
            }
            if key < 4 { seen |= 1 << key }
        }
        guard seen & 0b1011 == 0b1011 else { throw missing(seen, at: scanner.offset) }
        guard scanner.atEnd else {
            throw .badInput("snapshot: trailing bytes after the top-level map at byte \(scanner.offset)")
        }
    }

    private mutating func vehicles<S: ResolutionSink>(_ sink: inout S) throws(OTAError) {
        var items = try scanner.container(4, "snapshot: vehicles (key 3)")
        while try scanner.next(&items) {
            let start = scanner.offset
            do throws(OTAError) {
                try vehicle(&sink)
            } catch {
                throw error.prefixed("snapshot: vehicles[\(counts.scanned)] (byte \(start))")
            }
        }
    }

    private func missing(_ seen: UInt64, at offset: Int) -> OTAError {
        let names = ["format version (key 0)", "time (key 1)", "", "vehicles (key 3)"]
        for key in [0, 1, 3] where seen & (1 << UInt64(key)) == 0 {
            return .badInput("snapshot: the top-level map has no \(names[key]) (checked at byte \(offset))")
        }
        return .badInput("snapshot: incomplete top-level map")
    }

    // MARK: matching strings

    /// Whether string `s` passes filter `field` (which the rule has).
    @inline(always)
    mutating func has(_ field: UInt32, _ s: Str) -> Bool {
        if s.tableIndex >= 0 { return tableClass(s.tableIndex).flags & field != 0 }
        return matcher.test(field, strings.bytes(s))
    }

    @inline(always)
    mutating func tableClass(_ i: Int) -> StringClass {
        let c = tableClasses[i]
        if c.flags != 0 { return c }
        let computed = matcher.classify(strings.bytes(Str(tableIndex: i)))
        tableClasses[i] = computed
        return computed
    }
}

/// An ECU of the rule's node that passed hw, up-to-date and from: a target if the vehicle
/// passes "requires" as well.
struct Candidate {
    var hw: Str
    var sw: Str
    var serial: Str?
}
