/// The strings of a snapshot as the resolver sees them: in place in the snapshot wherever
/// possible. Only indefinite-length (chunked) text is copied, into an arena, because its
/// chunks are not contiguous.
struct SnapshotStrings {
    /// The string table (key 2), in table order.
    private(set) var table: [Str] = []
    /// `table.count`, kept apart for the fast path's index checks.
    private(set) var tableCount = 0
    /// Chunked table strings; lives as long as the resolution.
    let tableArena = ByteArena()
    /// Chunked strings of the current vehicle; reset for every vehicle.
    let vehicleArena = ByteArena()
    let snapshot: UnsafePointer<UInt8>
    /// Whether key 2 was present (for the message of an index without a table).
    private(set) var hasTable = false
    /// No two table entries are equal, so that two indices name the same string only if
    /// they are equal (a table may repeat a string; writers do not).
    private(set) var tableIsUnique = true

    init(snapshot: UnsafePointer<UInt8>) { self.snapshot = snapshot }

    /// The bytes of a string (valid UTF-8, checked when read).
    @inline(always)
    func bytes(_ s: Str) -> UnsafeBufferPointer<UInt8> {
        let t = s.tableIndex >= 0 ? table[s.tableIndex] : s
        let base: UnsafePointer<UInt8>
        switch t.place {
        case .snapshot: base = snapshot
        case .tableArena: base = UnsafePointer(tableArena.base)
        case .vehicleArena: base = UnsafePointer(vehicleArena.base)
        }
        return UnsafeBufferPointer(start: base + t.range.start, count: t.range.count)
    }

    /// Reads the string table: an array of text strings.
    mutating func readTable(_ scanner: inout CBORScanner) throws(OTAError) {
        hasTable = true
        var items = try scanner.container(4, "string table (key 2)")
        while try scanner.next(&items) {
            let h = try scanner.head()
            guard h.major == 3 else {
                throw scanner.typeError(h, expected: "text", "string table (key 2) entry \(table.count)")
            }
            table.append(try text(h, &scanner, into: tableArena, .tableArena))
            tableCount = table.count
        }
        var order = Array(table.indices)
        let strings = self
        order.sort { compareBytes(strings.bytes(Str(tableIndex: $0)), strings.bytes(Str(tableIndex: $1))) < 0 }
        tableIsUnique = !order.indices.dropFirst().contains {
            compareBytes(bytes(Str(tableIndex: order[$0 - 1])), bytes(Str(tableIndex: order[$0]))) == 0
        }
    }

    /// Reads a `str` field: inline text, or an index into the string table.
    @inline(always)
    func str(_ scanner: inout CBORScanner, _ what: String) throws(OTAError) -> Str {
        let h = try scanner.head()
        if h.major == 3 { return try text(h, &scanner, into: vehicleArena, .vehicleArena) }
        guard h.major == 0 else {
            throw scanner.typeError(h, expected: "text or a string-table index", what)
        }
        guard h.argument < UInt64(table.count) else { throw badIndex(h, what) }
        return Str(tableIndex: Int(h.argument))
    }

    /// Reads a `str / null` field; nil for null.
    @inline(always)
    func optionalStr(_ scanner: inout CBORScanner, _ what: String) throws(OTAError) -> Str? {
        guard scanner.offset < scanner.count else { throw scanner.truncated(scanner.offset) }
        if scanner.base[scanner.offset] == 0xf6 {
            scanner.offset &+= 1
            return nil
        }
        return try str(&scanner, what)
    }

    /// Reads a `tstr` field (never a table index).
    @inline(always)
    func tstr(_ scanner: inout CBORScanner, _ what: String) throws(OTAError) -> Str {
        let h = try scanner.head()
        guard h.major == 3 else { throw scanner.typeError(h, expected: "text", what) }
        return try text(h, &scanner, into: vehicleArena, .vehicleArena)
    }

    /// The text whose head was read: in place if definite, else its chunks joined in `arena`.
    @inline(always)
    func text(_ h: CBORHead, _ scanner: inout CBORScanner, into arena: ByteArena,
              _ place: Str.Place) throws(OTAError) -> Str {
        if !h.indefinite { return Str(place: .snapshot, range: try scanner.definiteText(h)) }
        let start = arena.count
        let base = scanner.base
        try scanner.textChunks(h) { r in arena.append(base + r.start, r.count) }
        return Str(place: place, range: ByteRange(start: start, count: arena.count &- start))
    }

    private func badIndex(_ h: CBORHead, _ what: String) -> OTAError {
        if !hasTable {
            return .badInput("\(what): string-table index \(h.argument) at byte \(h.offset), but the snapshot has no string table (key 2)")
        }
        return .badInput("\(what): string-table index \(h.argument) at byte \(h.offset) is past the end of the string table (\(table.count) entries)")
    }
}

/// One snapshot string: a table entry, or bytes in the snapshot or an arena.
struct Str {
    enum Place: UInt8 { case snapshot, tableArena, vehicleArena }

    /// >= 0: the string is table entry `tableIndex` (and `place`, `range` are unused).
    var tableIndex: Int
    var place: Place
    var range: ByteRange

    init(tableIndex: Int) {
        self.tableIndex = tableIndex
        place = .snapshot
        range = ByteRange(start: 0, count: 0)
    }

    init(place: Place, range: ByteRange) {
        tableIndex = -1
        self.place = place
        self.range = range
    }
}
