import CByteClass

/// The check-only path over the ECUs of a vehicle the resolver has already decided (excluded,
/// or not of the rule's node): each ECU's fields are checked as the general reader would
/// (known heads, table indices in range, ASCII text, nulls where allowed) without being
/// decoded. Half of a selective rule's time is spent here, so it is tuned for latency: see
/// `quickCheckFields`. Anything it does not recognise is left to the general reader.
extension SnapshotWalk {
    /// `quickSkipECU` for the ECUs of a definite array, as far as it can: how many it
    /// skipped (taken off `items`). A function of its own, so that the loop keeps its
    /// values in registers.
    @inline(never)
    mutating func quickSkipECUs(_ items: inout CBORItems) -> Int {
        var skipped = 0
        // `quickSkipECU` with what it reads in locals: not stored and reloaded for each ECU
        var offset = scanner.offset
        var remaining = items.remaining
        let count = scanner.count
        let table = fieldTable.values
        while remaining > 0 && count &- offset >= 128 {
            let h = scanner.base[offset]
            guard h &- 0x83 < 3 else { break }
            let end = quickCheckFields(table, offset, 1, from: 0, to: Int(h &- 0x80))
            guard end >= 0 else { break }
            offset &+= end
            remaining &-= 1
            skipped &+= 1
        }
        scanner.offset = offset
        items.remaining = remaining
        while items.remaining > 0 && quickSkipECU() {  // near the end, or the general reader's turn
            items.remaining &-= 1
            skipped &+= 1
        }
        return skipped
    }

    /// Checks an ECU of the common shape (`quickArray` of 3 to 5 fields, each as `quickStr`
    /// reads it, the last two may be null) and moves past it; false, having read nothing, for
    /// any other shape. For vehicles whose ECUs the visitor ignores.
    @inline(always)
    mutating func quickSkipECU() -> Bool {
        let start = scanner.offset
        // one ECU reads at most 1 + 4 * 17 + 17 bytes: nearer the end, the careful loop
        guard scanner.count &- start >= 128 else { return quickSkipECUNearEnd() }
        let h = scanner.base[start]
        guard h &- 0x83 < 3 else { return false }
        let end = quickCheckFields(fieldTable.values, start, 1, from: 0, to: Int(h &- 0x80))
        guard end >= 0 else { return false }
        scanner.offset = start &+ end
        return true
    }

    /// Checks fields `from..<fields` (`from` 0 or 1, `fields` 3...5) of the ECU whose head is
    /// at `start` (at least 128 bytes before the end), the first of them `at` bytes after the
    /// head; where they end (relative to `start`), or -1 if one is not of a shape it knows.
    ///
    /// Tuned for latency, since an ECU cannot start before the one before has ended: up to
    /// four fields are checked at once when they are table indices or null, as they mostly
    /// are (`ota_classify16` says which bytes are which, `FieldTable.steps` where each field
    /// starts), then a fifth (a serial number). Anything else (an inline string) goes to
    /// `quickSkipFields`, from that field on.
    @inline(always)
    func quickCheckFields(_ table: FieldTable.Values, _ start: Int, _ at: Int, from: Int, to fields: Int) -> Int {
        // Inline strings (a snapshot without a table): a field at a time from the start, not
        // after a classification that would find nothing to do at once.
        if scanner.base[start &+ at] &- 0x60 < 0x18 { return quickSkipFields(table, start, at, from: from, to: fields) }
        let c = ota_classify16(scanner.base + (start &+ at), table.oneByteIndexes, table.tooBigFrom, table.tooBigMask)
        let twoByte = UInt8(truncatingIfNeeded: c.two_byte), null = UInt8(truncatingIfNeeded: c.null)
        let steps = table.steps[Int(twoByte)]
        let count = min(fields &- from, 4)
        let starts = FieldTable.starts(steps, fields: count)
        let neverNull = FieldTable.starts(steps, fields: 3 &- from)  // node, hw, sw
        let bad = starts & ~(UInt8(truncatingIfNeeded: c.index) | twoByte | null)
            | neverNull & null
            | starts & twoByte & UInt8(truncatingIfNeeded: c.too_big >> 1)  // the index byte after 0x18
        guard bad == 0 else {
            // the fields before the first it cannot check are fine; from there, one at a time
            let firstBad = bad & (0 &- bad)
            return quickSkipFields(table, start, at &+ bad.trailingZeroBitCount,
                                   from: from &+ (starts & (firstBad &- 1)).nonzeroBitCount, to: fields)
        }
        let end = at &+ FieldTable.end(steps, fields: count)
        if from &+ count == fields { return end }
        // The fifth field (a serial number: text, null, or an index). Its head comes out of a
        // word read with the classes (4 to 8 bytes after `at`), and its length from the head
        // by arithmetic, so that the next ECU waits for no load that waits for `end`.
        let p = scanner.base + start
        let word = UInt64(littleEndian: UnsafeRawPointer(p + (at &+ 4)).loadUnaligned(as: UInt64.self))
        let b = UInt8(truncatingIfNeeded: word &>> UInt64(truncatingIfNeeded: (end &- at &- 4) &* 8))
        let length = b &- 0x60 < 24 ? Int(b &- 0x5f) : b == 0x18 ? 2 : 1
        let e = table.nullable[Int(b)]
        let q = UnsafeRawPointer(p + (end &+ 1))
        let fifthBad = q.loadUnaligned(as: UInt64.self) & e.high0 | q.loadUnaligned(fromByteOffset: 8, as: UInt64.self) & e.high1
            | UInt64(e.unknown) | flag(b == 0x18 && Int(q.load(as: UInt8.self)) >= table.tableCount)
        guard fifthBad == 0 else { return -1 }
        return end &+ length
    }

