import OTACore

/// How a vehicle's attributes are kept in `vehicles.attributes`: a CBOR map with text keys in
/// deterministic order (RFC 8949 §4.2.1: shorter keys first, then bytewise), NULL when there
/// are none. One canonical form, so that a change is a byte comparison.
enum StoredAttributes {
    /// Throws for a key listed twice (which would make "the" value ambiguous).
    static func check(_ attributes: [SnapshotAttribute]) throws(OTAError) {
        guard attributes.count > 1 else { return }
        for i in 1..<attributes.count {
            for j in 0..<i where attributes[j].key == attributes[i].key {
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
}
