import Testing
@testable import OTACore

/// A slot of the hash index holds a 16-bit length. A query of 64 KiB or more must never
/// match a slot: its length would spill into the tag bits, and it would be compared over its
/// own length starting at a shorter member, past that member and past the storage.
@Suite("ByteStringSet: strings of 64 KiB and more")
struct ByteStringSetLongTests {
    static let memberLength = 2400
    static let queryLength = 0x10000 + memberLength  // its low 16 bits are a member's length

    /// 31 members of 2400 bytes (hashed; 74,400 bytes of storage), member k starting with
    /// byte k; `free` is the 8 bytes of member 28 that the query's last word covers.
    static func members(seed: UInt64, free: UInt64) -> [[UInt8]] {
        var rng = SplitMix(seed: seed)
        var out: [[UInt8]] = []
        for k in 0..<31 {
            var m = [UInt8(k)]
            while m.count < memberLength { m.append(UInt8(truncatingIfNeeded: rng.next())) }
            if k == 28 {
                for i in 0..<8 { m[728 + i] = UInt8(truncatingIfNeeded: free >> (8 * UInt64(i))) }
            }
            out.append(m)
        }
        return out
    }

    static func makeSet(_ members: [[UInt8]]) -> ByteStringSet {
        ByteStringSet(members.map { String(decoding: $0, as: UTF8.self) })
    }

    /// What the index did before lengths were limited: would the query's hash `h` reach the
    /// slot of the member at storage offset 0 (whose bytes the query starts with)?
    static func oldLookupAliasesFirstMember(_ set: ByteStringSet, _ h: UInt64, _ n: Int) -> Bool {
        let bits = filterBits(h, set.filter.count)
        guard set.filter[bits.0 >> 6] & (1 << UInt64(bits.0 & 63)) != 0,
              set.filter[bits.1 >> 6] & (1 << UInt64(bits.1 & 63)) != 0 else { return false }
        let want = UInt64(n) << 32 | (h >> 48) << 48
        let mask = set.slots.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while set.slots[slot] != 0 {
            let e = set.slots[slot]
            if e & ~0xFFFF_FFFF == want && e & 0xFFFF_FFFF == 1 { return true }
            slot = (slot + 1) & mask
        }
        return false
    }

    @Test func aLongQueryNeverAliasesAShorterMember() throws {
        // Valid UTF-8 is not needed: the set stores bytes; String(decoding:) would repair
        // invalid sequences, so members are ASCII-only bytes below 0x80.
        func ascii(_ m: [[UInt8]]) -> [[UInt8]] { m.map { $0.map { $0 & 0x7f } } }
        var seed: UInt64 = 1
        var found: (set: ByteStringSet, query: [UInt8])? = nil
        search: while seed < 64 && found == nil {
            let base = ascii(Self.members(seed: seed, free: 0))
            let set0 = Self.makeSet(base)
            seed += 1
            guard !set0.slots.isEmpty else { continue }
            let firstHash = base[0].withUnsafeBufferPointer { hashBytes($0.baseAddress!, $0.count) }
            let tag0 = firstHash >> 48
            guard tag0 & 1 == 1 else { continue }  // the query's spilled length bit is 1
            // The hash of the query up to its last word, which lies in member 28.
            let n = Self.queryLength
            let prefix = Array(base.joined().prefix(n))
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
            prefix.withUnsafeBytes { raw in
                var i = 0
                while i + 8 < n {
                    h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
                    h ^= h >> 31
                    i += 8
                }
            }
            for w in UInt64(0)..<(1 << 27) {
                // 7 bits of w per byte: ASCII, so that the bytes survive String(decoding:)
                let free = (w & 0x7f) | (w << 1 & 0x7f00) | (w << 2 & 0x7f_0000) | (w << 3 & 0x7f00_0000)
                var q = (h ^ free) &* 0xBF58_476D_1CE4_E5B9
                q ^= q >> 31
                q = q &* 0x94D0_49BB_1331_11EB
                q ^= q >> 29
                q = q &* 0xBF58_476D_1CE4_E5B9
                q ^= q >> 32
                guard (q >> 48) | 1 == tag0, Self.oldLookupAliasesFirstMember(set0, q, n) else { continue }
                // Member 28 changed: check against the set that really holds it.
                let members = ascii(Self.members(seed: seed - 1, free: free))
                let set = Self.makeSet(members)
                let query = Array(members.joined().prefix(n))
                let real = query.withUnsafeBufferPointer { hashBytes($0.baseAddress!, $0.count) }
                #expect(real == q, "the test's copy of hashBytes differs from ByteStringSet's")
                guard real == q, Self.oldLookupAliasesFirstMember(set, q, n) else { continue }
                found = (set, query)
                break search
            }
        }
        let (set, query) = try #require(found, "no aliasing query found")
        // The query is not a member (it is 67,936 bytes; members are 2,400), but its first
        // 2,400 bytes are member 0 and the rest lie in the storage after it.
        let isMember = set.contains(String(decoding: query, as: UTF8.self))
        let index = query.withUnsafeBufferPointer { q in set.index(of: q.baseAddress!, q.count) }
        #expect(!isMember)
        #expect(index == nil)
    }

    @Test func aSeventyKiBMemberIsFoundAndNothingElse() {
        let long = String(repeating: "A", count: 70 << 10)
        var members = (0..<40).map { "HW-\($0)" }
        members.append(long)
        let set = ByteStringSet(members)  // too long for a slot: searched by comparison
        #expect(set.contains(long))
        #expect(!set.contains(long + "A"))
        #expect(!set.contains(String(repeating: "A", count: (70 << 10) - 1)))
        #expect(set.contains("HW-7") && !set.contains("HW-77"))
        let hashed = ByteStringSet((0..<40).map { "HW-\($0)" })
        #expect(!hashed.slots.isEmpty)
        #expect(!hashed.contains(long))
    }
}
