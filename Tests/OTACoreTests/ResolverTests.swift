import Testing
@testable import OTACore

@Suite("Resolver: the targeting rules of design/fleet-snapshot.md")
struct ResolverTests {
    typealias F = Fixture

    func reason(_ vehicle: CBOR, _ rule: TargetRule) throws(OTAError) -> ExclusionReason? {
        let counts = try F.resolve(F.snapshot([vehicle]), rule).counts
        return ExclusionReason.all.first { counts.excluded($0) == 1 }
    }

    @Test func aVehicleWithTwoMatchingECUsGivesTwoTargets() throws {
        let v = F.vehicle(F.vin1, ecus: [F.ecu("DCM", "D-A", "1.0", serial: F.t("L")), F.ecu("GW", "G", "1"),
                                         F.ecu("DCM", "D-A", "1.0", calibration: F.t("C"), serial: F.t("R"))])
        let (targets, counts) = try F.resolve(F.snapshot([v]), try F.rule([("ecu", F.t("DCM"))]))
        #expect(targets == [ResolvedTarget(vin: F.vin1, hw: "D-A", from: "1.0", serial: "L"),
                            ResolvedTarget(vin: F.vin1, hw: "D-A", from: "1.0", serial: "R")])
        #expect(counts.scanned == 1 && counts.targetedVehicles == 1 && counts.targets == 2)
    }

    @Test func ecuChecksNarrowTheCandidatesInOrder() throws {
        let rule = try F.rule([("ecu", F.t("DCM")), ("hw", F.list("D-A")), ("to", F.t("2.0")), ("from", F.list("1.0"))])
        func vehicle(_ ecus: CBOR...) -> CBOR { F.vehicle(F.vin1, ecus: ecus) }
        #expect(try reason(vehicle(F.ecu("GW", "D-A", "1.0")), rule) == .noECU)
        #expect(try reason(vehicle(F.ecu("DCM", "D-B", "1.0")), rule) == .hw)
        // one on the wrong hardware, one already on "to": the furthest check reached counts
        #expect(try reason(vehicle(F.ecu("DCM", "D-B", "1.0"), F.ecu("DCM", "D-A", "2.0")), rule) == .upToDate)
        #expect(try reason(vehicle(F.ecu("DCM", "D-A", "2.0"), F.ecu("DCM", "D-A", "0.9")), rule) == .from)
        // one up to date, one to update: a target, only the second
        let (targets, _) = try F.resolve(F.snapshot([vehicle(F.ecu("DCM", "D-A", "2.0"), F.ecu("DCM", "D-A", "1.0"))]), rule)
        #expect(targets.map(\.from) == ["1.0"])
    }

    @Test func requirementsNeedEveryECUOfTheNode() throws {
        let rule = try F.rule([("ecu", F.t("BMS")),
                               ("requires", .array([.array([F.t("DCM"), F.list("2.0", "2.1")])]))])
        func vehicle(_ ecus: CBOR...) -> CBOR { F.vehicle(F.vin1, ecus: [F.ecu("BMS", "B", "1")] + ecus) }
        #expect(try reason(vehicle(), rule) == .requires)  // no DCM at all
        #expect(try reason(vehicle(F.ecu("DCM", "D", "2.0"), F.ecu("DCM", "D", "1.9")), rule) == .requires)
        #expect(try reason(vehicle(F.ecu("DCM", "D", "2.0"), F.ecu("DCM", "D", "2.1")), rule) == nil)
    }

    @Test func theLastRequirementAtTheLimitIsChecked() throws {
        // 32 requirements, TargetRule.maxRequirements: the 32nd is bit 31 of the masks
        let requires = CBOR.array((0..<32).map { .array([F.t("N\($0)"), F.list("1")]) })
        let rule = try F.rule([("ecu", F.t("BMS")), ("requires", requires)])
        func vehicle(last: String?) -> CBOR {
            let others = (0..<31).map { F.ecu("N\($0)", "H", "1") }
            return F.vehicle(F.vin1, ecus: [F.ecu("BMS", "B", "1")] + others + (last.map { [F.ecu("N31", "H", $0)] } ?? []))
        }
        #expect(try reason(vehicle(last: "1"), rule) == nil)
        #expect(try reason(vehicle(last: "2"), rule) == .requires)
        #expect(try reason(vehicle(last: nil), rule) == .requires)
    }

    @Test func aRuleBeyondTheMasksIsRefusedNotTruncated() {
        // built in code, so not decoded: the matcher refuses it rather than skip the 33rd
        // requirement (this vehicle has no N32 and would be a target)
        var rule = TargetRule(ecu: "BMS")
        rule.requires = (0..<33).map { Requirement(node: "N\($0)", versions: ["1"]) }
        let v = F.vehicle(F.vin1, ecus: [F.ecu("BMS", "B", "1")] + (0..<32).map { F.ecu("N\($0)", "H", "1") })
        let e = failure { () throws(OTAError) in try F.resolve(F.snapshot([v]), rule) }
        #expect(e?.code == .badInput && e?.message == "rule: \"requires\": 33 requirements; a rule may have at most 32", "\(e?.message ?? "resolved")")
        var attributes = TargetRule(ecu: "BMS")
        attributes.attributes = (0..<33).map { RuleAttribute("a\($0)", .bool(true)) }
        let a = failure { () throws(OTAError) in try F.resolve(F.snapshot([v]), attributes) }
        #expect(a?.code == .badInput && a?.message == "rule: \"attributes\": 33 attributes; a rule may require at most 32", "\(a?.message ?? "resolved")")
    }

    @Test func attributesCompareTypeAndValue() throws {
        let rule = try F.rule([("ecu", F.t("GW")), ("attributes", .map([CBORPair(F.t("tow"), .unsigned(1)),
                                                                       CBORPair(F.t("kwh"), .negative(4))]))])
        func vehicle(_ attributes: [CBORPair]) -> CBOR {
            F.vehicle(F.vin1, ecus: [F.ecu("GW", "G", "1")], attributes: attributes)
        }
        let kwh = CBORPair(F.t("kwh"), .negative(4))  // -5
        #expect(try reason(vehicle([CBORPair(F.t("tow"), .unsigned(1)), kwh, CBORPair(F.t("x"), F.t("y"))]), rule) == nil)
        #expect(try reason(vehicle([CBORPair(F.t("tow"), .bool(true)), kwh]), rule) == .attributes)  // true is not 1
        #expect(try reason(vehicle([CBORPair(F.t("tow"), F.t("1")), kwh]), rule) == .attributes)  // "1" is not 1
        #expect(try reason(vehicle([kwh]), rule) == .attributes)  // missing
        #expect(try reason(F.vehicle(F.vin1, ecus: [F.ecu("GW", "G", "1")]), rule) == .attributes)  // no map at all
    }

    @Test func manyAttributesAllMustMatch() throws {
        // more than 16: the rule's keys are a hashed set
        let pairs = (0..<24).map { CBORPair(F.t("a\($0)"), .unsigned(UInt64($0))) }
        let rule = try F.rule([("ecu", F.t("GW")), ("attributes", .map(pairs))])
        func vehicle(_ attributes: [CBORPair]) -> CBOR {
            F.vehicle(F.vin1, ecus: [F.ecu("GW", "G", "1")], attributes: attributes)
        }
        #expect(try reason(vehicle(pairs.reversed()), rule) == nil)
        var wrong = pairs
        wrong[17] = CBORPair(F.t("a17"), .unsigned(18))
        #expect(try reason(vehicle(wrong), rule) == .attributes)
        #expect(try reason(vehicle(Array(pairs.dropLast())), rule) == .attributes)
    }

    @Test func theFirstFailedCheckCountsWhateverTheFieldOrder() throws {
        // produced comes after model in a vehicle, but is checked before it
        let rule = try F.rule([("ecu", F.t("GW")), ("models", F.list("Borealis")), ("markets", F.list("US")),
                               ("produced", .array([.unsigned(100), .unsigned(200)]))])
        let v = F.vehicle(F.vin1, model: "Aster", market: "DE", produced: 300, ecus: [])
        #expect(try reason(v, rule) == .produced)
        let inWindow = F.vehicle(F.vin1, model: "Aster", market: "DE", produced: 200, ecus: [])
        #expect(try reason(inWindow, rule) == .model)  // inclusive bounds
    }

    @Test func vinListsComeFirst() throws {
        let rule = try F.rule([("ecu", F.t("GW")), ("vins", F.list(F.vin1, F.vin2)), ("exclude-vins", F.list(F.vin2))])
        let vs = [F.vin1, F.vin2, F.vin3].map { F.vehicle($0, ecus: [F.ecu("GW", "G", "1")]) }
        let (targets, counts) = try F.resolve(F.snapshot(vs), rule)
        #expect(targets.map(\.vin) == [F.vin1] && counts.excluded(.vins) == 2)
    }

    @Test func tableStringsPlayAnyRole() throws {
        // "GW" is both a model name and the ECU node; the per-entry class covers both roles
        let table = ["GW", "G-1", "1.0", "DE", "sedan", "petrol"]
        func idx(_ s: String) -> CBOR { .unsigned(UInt64(table.firstIndex(of: s) ?? 99)) }
        let v: CBOR = .array([F.t(F.vin1), idx("GW"), idx("sedan"), idx("petrol"), idx("DE"), .unsigned(5),
                              .array([.array([idx("GW"), idx("G-1"), idx("1.0")])])])
        let rule = try F.rule([("ecu", F.t("GW")), ("models", F.list("GW")), ("from", F.list("1.0"))])
        let (targets, _) = try F.resolve(F.snapshot([v, v], table: table), rule)
        #expect(targets == [ResolvedTarget(vin: F.vin1, hw: "G-1", from: "1.0")] + [ResolvedTarget(vin: F.vin1, hw: "G-1", from: "1.0")])
    }

    @Test func scannedIsTargetedPlusExcluded() throws {
        let vs = (0..<9).map { i in
            F.vehicle(i % 3 == 0 ? F.vin1 : i % 3 == 1 ? F.vin2 : F.vin3, market: i % 2 == 0 ? "DE" : "US",
                      ecus: i % 4 == 0 ? [] : [F.ecu("GW", "G", "1")])
        }
        let counts = try F.resolve(F.snapshot(vs), try F.rule([("ecu", F.t("GW")), ("markets", F.list("DE"))])).counts
        #expect(counts.scanned == 9)
        #expect(counts.scanned == counts.targetedVehicles + counts.excluded.reduce(0, +))
        var twice = counts
        twice.add(counts)
        #expect(twice.scanned == 18 && twice.excluded(.market) == 2 * counts.excluded(.market))
    }

    @Test func theDocumentIsDeterministic() throws {
        let v = F.vehicle(F.vin1, ecus: [F.ecu("GW", "G", "1")])
        let doc = try F.document(F.snapshot([v, F.vehicle(F.vin2, model: "X", ecus: [])]),
                                 try F.rule([("ecu", F.t("GW")), ("models", F.list("Aster"))]))
        var w = CBORWriter()
        w.value(.map([CBORPair(F.t("scanned"), .unsigned(2)),
                      CBORPair(F.t("targets"), .array([.array([F.t(F.vin1), F.t("G"), F.t("1"), .null])])),
                      CBORPair(F.t("excluded"), .map([CBORPair(F.t("model"), .unsigned(1))]))]))
        #expect(doc == w.bytes)
    }
}
