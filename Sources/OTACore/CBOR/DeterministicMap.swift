/// Builds a CBOR map whose entries come out in RFC 8949 §4.2.1 order (bytewise order of the
/// encoded keys; for text keys that is shorter first, then bytewise), whatever order the
/// caller adds them in. Documents that are signed or compared byte for byte use it.
public struct DeterministicMap {
    private var entries: [(key: [UInt8], value: [UInt8])] = []

    public init() {}

    public var count: Int { entries.count }

    /// Adds `key` with a value written by `body` (one complete item).
    public mutating func add(_ key: String, _ body: (inout CBORWriter) -> Void) {
        var k = CBORWriter(capacity: key.utf8.count + 2)
        k.text(key)
        var v = CBORWriter(capacity: 32)
        body(&v)
        entries.append((k.bytes, v.bytes))
    }

    public mutating func text(_ key: String, _ value: String) { add(key) { $0.text(value) } }
    public mutating func int(_ key: String, _ value: Int64) { add(key) { $0.int(value) } }
    public mutating func bytes(_ key: String, _ value: [UInt8]) { add(key) { $0.bytes(value) } }
    public mutating func optionalText(_ key: String, _ value: String?) { add(key) { $0.optionalText(value) } }
    /// Adds a value that already is one complete CBOR item.
    public mutating func raw(_ key: String, _ item: [UInt8]) { add(key) { $0.raw(item) } }

    /// Writes the map into `w`.
    public func write(to w: inout CBORWriter) {
        let sorted = entries.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        w.mapHeader(sorted.count)
        for e in sorted {
            w.raw(e.key)
            w.raw(e.value)
        }
    }

    public var encoded: [UInt8] {
        var w = CBORWriter()
        write(to: &w)
        return w.bytes
    }
}
