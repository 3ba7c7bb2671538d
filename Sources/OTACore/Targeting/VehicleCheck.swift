/// One vehicle: read every field (a snapshot is valid or not whatever the rule asks), note
/// each check it fails, then count it under the first failed check in `ExclusionReason`
/// order, or hand its matching ECUs to the sink.
///
/// The ECU checks narrow a candidate set: the vehicle fails "no-ecu" if it has no ECU of
/// the node, "hw" if none of those has a listed part number, "up-to-date" if all of the
/// remaining are on "to", "from" if none of the remaining is on a listed version. The ECUs
/// left are its targets, unless the vehicle fails "requires".
extension SnapshotResolution {
    mutating func vehicle<S: ResolutionSink>(_ sink: inout S) throws(OTAError) {
        strings.vehicleArena.reset()
        candidates.removeAll(keepingCapacity: true)
        var fields = try scanner.container(4, "vehicle")
        var failed: UInt32 = 0  // a bit per ExclusionReason

        try field(&fields, 0)
        let vin = try strings.tstr(&scanner, "vin")
        let vinBytes = strings.bytes(vin)
        guard let vinBase = vinBytes.baseAddress, VIN.isWellFormed(vinBase, vinBytes.count) else {
            throw .badInput("vin: \"\(String(decoding: vinBytes, as: UTF8.self))\" is not a VIN (\(VIN.syntax))")
        }
        if let vins = matcher.vins, !vins.contains(vinBase, vinBytes.count) { failed |= bit(.vins) }
        if let ex = matcher.excludeVINs, ex.contains(vinBase, vinBytes.count) { failed |= bit(.vins) }

        try field(&fields, 1)
        let model = try strings.str(&scanner, "model")
        try field(&fields, 2)
        let variant = try strings.str(&scanner, "variant")
        try field(&fields, 3)
        let powertrain = try strings.str(&scanner, "powertrain")
        try field(&fields, 4)
        let market = try strings.str(&scanner, "market")
        if failed == 0 {
            if filtered(RuleMatcher.Field.model) && !has(RuleMatcher.Field.model, model) { failed |= bit(.model) }
            if filtered(RuleMatcher.Field.variant) && !has(RuleMatcher.Field.variant, variant) { failed |= bit(.variant) }
            if filtered(RuleMatcher.Field.powertrain) && !has(RuleMatcher.Field.powertrain, powertrain) { failed |= bit(.powertrain) }
            if filtered(RuleMatcher.Field.market) && !has(RuleMatcher.Field.market, market) { failed |= bit(.market) }
        }

        try field(&fields, 5)
        let produced = try scanner.head()
        guard produced.major == 0 else {
            throw scanner.typeError(produced, expected: "an unsigned integer (Unix seconds)", "produced")
        }
        if let window = matcher.produced, !window.contains(produced.argument) { failed |= bit(.produced) }

        try field(&fields, 6)
        let ecus = try self.ecus(matching: failed == 0)  // else only read: already excluded

        var attributesMatched: UInt32 = 0
        if try scanner.next(&fields) { _ = try strings.optionalStr(&scanner, "engine-no") }
        if try scanner.next(&fields) { _ = try strings.optionalStr(&scanner, "chassis-no") }
        if try scanner.next(&fields) { attributesMatched = try attributes() }
        while try scanner.next(&fields) { try scanner.skipItem() }  // later versions' fields
        if matcher.attributeKeys != nil && attributesMatched != matcher.allAttributes { failed |= bit(.attributes) }

        switch ecus.best {
        case .none: failed |= bit(.noECU)
        case .hw: failed |= bit(.hw)
        case .upToDate: failed |= bit(.upToDate)
        case .from: failed |= bit(.from)
        case .target:
            if ecus.requirementsSeen != matcher.allRequirements || ecus.requirementsViolated != 0 {
                failed |= bit(.requires)
            }
        }

        counts.scanned += 1
        if failed != 0 {
            counts.excluded[failed.trailingZeroBitCount] += 1
            return
        }
        counts.targetedVehicles += 1
        for c in candidates {
            try sink.target(vin: vinBytes, hw: strings.bytes(c.hw), from: strings.bytes(c.sw),
                            serial: c.serial.map { strings.bytes($0) })
            counts.targets += 1
        }
    }

