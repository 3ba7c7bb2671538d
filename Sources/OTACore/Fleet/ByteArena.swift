/// A growable byte buffer addressed by offset (its base moves when it grows).
final class ByteArena {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    @inline(always) func reset() { count = 0 }

    func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if capacity &- count < n {
            var newCapacity = capacity &* 2
            if newCapacity &- count < n { newCapacity = count &+ n }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: base, count: count)
            base.deallocate()
            base = grown
            capacity = newCapacity
        }
        (base + count).update(from: p, count: n)
        count &+= n
    }
}
