/// RFC 8949 §4.2.1 deterministic order for decoded values a spec keeps as given (its
/// narrowing rule): map keys sorted by their encoded bytes, at every level. A rule sent by
/// cbor2, libcbor or with indefinite lengths ends up as the same stored bytes.
public enum CanonicalCBOR {
    public static func normalized(_ v: CBOR) -> CBOR {
        switch v {
        case .array(let items):
            return .array(items.map { normalized($0) })
        case .map(let pairs):
            let keyed = pairs.map { (key: encoded($0.key), pair: CBORPair(normalized($0.key), normalized($0.value))) }
            return .map(keyed.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { $0.pair })
        case .tagged(let t, let item):
            return .tagged(t, normalized(item))
        default:
            return v
        }
    }

    static func encoded(_ v: CBOR) -> [UInt8] {
        var w = CBORWriter(capacity: 16)
        w.value(v)
        return w.bytes
    }

    /// Whether text key `a` comes before `b` in a deterministic map: shorter first, then bytewise.
    public static func keyPrecedes(_ a: String, _ b: String) -> Bool {
        let x = a.utf8.count, y = b.utf8.count
        if x != y { return x < y }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
