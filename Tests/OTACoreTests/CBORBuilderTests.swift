import Testing
import OTACore

/// The one builder of output documents: keys in RFC 8949 deterministic order whatever order
/// they were added in, a key added twice written once (its last value), and a cost of
/// O(n log n) in the number of keys (a statistics document has one per failure code).
@Suite struct CBORBuilderTests {
    /// The text keys of a map, in the order written, with their integer values.
    func entries(_ bytes: [UInt8]) throws -> [(String, Int64)] {
        try #require(CBORReader.decode(bytes).pairs).map { p in (p.key.text ?? "?", p.value.int64 ?? -1) }
    }

    /// Deterministic order of text keys: shorter first, then bytewise.
    func canonical(_ a: String, _ b: String) -> Bool {
        a.utf8.count != b.utf8.count ? a.utf8.count < b.utf8.count : Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
    }

    @Test func aKeyAddedAgainKeepsItsLastValueAndKeysComeOutInOrder() throws {
        var m = CBORMapBuilder()
        m.int("b", Int64(1))
        m.int("aa", Int64(2))
        m.int("a", Int64(3))
        m.int("b", Int64(4))
        m.int("aa", Int64(5))
        m.int("b", Int64(6))
        #expect(m.count == 3)
        let got = try entries(m.encoded)
        #expect(got.map(\.0) == ["a", "b", "aa"])
        #expect(got.map(\.1) == [3, 6, 5])
    }

    /// 50,000 keys: about 3 s in a debug build; comparing each key with every earlier one
    /// took 109 s (38 s for 20,000 keys), over the time limit.
    @Test(.timeLimit(.minutes(1)))
    func fiftyThousandDistinctKeysComeOutOnceEachInOrder() throws {
        let n = 50_000
        // distinct codes in a scrambled order, negative ones too (any int64 a vehicle reports)
        let codes = (0..<n).map { i in Int64((i * 7919) % n) - 25_000 }
        var m = CBORMapBuilder()
        for c in codes { m.int(String(c), c) }
        for c in codes.prefix(100) { m.int(String(c), c * 2) }   // added again: the last value wins
        #expect(m.count == n)
        let got = try entries(m.encoded)
        #expect(got.count == n)
        #expect(Set(got.map(\.0)) == Set(codes.map { String($0) }))
        var ordered = true
        for i in 1..<got.count where !canonical(got[i - 1].0, got[i].0) { ordered = false }
        #expect(ordered)
        let again = Set(codes.prefix(100))
        #expect(got.allSatisfy { k, v in
            let c = Int64(k) ?? 0
            return v == (again.contains(c) ? c * 2 : c)
        })
    }
}
