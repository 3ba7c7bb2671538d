/// A total order on decoded CBOR items, used to find duplicate map keys in O(n log n): sort
/// the keys, then compare neighbours. Two items are equal in this order exactly when they are
/// the same data item (RFC 8949 §5.6): text compares byte for byte (no Unicode
/// normalization, as everywhere in libota), floats by their bits (so -0.0 differs from 0.0,
/// and a NaN equals itself), whatever width the encoding used.
enum CBORKeyOrder {
    /// Negative, zero or positive.
    static func compare(_ a: CBOR, _ b: CBOR) -> Int {
        let ra = rank(a), rb = rank(b)
        if ra != rb { return ra < rb ? -1 : 1 }
        switch (a, b) {
        case (.unsigned(let x), .unsigned(let y)), (.negative(let x), .negative(let y)):
            return x == y ? 0 : (x < y ? -1 : 1)
        case (.bytes(let x), .bytes(let y)):
            return bytewise(x, y)
        case (.text(let x), .text(let y)):
            return bytewise(x.utf8, y.utf8)
        case (.array(let x), .array(let y)):
            if x.count != y.count { return x.count < y.count ? -1 : 1 }
            for i in 0..<x.count {
                let c = compare(x[i], y[i])
                if c != 0 { return c }
            }
            return 0
        case (.map(let x), .map(let y)):
            if x.count != y.count { return x.count < y.count ? -1 : 1 }
            for i in 0..<x.count {
                let k = compare(x[i].key, y[i].key)
                if k != 0 { return k }
                let v = compare(x[i].value, y[i].value)
                if v != 0 { return v }
            }
            return 0
        case (.tagged(let tx, let x), .tagged(let ty, let y)):
            if tx != ty { return tx < ty ? -1 : 1 }
            return compare(x, y)
        case (.bool(let x), .bool(let y)):
            return x == y ? 0 : (x ? 1 : -1)
        case (.float(let x), .float(let y)):
            let bx = x.bitPattern, by = y.bitPattern
            return bx == by ? 0 : (bx < by ? -1 : 1)
        default:
            return 0  // null, undefined: one value each
        }
    }

    /// The index of the second of two equal keys (in encoding order), or nil if all differ.
    static func firstDuplicate(_ keys: [CBOR]) -> Int? {
        guard keys.count > 1 else { return nil }
        var order = Array(0..<keys.count)
        // Ties broken by position, so the duplicate reported is the later of the two.
        order.sort { (i, j) in
            let c = compare(keys[i], keys[j])
            return c != 0 ? c < 0 : i < j
        }
        var found: Int? = nil
        for n in 1..<order.count where compare(keys[order[n - 1]], keys[order[n]]) == 0 {
            found = min(found ?? Int.max, order[n])
        }
        return found
    }

    private static func rank(_ v: CBOR) -> Int {
        switch v {
        case .unsigned: return 0
        case .negative: return 1
        case .bytes: return 2
        case .text: return 3
        case .array: return 4
        case .map: return 5
        case .tagged: return 6
        case .bool: return 7
        case .null: return 8
        case .undefined: return 9
        case .float: return 10
        }
    }

    private static func bytewise<C: Collection>(_ x: C, _ y: C) -> Int where C.Element == UInt8 {
        var i = x.makeIterator(), j = y.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let a?, let b?): if a != b { return a < b ? -1 : 1 }
            }
        }
    }
}