    /// `quickCheckFields` a field at a time, for inline strings and from where the check of
    /// four at once stopped: fields `from..<to` of the ECU whose head is at `start` (at least
    /// 128 bytes before the end), the first of them `at` bytes after the head; where they end
    /// (relative to `start`), or -1 if one is not of a shape it knows. A field costs no
    /// data-dependent branch but for table indices: its length comes from `fieldTable`, and
    /// the checks (known head, index in the table, text ASCII, null allowed) are or-ed into
    /// one flag tested once.
    @inline(always)
    func quickSkipFields(_ table: FieldTable.Values, _ start: Int, _ at: Int, from: Int, to fields: Int) -> Int {
        let p = scanner.base + start
        let tableCount = table.tableCount
        var at = at
        var bad: UInt64 = 0
        var entries = from < 3 ? table.strict : table.nullable  // node, hw, sw: never null
        var i = from
        while i < fields {
            if i == 3 { entries = table.nullable }
            let q = p + at
            let b = q[0]
            // Table indices, the most common fields, by branches: a predicted branch lets the
            // next field's load start before this one's length is known.
            if b < 0x18 {
                bad |= flag(Int(b) >= tableCount)
                at &+= 1
            } else if b == 0x18 {
                bad |= flag(Int(q[1]) >= tableCount)
                at &+= 2
            } else {
                let e = entries[Int(b)]
                let raw = UnsafeRawPointer(q + 1)
                bad |= raw.loadUnaligned(as: UInt64.self) & e.high0 | raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) & e.high1
                bad |= UInt64(e.unknown)
                at &+= Int(e.length)
            }
            i &+= 1
        }
        return bad == 0 ? at : -1
    }

    /// `quickSkipECU` within 128 bytes of the end: a field at a time, checking each read.
    mutating func quickSkipECUNearEnd() -> Bool {
        var at = scanner.offset
        let n = quickArray(at, least: 3)
        guard n >= 0 && n <= 5 else { return false }
        at &+= 1
        let end = scanner.count
        let p = scanner.base
        let tableCount = strings.tableCount
        var i = 0
        while i < n {
            guard end &- at >= 2 else { return false }
            let b = p[at]
            if b < 0x18 {
                guard Int(b) < tableCount else { return false }
                at &+= 1
            } else if b == 0x18 {
                guard Int(p[at &+ 1]) < tableCount else { return false }
                at &+= 2
            } else if b == 0xf6 {
                guard i >= 3 else { return false }
                at &+= 1
            } else {
                let len = Int(b &- 0x60)
                guard len < 24, len < end &- at,
                      UTF8Check.isValid(p + (at &+ 1), len, readable: end &- at &- 1) else { return false }
                at &+= 1 &+ len
            }
            i &+= 1
        }
        scanner.offset = at
        return true
    }
}

/// 1 for true, 0 for false, without a branch.
@inline(always)
private func flag(_ b: Bool) -> UInt64 { UInt64(unsafeBitCast(b, to: UInt8.self)) }

