/// The fields of one vehicle, positional:
///   [vin, model, variant, powertrain, market, produced, ecus, ? engine-no, ? chassis-no,
///    ? attributes, * later fields]
/// and of each ECU: [node, hw, sw, ? calibration, ? serial, * later fields].
/// Every field is read and checked whatever the visitor wants of it, so that a snapshot is
/// valid or not independently of who reads it.
extension SnapshotWalk {
    mutating func vehicle<V: SnapshotVisitor>(_ visitor: inout V) throws(OTAError) {
        strings.vehicleArena.reset()
        var fields = CBORItems(remaining: 0, indefinite: false)
        var vin = Str(tableIndex: 0), model = vin, variant = vin, powertrain = vin, market = vin
        var produced: UInt64 = 0
        var at = scanner.offset
        let n = quickArray(at, least: 7)
        at &+= 1
        if n >= 0 && quickVIN(&at, &vin) && quickStr(&at, &model) && quickStr(&at, &variant)
            && quickStr(&at, &powertrain) && quickStr(&at, &market) && quickUInt(&at, &produced) {
            scanner.offset = at
            fields = CBORItems(remaining: UInt64(n &- 6), indefinite: false)
        } else {
            fields = try scanner.container(4, "vehicle")
            try field(&fields, 0)
            vin = try strings.tstr(&scanner, "vin")
            let vinBytes = strings.bytes(vin)
            guard let p = vinBytes.baseAddress, VINSyntax.isWellFormed(p, vinBytes.count) else {
                throw .badInput("vin: \"\(String(decoding: vinBytes.prefix(40), as: UTF8.self))\" is not a VIN (\(VINSyntax.rule))")
            }
            try field(&fields, 1)
            model = try strings.str(&scanner, "model")
            try field(&fields, 2)
            variant = try strings.str(&scanner, "variant")
            try field(&fields, 3)
            powertrain = try strings.str(&scanner, "powertrain")
            try field(&fields, 4)
            market = try strings.str(&scanner, "market")
            try field(&fields, 5)
            let h = try scanner.head()
            guard h.major == 0 else {
                throw scanner.typeError(h, expected: "an unsigned integer (Unix seconds)", "produced")
            }
            produced = h.argument
        }
        try visitor.vehicle(vin: vin, model: model, variant: variant, powertrain: powertrain, market: market,
                            produced: produced, strings)
        try field(&fields, 6)
        try ecus(&visitor)

        var engineNo: Str? = nil
        var chassisNo: Str? = nil
        if try scanner.next(&fields), !quickOptionalStr(&scanner.offset, &engineNo) {
            engineNo = try strings.optionalStr(&scanner, "engine-no")
        }
        if try scanner.next(&fields), !quickOptionalStr(&scanner.offset, &chassisNo) {
            chassisNo = try strings.optionalStr(&scanner, "chassis-no")
        }
        try visitor.identifiers(engineNo: engineNo, chassisNo: chassisNo, strings)
        if try scanner.next(&fields) { try attributes(&visitor) }
        while try scanner.next(&fields) { try scanner.skipItem() }  // later versions' fields
        try visitor.vehicleEnd(strings)
    }

    /// Moves to field `index` of the vehicle, which must exist.
    @inline(always)
    private mutating func field(_ fields: inout CBORItems, _ index: Int) throws(OTAError) {
        guard try scanner.next(&fields) else {
            throw .badInput("the vehicle ends after \(index) fields at byte \(scanner.offset); it needs at least 7: vin, model, variant, powertrain, market, produced, ecus")
        }
    }

    // MARK: ECUs

    private mutating func ecus<V: SnapshotVisitor>(_ visitor: inout V) throws(OTAError) {
        var items = try scanner.container(4, "ecus")
        var index = 0
        if !items.indefinite {
            // decided before its ECUs: check them only; otherwise read those the visitor wants
            index = visitor.ignoresRest ? quickSkipECUs(&items) : try quickReadECUs(&items, &visitor)
        }
        while try scanner.next(&items) {
            if visitor.ignoresRest && quickSkipECU() {
                index &+= 1
                continue
            }
            do throws(OTAError) {
                try ecu(&visitor)
            } catch {
                throw error.prefixed("ecus[\(index)]")
            }
            index += 1
        }
    }

    @inline(always)
    mutating func ecu<V: SnapshotVisitor>(_ visitor: inout V) throws(OTAError) {
        var at = scanner.offset
        let n = quickArray(at, least: 3)
        if n >= 0 && n <= 5 {
            let head = at
            at &+= 1
            var node = Str(tableIndex: 0), hw = node, sw = node
            var calibration: Str? = nil, serial: Str? = nil
            guard quickStr(&at, &node) else { return try generalECU(&visitor) }
            if !visitor.wantsECU(node: node, strings) && scanner.count &- head >= 128 {
                let end = quickCheckFields(fieldTable.values, head, at &- head, from: 1, to: n)
                if end >= 0 {
                    scanner.offset = head &+ end
                    return
                }
            }
            if quickStr(&at, &hw) && quickStr(&at, &sw)
                && (n < 4 || quickOptionalStr(&at, &calibration)) && (n < 5 || quickOptionalStr(&at, &serial)) {
                scanner.offset = at
                try visitor.ecu(node: node, hw: hw, sw: sw, calibration: calibration, serial: serial, strings)
                return
            }
        }
        try generalECU(&visitor)
    }

