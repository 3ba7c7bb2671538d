/// Time from a target's first offer to its success as a histogram with fixed buckets, so
/// that the statistics of shards merge by adding counts and the merged median is read the
/// same way. Every success is counted once, so the histogram's total is the succeeded count.
public enum TimeToSuccess {
    /// The seconds a success counts as: from the target's first offer in the campaign (a
    /// retry or a reminder does not restart the clock); 0 when no offer was ever sent (a
    /// vehicle that proved the install before its offer went out). Saturating.
    public static func seconds(firstOffer: Int64?, succeeded: Int64?) -> Int64 {
        guard let firstOffer, let succeeded else { return 0 }
        let (d, overflow) = succeeded.subtractingReportingOverflow(firstOffer)
        return overflow ? (firstOffer < 0 ? Int64.max : Int64.min) : d
    }

    /// Upper bounds (exclusive, seconds) of the buckets; the last bucket has no bound.
    public static let upperBounds: [Int64] = [
        60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400, 172_800, 259_200,
        432_000, 604_800, 1_209_600, 2_592_000,
    ]

    public static func bucket(_ seconds: Int64) -> Int {
        for (i, bound) in upperBounds.enumerated() where seconds < bound { return i }
        return upperBounds.count
    }

    /// The median read from bucket counts: the upper bound of the bucket that holds the
    /// middle success (the last bucket's lower bound for the open one); nil with no success.
    public static func median(_ counts: [Int64]) -> Int64? {
        // Counts come from merged documents too: negative ones count as none, sums saturate.
        var total: Int64 = 0
        for n in counts { total = saturatingAdd(total, max(n, 0)) }
        guard total > 0 else { return nil }
        let middle = total / 2 + total % 2
        var seen: Int64 = 0
        for (i, n) in counts.enumerated() {
            seen = saturatingAdd(seen, max(n, 0))
            if seen >= middle {
                return i < upperBounds.count ? upperBounds[i] : upperBounds[upperBounds.count - 1]
            }
        }
        return nil
    }

    private static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int64.max : s
    }
}
