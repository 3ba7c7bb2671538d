/// Reads CBOR in place, one head at a time, for documents too large to become `CBOR` trees
/// (fleet snapshots). It never allocates on the item path, never recurses, never reads past
/// the buffer, and every error names its byte offset. Accepts every well-formed encoding:
/// any integer width, definite or indefinite lengths, chunked strings. Text is checked to be
/// UTF-8 wherever it is read or skipped, so that a document it accepts is valid CBOR.
public struct CBORScanner {
    public let base: UnsafePointer<UInt8>
    public let count: Int
    /// The next byte to read.
    public var offset: Int = 0
    /// Open containers of `skip`, reused across calls.
    private var skipStack: [SkipFrame] = []

    public static let maxSkipDepth = 4096

    /// `bytes` must stay valid while the scanner is used; an empty buffer is an error.
    public init(_ bytes: UnsafeRawBufferPointer) throws(OTAError) {
        guard let p = bytes.baseAddress, bytes.count > 0 else {
            throw .badInput("empty document: expected one CBOR item")
        }
        base = p.assumingMemoryBound(to: UInt8.self)
        count = bytes.count
    }

    public var atEnd: Bool { offset >= count }

    // MARK: heads

    /// Reads the next head. A break (0xff) is returned as `isBreak`; callers that do not
    /// expect one treat it as a type error.
    @inline(always)
    public mutating func head() throws(OTAError) -> CBORHead {
        let at = offset
        guard at < count else { throw truncated(at) }
        let initial = base[at]
        let major = initial >> 5
        let info = initial & 31
        if info < 24 {
            offset = at &+ 1
            return CBORHead(major: major, info: info, argument: UInt64(info), indefinite: false, offset: at)
        }
        if info <= 27 {
            let width = 1 << Int(info &- 24)
            guard count &- at &- 1 >= width else { throw truncated(at) }
            let p = UnsafeRawPointer(base + (at &+ 1))
            let value: UInt64
            switch info {
            case 24: value = UInt64(p.load(as: UInt8.self))
            case 25: value = UInt64(UInt16(bigEndian: p.loadUnaligned(as: UInt16.self)))
            case 26: value = UInt64(UInt32(bigEndian: p.loadUnaligned(as: UInt32.self)))
            default: value = UInt64(bigEndian: p.loadUnaligned(as: UInt64.self))
            }
            offset = at &+ 1 &+ width
            if major == 7 && info == 24 && value < 32 {
                throw .badInput("malformed CBOR at byte \(at): two-byte simple value below 32")
            }
            return CBORHead(major: major, info: info, argument: value, indefinite: false, offset: at)
        }
        guard info == 31, (major >= 2 && major <= 5) || major == 7 else { throw reserved(at, initial) }
        offset = at &+ 1
        return CBORHead(major: major, info: info, argument: 0, indefinite: true, offset: at)
    }

    /// Reads the head of a definite or indefinite array (`major` 4) or map (5) and returns
    /// its item counter. `what` names the container in errors.
    @inline(always)
    public mutating func container(_ major: UInt8, _ what: String) throws(OTAError) -> CBORItems {
        let h = try head()
        guard h.major == major, !h.isBreak else { throw typeError(h, expected: major == 4 ? "array" : "map", what) }
        return try items(of: h)
    }

    /// The item counter of a container whose head was read. Definite counts are checked
    /// against the bytes left (every item takes at least one), so no count overflows.
    @inline(always)
    public func items(of h: CBORHead) throws(OTAError) -> CBORItems {
        if h.indefinite { return CBORItems(remaining: 0, indefinite: true) }
        let left = UInt64(count &- offset)
        guard h.argument <= left >> (h.major == 5 ? 1 : 0) else {  // a map entry takes two
            throw .badInput("truncated CBOR at byte \(h.offset): the \(h.major == 5 ? "map" : "array") announces \(h.argument) entries, only \(left) bytes follow")
        }
        return CBORItems(remaining: h.argument, indefinite: false)
    }

