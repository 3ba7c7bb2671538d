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

    @inline(never) @usableFromInline
    static func validateSlow(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        String(validating: UnsafeBufferPointer(start: p, count: n), as: UTF8.self) != nil
    }
}
