import Testing
@testable import OTACore

@Suite("ByteStringSet: membership in place, small and hashed")
struct ByteStringSetTests {
    @Test func smallSetsFindMembersOnly() {
        let set = ByteStringSet(["GW", "BCM", "", "BCM", "GWX"])
        #expect(set.count == 4)  // the duplicate is kept once
        for m in ["GW", "BCM", "", "GWX"] { #expect(set.contains(m)) }
        for m in ["G", "GWXY", "bcm", "BC"] { #expect(!set.contains(m)) }
    }

    @Test func hashedSetsAgreeWithSwiftSets() {
        var rng = SplitMix(seed: 42)
        let alphabet = Array("0123456789ABCDEFGHJKLMNPRSTUVWXYZ".utf8)
        func vin() -> String {
            String(decoding: (0..<17).map { _ in alphabet[Int(rng.next() % 33)] }, as: UTF8.self)
        }
        let members = (0..<20_000).map { _ in vin() }
        let set = ByteStringSet(members)
        let reference = Set(members)
        #expect(set.count == reference.count && set.count > ByteStringSet.hashedAbove)
        for m in members.prefix(5000) { #expect(set.contains(m)) }
        for _ in 0..<5000 {
            let v = vin()
            #expect(set.contains(v) == reference.contains(v))
        }
        #expect(!set.contains("") && !set.contains(String(members[0].dropLast())))
    }

    @Test func hashedIndexIsTheSortedPositionToo() {
        let members = (0..<40).map { "key-\($0 * 7 % 40)" }
        let set = ByteStringSet(members)
        let sorted = members.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for (i, m) in sorted.enumerated() {
            let got = (Array(m.utf8) + [0]).withUnsafeBufferPointer { p in p.baseAddress.flatMap { set.index(of: $0, m.utf8.count) } }
            #expect(got == i)
        }
    }

    @Test func aVeryLongMemberKeepsTheSetUnhashed() {
        let long = String(repeating: "x", count: 70_000)
        let set = ByteStringSet((0..<20).map { "m\($0)" } + [long])
        #expect(set.contains(long) && set.contains("m19") && !set.contains("m20"))
    }

    @Test func indexIsTheSortedPosition() {
        let set = ByteStringSet(["b", "a", "c"])
        let positions = ["a", "b", "c", "d"].map { s in
            (Array(s.utf8) + [0]).withUnsafeBufferPointer { p in p.baseAddress.flatMap { set.index(of: $0, 1) } }
        }
        #expect(positions == [0, 1, 2, nil])
    }
}

/// A small deterministic generator for tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
