/// A vehicle's attributes (`{ * str => tstr / int / bool }`; values are never table
/// indices): checked for type and duplicate keys, and compared with the rule's.
extension SnapshotResolution {
    /// Reads the attribute map; returns a bit per rule attribute the vehicle has with the
    /// required value.
    mutating func attributes() throws(OTAError) -> UInt32 {
        var entries = try scanner.container(5, "attributes")
        attributeKeys.removeAll(keepingCapacity: true)
        var matched: UInt32 = 0
        while try scanner.next(&entries) {
            let key = try strings.str(&scanner, "attributes: key")
            attributeKeys.append(key)
            let value = try scanner.head()
            let k = matcher.attributeKeys == nil ? -1 : attributeKey(key)
            switch value.major {
            case 3:
                let text = try strings.text(value, &scanner, into: strings.vehicleArena, .vehicleArena)
                if k >= 0, case .text(let required) = matcher.attributeValues[k],
                   equal(strings.bytes(text), required) {
                    matched |= 1 << UInt32(k)
                }
            case 0, 1:
                if k >= 0, case .int(let required) = matcher.attributeValues[k], equal(value, required) {
                    matched |= 1 << UInt32(k)
                }
            case 7 where value.info == 20 || value.info == 21:
                if k >= 0, case .bool(let required) = matcher.attributeValues[k], required == (value.info == 21) {
                    matched |= 1 << UInt32(k)
                }
            default:
                throw scanner.typeError(value, expected: "text, an integer or a bool", "attributes: value")
            }
        }
        try checkUniqueKeys()
        return matched
    }

    @inline(always)
    private mutating func attributeKey(_ s: Str) -> Int {
        if s.tableIndex >= 0 { return Int(tableClass(s.tableIndex).attributeKey) }
        return Int(matcher.attributeKey(strings.bytes(s)))
    }

    /// A map with two equal keys is not valid CBOR, whether they are spelled inline or
    /// as table indices.
    private mutating func checkUniqueKeys() throws(OTAError) {
        let n = attributeKeys.count
        guard n > 1 else { return }
        if n <= 16 {
            for i in 1..<n {
                for j in 0..<i where sameString(attributeKeys[i], attributeKeys[j]) {
                    throw duplicate(attributeKeys[i])
                }
            }
            return
        }
        let strings = self.strings
        attributeKeys.sort { a, b in
            let x = strings.bytes(a), y = strings.bytes(b)
            return compareBytes(x, y) < 0
        }
        for i in 1..<n where sameString(attributeKeys[i], attributeKeys[i - 1]) {
            throw duplicate(attributeKeys[i])
        }
    }

    @inline(always)
    private func sameString(_ a: Str, _ b: Str) -> Bool {
        if a.tableIndex >= 0 && a.tableIndex == b.tableIndex { return true }
        return compareBytes(strings.bytes(a), strings.bytes(b)) == 0
    }

    private func duplicate(_ key: Str) -> OTAError {
        .badInput("attributes: the key \"\(String(decoding: strings.bytes(key), as: UTF8.self))\" appears twice (before byte \(scanner.offset))")
    }

    private func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Bool {
        b.withUnsafeBufferPointer { compareBytes(a, $0) == 0 }
    }

    /// A CBOR integer head (major 0 or 1) against a 64-bit value.
    private func equal(_ h: CBORHead, _ n: Int64) -> Bool {
        if h.major == 0 { return n >= 0 && UInt64(n) == h.argument }
        return n < 0 && UInt64(bitPattern: ~n) == h.argument  // -1 - argument
    }
}

/// Bytewise comparison of two buffers (shorter first among equal prefixes).
@inline(always)
func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
    guard let p = a.baseAddress, let q = b.baseAddress else { return a.count &- b.count }
    return compare(p, a.count, q, b.count)
}
