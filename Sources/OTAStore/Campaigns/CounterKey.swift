import OTACore

/// The key of one `campaign_counts` row: (dim, key, sub). Any text fits (a model or market
/// is any UTF-8 the fleet import took), so the parts are kept apart, never joined with a
/// separator. Compared, hashed and ordered by their UTF-8 bytes (`ByteText`), as SQLite does:
/// two spellings of one character (composed or not) are two counters, as they are two rows.
struct CounterKey: Hashable, Comparable {
    var dim: String
    var key: String
    var sub: String

    static func == (a: CounterKey, b: CounterKey) -> Bool {
        a.dim.sameBytes(as: b.dim) && a.key.sameBytes(as: b.key) && a.sub.sameBytes(as: b.sub)
    }

    func hash(into h: inout Hasher) {
        dim.hashBytes(into: &h)
        key.hashBytes(into: &h)
        sub.hashBytes(into: &h)
    }

    /// Bytewise by dim, then key, then sub (the order of the table's primary key).
    static func < (a: CounterKey, b: CounterKey) -> Bool {
        if !a.dim.sameBytes(as: b.dim) { return a.dim.bytesPrecede(b.dim) }
        if !a.key.sameBytes(as: b.key) { return a.key.bytesPrecede(b.key) }
        return a.sub.bytesPrecede(b.sub)
    }
}
