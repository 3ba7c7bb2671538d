/// UTF-8 validation of bytes in place. Snapshot text is almost always ASCII, checked eight
/// bytes at a time; anything else goes to the standard library's validator.
public enum UTF8Check {
    @inline(always)
    public static func isValid(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i &+ 8 <= n {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 {
                return validateSlow(p, n)
            }
            i &+= 8
        }
        while i < n {
            if p[i] >= 0x80 { return validateSlow(p, n) }
            i &+= 1
        }
        return true
    }

    /// `isValid` for a string followed by more readable bytes (`readable` >= `n` from `p`),
    /// as inside a document: one 8-byte load covers a short string, and a long one ends with
    /// an overlapping load instead of a byte loop.
    @inline(always)
    public static func isValid(_ p: UnsafePointer<UInt8>, _ n: Int, readable: Int) -> Bool {
        let raw = UnsafeRawPointer(p)
        let high: UInt64 = 0x8080_8080_8080_8080
        if n < 8 {
            guard readable >= 8 else { return isValid(p, n) }
            // the string's bytes are the low ones of the little-endian word
            let word = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            let mask: UInt64 = (1 << (UInt64(truncatingIfNeeded: n) &* 8)) &- 1
            return word & mask & high == 0 || validateSlow(p, n)
        }
        if n <= 16 {  // two words, overlapping below 16: no loop for the usual identifiers
            let words = raw.loadUnaligned(as: UInt64.self) | raw.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
            return words & high == 0 || validateSlow(p, n)
        }
        var i = 0
        while i &+ 8 <= n {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & high != 0 { return validateSlow(p, n) }
            i &+= 8
        }
        if i < n && raw.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) & high != 0 {
            return validateSlow(p, n)
        }
        return true
    }

    @inline(never) @usableFromInline
    static func validateSlow(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        String(validating: UnsafeBufferPointer(start: p, count: n), as: UTF8.self) != nil
    }
}
