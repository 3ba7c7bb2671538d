/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, well-mixed PRNG whose whole state is one
/// word, so a campaign's order is a function of its seed alone, on every platform.
public struct SplitMix64 {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The finalizer alone: a seed derived from a number (a campaign id).
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0), without modulo bias (Lemire's multiply-and-reject).
    public mutating func below(_ bound: Int) -> Int {
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }
}

/// The frozen order of a campaign's targets: shuffled with the seed, and spread across groups
/// (market and model) so that consecutive notifications do not all go to one market or model.
///
/// Each group is shuffled on its own; then the groups are interleaved by stride scheduling:
/// every group advances by 1/size per pick and the group with the smallest next "pass" comes
/// next, so a group of 30 % of the targets fills about every third position all along the
/// order, and any slice of it (a wave) holds each group in proportion.
public enum SpreadOrder {
    /// The default seed of campaign `id` when its spec gives none.
    public static func defaultSeed(campaign id: Int64) -> UInt64 {
        SplitMix64.mix(UInt64(bitPattern: id) ^ 0x6F74_615F_6361_6D70)  // "ota_camp"
    }

    /// Fisher-Yates over `items` in place.
    public static func shuffle(_ items: inout [Int32], _ rng: inout SplitMix64) {
        var i = items.count - 1
        while i > 0 {
            let j = rng.below(i + 1)
            items.swapAt(i, j)
            i -= 1
        }
    }

    /// `group[i]` is the group number of item i (0..<groupCount, numbered in a deterministic
    /// order by the caller). Returns the items (indices into `group`) in the spread order.
    public static func order(group: [Int32], groupCount: Int, seed: UInt64) -> [Int32] {
        guard groupCount > 0 else { return [] }
        // Members of each group in item order (a counting sort), then each group shuffled.
        var starts = [Int](repeating: 0, count: groupCount + 1)
        for g in group { starts[Int(g) + 1] += 1 }
        for i in 0..<groupCount { starts[i + 1] += starts[i] }
        var members = [Int32](repeating: 0, count: group.count)
        var fill = starts
        for (i, g) in group.enumerated() {
            members[fill[Int(g)]] = Int32(truncatingIfNeeded: i)
            fill[Int(g)] += 1
        }
        var rng = SplitMix64(seed: seed)
        for g in 0..<groupCount where starts[g + 1] - starts[g] > 1 {
            var slice = Array(members[starts[g]..<starts[g + 1]])
            shuffle(&slice, &rng)
            for (k, m) in slice.enumerated() { members[starts[g] + k] = m }
        }
        // Stride scheduling: pass_g = (taken_g + offset_g) / size_g, compared exactly as
        // fractions in integers; the random offset in [0, 1) keeps small groups from always
        // coming first. Ties go to the lower group number. A binary heap keeps it O(n log g).
        let scale: UInt64 = 1 << 20
        var offset = [UInt64](repeating: 0, count: groupCount)
        for g in 0..<groupCount { offset[g] = rng.next() % scale }
        var taken = [Int](repeating: 0, count: groupCount)
        func size(_ g: Int) -> Int { starts[g + 1] - starts[g] }
        // pass numerator (taken * scale + offset) over denominator (size * scale) -> compare a/b < c/d.
        func before(_ a: Int, _ b: Int) -> Bool {
            let na = UInt64(taken[a]) * scale + offset[a], nb = UInt64(taken[b]) * scale + offset[b]
            let l = na.multipliedFullWidth(by: UInt64(size(b)))
            let r = nb.multipliedFullWidth(by: UInt64(size(a)))
            if l.high != r.high { return l.high < r.high }
            if l.low != r.low { return l.low < r.low }
            return a < b
        }
        var heap: [Int] = []
        heap.reserveCapacity(groupCount)
        for g in 0..<groupCount where size(g) > 0 { heap.append(g) }
        // heapify
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && before(heap[l], heap[m]) { m = l }
                if r < heap.count && before(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        var k = heap.count / 2
        while k > 0 { k -= 1; siftDown(k) }
        var out = [Int32]()
        out.reserveCapacity(group.count)
        while let g = heap.first {
            out.append(members[starts[g] + taken[g]])
            taken[g] += 1
            if taken[g] == size(g) {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(0) }
        }
        return out
    }
}
