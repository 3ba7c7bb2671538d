/// The key of one `campaign_counts` row: (dim, key, sub). Any text fits (a model or market
/// is any UTF-8 the fleet import took), so the parts are kept apart, never joined with a
/// separator. Compared, hashed and ordered by their UTF-8 bytes, as SQLite compares them:
/// two spellings of one character (composed or not) are two counters, as they are two rows.
struct CounterKey: Hashable, Comparable {
    var dim: String
    var key: String
    var sub: String

    static func == (a: CounterKey, b: CounterKey) -> Bool {
        a.dim.utf8.elementsEqual(b.dim.utf8) && a.key.utf8.elementsEqual(b.key.utf8)
            && a.sub.utf8.elementsEqual(b.sub.utf8)
    }

    func hash(into h: inout Hasher) {
        Self.combine(dim, into: &h)
        Self.combine(key, into: &h)
        Self.combine(sub, into: &h)
    }

    private static func combine(_ s: String, into h: inout Hasher) {
        h.combine(s.utf8.count)
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { h.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil { for byte in s.utf8 { h.combine(byte) } }
    }

    /// Bytewise by dim, then key, then sub (the order of the table's primary key).
    static func < (a: CounterKey, b: CounterKey) -> Bool {
        if !a.dim.utf8.elementsEqual(b.dim.utf8) { return a.dim.utf8.lexicographicallyPrecedes(b.dim.utf8) }
        if !a.key.utf8.elementsEqual(b.key.utf8) { return a.key.utf8.lexicographicallyPrecedes(b.key.utf8) }
        return a.sub.utf8.lexicographicallyPrecedes(b.sub.utf8)
    }
}
