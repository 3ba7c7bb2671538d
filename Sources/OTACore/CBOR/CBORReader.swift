import CCbor

/// Decodes one small CBOR document with libcbor's streaming decoder into a `CBOR` value.
/// The tree is built here, with our own stack, so that nesting depth and size are bounded
/// (libcbor 0.8's `cbor_load` and `cbor_decref` recurse once per level) and every error
/// names its byte offset.
public enum CBORReader {
    public static let defaultMaxDepth = 32
    public static let defaultMaxBytes = 16 << 20

    /// Decodes exactly one item filling `bytes`; trailing bytes are an error.
    public static func decode(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth,
                              maxBytes: Int = defaultMaxBytes) throws(OTAError) -> CBOR {
        guard bytes.count <= maxBytes else {
            throw .badInput("document of \(bytes.count) bytes exceeds the limit of \(maxBytes)")
        }
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else {
            throw .badInput("empty document: expected one CBOR item")
        }
        let builder = TreeBuilder(maxDepth: maxDepth)
        var callbacks = TreeBuilder.callbacks
        let context = Unmanaged.passUnretained(builder).toOpaque()
        while builder.result == nil && builder.failure == nil {
            guard builder.offset < bytes.count else {
                throw .badInput("truncated CBOR at byte \(bytes.count): the document ends inside an item")
            }
            // libcbor 0.8 refuses the one-byte heads of tags 6-20 (0xc6-0xd4) as "unassigned";
            // they are valid CBOR (COSE_Sign1 is tag 18), so read them here.
            let head = base[builder.offset]
            if head >= 0xc6 && head <= 0xd4 {
                builder.tag(UInt64(head - 0xc0))
                builder.offset += 1
                continue
            }
            let r = cbor_stream_decode(base + builder.offset, bytes.count - builder.offset,
                                       &callbacks, context)
            switch r.status {
            case CBOR_DECODER_FINISHED:
                builder.offset += r.read
            case CBOR_DECODER_NEDATA:
                throw .badInput("truncated CBOR at byte \(builder.offset): the item needs \(r.required) bytes, \(bytes.count - builder.offset) left")
            default:
                throw .badInput("malformed CBOR at byte \(builder.offset)")
            }
        }
        if let failure = builder.failure { throw failure }
        guard builder.offset == bytes.count else {
            throw .badInput("trailing bytes after the CBOR item at byte \(builder.offset)")
        }
        return builder.result ?? .null
    }

    public static func decode(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(OTAError) -> CBOR {
        try withBuffer(bytes) { (raw) throws(OTAError) in try decode(raw, maxDepth: maxDepth) }
    }
}

/// Runs `body` over the array's bytes with typed throws (the stdlib's `withUnsafeBytes`
/// rethrows untyped errors, which Embedded Swift cannot carry).
public func withBuffer<T>(_ bytes: [UInt8],
                          _ body: (UnsafeRawBufferPointer) throws(OTAError) -> T) throws(OTAError) -> T {
    var outcome: Result<T, OTAError> = .failure(.misuse("unreachable"))
    bytes.withUnsafeBytes { raw in
        do throws(OTAError) { outcome = .success(try body(raw)) } catch { outcome = .failure(error) }
    }
    return try outcome.get()
}

/// The builder behind `CBORReader`: a stack of open containers fed by libcbor callbacks.
private final class TreeBuilder {
    enum Kind { case array, map, indefiniteArray, indefiniteMap, indefiniteBytes, indefiniteText, tag }

    struct Frame {
        var kind: Kind
        var remaining: UInt64  // items still expected (definite kinds and tags)
        var items: [CBOR] = []
        var chunk: [UInt8] = []  // indefinite strings
        var tagNumber: UInt64 = 0
        var start: Int
    }

    let maxDepth: Int
    var offset = 0
    var stack: [Frame] = []
    var result: CBOR?
    var failure: OTAError?

    init(maxDepth: Int) { self.maxDepth = maxDepth }

    func fail(_ message: String) {
        if failure == nil { failure = .badInput(message + " at byte \(offset)") }
    }

    /// A complete item: store it in the open container, closing every container it fills.
    func emit(_ item: CBOR) {
        guard failure == nil else { return }
        var item = item
        while true {
            guard var top = stack.popLast() else {
                result = item
                return
            }
            switch top.kind {
            case .indefiniteBytes, .indefiniteText:
                fail("indefinite-length string chunk of the wrong type")
                return
            case .indefiniteArray, .indefiniteMap:
                top.items.append(item)
                stack.append(top)
                return
            case .array, .map:
                top.items.append(item)
                top.remaining -= 1
                if top.remaining > 0 {
                    stack.append(top)
                    return
                }
                guard let closed = close(top) else { return }
                item = closed
            case .tag:
                item = .tagged(top.tagNumber, item)
            }
        }
    }

    func close(_ frame: Frame) -> CBOR? {
        switch frame.kind {
        case .array, .indefiniteArray:
            return .array(frame.items)
        case .map, .indefiniteMap:
            guard frame.items.count % 2 == 0 else {
                fail("map has a key without a value")
                return nil
            }
            var pairs: [CBORPair] = []
            pairs.reserveCapacity(frame.items.count / 2)
            var i = 0
            while i < frame.items.count {
                pairs.append(CBORPair(frame.items[i], frame.items[i + 1]))
                i += 2
            }
            // Sorted, not compared pairwise: a 16 MiB map of short keys must not take hours.
            if let dup = CBORKeyOrder.firstDuplicate(keysOf: frame.items) {
                fail("duplicate map key (entry \(dup)) in the map starting at byte \(frame.start)")
                return nil
            }
            return .map(pairs)
        case .indefiniteBytes:
            return .bytes(frame.chunk)
        case .indefiniteText:
            // Every chunk was checked; valid pieces make a valid whole.
            return .text(String(decoding: frame.chunk, as: UTF8.self))
        case .tag:
            return nil
        }
    }

