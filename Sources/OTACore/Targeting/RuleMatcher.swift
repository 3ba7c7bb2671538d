/// A target rule prepared for matching bytes in place: every list becomes a `ByteStringSet`,
/// and a snapshot string can be classified once against all of them (`classify`), which is
/// how a string-table entry is matched only once however many vehicles use it.
struct RuleMatcher {
    /// One bit per string filter, in `StringClass.flags` and in `filters`.
    enum Field {
        static let classified: UInt32 = 1 << 0  // the class has been computed
        static let model: UInt32 = 1 << 1
        static let variant: UInt32 = 1 << 2
        static let powertrain: UInt32 = 1 << 3
        static let market: UInt32 = 1 << 4
        static let node: UInt32 = 1 << 5  // equals the rule's "ecu"
        static let hw: UInt32 = 1 << 6
        static let to: UInt32 = 1 << 7
        static let from: UInt32 = 1 << 8
    }

    /// The `Field` bits of the filters this rule has ("ecu" always).
    let filters: UInt32
    // One set per string filter (stored properties, not an array: a lookup copies nothing).
    private let models, variants, powertrains, markets, hw, from, to: ByteStringSet?
    private let node: ByteStringSet
    let vins: ByteStringSet?
    let excludeVINs: ByteStringSet?
    let produced: ProductionWindow?

    /// Attribute keys in sorted order, and the required value of each (same order).
    let attributeKeys: ByteStringSet?
    let attributeValues: [RuleValue]
    /// A bit per attribute: all set when a vehicle has every attribute.
    let allAttributes: UInt32

    let requirementNodes: [ByteStringSet]
    let requirementVersions: [ByteStringSet]
    let allRequirements: UInt32

    /// Throws `.badInput` for more requirements or attributes than the masks hold.
    init(_ rule: TargetRule) throws(OTAError) {
        if let problem = TargetRule.countProblem(requirements: rule.requires?.count ?? 0,
                                                 attributes: rule.attributes?.count ?? 0) {
            throw .badInput("rule: " + problem)
        }
        models = rule.models.map { ByteStringSet($0) }
        variants = rule.variants.map { ByteStringSet($0) }
        powertrains = rule.powertrains.map { ByteStringSet($0) }
        markets = rule.markets.map { ByteStringSet($0) }
        node = ByteStringSet([rule.ecu])
        hw = rule.hw.map { ByteStringSet($0) }
        to = rule.to.map { ByteStringSet([$0]) }
        from = rule.from.map { ByteStringSet($0) }
        var filters = Field.node
        for (bit, present) in [(Field.model, models != nil), (Field.variant, variants != nil),
                               (Field.powertrain, powertrains != nil), (Field.market, markets != nil),
                               (Field.hw, hw != nil), (Field.to, to != nil), (Field.from, from != nil)] where present {
            filters |= bit
        }
        self.filters = filters
        vins = rule.vins.map { ByteStringSet($0) }
        excludeVINs = rule.excludeVINs.map { ByteStringSet($0) }
        produced = rule.produced

        let attributes = rule.attributes ?? []
        let keys = ByteStringSet(attributes.map { $0.key })
        attributeKeys = rule.attributes == nil ? nil : keys
        var values = [RuleValue](repeating: .bool(false), count: attributes.count)
        for a in attributes {
            let bytes = Array(a.key.utf8) + [0]
            let i = bytes.withUnsafeBufferPointer { u in u.baseAddress.flatMap { keys.index(of: $0, u.count - 1) } }
            if let i { values[i] = RuleValue(a.value) }
        }
        attributeValues = values
        allAttributes = mask(attributes.count)

        let requirements = rule.requires ?? []
        requirementNodes = requirements.map { ByteStringSet([$0.node]) }
        requirementVersions = requirements.map { ByteStringSet($0.versions) }
        allRequirements = mask(requirements.count)
    }

    /// Whether a string passes one `Field` filter (the rule has it).
    @inline(always)
    func test(_ field: UInt32, _ s: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = s.baseAddress else { return false }
        switch field {
        case Field.node: return node.contains(p, s.count)
        case Field.model: return models?.contains(p, s.count) ?? false
        case Field.variant: return variants?.contains(p, s.count) ?? false
        case Field.powertrain: return powertrains?.contains(p, s.count) ?? false
        case Field.market: return markets?.contains(p, s.count) ?? false
        case Field.hw: return hw?.contains(p, s.count) ?? false
        case Field.to: return to?.contains(p, s.count) ?? false
        case Field.from: return from?.contains(p, s.count) ?? false
        default: return false
        }
    }

    /// Everything the rule can ask of one string, computed at once.
    func classify(_ s: UnsafeBufferPointer<UInt8>) -> StringClass {
        var c = StringClass()
        c.flags = Field.classified
        var bit: UInt32 = Field.model
        while bit <= Field.from {
            if filters & bit != 0 && test(bit, s) { c.flags |= bit }
            bit <<= 1
        }
        c.requirementNodes = requirementNodeMask(s)
        c.requirementVersions = requirementVersionMask(s)
        c.attributeKey = attributeKey(s)
        return c
    }

    /// A bit per requirement whose node is `s`.
    @inline(always)
    func requirementNodeMask(_ s: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var m: UInt32 = 0
        guard let p = s.baseAddress else { return 0 }
        for (i, set) in requirementNodes.enumerated() where set.contains(p, s.count) { m |= 1 << UInt32(i) }
        return m
    }

    /// A bit per requirement that accepts version `s`.
    @inline(always)
    func requirementVersionMask(_ s: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var m: UInt32 = 0
        guard let p = s.baseAddress else { return 0 }
        for (i, set) in requirementVersions.enumerated() where set.contains(p, s.count) { m |= 1 << UInt32(i) }
        return m
    }

    /// The position of `s` among the rule's attribute keys, or -1.
    @inline(always)
    func attributeKey(_ s: UnsafeBufferPointer<UInt8>) -> Int32 {
        guard let keys = attributeKeys, let p = s.baseAddress, let i = keys.index(of: p, s.count) else { return -1 }
        return Int32(truncatingIfNeeded: i)
    }
}

/// What a rule asks of one string, cached per string-table entry.
struct StringClass {
    var flags: UInt32 = 0
    /// Position among the rule's attribute keys, or -1.
    var attributeKey: Int32 = -1
    var requirementNodes: UInt32 = 0
    var requirementVersions: UInt32 = 0
}

/// A required attribute value, with text as bytes for comparison in place.
enum RuleValue {
    case text([UInt8])
    case int(Int64)
    case bool(Bool)

    init(_ v: AttributeValue) {
        switch v {
        case .text(let s): self = .text(Array(s.utf8))
        case .int(let n): self = .int(n)
        case .bool(let b): self = .bool(b)
        }
    }
}

/// The low `n` bits set; n <= 32, as `init` checks (a larger n would set no more bits).
private func mask(_ n: Int) -> UInt32 {
    n >= 32 ? UInt32.max : (1 << UInt32(n)) &- 1
}
