/// A growable byte buffer addressed by offset (its base moves when it grows). Bytes are
/// copied with `copyMemory` (a memmove): the standard library's generic element-by-element
/// copies cost several instructions a byte in Embedded Swift.
final class ByteArena {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inline(always) func reset() { count = 0 }

    func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if capacity &- count < n { grow(n) }
        UnsafeMutableRawPointer(base + count).copyMemory(from: p, byteCount: n)
        count &+= n
    }

    @inline(always)
    func append(_ byte: UInt8) {
        if capacity == count { grow(1) }
        base[count] = byte
        count &+= 1
    }

    /// Room for `n` more bytes: at least doubled, so that appending is amortized O(1).
    private func grow(_ n: Int) {
        var newCapacity = capacity &* 2
        if newCapacity &- count < n { newCapacity = count &+ n }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        UnsafeMutableRawPointer(grown).copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    /// Another arena with the same bytes.
    func copy() -> ByteArena {
        let other = ByteArena(capacity: capacity)
        other.append(base, count)
        return other
    }

    /// The bytes as an array (one copy).
    func array() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let p = buffer.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: count) }
            initialized = count
        }
    }
}
