/// A decoded CBOR data item, for the library's small documents (rules, manifests, specs,
/// reports). Fleet snapshots never become trees: they are scanned in place.
public indirect enum CBOR: Equatable {
    case unsigned(UInt64)
    /// A negative integer: the value is `-1 - n`.
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBOR])
    /// Pairs in the order in which they were encoded; keys are unique (checked on decode).
    case map([CBORPair])
    case tagged(UInt64, CBOR)
    case bool(Bool)
    case null
    case undefined
    case float(Double)

    /// The value under a text key of a map, nil if absent or if `self` is not a map.
    public subscript(key: String) -> CBOR? {
        guard case .map(let pairs) = self else { return nil }
        for pair in pairs where pair.key == .text(key) { return pair.value }
        return nil
    }

    /// The value under an unsigned-integer key of a map.
    public subscript(key: UInt64) -> CBOR? {
        guard case .map(let pairs) = self else { return nil }
        for pair in pairs where pair.key == .unsigned(key) { return pair.value }
        return nil
    }

    public var text: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    public var unsigned: UInt64? {
        if case .unsigned(let n) = self { return n }
        return nil
    }

    /// Any integer that fits an Int64.
    public var int64: Int64? {
        switch self {
        case .unsigned(let n): return n <= UInt64(Int64.max) ? Int64(n) : nil
        case .negative(let n): return n <= UInt64(Int64.max) ? -1 - Int64(n) : nil
        default: return nil
        }
    }

    public var array: [CBOR]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var pairs: [CBORPair]? {
        if case .map(let pairs) = self { return pairs }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// Short name of the item's type, for error messages ("expected text, found array").
    public var typeName: String {
        switch self {
        case .unsigned, .negative: return "integer"
        case .bytes: return "byte string"
        case .text: return "text"
        case .array: return "array"
        case .map: return "map"
        case .tagged: return "tag"
        case .bool: return "bool"
        case .null: return "null"
        case .undefined: return "undefined"
        case .float: return "float"
        }
    }
}

public struct CBORPair: Equatable {
    public var key: CBOR
    public var value: CBOR
    public init(_ key: CBOR, _ value: CBOR) {
        self.key = key
        self.value = value
    }
}
