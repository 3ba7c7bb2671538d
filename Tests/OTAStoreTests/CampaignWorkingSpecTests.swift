import Testing
import OTACore
@testable import OTAStore

/// Running a campaign reads the working spec approval keeps (the spec without its rule), so a
/// step does not parse a rule of a million VINs; the spec parser still reads it.
@Suite struct CampaignWorkingSpecTests {
    /// A campaign over every vehicle, named one by one in `rule.vins`.
    func approvedWithVINs(_ s: Store, vehicles: Int) throws -> (campaign: Int64, spec: [UInt8]) {
        let vins = try CampaignFixture.fleet(s, count: vehicles)
        let package = try CampaignFixture.package(s, CampaignFixture.manifest())
        let rule = CBOR.map([CBORPair(.text("vins"), .array(vins.map { .text($0) }))])
        let spec = CampaignFixture.spec(packages: [package], [("rule", rule)])
        let id = try CampaignFixture.create(s, spec)
        try Campaigns.approve(s.db, actor: "root", now: CampaignFixture.now, campaign: id)
        return (id, spec)
    }

    @Test func approvalKeepsTheSpecWithoutItsRuleAndStepsReadThat() throws {
        let s = try makeStore()
        let (id, input) = try approvedWithVINs(s, vehicles: 300)
        var expected = try CampaignSpecParser.parse(input)
        #expect(expected.rule != nil)
        expected.rule = nil
        let working = try s.db.prepare("SELECT working_spec, length(spec) FROM campaigns WHERE id = ?").bind(1, id)
            .firstRow { ($0.blob(0) ?? [], $0.int64(1)) }
        #expect(working?.0 == expected.canonical)
        #expect(Int64(working?.0.count ?? 0) * 10 < working?.1 ?? 0)  // 300 VINs are most of the spec
        #expect(try CampaignRow.spec(s.db, id: id) == expected)
        // the step works from it: wave 0 (25 % of 300) is notified
        let signer = try testSigner()
        try CampaignControl.start(s.db, actor: "cam", now: CampaignFixture.now, campaign: id, signer: signer)
        let out = try CBORReader.decode(CampaignStep.run(s.db, actor: "cam", now: CampaignFixture.now, campaign: id, signer: signer))
        #expect(out["notified"]?.int64 == 75)
        // the stored spec itself is unchanged: get still returns it whole
        let doc = try CBORReader.decode(Campaigns.info(s.db, campaign: id))
        #expect(doc["spec"]?["rule"] != nil)
    }

    @Test func aDraftIsReadWhole() throws {
        let s = try makeStore()
        let vins = try CampaignFixture.fleet(s, count: 3)
        let package = try CampaignFixture.package(s, CampaignFixture.manifest())
        let rule = CBOR.map([CBORPair(.text("vins"), .array(vins.map { .text($0) }))])
        let id = try CampaignFixture.create(s, CampaignFixture.spec(packages: [package], [("rule", rule)]))
        #expect(try CampaignRow.spec(s.db, id: id).rule == rule)
    }

    @Test func theWorkingSpecNeverChanges() throws {
        let s = try makeStore()
        let (id, _) = try approvedWithVINs(s, vehicles: 4)
        let e = error { () throws(OTAError) in try s.db.exec("UPDATE campaigns SET working_spec = x'a0' WHERE id = \(id)") }
        #expect(e?.code == .store && e?.message.contains("working spec never changes") == true, "\(e?.message ?? "")")
    }
}