    /// `ecu` for any encoding, with the errors.
    private mutating func generalECU<V: SnapshotVisitor>(_ visitor: inout V) throws(OTAError) {
        var fields = try scanner.container(4, "ecu")
        guard try scanner.next(&fields) else { throw ecuTooShort(0) }
        let node = try strings.str(&scanner, "node")
        guard try scanner.next(&fields) else { throw ecuTooShort(1) }
        let hw = try strings.str(&scanner, "hw")
        guard try scanner.next(&fields) else { throw ecuTooShort(2) }
        let sw = try strings.str(&scanner, "sw")
        var calibration: Str? = nil
        var serial: Str? = nil
        if try scanner.next(&fields) { calibration = try strings.optionalStr(&scanner, "calibration") }
        if try scanner.next(&fields) { serial = try strings.optionalStr(&scanner, "serial") }
        while try scanner.next(&fields) { try scanner.skipItem() }
        try visitor.ecu(node: node, hw: hw, sw: sw, calibration: calibration, serial: serial, strings)
    }

    private func ecuTooShort(_ n: Int) -> OTAError {
        .badInput("the ECU ends after \(n) fields at byte \(scanner.offset); it needs at least 3: node, hw, sw")
    }

    // MARK: attributes

    /// `{ * str => tstr / int / bool }`: keys may be table indices, values never are.
    private mutating func attributes<V: SnapshotVisitor>(_ visitor: inout V) throws(OTAError) {
        if visitor.ignoresRest && quickSkipAttributes() { return }
        var entries = try scanner.container(5, "attributes")
        var first = Str(tableIndex: 0)  // the keys are kept in `attributeKeys` from the second on
        var n = 0
        while try scanner.next(&entries) {
            var key = Str(tableIndex: 0)
            if !quickStr(&scanner.offset, &key) { key = try strings.str(&scanner, "attributes: key") }
            if n == 0 {
                first = key
            } else {
                if n == 1 {
                    attributeKeys.removeAll(keepingCapacity: true)
                    attributeKeys.append(first)
                }
                attributeKeys.append(key)
            }
            n &+= 1
            var text = Str(tableIndex: 0)
            if quickText(&scanner.offset, &text) {
                try visitor.attribute(key: key, value: .text(text), strings)
                continue
            }
            let h = try scanner.head()
            let value: AttributeItem
            switch h.major {
            case 3: value = .text(try strings.text(h, &scanner, into: strings.vehicleArena, .vehicleArena))
            case 0, 1: value = .integer(negative: h.major == 1, magnitude: h.argument)
            case 7 where h.info == 20 || h.info == 21: value = .bool(h.info == 21)
            default: throw scanner.typeError(h, expected: "text, an integer or a bool", "attributes: value")
            }
            try visitor.attribute(key: key, value: value, strings)
        }
        if n > 1 { try checkUniqueKeys() }
    }

    /// A map with two equal keys is not valid CBOR, whether they are spelled inline or as
    /// table indices.
    private mutating func checkUniqueKeys() throws(OTAError) {
        let n = attributeKeys.count
        guard n > 1 else { return }
        if n <= 16 {
            for i in 1..<n {
                for j in 0..<i where sameString(attributeKeys[i], attributeKeys[j]) {
                    throw duplicate(attributeKeys[i])
                }
            }
            return
        }
        let strings = self.strings
        attributeKeys.sort { a, b in compareBytes(strings.bytes(a), strings.bytes(b)) < 0 }
        for i in 1..<n where sameString(attributeKeys[i], attributeKeys[i - 1]) {
            throw duplicate(attributeKeys[i])
        }
    }

    @inline(always)
    func sameString(_ a: Str, _ b: Str) -> Bool {
        if a.tableIndex >= 0 && b.tableIndex >= 0 && strings.tableIsUnique { return a.tableIndex == b.tableIndex }
        if a.tableIndex >= 0 && a.tableIndex == b.tableIndex { return true }
        return compareBytes(strings.bytes(a), strings.bytes(b)) == 0
    }

    private func duplicate(_ key: Str) -> OTAError {
        .badInput("attributes: the key \"\(String(decoding: strings.bytes(key), as: UTF8.self))\" appears twice (before byte \(scanner.offset))")
    }
}

/// Bytewise comparison of two buffers (shorter first among equal prefixes).
@inline(always)
func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
    guard let p = a.baseAddress, let q = b.baseAddress else { return a.count &- b.count }
    return compare(p, a.count, q, b.count)
}
