/// Inventory and targeting texts (models, markets, nodes, hw and sw versions, attribute keys)
/// are compared, hashed and ordered by their UTF-8 bytes, as SQLite and the resolver compare
/// them. Swift's `String` `==`, `<` and hashing follow Unicode canonical equivalence instead:
/// composed "Caf\u{e9}" and decomposed "Cafe\u{301}" are one String there but two stored
/// values, and a decision made with `==` would disagree with `ota_resolve`. This is the one
/// place for that rule.
extension String {
    /// Whether the two texts have the same UTF-8 bytes.
    @inlinable
    public func sameBytes(as other: String) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        let fast: Bool?? = a.withContiguousStorageIfAvailable { pa in
            b.withContiguousStorageIfAvailable { pb in pa.elementsEqual(pb) }
        }
        return (fast ?? nil) ?? a.elementsEqual(b)
    }

    /// Whether the two texts have the same UTF-8 bytes; nil equals only nil.
    @inlinable
    public static func sameBytes(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.sameBytes(as: b)
    }

    /// Whether this text's UTF-8 bytes sort before the other's (SQLite's BINARY order).
    @inlinable
    public func bytesPrecede(_ other: String) -> Bool {
        utf8.lexicographicallyPrecedes(other.utf8)
    }

    /// Feeds the UTF-8 bytes (and their count, so that adjacent texts stay apart) to `h`.
    @inlinable
    public func hashBytes(into h: inout Hasher) {
        h.combine(utf8.count)
        let done: Void? = utf8.withContiguousStorageIfAvailable { h.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil { for byte in utf8 { h.combine(byte) } }
    }
}

/// A text as a dictionary or set key by its UTF-8 bytes (`String.sameBytes(as:)`): two
/// spellings of one character are two keys, as they are two rows.
public struct ByteKey: Hashable, Comparable {
    public let text: String

    @inlinable
    public init(_ text: String) { self.text = text }

    @inlinable
    public static func == (a: ByteKey, b: ByteKey) -> Bool { a.text.sameBytes(as: b.text) }

    @inlinable
    public func hash(into h: inout Hasher) { text.hashBytes(into: &h) }

    @inlinable
    public static func < (a: ByteKey, b: ByteKey) -> Bool { a.text.bytesPrecede(b.text) }
}

extension Sequence where Element == String {
    /// Whether a text with the same UTF-8 bytes as `text` is among these.
    @inlinable
    public func containsBytes(_ text: String) -> Bool { contains { $0.sameBytes(as: text) } }
}

extension Collection where Element == String {
    /// The first position of a text with the same UTF-8 bytes as `text`.
    @inlinable
    public func firstIndexBytes(of text: String) -> Index? { firstIndex { $0.sameBytes(as: text) } }
}
