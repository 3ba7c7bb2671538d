import Testing
import OTACore
@testable import OTAStore

/// Stepping campaigns over simulated days (design/campaigns.md §4), rule by rule.
@Suite struct CampaignStepTests {
    let day: Int64 = 86_400
    let t = RunWorld.monday

    @Test func scheduledCampaignStartsAtItsStartAndNotifies() throws {
        let w = try RunWorld(vehicles: 4)
        let id = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil)], urgency: .scheduled, start: t + day), sizes: [4])
        try w.start(id, at: t)
        #expect(try w.campaignState(id) == "scheduled")
        let early = try w.step(id, at: t + 3600)
        #expect(early.text("state") == "scheduled")
        #expect(early.int("notified") == 0)
        #expect(early.int("next-due") == t + day)
        #expect(try w.count(id, .pending) == 4)
        let r = try w.step(id, at: t + day)
        #expect(r.text("state") == "running")
        #expect(r.eventTypes == ["started", "wave-opened"])
        #expect(r.int("notified") == 4)
        #expect(try w.count(id, .notified) == 4)
        // the next thing to do: the answer timeout of the notified targets
        #expect(r.int("next-due") == t + day + 3600)
        #expect(try CampaignCounters.stored(w.db, campaign: id) == CampaignCounters.recount(w.db, campaign: id))
    }

    @Test func answerAndInstallTimeoutsFailWithReasonTimeout() throws {
        let w = try RunWorld(vehicles: 2)
        let id = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil)], answer: 3600, install: 7200), sizes: [2])
        try w.start(id, at: t)
        try w.step(id, at: t)
        try w.answer(id, ord: 1, .accept, at: t + 600)
        let before = try w.step(id, at: t + 3599)
        #expect(before.int("timed-out") == 0)
        let r = try w.step(id, at: t + 3600)
        #expect(r.int("timed-out") == 1)
        #expect(try w.target(id, ord: 0).status == TargetStatus(state: .failed, final: true, reason: "timeout"))
        #expect(try w.target(id, ord: 1).status.state == .accepted)
        #expect(r.int("next-due") == t + 600 + 7200)
        let later = try w.step(id, at: t + 600 + 7200)
        #expect(later.int("timed-out") == 1)
        #expect(try w.target(id, ord: 1).status.state == .failed)
        // every target final: the campaign completes
        #expect(later.text("state") == "completed")
        #expect(later.eventTypes.contains("completed"))
        #expect(later["next-due"] == .null)
    }
}
