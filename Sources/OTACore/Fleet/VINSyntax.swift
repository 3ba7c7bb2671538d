/// The syntax of a vehicle identification number (ISO 3779), as every snapshot reader checks
/// it in place: 17 characters from `0-9 A-H J-N P R-Z` (never I, O or Q, which read as 1 and
/// 0). The check digit (position 9) is a per-market rule of the inventory import, not of the
/// snapshot format.
public enum VINSyntax {
    public static let length = 17

    @inline(always)
    public static func isWellFormed(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard n == length else { return false }
        // eight characters at a time (words at 0, 8 and 9 cover the 17)
        let raw = UnsafeRawPointer(p)
        return isVINWord(raw.loadUnaligned(as: UInt64.self))
            && isVINWord(raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            && isVINWord(raw.loadUnaligned(fromByteOffset: 9, as: UInt64.self))
    }

    public static func isWellFormed(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { u in u.baseAddress.map { isWellFormed($0, u.count) } ?? false }
    }

    /// Whether all eight bytes of `w` are VIN characters, by SWAR: per byte, the 0x80 bit of
    /// `w + (0x80 - n)` says byte >= n (exact while bytes are ASCII, which is checked too).
    @inlinable @inline(always)
    static func isVINWord(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        @inline(always) func atLeast(_ n: UInt64) -> UInt64 { (w &+ ones &* (0x80 &- n)) & high }
        @inline(always) func equal(_ c: UInt64) -> UInt64 {
            let t = w ^ (ones &* c)
            return ~(((t & ~high) &+ ~high) | t) & high
        }
        let digit = atLeast(0x30) & ~atLeast(0x3a)
        let letter = atLeast(0x41) & ~atLeast(0x5b) & ~(equal(0x49) | equal(0x4f) | equal(0x51))  // no I, O, Q
        return ~w & (digit | letter) & high == high
    }

    @inlinable
    static func isVINCharacter(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        case UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return c != UInt8(ascii: "I") && c != UInt8(ascii: "O") && c != UInt8(ascii: "Q")
        default: return false
        }
    }

    /// What a VIN must look like, for error messages.
    public static let rule = "17 characters from 0-9 and A-Z without I, O, Q"
}
