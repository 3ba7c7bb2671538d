/// A set of byte strings for membership tests on bytes in place. Members are packed into
/// one buffer, sorted and unique. Small sets (the usual model or market list) are searched
/// directly; large ones (the VIN lists of recalls, 100,000+ entries) through an open-
/// addressing hash index. The hash is fixed, not seeded per process like Swift's, and the
/// set is only ever asked about membership, so nothing depends on an iteration order.
public struct ByteStringSet {
    /// Members back to back, in ascending bytewise order, then one padding byte so that
    /// the buffer is never empty (its base address never nil).
    @usableFromInline let storage: [UInt8]
    /// `count + 1` offsets: member i is `storage[starts[i] ..< starts[i + 1]]`.
    @usableFromInline let starts: [Int]
    /// Hash slots holding member index + 1 (0: empty); empty for small sets.
    @usableFromInline let slots: [Int32]

    public var count: Int { starts.count - 1 }

    /// Sets larger than this get a hash index.
    public static let hashedAbove = 16

    public init(_ members: [String]) {
        var sorted = members.map { Array($0.utf8) }
        sorted.sort { $0.lexicographicallyPrecedes($1) }
        var storage: [UInt8] = []
        var starts = [0]
        var previous: [UInt8]? = nil
        for m in sorted where m != previous {
            storage.append(contentsOf: m)
            starts.append(storage.count)
            previous = m
        }
        storage.append(0)
        let n = starts.count - 1
        var slots: [Int32] = []
        if n > Self.hashedAbove {
            var capacity = 64
            while capacity < 2 * n { capacity <<= 1 }  // load factor <= 1/2
            slots = [Int32](repeating: 0, count: capacity)
            storage.withUnsafeBufferPointer { s in
                guard let base = s.baseAddress else { return }
                for i in 0..<n {
                    var slot = Int(truncatingIfNeeded: hashBytes(base + starts[i], starts[i + 1] - starts[i])) & (capacity - 1)
                    while slots[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
                    slots[slot] = Int32(truncatingIfNeeded: i + 1)
                }
            }
        }
        self.storage = storage
        self.starts = starts
        self.slots = slots
    }

    /// The member's position in sorted order, or nil.
    @inlinable
    public func index(of p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        storage.withUnsafeBufferPointer { s in
            starts.withUnsafeBufferPointer { st in
                guard let base = s.baseAddress else { return nil }
                let members = st.count &- 1
                if slots.isEmpty {
                    for i in 0..<members where compare(base + st[i], st[i &+ 1] &- st[i], p, n) == 0 {
                        return i
                    }
                    return nil
                }
                return slots.withUnsafeBufferPointer { sl in
                    let mask = sl.count &- 1
                    var slot = Int(truncatingIfNeeded: hashBytes(p, n)) & mask
                    while true {
                        let e = Int(sl[slot])
                        if e == 0 { return nil }
                        let i = e &- 1
                        if compare(base + st[i], st[i &+ 1] &- st[i], p, n) == 0 { return i }
                        slot = (slot &+ 1) & mask
                    }
                }
            }
        }
    }

    @inlinable
    public func contains(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool { index(of: p, n) != nil }

    public func contains(_ s: String) -> Bool {
        let bytes = Array(s.utf8) + [0]  // never empty: a base address for ""
        return bytes.withUnsafeBufferPointer { u in
            u.baseAddress.map { contains($0, u.count - 1) } ?? false
        }
    }
}

/// Bytewise order, shorter first among equal prefixes: negative, zero or positive.
@inlinable
func compare(_ a: UnsafePointer<UInt8>, _ an: Int, _ b: UnsafePointer<UInt8>, _ bn: Int) -> Int {
    let n = an < bn ? an : bn
    var i = 0
    while i < n {
        let x = a[i], y = b[i]
        if x != y { return x < y ? -1 : 1 }
        i &+= 1
    }
    return an &- bn
}

/// A fixed 64-bit hash of bytes (8 at a time, multiply-xorshift mixing).
@inlinable
func hashBytes(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    let raw = UnsafeRawPointer(p)
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
    var i = 0
    while i &+ 8 <= n {
        h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
        i &+= 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < n {
        tail |= UInt64(p[i]) << shift
        shift &+= 8
        i &+= 1
    }
    h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
    h ^= h >> 29
    h = h &* 0xBF58_476D_1CE4_E5B9
    return h ^ (h >> 32)
}
