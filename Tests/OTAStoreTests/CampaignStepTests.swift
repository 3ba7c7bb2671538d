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

@Suite struct CampaignRetryAndReminderTests {
    let day: Int64 = 86_400
    let t = RunWorld.monday

    @Test func retriesWaitBackoffTimesFactorAndStopAtMax() throws {
        let w = try RunWorld(vehicles: 1)
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        spec.retry.max = 2
        spec.retry.backoff = 600
        spec.retry.factorHundredths = 300
        spec.retry.reasons = [.download, .timeout]
        let id = try w.campaign(spec, sizes: [1])
        try w.start(id, at: t)
        try w.step(id, at: t)
        // first failure: retry after 600 s
        try w.answer(id, ord: 0, .fail(.download), at: t + 100)
        #expect(try w.target(id, ord: 0).due == t + 700)
        #expect(try w.step(id, at: t + 699).int("retried") == 0)
        let r1 = try w.step(id, at: t + 700)
        #expect(r1.int("retried") == 1)
        #expect(r1.int("notified") == 1)
        let after1 = try w.target(id, ord: 0)
        #expect(after1.retries == 1)
        #expect(after1.status.state == .notified)
        // second failure (a timeout): 600 × 3 = 1800 s
        let r2 = try w.step(id, at: t + 700 + 3600)
        #expect(r2.int("timed-out") == 1)
        #expect(try w.target(id, ord: 0).due == t + 700 + 3600 + 1800)
        #expect(r2.int("next-due") == t + 700 + 3600 + 1800)
        try w.step(id, at: t + 700 + 3600 + 1800)
        #expect(try w.target(id, ord: 0).retries == 2)
        // third failure: no retry left, final
        try w.answer(id, ord: 0, .fail(.download), at: t + 9000)
        let last = try w.target(id, ord: 0)
        #expect(last.status.final)
        #expect(last.due == nil)
        #expect(try w.step(id, at: t + 9000).text("state") == "completed")
    }

    @Test func userFailuresAndUnlistedReasonsAreNeverRetried() throws {
        let w = try RunWorld(vehicles: 2)
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        spec.retry.max = 3
        spec.retry.reasons = [.download]
        let id = try w.campaign(spec, sizes: [2])
        try w.start(id, at: t)
        try w.step(id, at: t)
        try w.answer(id, ord: 0, .fail(.install), at: t + 10)
        try w.answer(id, ord: 1, .fail(.user), at: t + 10)
        #expect(try w.target(id, ord: 0).status.final)
        #expect(try w.target(id, ord: 1).status.final)
    }

    @Test func remindersUntilDeferralsRunOutThenUserFailure() throws {
        let w = try RunWorld(vehicles: 1)
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        spec.notify.reminder = day
        spec.notify.maxDeferrals = 2
        let id = try w.campaign(spec, sizes: [1])
        try w.start(id, at: t)
        try w.step(id, at: t)
        var now = t
        for n in 1...2 {
            try w.answer(id, ord: 0, .deferral, at: now + 60)
            #expect(try w.step(id, at: now + 60 + day - 1).int("reminded") == 0)
            let r = try w.step(id, at: now + 60 + day)
            #expect(r.int("reminded") == 1)
            #expect(r.int("notified") == 1)
            now += 60 + day
            let msg = try w.open(try #require(w.outbox().last?.payload))
            #expect(msg.text("type") == "reminder")
            #expect(msg.int("deferrals-left") == Int64(2 - n))
            #expect(msg["mandatory"] == .bool(false))
        }
        // a third deferral is one too many
        try w.answer(id, ord: 0, .deferral, at: now + 60)
        #expect(try w.target(id, ord: 0).status == TargetStatus(state: .failed, final: true, reason: "user", code: 1))
    }

    @Test func mandatoryAfterTheLastDeferral() throws {
        let w = try RunWorld(vehicles: 1)
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        spec.notify.reminder = 3600
        spec.notify.maxDeferrals = 1
        spec.notify.mandatoryAfterDeferrals = true
        let id = try w.campaign(spec, sizes: [1])
        try w.start(id, at: t)
        try w.step(id, at: t)
        let first = try w.open(try #require(w.outbox().last?.payload))
        #expect(first.text("type") == "offer")
        #expect(first["mandatory"] == .bool(false))
        #expect(first.int("deferrals-left") == 1)
        try w.answer(id, ord: 0, .deferral, at: t + 60)
        try w.step(id, at: t + 60 + 3600)
        let reminder = try w.open(try #require(w.outbox().last?.payload))
        #expect(reminder.text("type") == "reminder")
        #expect(reminder["mandatory"] == .bool(true))
        #expect(reminder.int("deferrals-left") == 0)
        #expect(reminder.int("seq") == 2)
    }
}
