import CByteClass

/// The syntax of a vehicle identification number (ISO 3779), as every snapshot reader checks
/// it in place: 17 characters from `0-9 A-H J-N P R-Z` (never I, O or Q, which read as 1 and
/// 0). The check digit (position 9) is a per-market rule of the inventory import, not of the
/// snapshot format.
public enum VINSyntax {
    public static let length = 17

    @inline(always)
    public static func isWellFormed(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        // sixteen characters at a time (`ota_vin_chars16`); 0..<16 and 1..<17 cover the 17
        n == length && ota_vin_chars16(p) & ota_vin_chars16(p + 1) != 0
    }

    public static func isWellFormed(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { u in u.baseAddress.map { isWellFormed($0, u.count) } ?? false }
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
