/// A target rule (docs/schemas/target-rule.cddl): which ECUs of which vehicles an update is
/// for. Every filter but `ecu` is optional; an absent filter does not filter, a list matches
/// any of its members. Decoding is strict: an unknown key, a wrong type or an empty list is an
/// error, never a rule that silently matches more or fewer vehicles than meant.
public struct TargetRule: Equatable {
    public var ecu: String
    public var hw: [String]?
    public var from: [String]?
    public var to: String?
    public var models: [String]?
    public var variants: [String]?
    public var powertrains: [String]?
    public var markets: [String]?
    public var produced: ProductionWindow?
    public var vins: [String]?
    public var excludeVINs: [String]?
    /// In rule order; keys are unique.
    public var attributes: [RuleAttribute]?
    public var requires: [Requirement]?

    /// Bitmasks of the matcher hold one bit per requirement and per attribute. A package
    /// manifest's "requires" has the same limit, since a campaign's rule is built from it.
    public static let maxRequirements = 32
    public static let maxAttributes = 32

    /// Why a rule with these counts cannot be checked, or nil: decoding refuses such a rule,
    /// and the matcher again (a rule built in code is not decoded), so that a requirement or
    /// attribute beyond the masks is never silently skipped.
    static func countProblem(requirements: Int, attributes: Int) -> String? {
        if requirements > maxRequirements {
            return "\"requires\": \(requirements) requirements; a rule may have at most \(maxRequirements)"
        }
        if attributes > maxAttributes {
            return "\"attributes\": \(attributes) attributes; a rule may require at most \(maxAttributes)"
        }
        return nil
    }

    public init(ecu: String) { self.ecu = ecu }

    /// Decodes and checks a rule document (one CBOR map, at most 16 MiB).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(OTAError) -> TargetRule {
        do throws(OTAError) {
            return try TargetRule(try CBORReader.decode(bytes))
        } catch {
            throw error.prefixed("rule")
        }
    }

    public static func decode(_ bytes: [UInt8]) throws(OTAError) -> TargetRule {
        try withBuffer(bytes) { (raw) throws(OTAError) in try decode(raw) }
    }

    /// Checks a decoded rule. Messages name the key and the position ("models[2]: ...").
    public init(_ doc: CBOR) throws(OTAError) {
        guard let pairs = doc.pairs else { throw .badInput("expected a map, found \(doc.typeName)") }
        var rule = TargetRule(ecu: "")
        var sawECU = false
        for pair in pairs {
            guard let key = pair.key.text else {
                throw .badInput("keys must be text; found a key of type \(pair.key.typeName)")
            }
            let v = pair.value
            switch key {
            case "ecu":
                rule.ecu = try text(v, key)
                guard !rule.ecu.isEmpty else { throw .badInput("\"ecu\": the ECU node is empty") }
                sawECU = true
            case "hw": rule.hw = try textList(v, key)
            case "from": rule.from = try textList(v, key)
            case "to": rule.to = try text(v, key)
            case "models": rule.models = try textList(v, key)
            case "variants": rule.variants = try textList(v, key)
            case "powertrains": rule.powertrains = try textList(v, key)
            case "markets": rule.markets = try textList(v, key)
            case "produced": rule.produced = try ProductionWindow(v)
            case "vins": rule.vins = try vinList(v, key)
            case "exclude-vins": rule.excludeVINs = try vinList(v, key)
            case "attributes": rule.attributes = try attributeList(v)
            case "requires": rule.requires = try requirementList(v)
            default:
                throw .badInput("unknown key \"\(key)\"; a rule has ecu, hw, from, to, models, variants, powertrains, markets, produced, vins, exclude-vins, attributes, requires")
            }
        }
        guard sawECU else { throw .badInput("missing \"ecu\": the ECU node to update") }
        self = rule
    }
}

/// The production window of a rule: both ends inclusive, Unix seconds.
public struct ProductionWindow: Equatable {
    public var from: UInt64
    public var until: UInt64

    public init(from: UInt64, until: UInt64) {
        self.from = from
        self.until = until
    }

    init(_ v: CBOR) throws(OTAError) {
        guard let items = v.array, items.count == 2, let from = items[0].unsigned,
              let until = items[1].unsigned else {
            throw .badInput("\"produced\": expected [from, until], two unsigned integers (Unix seconds)")
        }
        guard from <= until else {
            throw .badInput("\"produced\": from \(from) is after until \(until); the window is inclusive")
        }
        self.from = from
        self.until = until
    }

