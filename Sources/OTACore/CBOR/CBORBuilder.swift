/// The one way output documents are built: maps whose keys come out in RFC 8949 §4.2.1
/// deterministic order by construction (bytewise order of the encoded keys: for text keys,
/// shorter first, then bytewise), whatever order the code adds them in, and arrays and maps
/// whose count need not be known up front (the head is written when the container closes).
/// Definite lengths only, so the same document always has the same bytes.
///
///     var doc = CBORMapBuilder()
///     doc.text("state", "running")
///     doc.array("events") { events in for e in list { events.map { $0.text("type", e) } } }
///     let bytes = doc.encoded
///
/// Large streamed results (resolution targets, fleet export) keep their own writers; every
/// other document goes through here.
public struct CBORMapBuilder {
    /// Every entry in the order added, a key added again included: which one is written is
    /// decided once, by `canonicalOrder` (comparing each new key with the earlier ones made a
    /// map of n keys cost n², and a statistics document's failure codes are any integers).
    private var entries: [(key: [UInt8], value: CBORWriter)] = []

    public init() {}

    /// The number of distinct keys.
    public var count: Int { canonicalOrder().count }

    /// Adds `key` with one complete item written by `body`. A key added twice keeps the
    /// value added last (a map never carries a key twice).
    public mutating func add(_ key: String, _ body: (inout CBORWriter) -> Void) {
        var k = CBORWriter(capacity: key.utf8.count + 2)
        k.text(key)
        var v = CBORWriter(capacity: 32)
        body(&v)
        entries.append((k.bytes, v))
    }

    /// The indexes of the entries to write, in key order, one per key (the last added): one
    /// sort by (encoded key, position), then equal neighbours dropped. O(n log n).
    private func canonicalOrder() -> [Int] {
        var order = Array(entries.indices)
        order.sort { i, j in
            let a = entries[i].key, b = entries[j].key
            return a == b ? i < j : a.lexicographicallyPrecedes(b)
        }
        var kept: [Int] = []
        kept.reserveCapacity(order.count)
        for i in order {
            if let last = kept.last, entries[last].key == entries[i].key {
                kept[kept.count - 1] = i
            } else {
                kept.append(i)
            }
        }
        return kept
    }

    public mutating func text(_ key: String, _ value: String) { add(key) { $0.text(value) } }
    public mutating func int(_ key: String, _ value: Int64) { add(key) { $0.int(value) } }
    public mutating func int(_ key: String, _ value: Int) { add(key) { $0.int(Int64(value)) } }
    public mutating func unsigned(_ key: String, _ value: UInt64) { add(key) { $0.unsigned(value) } }
    public mutating func bool(_ key: String, _ value: Bool) { add(key) { $0.bool(value) } }
    public mutating func bytes(_ key: String, _ value: [UInt8]) { add(key) { $0.bytes(value) } }
    public mutating func null(_ key: String) { add(key) { $0.null() } }
    public mutating func optionalText(_ key: String, _ value: String?) { add(key) { $0.optionalText(value) } }
    public mutating func optionalInt(_ key: String, _ value: Int64?) {
        add(key) { w in if let value { w.int(value) } else { w.null() } }
    }
    /// Adds a value that already is one complete CBOR item (checked by whoever made it).
    public mutating func raw(_ key: String, _ item: [UInt8]) { add(key) { $0.raw(item) } }
    public mutating func value(_ key: String, _ item: CBOR) { add(key) { $0.value(item) } }

    /// A nested map, built by `body`.
    public mutating func map(_ key: String, _ body: (inout CBORMapBuilder) -> Void) {
        var m = CBORMapBuilder()
        body(&m)
        add(key) { m.write(to: &$0) }
    }

    /// A nested array, built by `body`.
    public mutating func array(_ key: String, _ body: (inout CBORArrayBuilder) -> Void) {
        var a = CBORArrayBuilder()
        body(&a)
        add(key) { a.write(to: &$0) }
    }

    /// A map of counters ({name => uint}), in deterministic order, from pairs in any order.
    public mutating func counts<S: Sequence>(_ key: String, _ pairs: S) where S.Element == (String, Int64) {
        map(key) { m in for (name, n) in pairs { m.int(name, n) } }
    }

    /// Writes the map into `w`: the head with its count, then the entries in key order.
    public func write(to w: inout CBORWriter) {
        let order = canonicalOrder()
        w.mapHeader(order.count)
        for i in order {
            w.raw(entries[i].key)
            entries[i].value.withBytes { w.raw($0) }
        }
    }

    public var encoded: [UInt8] {
        var w = CBORWriter()
        write(to: &w)
        return w.bytes
    }
}

/// An array whose count is known when it closes. Items are kept in the order appended.
public struct CBORArrayBuilder {
    private var items = CBORWriter(capacity: 64)
    public private(set) var count = 0

    public init() {}

    /// Appends one complete item written by `body`.
    public mutating func add(_ body: (inout CBORWriter) -> Void) {
        body(&items)
        count += 1
    }

    public mutating func text(_ value: String) { add { $0.text(value) } }
    public mutating func int(_ value: Int64) { add { $0.int(value) } }
    public mutating func int(_ value: Int) { add { $0.int(Int64(value)) } }
    public mutating func bool(_ value: Bool) { add { $0.bool(value) } }
    public mutating func bytes(_ value: [UInt8]) { add { $0.bytes(value) } }
    public mutating func null() { add { $0.null() } }
    public mutating func optionalText(_ value: String?) { add { $0.optionalText(value) } }
    public mutating func raw(_ item: [UInt8]) { add { $0.raw(item) } }
    public mutating func value(_ item: CBOR) { add { $0.value(item) } }

    public mutating func map(_ body: (inout CBORMapBuilder) -> Void) {
        var m = CBORMapBuilder()
        body(&m)
        add { m.write(to: &$0) }
    }

    public mutating func array(_ body: (inout CBORArrayBuilder) -> Void) {
        var a = CBORArrayBuilder()
        body(&a)
        add { a.write(to: &$0) }
    }

    public func write(to w: inout CBORWriter) {
        w.arrayHeader(count)
        items.withBytes { w.raw($0) }
    }

    public var encoded: [UInt8] {
        var w = CBORWriter()
        write(to: &w)
        return w.bytes
    }
}
