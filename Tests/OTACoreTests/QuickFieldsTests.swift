import Testing
@testable import OTACore

/// The walk's fast paths (QuickFields.swift) read only a subset of encodings and hand the
/// rest to the general reader: whatever the bytes, a vehicle whose ECUs are only checked
/// (the resolver, vehicle excluded), decoded for a rule, or decoded for the import is valid
/// or not alike, with the same error.
@Suite("Snapshot walk: fast paths agree with the general reader")
struct QuickFieldsTests {
    typealias F = Fixture

    /// Table indices in one- and two-byte heads, inline text short and long, ASCII and not,
    /// null and absent optional fields, an ECU with a later field, attribute maps of one and
    /// two entries, vehicles near the end.
    static let document: [UInt8] = {
        let table = (0..<30).map { "s\($0)" }
        func ecu(_ fields: [CBOR]) -> CBOR { .array(fields) }
        let ecus: [CBOR] = [
            ecu([.unsigned(1), .unsigned(25), .unsigned(29), .null, F.t("KPH61P034RK")]),
            ecu([.unsigned(2), .unsigned(3), F.t("1.2")]),
            ecu([F.t("IVI"), .unsigned(24), .unsigned(4), .unsigned(26)]),
            ecu([.unsigned(5), F.t("h\u{e9}"), .unsigned(6), .null, .null]),
            ecu([.unsigned(7), F.t("a longer part number x"), F.t("sw-with-17-bytes!"), F.t("CAL"), F.t("S")]),
            ecu([.unsigned(8), .unsigned(9), .unsigned(10), .null, .unsigned(27), F.t("later")]),
        ]
        let v1 = F.vehicle(F.vin1, ecus: ecus, attributes: [CBORPair(.unsigned(11), .unsigned(3))])
        let v2 = F.vehicle(F.vin2, model: "Ember", ecus: Array(ecus.prefix(3)),
                           attributes: [CBORPair(.unsigned(13), .negative(5)), CBORPair(.unsigned(14), .unsigned(70000))])
        let v3 = F.vehicle(F.vin3, ecus: [ecus[0], ecus[2]],
                           attributes: [CBORPair(.unsigned(12), F.t("comfort")), CBORPair(F.t("tow"), .bool(true))])
        return F.snapshot([v1, v2, v3], table: table)
    }()

    func decoded(_ bytes: [UInt8]) -> OTAError? {
        failure { () throws(OTAError) in try Snapshot.forEachVehicle(bytes) { (_) throws(OTAError) in } }
    }

    func resolved(_ bytes: [UInt8], _ rule: TargetRule) -> OTAError? {
        failure { () throws(OTAError) in try F.resolve(bytes, rule) }
    }

    func expectAgreement(_ bytes: [UInt8], _ what: String) throws {
        let skipping = try F.rule([("ecu", F.t("IVI")), ("models", F.list("none"))])  // every vehicle excluded
        let reading = TargetRule(ecu: "IVI")
        let a = resolved(bytes, skipping), b = resolved(bytes, reading), c = decoded(bytes)
        #expect(a == b, "\(what): \(String(describing: a)) vs \(String(describing: b))")
        // the import also rejects times and integers outside Int64
        if let m = c?.message, m.contains("largest supported time") || m.contains("64-bit signed range") { return }
        #expect(a == c, "\(what): \(String(describing: a)) vs \(String(describing: c))")
    }

    @Test func theDocumentIsValidForEveryReader() throws {
        #expect(decoded(Self.document) == nil)
        let (targets, counts) = try F.resolve(Self.document, TargetRule(ecu: "IVI"))
        #expect(targets.count == 3 && counts.scanned == 3)
    }

    @Test func everyByteChangedAgrees() throws {
        let values: [UInt8] = [0x00, 0x17, 0x18, 0x1d, 0x1e, 0x19, 0x60, 0x6b, 0x77, 0x78, 0x7f, 0x80, 0x83, 0x85,
                               0x9f, 0xc3, 0xe9, 0xf6, 0xf7, 0xff]
        for i in Self.document.indices {
            for v in values where v != Self.document[i] {
                var bytes = Self.document
                bytes[i] = v
                try expectAgreement(bytes, "byte \(i) = \(v)")
            }
        }
    }

    @Test func everyTruncationAgrees() throws {
        for n in 1..<Self.document.count {
            let bytes = Array(Self.document.prefix(n))
            #expect(resolved(bytes, TargetRule(ecu: "IVI")) != nil)
            try expectAgreement(bytes, "first \(n) bytes")
        }
    }

    @Test func duplicateAttributeKeysOfADecidedVehicleAreErrors() throws {
        let table = (0..<30).map { "s\($0)" }
        let ecus: [CBOR] = [.array([.unsigned(1), .unsigned(2), .unsigned(3)])]
        for pair in [(CBOR.unsigned(12), CBOR.unsigned(12)), (.unsigned(12), F.t("s12")), (F.t("k"), F.t("k")),
                     (.unsigned(25), .unsigned(25))] {
            let v = F.vehicle(F.vin1, ecus: ecus, attributes: [CBORPair(pair.0, .unsigned(1)), CBORPair(pair.1, .bool(false))])
            let bytes = F.snapshot([v, F.vehicle(F.vin2, ecus: ecus)], table: table)
            try expectAgreement(bytes, "keys \(pair)")
            #expect(resolved(bytes, try F.rule([("ecu", F.t("IVI")), ("models", F.list("none"))]))?.message
                        .contains("appears twice") == true)
        }
    }

    /// A table may list a string twice: two different indices can still be the same key.
    @Test func duplicateKeysThroughARepeatedTableEntryAreErrors() throws {
        let table = (0..<30).map { "s\($0)" } + ["s12"]
        let ecus: [CBOR] = [.array([.unsigned(1), .unsigned(2), .unsigned(3)])]
        let v = F.vehicle(F.vin1, ecus: ecus, attributes: [CBORPair(.unsigned(12), .unsigned(1)), CBORPair(.unsigned(30), .bool(false))])
        let bytes = F.snapshot([v, F.vehicle(F.vin2, ecus: ecus)], table: table)
        try expectAgreement(bytes, "keys 12 and 30, both \"s12\"")
        #expect(resolved(bytes, try F.rule([("ecu", F.t("IVI")), ("models", F.list("none"))]))?.message
                    .contains("appears twice") == true)
    }

    @Test func vinCharactersMatchTheirRule() {
        for position in 0..<17 {
            for c in UInt8(0)...UInt8(255) {
                var vin = Array(F.vin1.utf8)
                vin[position] = c
                let ok = vin.withUnsafeBufferPointer { u in u.baseAddress.map { VINSyntax.isWellFormed($0, 17) } ?? false }
                #expect(ok == VINSyntax.isVINCharacter(c), "character \(c) at \(position)")
            }
        }
        // two wrong characters side by side (a carry between bytes must not hide either)
        for c in [UInt8(0x7f), 0x80, 0xff, 0x2f, 0x5a, 0x5b] {
            for position in 0..<16 {
                var vin = Array(F.vin1.utf8)
                vin[position] = c
                vin[position + 1] = 0x49
                let ok = vin.withUnsafeBufferPointer { u in u.baseAddress.map { VINSyntax.isWellFormed($0, 17) } ?? false }
                #expect(!ok)
            }
        }
    }
}
