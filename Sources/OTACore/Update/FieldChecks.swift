/// Field-level checks shared by the manifest and filter parsers. Each returns the value, or
/// nil after adding a problem that names the field's path.
public struct FieldChecks {
    public static let maxIdentifierBytes = 256
    public static let maxProseBytes = 64 << 10
    public static let maxListItems = 4096

    public var problems = ProblemList()

    public init() {}

    /// Names, versions, part numbers: 1-256 bytes, no control characters, no surrounding spaces.
    public mutating func identifier(_ value: CBOR, _ path: String) -> String? {
        guard let s = expectText(value, path) else { return nil }
        let utf8 = s.utf8
        if utf8.isEmpty {
            problems.add(path, "empty text")
            return nil
        }
        if utf8.count > FieldChecks.maxIdentifierBytes {
            problems.add(path, "\(utf8.count) bytes, longer than \(FieldChecks.maxIdentifierBytes)")
            return nil
        }
        if utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            problems.add(path, "contains a control character")
            return nil
        }
        if utf8.first == 0x20 || utf8.last == 0x20 {
            problems.add(path, "has leading or trailing spaces")
            return nil
        }
        return s
    }

    /// Free text (issue description, release notes): 1 byte to 64 KiB, no NUL.
    public mutating func prose(_ value: CBOR, _ path: String) -> String? {
        guard let s = expectText(value, path) else { return nil }
        if s.utf8.isEmpty {
            problems.add(path, "empty text")
            return nil
        }
        if s.utf8.count > FieldChecks.maxProseBytes {
            problems.add(path, "\(s.utf8.count) bytes, longer than \(FieldChecks.maxProseBytes)")
            return nil
        }
        if s.utf8.contains(0) {
            problems.add(path, "contains a NUL character")
            return nil
        }
        return s
    }

    /// One of an enumeration's raw values.
    public mutating func choice<E: CaseIterable & RawRepresentable>(_ value: CBOR, _ path: String,
                                                                   _ type: E.Type) -> E? where E.RawValue == String {
        guard let s = expectText(value, path) else { return nil }
        guard let e = E(rawValue: s) else {
            problems.add(path, "'\(s)' is not one of \(E.allowedList)")
            return nil
        }
        return e
    }

    /// A list of identifiers without duplicates; empty only if `allowEmpty`.
    public mutating func identifierList(_ value: CBOR, _ path: String, allowEmpty: Bool = false,
                                        max: Int = FieldChecks.maxListItems) -> [String]? {
        guard let items = list(value, path, allowEmpty: allowEmpty, max: max) else { return nil }
        var out: [String] = []
        var seen: [String: Int] = [:]
        var ok = true
        for (i, item) in items.enumerated() {
            let itemPath = path + "[\(i)]"
            guard let s = identifier(item, itemPath) else {
                ok = false
                continue
            }
            if let first = seen[s] {
                problems.add(itemPath, "duplicate of \(path)[\(first)]")
                ok = false
                continue
            }
            seen[s] = i
            out.append(s)
        }
        return ok ? out : nil
    }

    /// An array with a bounded number of items.
    public mutating func list(_ value: CBOR, _ path: String, allowEmpty: Bool,
                              max: Int) -> [CBOR]? {
        guard let items = value.array else {
            problems.add(path, "expected an array, found \(value.typeName)")
            return nil
        }
        if items.isEmpty && !allowEmpty {
            problems.add(path, "empty list")
            return nil
        }
        if items.count > max {
            problems.add(path, "\(items.count) items, more than \(max)")
            return nil
        }
        return items
    }

    /// An unsigned integer that fits an Int64 (SQLite's integer), at least `min`.
    public mutating func count(_ value: CBOR, _ path: String, min: Int64 = 0) -> Int64? {
        let n: UInt64
        switch value {
        case .unsigned(let u): n = u
        case .negative:
            problems.add(path, "expected an unsigned integer, found a negative integer")
            return nil
        default:
            problems.add(path, "expected an unsigned integer, found \(value.typeName)")
            return nil
        }
        guard n <= UInt64(Int64.max) else {
            problems.add(path, "\(n) is larger than \(Int64.max)")
            return nil
        }
        guard Int64(n) >= min else {
            problems.add(path, "\(n) is less than \(min)")
            return nil
        }
        return Int64(n)
    }

    public mutating func expectText(_ value: CBOR, _ path: String) -> String? {
        guard let s = value.text else {
            problems.add(path, "expected text, found \(value.typeName)")
            return nil
        }
        return s
    }

    /// The map's entries by text key. Non-text keys and keys not in `known` are problems.
    /// Returns nil (after a problem) when `value` is not a map.
    public mutating func fields(_ value: CBOR, _ path: String, known: [String]) -> TextKeyedMap? {
        guard let pairs = value.pairs else {
            problems.add(path == "" ? "(top level)" : path, "expected a map, found \(value.typeName)")
            return nil
        }
        var map = TextKeyedMap(prefix: path == "" ? "" : path + ".")
        for (i, pair) in pairs.enumerated() {
            guard let key = pair.key.text else {
                problems.add(path == "" ? "key #\(i)" : path + " key #\(i)",
                             "expected a text key, found \(pair.key.typeName)")
                continue
            }
            guard known.contains(key) else {
                problems.add(map.prefix + key, "unknown key")
                continue
            }
            map.values.append((key, pair.value))
        }
        return map
    }
}

/// A map's known entries, with the path prefix for their problems.
public struct TextKeyedMap {
    public let prefix: String
    var values: [(key: String, value: CBOR)] = []

    init(prefix: String) { self.prefix = prefix }

    public subscript(key: String) -> CBOR? {
        for v in values where v.key == key { return v.value }
        return nil
    }

    public func path(_ key: String) -> String { prefix + key }

    /// The value, or nil after a "missing" problem.
    public func required(_ key: String, _ checks: inout FieldChecks) -> CBOR? {
        guard let v = self[key] else {
            checks.problems.add(path(key), "missing")
            return nil
        }
        return v
    }
}
