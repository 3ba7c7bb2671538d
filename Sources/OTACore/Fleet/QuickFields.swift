/// The encodings snapshot writers actually use, decoded in one step from the bytes: a
/// string-table index in a one- or two-byte head, short definite text, null, a definite
/// array of a few items. Each `quick` reader either reads its whole field and returns true,
/// or reads nothing and returns false; the caller then reads the field the general way
/// (`SnapshotStrings.str`, `CBORScanner.head`), which accepts everything else and reports
/// the errors. So the fast path never changes what is accepted or how an error reads.
extension SnapshotWalk {
    /// `strings.str` for a table index below 256 or definite text shorter than 24 bytes.
    @inline(always)
    func quickStr(_ at: inout Int, _ s: inout Str) -> Bool {
        let i = at
        let left = scanner.count &- i
        guard left >= 2 else { return false }  // the general path handles the last bytes
        let p = scanner.base + i
        let b = p[0]
        if b < 0x18 {
            guard Int(b) < strings.tableCount else { return false }
            s = Str(tableIndex: Int(b))
            at = i &+ 1
            return true
        }
        if b == 0x18 {
            let index = Int(p[1])
            guard index < strings.tableCount else { return false }
            s = Str(tableIndex: index)
            at = i &+ 2
            return true
        }
        let n = Int(b &- 0x60)
        guard n < 24, n < left, UTF8Check.isValid(p + 1, n, readable: left &- 1) else { return false }
        s = Str(place: .snapshot, range: ByteRange(start: i &+ 1, count: n))
        at = i &+ 1 &+ n
        return true
    }

    /// Definite text shorter than 24 bytes (never a table index: for attribute values).
    @inline(always)
    func quickText(_ at: inout Int, _ s: inout Str) -> Bool {
        let i = at
        let left = scanner.count &- i
        guard left >= 2 else { return false }
        let p = scanner.base + i
        let n = Int(p[0] &- 0x60)
        guard n < 24, n < left, UTF8Check.isValid(p + 1, n, readable: left &- 1) else { return false }
        s = Str(place: .snapshot, range: ByteRange(start: i &+ 1, count: n))
        at = i &+ 1 &+ n
        return true
    }

    /// Checks an attribute map of one or two entries (`quickStr` keys, values as
    /// `quickAttributeValue` reads them, the two keys different) and moves past it; false,
    /// having read nothing, for anything else. For vehicles the visitor has decided.
    @inline(always)
    mutating func quickSkipAttributes() -> Bool {
        let start = scanner.offset
        guard scanner.count &- start >= 2 else { return false }
        let h = scanner.base[start]
        guard h == 0xa1 || h == 0xa2 else { return false }
        var at = start &+ 1
        var first = Str(tableIndex: 0), second = first
        guard quickStr(&at, &first) && quickAttributeValue(&at) else { return false }
        if h == 0xa2 {
            guard quickStr(&at, &second) && quickAttributeValue(&at) && !sameString(first, second) else { return false }
        }
        scanner.offset = at
        return true
    }

    /// An attribute value: an integer in any head width, short text, or a bool.
    @inline(always)
    func quickAttributeValue(_ at: inout Int) -> Bool {
        let i = at
        guard scanner.count &- i >= 9 else { return false }
        let b = scanner.base[i]
        let info = b & 31
        if b < 0x40 {  // unsigned or negative integer
            guard info < 28 else { return false }
            at = i &+ 1 &+ (info < 24 ? 0 : 1 << Int(info &- 24))
            return true
        }
        if b == 0xf4 || b == 0xf5 {
            at = i &+ 1
            return true
        }
        var text = Str(tableIndex: 0)
        return quickText(&at, &text)
    }

    /// `strings.optionalStr` for null or what `quickStr` reads.
    @inline(always)
    func quickOptionalStr(_ at: inout Int, _ s: inout Str?) -> Bool {
        if at < scanner.count && scanner.base[at] == 0xf6 {
            s = nil
            at &+= 1
            return true
        }
        var t = Str(tableIndex: 0)
        guard quickStr(&at, &t) else { return false }
        s = t
        return true
    }

