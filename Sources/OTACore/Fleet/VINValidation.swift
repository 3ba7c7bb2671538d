/// Vehicle identification numbers (ISO 3779) as the inventory import checks them: the
/// syntax every snapshot reader checks (`VINSyntax`), plus the check digit at position 9 where
/// it is mandatory (North America and China), plus a packed key for sorting and merging.
public enum VIN {
    public static let length = VINSyntax.length
    /// Markets (ISO 3166-1 alpha-2, upper case) where position 9 must be the check digit.
    public static let checkDigitMarkets = ["US", "CA", "MX", "CN"]

    /// The character's position in the 33-character alphabet (which is in ASCII order, so
    /// ranks compare like the characters), or nil for a character a VIN may not contain.
    @inline(__always)
    static func rank(_ c: UInt8) -> UInt64? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt64(c &- UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "H"): return UInt64(c &- UInt8(ascii: "A")) &+ 10
        case UInt8(ascii: "J")...UInt8(ascii: "N"): return UInt64(c &- UInt8(ascii: "J")) &+ 18
        case UInt8(ascii: "P"): return 23
        case UInt8(ascii: "R")...UInt8(ascii: "Z"): return UInt64(c &- UInt8(ascii: "R")) &+ 24
        default: return nil
        }
    }

    /// ISO 3779 transliteration: digits are themselves, A-H 1-8, J-N 1-5, P 7, R 9, S-Z 2-9.
    @inline(__always)
    static func value(_ c: UInt8) -> Int {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(c &- UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "H"): return Int(c &- UInt8(ascii: "A")) &+ 1
        case UInt8(ascii: "J")...UInt8(ascii: "N"): return Int(c &- UInt8(ascii: "J")) &+ 1
        case UInt8(ascii: "P"): return 7
        case UInt8(ascii: "R"): return 9
        case UInt8(ascii: "S")...UInt8(ascii: "Z"): return Int(c &- UInt8(ascii: "S")) &+ 2
        default: return 0
        }
    }

    static let weights: [Int] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]

    /// The check digit ('0'...'9' or 'X') of 17 VIN characters; position 9 itself is ignored.
    public static func checkDigit(_ vin: String) -> UInt8? {
        guard vin.utf8.count == length else { return nil }
        var sum = 0
        for (i, c) in vin.utf8.enumerated() { sum &+= value(c) &* weights[i] }
        let r = sum % 11
        return r == 10 ? UInt8(ascii: "X") : UInt8(ascii: "0") &+ UInt8(r)
    }

    public static func requiresCheckDigit(market: String) -> Bool {
        checkDigitMarkets.contains(market)
    }

    /// Validates a VIN for a vehicle registered in `market` and returns its packed key.
    /// The message names what is wrong; callers prefix the vehicle's position.
    public static func validate(_ vin: String, market: String) throws(OTAError) -> VINKey {
        guard let key = key(vin) else { throw .badInput(problem(vin)) }
        if requiresCheckDigit(market: market), let expected = checkDigit(vin) {
            let found = vin.utf8[vin.utf8.index(vin.utf8.startIndex, offsetBy: 8)]
            if found != expected {
                throw .badInput("VIN '\(vin)': check digit (position 9) is '\(Character(Unicode.Scalar(found)))' but the VIN's characters give '\(Character(Unicode.Scalar(expected)))' (verified for market \(market))")
            }
        }
        return key
    }

    /// The VIN packed into 86 bits, ordered like the text; nil if it is not 17 VIN characters.
    public static func key(_ vin: String) -> VINKey? { key(utf8: vin.utf8) }

    /// `key` over UTF-8 bytes (a stored column, without making a String).
    public static func key<Bytes: Collection>(utf8: Bytes) -> VINKey? where Bytes.Element == UInt8 {
        guard utf8.count == length else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for (i, c) in utf8.enumerated() {
            guard let r = rank(c) else { return nil }
            if i < 8 { hi = hi &* 33 &+ r } else { lo = lo &* 33 &+ r }
        }
        return VINKey(hi: hi, lo: lo)
    }

    /// Why `vin` is not 17 VIN characters (call only when `key` returned nil).
    static func problem(_ vin: String) -> String {
        let count = vin.utf8.count
        guard count == length else {
            return "VIN \(quoted(vin)) has \(count) bytes; a VIN has exactly 17 characters"
        }
        for (i, c) in vin.utf8.enumerated() where rank(c) == nil {
            let shown = c >= 0x21 && c < 0x7f ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
            return "VIN \(quoted(vin)): \(shown) at position \(i + 1) is not a VIN character (0-9, A-Z without I, O, Q)"
        }
        return "VIN \(quoted(vin)) is not valid"
    }

    /// The VIN for a message: printable ASCII as is, anything else as '?', at most 40 bytes.
    public static func quoted(_ vin: String) -> String {
        var out = "'"
        for c in vin.utf8.prefix(40) {
            out.append(c >= 0x20 && c < 0x7f ? Character(Unicode.Scalar(c)) : "?")
        }
        return out + (vin.utf8.count > 40 ? "...'" : "'")
    }
}

/// A valid VIN as two integers (the first 8 and the last 9 characters in base 33): compares
/// like the text, so that sorted keys merge with `ORDER BY vin`.
public struct VINKey: Comparable, Hashable {
    public var hi: UInt64
    public var lo: UInt64

    public static func < (a: VINKey, b: VINKey) -> Bool {
        a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo
    }

    static let alphabet = Array("0123456789ABCDEFGHJKLMNPRSTUVWXYZ".utf8)

    /// The VIN again (for messages).
    public var text: String {
        var chars = [UInt8](repeating: 0, count: VIN.length)
        var hi = self.hi, lo = self.lo
        for i in stride(from: 16, through: 8, by: -1) {
            chars[i] = VINKey.alphabet[Int(lo % 33)]
            lo /= 33
        }
        for i in stride(from: 7, through: 0, by: -1) {
            chars[i] = VINKey.alphabet[Int(hi % 33)]
            hi /= 33
        }
        return String(decoding: chars, as: UTF8.self)
    }
}
