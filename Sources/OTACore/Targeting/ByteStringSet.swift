/// A set of byte strings for membership tests on bytes in place. Members are packed into
/// one buffer, sorted and unique. Small sets (the usual model or market list) are searched
/// directly; large ones (the VIN lists of recalls, 100,000+ entries) through an open-
/// addressing hash index. The hash is fixed, not seeded per process like Swift's, and the
/// set is only ever asked about membership, so nothing depends on an iteration order.
public struct ByteStringSet {
    /// Members back to back, in ascending bytewise order, without duplicates, then one
    /// padding byte so that the buffer is never empty (its base address never nil).
    @usableFromInline let storage: [UInt8]
    /// `count + 1` offsets: member i is `storage[starts[i] ..< starts[i + 1]]`.
    @usableFromInline let starts: [Int]
    /// Hash slots, empty for small sets. An occupied slot holds its member's place and a
    /// tag of its hash: start + 1 (bits 0-31), length (32-47), tag (48-63). A lookup that
    /// misses is mostly settled by the slot alone (one cache line), a hit by the member's
    /// bytes.
    @usableFromInline let slots: [UInt64]
    /// The member index of each occupied slot (read only on a hit, for `index(of:)`).
    @usableFromInline let slotMembers: [Int32]
    /// A filter in front of the slots: two bits per member in 8 bits per member (about 5%
    /// false positives). Small enough to stay in cache, where a large slot table is not, so
    /// most lookups of non-members (90% of the vehicles of a recall) never leave the cache.
    @usableFromInline let filter: [UInt64]

    public var count: Int { starts.count - 1 }

    /// Sets larger than this get a hash index.
    public static let hashedAbove = 16
    /// The longest member a slot can describe (16 bits of length). A set with a longer
    /// member is searched by comparison instead: slower, never wrong.
    public static let maxHashedLength = 0xFFFF

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
        var slots: [UInt64] = []
        var slotMembers: [Int32] = []
        var filter: [UInt64] = []
        // Hashed when large and addressable in a slot (rules are at most 16 MiB anyway).
        let longest = (0..<n).map { starts[$0 + 1] - starts[$0] }.max() ?? 0
        if n > Self.hashedAbove && storage.count < Int(UInt32.max) && longest <= Self.maxHashedLength {
            var capacity = 64
            while capacity < 2 * n { capacity <<= 1 }  // load factor <= 1/2
            slots = [UInt64](repeating: 0, count: capacity)
            slotMembers = [Int32](repeating: 0, count: capacity)
            filter = [UInt64](repeating: 0, count: capacity / 16)  // capacity * 4 bits >= 8 per member
            storage.withUnsafeBufferPointer { s in
                guard let base = s.baseAddress else { return }
                for i in 0..<n {
                    let start = starts[i], length = starts[i + 1] - starts[i]
                    let h = hashBytes(base + start, length)
                    var slot = Int(truncatingIfNeeded: h) & (capacity - 1)
                    while slots[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
                    slots[slot] = UInt64(start + 1) | UInt64(length) << 32 | (h >> 48) << 48
                    slotMembers[slot] = Int32(truncatingIfNeeded: i)
                    let bits = filterBits(h, filter.count)
                    filter[bits.0 >> 6] |= 1 << UInt64(bits.0 & 63)
                    filter[bits.1 >> 6] |= 1 << UInt64(bits.1 & 63)
                }
            }
        }
        self.storage = storage
        self.starts = starts
        self.slots = slots
        self.slotMembers = slotMembers
        self.filter = filter
    }

    /// The member's position in sorted order, or nil.
    @inlinable
    public func index(of p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        guard !slots.isEmpty else { return scan(p, n) }
        let slot = find(p, n)
        return slot < 0 ? nil : Int(slotMembers[slot])
    }

    @inlinable
    public func contains(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        slots.isEmpty ? scan(p, n) != nil : find(p, n) >= 0
    }

    public func contains(_ s: String) -> Bool {
        let bytes = Array(s.utf8) + [0]  // never empty: a base address for ""
        return bytes.withUnsafeBufferPointer { u in
            u.baseAddress.map { contains($0, u.count - 1) } ?? false
        }
    }

    /// A small set: compare with each member.
    @inlinable
    func scan(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        storage.withUnsafeBufferPointer { s in
            starts.withUnsafeBufferPointer { st in
                guard let base = s.baseAddress else { return nil }
                for i in 0..<(st.count &- 1) where compare(base + st[i], st[i &+ 1] &- st[i], p, n) == 0 {
                    return i
                }
                return nil
            }
        }
    }

    /// A large set: the slot holding the member, or -1.
    @inlinable
    func find(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        // A slot holds a 16-bit length: no member of a hashed set is longer, and a longer
        // query would spill into the tag bits and could match a shorter member's slot, then
        // be compared over its own length, past the member (and past the storage).
        guard n >= 0, n <= Self.maxHashedLength else { return -1 }
        return storage.withUnsafeBufferPointer { s in
            slots.withUnsafeBufferPointer { sl in
                guard let base = s.baseAddress else { return -1 }
                let mask = sl.count &- 1
                let h = hashBytes(p, n)
                let bits = filterBits(h, filter.count)
                let inFilter = filter.withUnsafeBufferPointer { f in
                    f[bits.0 >> 6] & (1 << UInt64(bits.0 & 63)) != 0 && f[bits.1 >> 6] & (1 << UInt64(bits.1 & 63)) != 0
                }
                if !inFilter { return -1 }
                let want = UInt64(truncatingIfNeeded: n) << 32 | (h >> 48) << 48
                var slot = Int(truncatingIfNeeded: h) & mask
                while true {
                    let e = sl[slot]
                    if e == 0 { return -1 }
                    if e & ~0xFFFF_FFFF == want {
                        let start = Int(truncatingIfNeeded: e & 0xFFFF_FFFF) &- 1
                        if compare(base + start, n, p, n) == 0 { return slot }
                    }
                    slot = (slot &+ 1) & mask
                }
            }
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

/// The two filter bits of a hash, from bits the slot index does not use. `words` is a power
/// of two.
@inlinable
func filterBits(_ h: UInt64, _ words: Int) -> (Int, Int) {
    let mask = UInt64(truncatingIfNeeded: words &* 64 &- 1)
    return (Int(truncatingIfNeeded: (h >> 24) & mask), Int(truncatingIfNeeded: (h >> 44) & mask))
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