    /// An unsigned integer in any head width.
    @inline(always)
    func quickUInt(_ at: inout Int, _ value: inout UInt64) -> Bool {
        let i = at
        let left = scanner.count &- i
        guard left >= 9 else { return false }
        let p = UnsafeRawPointer(scanner.base + i)
        let b = p.load(as: UInt8.self)
        switch b {
        case 0..<0x18: value = UInt64(b); at = i &+ 1
        case 0x18: value = UInt64(p.load(fromByteOffset: 1, as: UInt8.self)); at = i &+ 2
        case 0x19: value = UInt64(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 1, as: UInt16.self))); at = i &+ 3
        case 0x1a: value = UInt64(UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 1, as: UInt32.self))); at = i &+ 5
        case 0x1b: value = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 1, as: UInt64.self)); at = i &+ 9
        default: return false
        }
        return true
    }

    /// The head of a definite array of `least` to 23 items whose items fit in the bytes left
    /// (as `CBORScanner.items` checks); its count, or -1.
    @inline(always)
    func quickArray(_ at: Int, least: UInt8) -> Int {
        guard at < scanner.count else { return -1 }
        let b = scanner.base[at]
        let n = b &- 0x80
        guard n >= least, n < 24, Int(n) < scanner.count &- at else { return -1 }
        return Int(n)
    }
}

extension SnapshotWalk {
    /// A VIN as definite 17-byte text (its syntax makes it ASCII, so valid UTF-8).
    @inline(always)
    func quickVIN(_ at: inout Int, _ s: inout Str) -> Bool {
        let i = at
        guard scanner.count &- i > VINSyntax.length, scanner.base[i] == 0x71,
              VINSyntax.isWellFormed(scanner.base + (i &+ 1), VINSyntax.length) else { return false }
        s = Str(place: .snapshot, range: ByteRange(start: i &+ 1, count: VINSyntax.length))
        at = i &+ 1 &+ VINSyntax.length
        return true
    }
}

extension SnapshotWalk {
    /// Checks an ECU of the common shape (`quickArray` of 3 to 5 fields, each as `quickStr`
    /// reads it, the last two may be null) and moves past it; false, having read nothing, for
    /// any other shape. For vehicles whose ECUs the visitor ignores. Away from the end of the
    /// buffer a field costs no data-dependent branch: its length comes from `fieldTable`,
    /// and the checks (known head, index in the table, text ASCII, null allowed) are or-ed
    /// into one flag tested once per ECU.
    /// `quickSkipECU` for the ECUs of a definite array, as far as it can: how many it
    /// skipped (taken off `items`). A function of its own, so that the loop keeps its
    /// values in registers.
    @inline(never)
    mutating func quickSkipECUs(_ items: inout CBORItems) -> Int {
        var skipped = 0
        // `quickSkipECU` with the offset in a local: not stored and reloaded for each ECU
        var offset = scanner.offset
        let count = scanner.count
        while items.remaining > 0 && count &- offset >= 128 {
            let h = scanner.base[offset]
            guard h &- 0x83 < 3 else { break }
            let end = quickSkipFields(offset, 1, from: 0, to: Int(h &- 0x80))
            guard end >= 0 else { break }
            offset &+= end
            items.remaining &-= 1
            skipped &+= 1
        }
        scanner.offset = offset
        while items.remaining > 0 && quickSkipECU() {  // near the end, or the general reader's turn
            items.remaining &-= 1
            skipped &+= 1
        }
        return skipped
    }

    @inline(always)
    mutating func quickSkipECU() -> Bool {
        let start = scanner.offset
        // one ECU reads at most 1 + 4 * 17 + 17 bytes: nearer the end, the careful loop
        guard scanner.count &- start >= 128 else { return quickSkipECUNearEnd() }
        let h = scanner.base[start]
        guard h &- 0x83 < 3 else { return false }
        let end = quickSkipFields(start, 1, from: 0, to: Int(h &- 0x80))
        guard end >= 0 else { return false }
        scanner.offset = start &+ end
        return true
    }

    /// Checks fields `from..<to` of the ECU whose head is at `start` (at least 128 bytes
    /// before the end), the first of them `at` bytes after the head; where they end
    /// (relative to `start`), or -1 if one is not of a shape it knows.
    @inline(always)
    func quickSkipFields(_ start: Int, _ at: Int, from: Int, to fields: Int) -> Int {
        let p = scanner.base + start
        let tableCount = strings.tableCount
        var at = at
        var bad: UInt64 = 0
        var entries = from < 3 ? fieldTable.strict : fieldTable.nullable  // node, hw, sw: never null
        var i = from
        while i < fields {
            if i == 3 { entries = fieldTable.nullable }
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

/// What `quickSkipECU` knows of a field from its head byte `b`.
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

/// `FieldEntry` for each head byte, for `str` fields (`strict`) and `str / null` ones
/// (`nullable`): a table index below 24 (if in the table), a two-byte index, text up to 16
/// bytes, and for `nullable` null. Built once the table's size is known.
final class FieldTable {
    let strict: UnsafeMutablePointer<FieldEntry>
    let nullable: UnsafeMutablePointer<FieldEntry>

    init() {
        strict = .allocate(capacity: 512)
        strict.initialize(repeating: FieldEntry(), count: 512)
        nullable = strict + 256
    }

    deinit { strict.deallocate() }

    func fill(tableCount: Int) {
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
