/// The resolver as a snapshot visitor: notes each check a vehicle fails as its fields go by,
/// then counts it under the first failed check in `ExclusionReason` order, or hands its
/// matching ECUs to the sink.
///
/// The ECU checks narrow a candidate set: the vehicle fails "no-ecu" if it has no ECU of
/// the node, "hw" if none of those has a listed part number, "up-to-date" if all of the
/// remaining are on "to", "from" if none of the remaining is on a listed version. The ECUs
/// left are its targets, unless the vehicle fails "requires": for each [node, versions],
/// it needs at least one ECU of that node, and all of them on one of the versions.
struct RuleCheck<Sink: ResolutionSink>: SnapshotVisitor {
    var sink: Sink
    let matcher: RuleMatcher
    var counts = ResolutionCounts()

    /// `matcher.classify` of each string-table entry, filled on first use.
    private var tableClasses: [StringClass] = []

    // The current vehicle.
    private var vin = Str(tableIndex: 0)
    private var failed: UInt32 = 0  // a bit per ExclusionReason
    private var best = Stage.none
    private var requirementsSeen: UInt32 = 0
    private var requirementsViolated: UInt32 = 0
    private var attributesMatched: UInt32 = 0
    private var candidates: [Candidate] = []

    init(rule: TargetRule, sink: Sink) throws(OTAError) {
        matcher = try RuleMatcher(rule)
        self.sink = sink
    }

    mutating func tableRead(_ strings: SnapshotStrings) throws(OTAError) {
        tableClasses = [StringClass](repeating: StringClass(), count: strings.table.count)
    }

    @inline(always)  // once per vehicle, with ten arguments: no call
    mutating func vehicle(vin: Str, model: Str, variant: Str, powertrain: Str, market: Str,
                          produced: UInt64, _ strings: SnapshotStrings) throws(OTAError) {
        self.vin = vin
        failed = 0
        best = .none
        requirementsSeen = 0
        requirementsViolated = 0
        attributesMatched = 0
        if !candidates.isEmpty { candidates.removeAll(keepingCapacity: true) }

        let v = strings.bytes(vin)
        if let p = v.baseAddress {  // optional chaining on the stored sets: no copy, no ARC
            if matcher.vins?.contains(p, v.count) == false { failed |= bit(.vins) }
            if matcher.excludeVINs?.contains(p, v.count) == true { failed |= bit(.vins) }
        }
        if let window = matcher.produced, !window.contains(produced) { failed |= bit(.produced) }
        guard failed == 0 else { return }  // nothing below can come first
        typealias F = RuleMatcher.Field
        if filtered(F.model) && !has(F.model, model, strings) { failed |= bit(.model) }
        if filtered(F.variant) && !has(F.variant, variant, strings) { failed |= bit(.variant) }
        if filtered(F.powertrain) && !has(F.powertrain, powertrain, strings) { failed |= bit(.powertrain) }
        if filtered(F.market) && !has(F.market, market, strings) { failed |= bit(.market) }
    }

    /// Excluded already: the ECUs and attributes cannot change that.
    var ignoresRest: Bool { failed != 0 }

    /// An ECU matters if it is of the rule's node or of a required one.
    @inline(always)
    mutating func wantsECU(node: Str, _ strings: SnapshotStrings) -> Bool {
        if failed != 0 { return false }
        if has(RuleMatcher.Field.node, node, strings) { return true }
        guard matcher.allRequirements != 0 else { return false }
        let nodes = node.tableIndex >= 0 ? tableClass(node.tableIndex, strings).requirementNodes
                                         : matcher.requirementNodeMask(strings.bytes(node))
        return nodes != 0
    }

    @inline(always)
    mutating func ecu(node: Str, hw: Str, sw: Str, calibration: Str?, serial: Str?,
                      _ strings: SnapshotStrings) throws(OTAError) {
        guard failed == 0 else { return }  // excluded already: the ECUs cannot change that
        typealias F = RuleMatcher.Field
        if has(F.node, node, strings) {
            let stage: Stage
            if filtered(F.hw) && !has(F.hw, hw, strings) {
                stage = .hw
            } else if filtered(F.to) && has(F.to, sw, strings) {
                stage = .upToDate
            } else if filtered(F.from) && !has(F.from, sw, strings) {
                stage = .from
            } else {
                stage = .target
                candidates.append(Candidate(hw: hw, sw: sw, serial: serial))
            }
            if best.rawValue < stage.rawValue { best = stage }
        }
        if matcher.allRequirements != 0 {
            let nodes = node.tableIndex >= 0 ? tableClass(node.tableIndex, strings).requirementNodes
                                             : matcher.requirementNodeMask(strings.bytes(node))
            if nodes != 0 {
                let versions = sw.tableIndex >= 0 ? tableClass(sw.tableIndex, strings).requirementVersions
                                                  : matcher.requirementVersionMask(strings.bytes(sw))
                requirementsSeen |= nodes
                requirementsViolated |= nodes & ~versions
            }
        }
    }

