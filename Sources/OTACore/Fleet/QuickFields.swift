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
