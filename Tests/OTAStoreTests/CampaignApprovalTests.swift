import Testing
import OTACore
@testable import OTAStore

@Suite struct CampaignApprovalTests {
    @Test func fixtureApprovesAndFreezesEveryVehicle() throws {
        let s = try makeStore()
        let c = try CampaignFixture.approved(s)
        let r = try Campaigns.load(s.db, c.campaign)
        #expect(r.state == .approved && r.approvedBy == "root" && r.targets == 40)
        let targets = try CampaignFixture.targets(s, c.campaign)
        #expect(targets.count == 40)
        #expect(Set(targets.map(\.vin)) == Set(c.vins))
        #expect(targets.filter { $0.wave == 0 }.count == 10 && targets.filter { $0.wave == 1 }.count == 30)
        #expect(try s.db.scalar("SELECT count(*) FROM target_ecus") == 40)
        #expect(try CampaignCounters.stored(s.db, campaign: c.campaign) == CampaignCounters.recount(s.db, campaign: c.campaign))
    }
}