    mutating func identifiers(engineNo: Str?, chassisNo: Str?, _ strings: SnapshotStrings) throws(OTAError) {}

    mutating func attribute(key: Str, value: AttributeItem, _ strings: SnapshotStrings) throws(OTAError) {
        guard matcher.attributeKeys != nil else { return }
        let k = key.tableIndex >= 0 ? Int(tableClass(key.tableIndex, strings).attributeKey)
                                    : Int(matcher.attributeKey(strings.bytes(key)))
        guard k >= 0 else { return }
        let equal: Bool
        switch (value, matcher.attributeValues[k]) {
        case (.text(let s), .text(let required)):
            equal = required.withUnsafeBufferPointer { compareBytes(strings.bytes(s), $0) == 0 }
        case (.integer(let negative, let magnitude), .int(let required)):
            equal = negative ? required < 0 && UInt64(bitPattern: ~required) == magnitude
                             : required >= 0 && UInt64(required) == magnitude
        case (.bool(let b), .bool(let required)):
            equal = b == required
        default:
            equal = false  // another type: 1 is not true, "1" is not 1
        }
        if equal { attributesMatched |= 1 << UInt32(k) }
    }

    mutating func vehicleEnd(_ strings: SnapshotStrings) throws(OTAError) {
        if matcher.attributeKeys != nil && attributesMatched != matcher.allAttributes { failed |= bit(.attributes) }
        switch best {
        case .none: failed |= bit(.noECU)
        case .hw: failed |= bit(.hw)
        case .upToDate: failed |= bit(.upToDate)
        case .from: failed |= bit(.from)
        case .target:
            if requirementsSeen != matcher.allRequirements || requirementsViolated != 0 { failed |= bit(.requires) }
        }
        let index = counts.scanned
        counts.scanned += 1
        if failed != 0 {
            let reason = failed.trailingZeroBitCount
            counts.excluded[reason] += 1
            try sink.vehicleDecided(index: index, excluded: ExclusionReason(rawValue: reason))
            return
        }
        counts.targetedVehicles += 1
        let vinBytes = strings.bytes(vin)
        for c in candidates {
            try sink.target(vin: vinBytes, hw: strings.bytes(c.hw), from: strings.bytes(c.sw),
                            serial: c.serial.map { strings.bytes($0) })
            counts.targets += 1
        }
        try sink.vehicleDecided(index: index, excluded: nil)
    }

    // MARK: matching strings

    @inline(always)
    private func filtered(_ field: UInt32) -> Bool { matcher.filters & field != 0 }

    @inline(always)
    private func bit(_ r: ExclusionReason) -> UInt32 { 1 << UInt32(r.rawValue) }

    /// Whether string `s` passes filter `field` (which the rule has): a table string by its
    /// cached class, an inline one by lookup.
    @inline(always)
    private mutating func has(_ field: UInt32, _ s: Str, _ strings: SnapshotStrings) -> Bool {
        if s.tableIndex >= 0 { return tableClass(s.tableIndex, strings).flags & field != 0 }
        return matcher.test(field, strings.bytes(s))
    }

    @inline(always)
    private mutating func tableClass(_ i: Int, _ strings: SnapshotStrings) -> StringClass {
        let c = tableClasses[i]
        if c.flags != 0 { return c }
        let computed = matcher.classify(strings.bytes(Str(tableIndex: i)))
        tableClasses[i] = computed
        return computed
    }

    /// How far the best ECU of the node got through hw, up-to-date and from.
    enum Stage: Int {
        case none = 0, hw, upToDate, from, target
    }
}

/// An ECU of the rule's node that passed hw, up-to-date and from: a target if the vehicle
/// passes the remaining checks.
struct Candidate {
    var hw: Str
    var sw: Str
    var serial: Str?
}
