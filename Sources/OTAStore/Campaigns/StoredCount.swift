import OTACore

/// A count read back from the store (a campaign's or a wave's targets, a counter, the
/// notifications of a minute, the successes) is checked like input where it is read: a
/// tampered value is `.corrupt`, naming it, so the arithmetic on counts (basis points are
/// count × 10,000, a threshold is percent × count, a wave's final count a sum of a dozen)
/// cannot overflow into a trap. 2^40 is far above any fleet and keeps those within Int64.
enum StoredCount {
    static let max: Int64 = 1 << 40

    /// `n` if it is 0...max; else `.corrupt` saying that `what` (e.g. "campaign 3: targets")
    /// has that value in the store.
    static func check(_ n: Int64, _ what: @autoclosure () -> String) throws(OTAError) -> Int64 {
        guard n >= 0, n <= max else {
            throw .corrupt("\(what()) is \(n) in the store, outside 0...\(max)")
        }
        return n
    }
}