    /// True if the container has another item (for a map: another key), consuming the break
    /// that ends an indefinite one. Once false, false again (the break is not read twice).
    @inline(always)
    public mutating func next(_ items: inout CBORItems) throws(OTAError) -> Bool {
        if items.indefinite {
            guard offset < count else { throw truncated(offset) }
            if base[offset] == 0xff {
                offset &+= 1
                items = CBORItems(remaining: 0, indefinite: false)  // ended
                return false
            }
            return true
        }
        if items.remaining == 0 { return false }
        items.remaining &-= 1
        return true
    }

    // MARK: strings

    /// The payload of a definite text string whose head was read, checked to be UTF-8.
    @inline(always)
    public mutating func definiteText(_ h: CBORHead) throws(OTAError) -> ByteRange {
        guard h.argument <= UInt64(count &- offset) else { throw truncated(h.offset) }
        let r = ByteRange(start: offset, count: Int(h.argument))
        guard UTF8Check.isValid(base + r.start, r.count, readable: count &- r.start) else {
            throw .badInput("text string at byte \(h.offset) is not valid UTF-8")
        }
        offset = r.end
        return r
    }

    /// The chunks of an indefinite text string whose head was read, passed to `chunk` in
    /// order. Each chunk must be a definite text string; each is valid UTF-8 on its own
    /// (RFC 8949 §3.2.3), so their concatenation is too.
    @inline(always)
    public mutating func textChunks(_ h: CBORHead, _ chunk: (ByteRange) -> Void) throws(OTAError) {
        while true {
            let c = try head()
            if c.isBreak { return }
            guard c.major == 3, !c.indefinite else {
                throw .badInput("malformed CBOR at byte \(c.offset): a chunk of the indefinite-length text string at byte \(h.offset) is not a definite text string")
            }
            chunk(try definiteText(c))
        }
    }

    // MARK: skipping

    /// Skips the item whose head `h` was read, checking it as it goes (well-formed, UTF-8
    /// text, chunks of the right type) without recursion.
    public mutating func skip(_ h: CBORHead) throws(OTAError) {
        let floor = skipStack.count
        var h = h
        while true {
            switch h.major {
            case 0, 1:
                break
            case 2, 3:
                if h.indefinite {
                    try push(SkipFrame(remaining: 0, indefinite: true, chunkMajor: h.major), at: h)
                } else if h.major == 3 {
                    _ = try definiteText(h)
                } else {
                    guard h.argument <= UInt64(count &- offset) else { throw truncated(h.offset) }
                    offset &+= Int(h.argument)
                }
            case 4, 5:
                let items = try self.items(of: h)
                let entries = h.major == 5 ? items.remaining &* 2 : items.remaining
                if items.indefinite || entries > 0 {
                    try push(SkipFrame(remaining: entries, indefinite: items.indefinite, chunkMajor: 0), at: h)
                }
            case 6:
                h = try head()  // a tag and its item fill one slot
                if h.isBreak { throw .badInput("malformed CBOR at byte \(h.offset): break after a tag") }
                continue
            default:  // 7: simple values, floats, break
                if h.isBreak {
                    guard skipStack.count > floor, skipStack[skipStack.count - 1].indefinite else {
                        throw .badInput("malformed CBOR at byte \(h.offset): unexpected break")
                    }
                    skipStack.removeLast()
                }
            }
            // One item is complete (unless it opened a container): count it in its parent.
            if h.isBreak || !opened(h) {
                while skipStack.count > floor {
                    let top = skipStack.count - 1
                    if skipStack[top].indefinite { break }
                    skipStack[top].remaining &-= 1
                    if skipStack[top].remaining > 0 { break }
                    skipStack.removeLast()
                }
            }
            if skipStack.count == floor { return }
            h = try head()
            if let kind = skipStack.last?.chunkMajor, kind != 0, !h.isBreak {
                guard h.major == kind, !h.indefinite else {
                    throw .badInput("malformed CBOR at byte \(h.offset): a chunk of an indefinite-length string has the wrong type")
                }
            }
        }
    }