    func open(_ kind: Kind, count: UInt64) {
        guard failure == nil else { return }
        guard stack.count < maxDepth else {
            fail("nesting deeper than \(maxDepth) levels")
            return
        }
        if (kind == .array || kind == .map) && count == 0 {
            emit(kind == .array ? .array([]) : .map([]))
            return
        }
        if kind == .map && count > UInt64.max / 2 {
            fail("map length out of range")
            return
        }
        stack.append(Frame(kind: kind, remaining: kind == .map ? count * 2 : count, start: offset))
    }

    func chunk(_ data: UnsafePointer<UInt8>?, _ length: Int, text: Bool) {
        guard failure == nil else { return }
        guard length >= 0 else { return fail("string length out of range") }
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: length)) } ?? []
        if let top = stack.last, top.kind == .indefiniteBytes || top.kind == .indefiniteText {
            guard (top.kind == .indefiniteText) == text else {
                fail("indefinite-length string chunk of the wrong type")
                return
            }
            // RFC 8949 §3.2.3: each chunk is valid UTF-8 on its own; a character split
            // between chunks is malformed, even if the joined bytes would be valid.
            if text && String(validating: bytes, as: UTF8.self) == nil {
                return fail("a chunk of an indefinite-length text string is not valid UTF-8 on its own (a character split between chunks?)")
            }
            stack[stack.count - 1].chunk.append(contentsOf: bytes)
            return
        }
        if text {
            guard let s = validUTF8(bytes) else { return }
            emit(.text(s))
        } else {
            emit(.bytes(bytes))
        }
    }

    func validUTF8(_ bytes: [UInt8]) -> String? {
        guard let s = String(validating: bytes, as: UTF8.self) else {
            fail("text string is not valid UTF-8")
            return nil
        }
        return s
    }

    func indefiniteBreak() {
        guard failure == nil else { return }
        guard let top = stack.last,
              top.kind == .indefiniteArray || top.kind == .indefiniteMap
                || top.kind == .indefiniteBytes || top.kind == .indefiniteText else {
            fail("break outside an indefinite-length item")
            return
        }
        stack.removeLast()
        if let item = close(top) { emit(item) }
    }

    func tag(_ t: UInt64) {
        open(.tag, count: 1)
        if failure == nil, var top = stack.popLast() {
            top.tagNumber = t
            stack.append(top)
        }
    }

    static func from(_ ctx: UnsafeMutableRawPointer?) -> TreeBuilder? {
        guard let ctx else { return nil }
        return Unmanaged<TreeBuilder>.fromOpaque(ctx).takeUnretainedValue()
    }

    static let callbacks: cbor_callbacks = {
        var c = cbor_empty_callbacks
        c.uint8 = { ctx, v in from(ctx)?.emit(.unsigned(UInt64(v))) }
        c.uint16 = { ctx, v in from(ctx)?.emit(.unsigned(UInt64(v))) }
        c.uint32 = { ctx, v in from(ctx)?.emit(.unsigned(UInt64(v))) }
        c.uint64 = { ctx, v in from(ctx)?.emit(.unsigned(v)) }
        c.negint8 = { ctx, v in from(ctx)?.emit(.negative(UInt64(v))) }
        c.negint16 = { ctx, v in from(ctx)?.emit(.negative(UInt64(v))) }
        c.negint32 = { ctx, v in from(ctx)?.emit(.negative(UInt64(v))) }
        c.negint64 = { ctx, v in from(ctx)?.emit(.negative(v)) }
        c.byte_string = { ctx, data, len in from(ctx)?.chunk(data, len, text: false) }
        c.string = { ctx, data, len in from(ctx)?.chunk(data, len, text: true) }
        c.byte_string_start = { ctx in from(ctx)?.open(.indefiniteBytes, count: 1) }
        c.string_start = { ctx in from(ctx)?.open(.indefiniteText, count: 1) }
        // size_t arrives as Int: a declared length past Int.max must not trap the conversion.
        c.array_start = { ctx, n in from(ctx)?.open(.array, count: UInt64(UInt(bitPattern: n))) }
        c.indef_array_start = { ctx in from(ctx)?.open(.indefiniteArray, count: 1) }
        c.map_start = { ctx, n in from(ctx)?.open(.map, count: UInt64(UInt(bitPattern: n))) }
        c.indef_map_start = { ctx in from(ctx)?.open(.indefiniteMap, count: 1) }
        c.tag = { ctx, t in from(ctx)?.tag(t) }
        c.float2 = { ctx, v in from(ctx)?.emit(.float(Double(v))) }
        c.float4 = { ctx, v in from(ctx)?.emit(.float(Double(v))) }
        c.float8 = { ctx, v in from(ctx)?.emit(.float(v)) }
        c.undefined = { ctx in from(ctx)?.emit(.undefined) }
        c.null = { ctx in from(ctx)?.emit(.null) }
        c.boolean = { ctx, v in from(ctx)?.emit(.bool(v)) }
        c.indef_break = { ctx in from(ctx)?.indefiniteBreak() }
        return c
    }()
}
