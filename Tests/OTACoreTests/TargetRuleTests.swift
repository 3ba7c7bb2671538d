import Testing
@testable import OTACore

@Suite("TargetRule: decoding and checks")
struct TargetRuleTests {
    typealias F = Fixture

    @Test func aFullRuleDecodes() throws {
        let rule = try F.rule([
            ("ecu", F.t("IVI")), ("hw", F.list("A", "B")), ("from", F.list("1.0")), ("to", F.t("2.0")),
            ("models", F.list("Aster")), ("variants", F.list("suv")), ("powertrains", F.list("electric")),
            ("markets", F.list("DE", "FR")), ("produced", .array([.unsigned(10), .unsigned(20)])),
            ("vins", F.list(F.vin1)), ("exclude-vins", F.list(F.vin2)),
            ("attributes", .map([CBORPair(F.t("trim"), F.t("sport")), CBORPair(F.t("kwh"), .negative(4)),
                                 CBORPair(F.t("tow"), .bool(true))])),
            ("requires", .array([.array([F.t("GW"), F.list("1.8.2", "1.10.5")])])),
        ])
        var expected = TargetRule(ecu: "IVI")
        expected.hw = ["A", "B"]
        expected.from = ["1.0"]
        expected.to = "2.0"
        expected.models = ["Aster"]
        expected.variants = ["suv"]
        expected.powertrains = ["electric"]
        expected.markets = ["DE", "FR"]
        expected.produced = ProductionWindow(from: 10, until: 20)
        expected.vins = [F.vin1]
        expected.excludeVINs = [F.vin2]
        expected.attributes = [RuleAttribute("trim", .text("sport")), RuleAttribute("kwh", .int(-5)),
                               RuleAttribute("tow", .bool(true))]
        expected.requires = [Requirement(node: "GW", versions: ["1.8.2", "1.10.5"])]
        #expect(rule == expected)
    }

    @Test func badRules() {
        let cases: [([(String, CBOR)], String)] = [
            ([("hw", F.list("A"))], "missing \"ecu\""),
            ([("ecu", F.t("GW")), ("models", .array([]))], "\"models\": the list is empty"),
            ([("ecu", F.t("GW")), ("colour", F.list("red"))], "unknown key \"colour\""),
            ([("ecu", F.t("GW")), ("produced", .array([.unsigned(5), .unsigned(4)]))], "from 5 is after until 4"),
            ([("ecu", F.t("GW")), ("vins", F.list("WLXEMFHX0TS59849O"))], "is not a VIN"),
            ([("ecu", F.t("GW")), ("requires", .array([F.t("GW")]))], "\"requires\"[0]: expected [node, [versions]]"),
        ]
        for (pairs, message) in cases {
            let e = failure { () throws(OTAError) in try F.rule(pairs) }
            #expect(e?.code == .badInput && e?.message.contains(message) == true, "\(e?.message ?? "no error")")
        }
    }

    @Test func aRuleDocumentIsOneMap() {
        let e = failure { () throws(OTAError) in try TargetRule.decode([0xa1, 0x63, 0x65, 0x63, 0x75, 0x62, 0x47, 0x57, 0x00]) }
        #expect(e?.message == "rule: trailing bytes after the CBOR item at byte 8")
    }
}
