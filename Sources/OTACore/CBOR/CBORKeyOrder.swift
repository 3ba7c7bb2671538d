/// Duplicate map keys found in O(n log n): every key is encoded once into one buffer in a
/// canonical form (CBORWriter: shortest heads, definite lengths, floats as doubles), the
/// encodings are sorted, and neighbours compared. Two keys are the same data item exactly
/// when their canonical encodings are equal (RFC 8949 §5.6): whatever width or chunking the
/// document used, text compared byte for byte (no Unicode normalization, as everywhere in
/// libota), floats by their bits (-0.0 is not 0.0).
enum CBORKeyOrder {
    /// For `items` = [key0, value0, key1, value1, ...]: the pair index of the later of two
    /// equal keys (the lowest such index), or nil if all keys differ.
    static func firstDuplicate(keysOf items: [CBOR]) -> Int? {
        let n = items.count / 2
        guard n > 1 else { return nil }
        var w = CBORWriter(capacity: 16 * n)
        var starts: [Int] = []
        starts.reserveCapacity(n + 1)
        var length = 0
        for i in 0..<n {
            starts.append(length)
            w.value(items[2 * i])
            length = w.byteCount
        }
        starts.append(length)
        return w.withBytes { buffer -> Int? in
            guard let base = buffer.baseAddress else { return nil }
            func order(_ i: Int, _ j: Int) -> Int {
                compare(base + starts[i], starts[i + 1] - starts[i], base + starts[j], starts[j + 1] - starts[j])
            }
            var sorted = Array(0..<n)
            // Ties by position: of equal keys the earlier comes first.
            sorted.sort { (i, j) in
                let c = order(i, j)
                return c != 0 ? c < 0 : i < j
            }
            var found: Int? = nil
            for k in 1..<n where order(sorted[k - 1], sorted[k]) == 0 {
                found = min(found ?? Int.max, sorted[k])
            }
            return found
        }
    }
}