    /// Moves to field `index` of the vehicle, which must exist.
    @inline(always)
    private mutating func field(_ fields: inout CBORItems, _ index: Int) throws(OTAError) {
        guard try scanner.next(&fields) else {
            throw .badInput("the vehicle ends after \(index) fields at byte \(scanner.offset); it needs at least 7: vin, model, variant, powertrain, market, produced, ecus")
        }
    }

    @inline(always)
    private func filtered(_ field: UInt32) -> Bool { matcher.filters & field != 0 }

    @inline(always)
    private func bit(_ r: ExclusionReason) -> UInt32 { 1 << UInt32(r.rawValue) }

    // MARK: ECUs

    /// How far the best ECU of the node got through hw, up-to-date and from.
    enum Stage: Int, Comparable {
        case none = 0, hw, upToDate, from, target
        static func < (a: Stage, b: Stage) -> Bool { a.rawValue < b.rawValue }
    }

    struct ECUSummary {
        var best = Stage.none
        var requirementsSeen: UInt32 = 0
        var requirementsViolated: UInt32 = 0
    }

    private mutating func ecus(matching: Bool) throws(OTAError) -> ECUSummary {
        var summary = ECUSummary()
        var items = try scanner.container(4, "ecus")
        var index = 0
        while try scanner.next(&items) {
            do throws(OTAError) {
                try ecu(&summary, matching: matching)
            } catch {
                throw error.prefixed("ecus[\(index)]")
            }
            index += 1
        }
        return summary
    }

    private mutating func ecu(_ summary: inout ECUSummary, matching: Bool) throws(OTAError) {
        var fields = try scanner.container(4, "ecu")
        guard try scanner.next(&fields) else { throw ecuTooShort(0) }
        let node = try strings.str(&scanner, "node")
        guard try scanner.next(&fields) else { throw ecuTooShort(1) }
        let hw = try strings.str(&scanner, "hw")
        guard try scanner.next(&fields) else { throw ecuTooShort(2) }
        let sw = try strings.str(&scanner, "sw")
        var serial: Str? = nil
        if try scanner.next(&fields) { _ = try strings.optionalStr(&scanner, "calibration") }
        if try scanner.next(&fields) { serial = try strings.optionalStr(&scanner, "serial") }
        while try scanner.next(&fields) { try scanner.skipItem() }

        guard matching else { return }
        if has(RuleMatcher.Field.node, node) {
            let stage: Stage
            if filtered(RuleMatcher.Field.hw) && !has(RuleMatcher.Field.hw, hw) {
                stage = .hw
            } else if filtered(RuleMatcher.Field.to) && has(RuleMatcher.Field.to, sw) {
                stage = .upToDate
            } else if filtered(RuleMatcher.Field.from) && !has(RuleMatcher.Field.from, sw) {
                stage = .from
            } else {
                stage = .target
                candidates.append(Candidate(hw: hw, sw: sw, serial: serial))
            }
            if summary.best < stage { summary.best = stage }
        }
        if matcher.allRequirements != 0 {
            let nodes = requirementNodes(node)
            if nodes != 0 {
                summary.requirementsSeen |= nodes
                summary.requirementsViolated |= nodes & ~requirementVersions(sw)
            }
        }
    }

    private func ecuTooShort(_ n: Int) -> OTAError {
        .badInput("the ECU ends after \(n) fields at byte \(scanner.offset); it needs at least 3: node, hw, sw")
    }

    @inline(always)
    private mutating func requirementNodes(_ s: Str) -> UInt32 {
        if s.tableIndex >= 0 { return tableClass(s.tableIndex).requirementNodes }
        return matcher.requirementNodeMask(strings.bytes(s))
    }

    @inline(always)
    private mutating func requirementVersions(_ s: Str) -> UInt32 {
        if s.tableIndex >= 0 { return tableClass(s.tableIndex).requirementVersions }
        return matcher.requirementVersionMask(strings.bytes(s))
    }
}