/// What the check-only path knows of a field from its head byte `b`.
struct FieldEntry {
    /// The 0x80 bits of the text's bytes in the first and second word after the head (text
    /// up to 16 bytes), so that non-ASCII text shows; zero for other heads.
    var high0: UInt64 = 0
    var high1: UInt64 = 0
    /// Bytes the field takes.
    var length: UInt32 = 0
    /// 1 for a head it does not read (the general reader takes over).
    var unknown: UInt8 = 1
}

/// What the check-only ECU path needs to know of the string table, built once its size is
/// known: `FieldEntry` for each head byte, for `str` fields (`strict`) and `str / null` ones
/// (`nullable`): a table index below 24 (if in the table), a two-byte index, text up to 16
/// bytes, and for `nullable` null; and `steps`, for `quickCheckFields`.
final class FieldTable {
    let strict: UnsafeMutablePointer<FieldEntry>
    let nullable: UnsafeMutablePointer<FieldEntry>
    /// For each mask of the bytes equal to 0x18 among eight, where fields start and end if
    /// every one is a one-byte item except those whose head is 0x18 (two bytes): for k in
    /// 1...4, byte k - 1 is where the first k fields end, byte k + 3 a bit for where each of
    /// them starts.
    let steps: UnsafeMutablePointer<UInt64>
    private(set) var values: Values

    /// What the loops read, copied out of the table so that they keep it in registers.
    struct Values {
        let strict, nullable: UnsafeMutablePointer<FieldEntry>
        let steps: UnsafeMutablePointer<UInt64>
        var tableCount = 0
        /// One-byte heads below this are table indices: min(24, tableCount).
        var oneByteIndexes: UInt8 = 0
        /// Bytes from this on are not table indices (if `tooBigMask` is all ones: a table of
        /// fewer than 256 strings).
        var tooBigFrom: UInt8 = 0
        var tooBigMask: UInt16 = 0xffff
    }

    init() {
        strict = .allocate(capacity: 512)
        strict.initialize(repeating: FieldEntry(), count: 512)
        nullable = strict + 256
        steps = .allocate(capacity: 256)
        for twoByte in 0..<256 {
            var at = 0, starts = 0
            var entry: UInt64 = 0
            for k in 1...4 {
                starts |= 1 << at
                at += twoByte >> at & 1 == 1 ? 2 : 1
                entry |= UInt64(at) << UInt64(8 * (k - 1)) | UInt64(starts) << UInt64(8 * (k + 3))
            }
            steps[twoByte] = entry
        }
        values = Values(strict: strict, nullable: nullable, steps: steps)
    }

    deinit {
        strict.deallocate()
        steps.deallocate()
    }

    /// From an entry of `steps`: where the first `fields` (1...4) end.
    @inline(always)
    static func end(_ steps: UInt64, fields: Int) -> Int {
        Int(truncatingIfNeeded: steps &>> (fields &* 8 &- 8)) & 0xff
    }

    /// From an entry of `steps`: a bit for where each of the first `fields` (1...4) starts.
    @inline(always)
    static func starts(_ steps: UInt64, fields: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: steps &>> (fields &* 8 &+ 24))
    }

    func fill(tableCount: Int) {
        values.tableCount = tableCount
        values.oneByteIndexes = UInt8(min(24, tableCount))
        values.tooBigFrom = UInt8(min(255, tableCount))
        values.tooBigMask = tableCount < 256 ? 0xffff : 0
        for b in 0..<256 {
            var e = FieldEntry()
            switch b {
            case 0..<0x18:
                if b < tableCount { e.length = 1; e.unknown = 0 }
            case 0x18:
                e.length = 2; e.unknown = 0
            case 0x60...0x70:
                let n = b - 0x60
                e.length = UInt32(1 + n); e.unknown = 0
                e.high0 = highBits(n < 8 ? n : 8)
                e.high1 = highBits(n > 8 ? n - 8 : 0)
            default:
                break
            }
            strict[b] = e
            if b == 0xf6 { e.length = 1; e.unknown = 0 }
            nullable[b] = e
        }
    }
}

/// The 0x80 bit of each of the low `n` bytes (n <= 8) of a little-endian word.
private func highBits(_ n: Int) -> UInt64 {
    var m: UInt64 = 0
    for i in 0..<n { m |= 0x80 << UInt64(8 * i) }
    return UInt64(littleEndian: m)
}
