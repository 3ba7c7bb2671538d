import OTACore

/// How a vehicle's attributes are kept in `vehicles.attributes`: a CBOR map with text keys in
/// deterministic order (RFC 8949 §4.2.1: shorter keys first, then bytewise), NULL when there
/// are none. One canonical form, so that a change is a byte comparison.
enum StoredAttributes {
    /// Throws for a key listed twice (which would make "the" value ambiguous). Keys are
    /// compared by bytes (ByteText), as the resolver reads them: two spellings are two keys.
    static func check(_ attributes: [SnapshotAttribute]) throws(OTAError) {
        guard attributes.count > 1 else { return }
        for i in 1..<attributes.count {
            for j in 0..<i where attributes[j].key.sameBytes(as: attributes[i].key) {
                throw .badInput("attribute '\(attributes[i].key)' is listed twice")
            }
        }
    }

    static func encode(_ attributes: [SnapshotAttribute]) -> [UInt8]? {
        guard !attributes.isEmpty else { return nil }
        let sorted = attributes.sorted { a, b in
            let x = a.key.utf8, y = b.key.utf8
            return x.count != y.count ? x.count < y.count : x.lexicographicallyPrecedes(y)
        }
        var w = CBORWriter(capacity: 16 * sorted.count + 2)
        w.mapHeader(sorted.count)
        for a in sorted {
            w.text(a.key)
            a.value.write(to: &w)
        }
        return w.bytes
    }

    /// The stored form back as attributes, in stored order; a blob that is not a map of text
    /// keys to tstr / int / bool is reported as corrupt data of `row`.
    static func decode(_ blob: [UInt8]?, row: @autoclosure () -> String) throws(OTAError) -> [SnapshotAttribute] {
        guard let blob else { return [] }
        if let stored = asEncoded(blob) { return stored }
        let value: CBOR
        do throws(OTAError) {
            value = try CBORReader.decode(blob, maxDepth: 2)
        } catch {
            throw .corrupt("stored \(row()): attributes: \(error.message)")
        }
        guard let pairs = value.pairs else { throw .corrupt("stored \(row()): attributes are a \(value.typeName), not a map") }
        var out: [SnapshotAttribute] = []
        out.reserveCapacity(pairs.count)
        for p in pairs {
            guard let key = p.key.text else { throw .corrupt("stored \(row()): attributes have a \(p.key.typeName) key") }
            guard let v = AttributeValue(p.value) else {
                throw .corrupt("stored \(row()): attribute '\(key)' is a \(p.value.typeName), not text, an integer or a bool")
            }
            out.append(SnapshotAttribute(key, v))
        }
        return out
    }

    /// The form `encode` writes (a definite map of definite text keys in canonical order,
    /// so none twice, to definite text, integers in range or bools), read in place without
    /// building a CBOR tree: the export reads every vehicle's. Nil for anything else, which
    /// `decode` then reads with the general decoder (and reports if it is bad).
    static func asEncoded(_ blob: [UInt8]) -> [SnapshotAttribute]? {
        blob.withUnsafeBytes { (raw) -> [SnapshotAttribute]? in
            do throws(OTAError) {
                var s = try CBORScanner(raw)
                let map = try s.head()
                guard map.major == 5, !map.indefinite, map.argument <= UInt64(raw.count) else { return nil }
                var out: [SnapshotAttribute] = []
                out.reserveCapacity(Int(map.argument))
                var previous = ByteRange(start: 0, count: 0)
                for i in 0..<Int(map.argument) {
                    let k = try s.head()
                    guard k.major == 3, !k.indefinite else { return nil }
                    let key = try s.definiteText(k)
                    if i > 0 && !precedes(previous, key, s.base) { return nil }
                    previous = key
                    let v = try s.head()
                    let value: AttributeValue
                    switch (v.major, v.indefinite) {
                    case (0, false):
                        guard v.argument <= UInt64(Int64.max) else { return nil }
                        value = .int(Int64(v.argument))
                    case (1, false):
                        guard v.argument <= UInt64(Int64.max) else { return nil }
                        value = .int(-1 - Int64(v.argument))
                    case (3, false):
                        let t = try s.definiteText(v)
                        value = .text(String(decoding: UnsafeBufferPointer(start: s.base + t.start, count: t.count), as: UTF8.self))
                    case (7, false) where v.info == 20 || v.info == 21:
                        value = .bool(v.info == 21)
                    default:
                        return nil
                    }
                    out.append(SnapshotAttribute(String(decoding: UnsafeBufferPointer(start: s.base + key.start, count: key.count), as: UTF8.self), value))
                }
                return s.atEnd ? out : nil
            } catch {
                return nil
            }
        }
    }

    /// Canonical key order (RFC 8949 §4.2.1): shorter first, then bytewise; strictly.
    private static func precedes(_ a: ByteRange, _ b: ByteRange, _ base: UnsafePointer<UInt8>) -> Bool {
        if a.count != b.count { return a.count < b.count }
        for i in 0..<a.count where base[a.start + i] != base[b.start + i] {
            return base[a.start + i] < base[b.start + i]
        }
        return false
    }
}