    /// Skips the next item.
    public mutating func skipItem() throws(OTAError) {
        let h = try head()
        if h.isBreak { throw .badInput("malformed CBOR at byte \(h.offset): unexpected break") }
        try skip(h)
    }

    /// Whether `h` left a container open on the skip stack.
    private func opened(_ h: CBORHead) -> Bool {
        if h.indefinite { return h.major >= 2 && h.major <= 5 }
        return (h.major == 4 || h.major == 5) && h.argument > 0
    }

    private mutating func push(_ frame: SkipFrame, at h: CBORHead) throws(OTAError) {
        guard skipStack.count < Self.maxSkipDepth else {
            throw .badInput("CBOR at byte \(h.offset) is nested deeper than \(Self.maxSkipDepth) levels")
        }
        skipStack.append(frame)
    }

    // MARK: errors

    @usableFromInline
    func reserved(_ at: Int, _ initial: UInt8) -> OTAError {
        .badInput("malformed CBOR at byte \(at): reserved or invalid initial byte 0x\(hex(initial))")
    }

    public func truncated(_ at: Int) -> OTAError {
        .badInput("truncated CBOR at byte \(at): the document ends inside an item")
    }

    /// "vin: expected text, found array at byte 12".
    public func typeError(_ h: CBORHead, expected: StaticString, _ what: String) -> OTAError {
        .badInput("\(what): expected \(expected), found \(h.typeName) at byte \(h.offset)")
    }
}

/// One CBOR head: major type, argument (a length, count, value or simple value) and offset.
public struct CBORHead {
    public var major: UInt8
    /// The low five bits of the initial byte (for major 7: 20-23 simple, 25-27 float).
    public var info: UInt8
    public var argument: UInt64
    /// Indefinite-length string or container; with major 7, a break.
    public var indefinite: Bool
    public var offset: Int

    @inlinable
    public init(major: UInt8, info: UInt8, argument: UInt64, indefinite: Bool, offset: Int) {
        self.major = major
        self.info = info
        self.argument = argument
        self.indefinite = indefinite
        self.offset = offset
    }

    @inline(always) public var isBreak: Bool { major == 7 && indefinite }

    public var typeName: String {
        switch major {
        case 0, 1: return "integer"
        case 2: return "byte string"
        case 3: return "text"
        case 4: return "array"
        case 5: return "map"
        case 6: return "tag"
        default:
            if indefinite { return "break" }
            switch info {
            case 20, 21: return "bool"
            case 22: return "null"
            case 23: return "undefined"
            case 25, 26, 27: return "float"
            default: return "simple value"
            }
        }
    }
}

/// Counts the items of a container as the scanner walks it (see `CBORScanner.next`).
public struct CBORItems {
    public var remaining: UInt64
    public var indefinite: Bool

    @inlinable
    public init(remaining: UInt64, indefinite: Bool) {
        self.remaining = remaining
        self.indefinite = indefinite
    }
}

/// A range of bytes inside a buffer.
public struct ByteRange: Equatable {
    public var start: Int
    public var count: Int
    @inline(always) public var end: Int { start &+ count }
    public init(start: Int, count: Int) {
        self.start = start
        self.count = count
    }
}

private struct SkipFrame {
    var remaining: UInt64
    var indefinite: Bool
    /// 2 or 3 inside an indefinite-length string (its chunks' major type), else 0.
    var chunkMajor: UInt8
}

private func hex(_ b: UInt8) -> String {
    let digits: StaticString = "0123456789abcdef"
    let p = digits.utf8Start
    return String(decoding: [p[Int(b >> 4)], p[Int(b & 15)]], as: UTF8.self)
}
