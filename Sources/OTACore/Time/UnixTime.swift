/// The times libota accepts: Unix seconds from 1970-01-01 to 9999-12-31T23:59:59Z. Every
/// `now` a caller passes and every time a document carries (a campaign's start and end) is in
/// this range, so sums and differences of times, durations of at most a year and UTC offsets
/// can never overflow an Int64.
public enum UnixTime {
    public static let range: ClosedRange<Int64> = 0...253_402_300_799

    /// ⌊t / unit⌋ (the hour, day, ... holding `t`, also before 1970) for a positive `unit`,
    /// with no overflow at Int64's ends.
    public static func floorDiv(_ t: Int64, _ unit: Int64) -> Int64 {
        t / unit - (t % unit < 0 ? 1 : 0)
    }
}
