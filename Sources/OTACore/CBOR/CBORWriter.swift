import CCbor

/// Appends CBOR items to a byte buffer. Heads are encoded by libcbor; payloads are copied.
/// Items are written in the order given: callers emit map keys in deterministic order
/// (RFC 8949 §4.2.1: shorter keys first, then bytewise) so that outputs are reproducible.
/// A value type: a copy of a writer writes on its own copy of the bytes.
public struct CBORWriter {
    private var buffer: ByteArena

    public init(capacity: Int = 256) { buffer = ByteArena(capacity: capacity) }

    /// The bytes written so far (a copy).
    public var bytes: [UInt8] { buffer.array() }
    /// Bytes written so far (where the next item starts).
    public var byteCount: Int { buffer.count }

    /// The bytes written so far, borrowed for the duration of `body` (no copy).
    public func withBytes<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(start: buffer.base, count: buffer.count))
    }

    @inline(always)
    private mutating func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if !isKnownUniquelyReferenced(&buffer) { buffer = buffer.copy() }
        buffer.append(p, n)
    }

    @inline(always)
    private mutating func append(_ byte: UInt8) {
        if !isKnownUniquelyReferenced(&buffer) { buffer = buffer.copy() }
        buffer.append(byte)
    }

    @inline(always)
    private mutating func append(_ b: UnsafeBufferPointer<UInt8>) {
        if let p = b.baseAddress { append(p, b.count) }
    }

    private typealias Encoder = (UnsafeMutablePointer<UInt8>, Int) -> Int

    private mutating func head(_ encode: Encoder) {
        // A head is at most 9 bytes.
        var scratch: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &scratch) { raw in
            guard let p = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            append(p, encode(p, raw.count))
        }
    }

    public mutating func unsigned(_ n: UInt64) { head { cbor_encode_uint(n, $0, $1) } }

    public mutating func int(_ n: Int64) {
        if n >= 0 {
            unsigned(UInt64(n))
        } else {
            let magnitude = UInt64(bitPattern: ~n)  // -1 - n, without overflow at Int64.min
            head { cbor_encode_negint(magnitude, $0, $1) }
        }
    }

    public mutating func text(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            head { cbor_encode_string_start(utf8.count, $0, $1) }
            append(utf8)
        }
    }

    /// Text from UTF-8 bytes the caller has already checked (read from a checked document).
    public mutating func text(utf8: UnsafeBufferPointer<UInt8>) {
        if utf8.count < 24 {
            append(0x60 | UInt8(truncatingIfNeeded: utf8.count))  // the usual, one-byte head
        } else {
            head { cbor_encode_string_start(utf8.count, $0, $1) }
        }
        append(utf8)
    }

    public mutating func bytes(_ b: [UInt8]) {
        head { cbor_encode_bytestring_start(b.count, $0, $1) }
        b.withUnsafeBufferPointer { append($0) }
    }

    public mutating func bool(_ b: Bool) { head { cbor_encode_bool(b, $0, $1) } }
    public mutating func null() { append(0xf6) }
    public mutating func arrayHeader(_ count: Int) {
        if count >= 0 && count < 24 { append(0x80 | UInt8(truncatingIfNeeded: count)) } else {
            head { cbor_encode_array_start(count, $0, $1) }
        }
    }
    public mutating func mapHeader(_ count: Int) { head { cbor_encode_map_start(count, $0, $1) } }
    public mutating func tag(_ t: UInt64) { head { cbor_encode_tag(t, $0, $1) } }

    public mutating func optionalText(_ s: String?) {
        if let s { text(s) } else { null() }
    }

    /// Appends bytes that already are one complete, valid CBOR item.
    public mutating func raw(_ item: [UInt8]) { item.withUnsafeBufferPointer { append($0) } }
    public mutating func raw(_ item: UnsafeBufferPointer<UInt8>) { append(item) }

    /// Writes a whole decoded value (map pairs in their stored order).
    public mutating func value(_ v: CBOR) {
        switch v {
        case .unsigned(let n): unsigned(n)
        case .negative(let n): head { cbor_encode_negint(n, $0, $1) }
        case .bytes(let b): bytes(b)
        case .text(let s): text(s)
        case .array(let items):
            arrayHeader(items.count)
            for item in items { value(item) }
        case .map(let pairs):
            mapHeader(pairs.count)
            for pair in pairs {
                value(pair.key)
                value(pair.value)
            }
        case .tagged(let t, let item):
            tag(t)
            value(item)
        case .bool(let b): bool(b)
        case .null: null()
        case .undefined: head { cbor_encode_undef($0, $1) }
        case .float(let d): head { cbor_encode_double(d, $0, $1) }
        }
    }
}