    @inline(always) public func contains(_ t: UInt64) -> Bool { t >= from && t <= until }
}

/// "attributes": the vehicle must have this attribute with exactly this value, so a rule's
/// condition is the same key/value pair a snapshot carries.
public typealias RuleAttribute = SnapshotAttribute

/// "requires": every ECU of `node` in the vehicle must be on one of `versions`, and the
/// vehicle must have at least one.
public struct Requirement: Equatable {
    public var node: String
    public var versions: [String]
    public init(node: String, versions: [String]) {
        self.node = node
        self.versions = versions
    }
}

// MARK: field decoding

private func text(_ v: CBOR, _ key: String) throws(OTAError) -> String {
    guard let s = v.text else { throw .badInput("\"\(key)\": expected text, found \(v.typeName)") }
    return s
}

private func textList(_ v: CBOR, _ key: String) throws(OTAError) -> [String] {
    guard let items = v.array else {
        throw .badInput("\"\(key)\": expected a non-empty array of text, found \(v.typeName)")
    }
    guard !items.isEmpty else {
        throw .badInput("\"\(key)\": the list is empty; leave the key out to match everything")
    }
    var out: [String] = []
    out.reserveCapacity(items.count)
    for (i, item) in items.enumerated() {
        guard let s = item.text else { throw .badInput("\"\(key)\"[\(i)]: expected text, found \(item.typeName)") }
        out.append(s)
    }
    return out
}

private func vinList(_ v: CBOR, _ key: String) throws(OTAError) -> [String] {
    let vins = try textList(v, key)
    for (i, vin) in vins.enumerated() where !VINSyntax.isWellFormed(vin) {
        throw .badInput("\"\(key)\"[\(i)]: \"\(vin)\" is not a VIN (\(VINSyntax.rule))")
    }
    return vins
}

private func attributeList(_ v: CBOR) throws(OTAError) -> [RuleAttribute] {
    guard let pairs = v.pairs else {
        throw .badInput("\"attributes\": expected a non-empty map of text keys, found \(v.typeName)")
    }
    guard !pairs.isEmpty else {
        throw .badInput("\"attributes\": the map is empty; leave the key out to match everything")
    }
    if let problem = TargetRule.countProblem(requirements: 0, attributes: pairs.count) { throw .badInput(problem) }
    var out: [RuleAttribute] = []
    for pair in pairs {
        guard let key = pair.key.text else {
            throw .badInput("\"attributes\": keys must be text; found a key of type \(pair.key.typeName)")
        }
        let value: AttributeValue
        switch pair.value {
        case .text(let s): value = .text(s)
        case .bool(let b): value = .bool(b)
        case .unsigned, .negative:
            guard let n = pair.value.int64 else {
                throw .badInput("\"attributes\"[\"\(key)\"]: the integer is outside the 64-bit signed range")
            }
            value = .int(n)
        default:
            throw .badInput("\"attributes\"[\"\(key)\"]: expected text, an integer or a bool, found \(pair.value.typeName)")
        }
        out.append(RuleAttribute(key, value))
    }
    return out
}

private func requirementList(_ v: CBOR) throws(OTAError) -> [Requirement] {
    guard let items = v.array else {
        throw .badInput("\"requires\": expected a non-empty array of [node, [versions]], found \(v.typeName)")
    }
    guard !items.isEmpty else {
        throw .badInput("\"requires\": the list is empty; leave the key out to require nothing")
    }
    if let problem = TargetRule.countProblem(requirements: items.count, attributes: 0) { throw .badInput(problem) }
    var out: [Requirement] = []
    for (i, item) in items.enumerated() {
        guard let pair = item.array, pair.count == 2, let node = pair[0].text, !node.isEmpty else {
            throw .badInput("\"requires\"[\(i)]: expected [node, [versions]] with a non-empty node, found \(shape(item))")
        }
        let versions: [String]
        do throws(OTAError) {
            versions = try textList(pair[1], "versions")
        } catch {
            throw error.prefixed("\"requires\"[\(i)]")
        }
        out.append(Requirement(node: node, versions: versions))
    }
    return out
}

/// "text", "an array of 3 items", "an array starting with an integer": enough to spot the mistake.
private func shape(_ v: CBOR) -> String {
    guard let items = v.array else { return v.typeName }
    if items.count != 2 { return "an array of \(items.count) item\(items.count == 1 ? "" : "s")" }
    if items[0].text == nil { return "an array starting with \(items[0].typeName)" }
    return "an empty node"
}
