/// The one rule for every name of a person, service or key that crosses the API (an actor,
/// the `who` of a grant, a role name, the bootstrap admin, a signing key's kid): 1 to 256
/// bytes of UTF-8, no control character (C0, DEL or C1, such as U+0085 NEXT LINE) and no
/// whitespace at either end. Such a name is shown in messages and audit entries and compared
/// byte for byte, so "root" and "root\n" must never both be possible.
public enum Identity {
    public static let maxBytes = 256

    /// Throws `.badInput` naming `what` and the first reason the name is refused.
    public static func check(_ s: String, _ what: String) throws(OTAError) {
        let n = s.utf8.count
        guard n >= 1, n <= maxBytes else {
            throw .badInput("\(what) must be 1 to \(maxBytes) bytes of UTF-8, found \(n)")
        }
        for (i, scalar) in s.unicodeScalars.enumerated() where isControl(scalar.value) {
            throw .badInput("\(what) contains a control character (U+\(hex4(scalar.value)) at character \(i))")
        }
        if let first = s.unicodeScalars.first, isWhitespace(first.value) {
            throw .badInput("\(what) starts with whitespace (U+\(hex4(first.value)))")
        }
        if let last = s.unicodeScalars.last, isWhitespace(last.value) {
            throw .badInput("\(what) ends with whitespace (U+\(hex4(last.value)))")
        }
    }

    /// C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F).
    public static func isControl(_ v: UInt32) -> Bool { v < 0x20 || (v >= 0x7f && v <= 0x9f) }

    /// Unicode's White_Space property (controls among them are refused anyway), plus U+FEFF.
    public static func isWhitespace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000...0x200a, 0x2028, 0x2029, 0x202f,
             0x205f, 0x3000, 0xfeff:
            return true
        default:
            return false
        }
    }

    private static func hex4(_ v: UInt32) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.utf8.count)) + digits
    }
}
