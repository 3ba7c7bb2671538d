import Testing
import OTACore
@testable import OTAStore

/// Gates, soak, manual advance and the failure threshold (design/campaigns.md §4 rules 5-6).
@Suite struct CampaignWaveTests {
    let day: Int64 = 86_400
    let t = RunWorld.monday

    @Test func gateAndSoakOpenTheNextWave() throws {
        let w = try RunWorld(vehicles: 6)
        // wave 0: 4 targets, 50 % must succeed, then a day of soak
        let id = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(4, gate: 5000, soak: day), RunWorld.wave(nil)],
                                              answer: 3 * day),
                                sizes: [4, 2])
        try w.start(id, at: t)
        try w.step(id, at: t)
        #expect(try w.states(id) == ["notified", "notified", "notified", "notified", "pending", "pending"])
        try w.answer(id, ord: 0, .succeed, at: t + 100)
        let one = try w.step(id, at: t + 100)
        #expect(!one.eventTypes.contains("gate-reached"))
        try w.answer(id, ord: 1, .succeed, at: t + 200)
        let gate = try w.step(id, at: t + 200)
        #expect(gate.eventTypes == ["gate-reached"])
        #expect(gate.int("next-due") == t + 200 + day)
        #expect(try w.count(id, .pending) == 2)
        let soaking = try w.step(id, at: t + 200 + day - 1)
        #expect(soaking.eventTypes.isEmpty)
        let open = try w.step(id, at: t + 200 + day)
        #expect(open.eventTypes == ["wave-opened"])
        #expect(open.int("notified") == 2)
        let waves = try WaveRow.all(w.db, campaign: id)
        #expect(waves.map(\.opened) == [t, t + 200 + day])
    }

    @Test func manualAdvancePausesAtTheGateAndResumeOpensTheWave() throws {
        let w = try RunWorld(vehicles: 3)
        let id = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(1, gate: 10_000, advance: .manual), RunWorld.wave(nil)]),
                                sizes: [1, 2])
        try w.start(id, at: t)
        try w.step(id, at: t)
        try w.answer(id, ord: 0, .succeed, at: t + 60)
        let r = try w.step(id, at: t + 60)
        #expect(r.eventTypes == ["gate-reached", "paused-gate"])
        #expect(r.text("state") == "paused")
        // paused: stepping later opens nothing
        #expect(try w.step(id, at: t + day).int("notified") == 0)
        #expect(try w.count(id, .pending) == 2)
        try CampaignControl.resume(w.db, actor: "cam", now: t + day, campaign: id, signer: w.signer)
        #expect(try w.count(id, .queued) == 2)
        let after = try w.step(id, at: t + day)
        #expect(after.int("notified") == 2)
        #expect(after.text("state") == "running")
    }

    @Test func thresholdPausesOnlyOnceMinFinalAreFinal() throws {
        let w = try RunWorld(vehicles: 10)
        // at most 20 % of final targets may fail, counted once 4 are final
        let id = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil, threshold: 2000, minFinal: 4)]), sizes: [10])
        try w.start(id, at: t)
        try w.step(id, at: t)
        try w.answer(id, ord: 0, .fail(.install), at: t + 10)
        try w.answer(id, ord: 1, .fail(.install), at: t + 10)
        try w.answer(id, ord: 2, .fail(.download), at: t + 10)
        // 3 final, all failed: not yet a sample
        #expect(try w.step(id, at: t + 10).text("state") == "running")
        try w.answer(id, ord: 3, .succeed, at: t + 20)
        let r = try w.step(id, at: t + 20)
        #expect(r.text("state") == "paused")
        let e = try #require(r["events"]?.array?.first)
        #expect(e.text("type") == "paused-threshold")
        #expect(e.int("wave") == 0)
        #expect(e.int("share") == 75)
        #expect(e.int("threshold") == 20)
        let reasons = e["reasons"]?.array ?? []
        #expect(reasons.map { $0.text("reason") ?? "" } == ["install", "download"])
        #expect(reasons.map { $0.int("count") ?? 0 } == [2, 1])
        // the alert went to the events topic, signed
        let events = try w.outbox().filter { $0.topic == "ota/v1/campaigns/\(id)/events" }
        let alert = try w.open(try #require(events.last?.payload))
        #expect(alert["event"]?.text("type") == "paused-threshold")
        #expect(alert.text("state") == "paused")
        // paused: timeouts still apply
        for ord in 4...8 { try w.answer(id, ord: Int64(ord), .accept, at: t + 30) }
        let paused = try w.step(id, at: t + 3600)
        #expect(paused.int("timed-out") == 1)
        #expect(paused.text("state") == "paused")
        // resumed: the campaign continues, the same wave does not pause it again
        try CampaignControl.resume(w.db, actor: "cam", now: t + 3700, campaign: id, signer: w.signer)
        let resumed = try w.step(id, at: t + 3700)
        #expect(resumed.text("state") == "running")
        #expect(resumed.eventTypes.isEmpty)
        try w.answer(id, ord: 4, .fail(.install), at: t + 3800)
        #expect(try w.step(id, at: t + 3800).text("state") == "running")
    }

    @Test func declinedAndExpiredAreNotFailures() throws {
        let w = try RunWorld(vehicles: 4)
        let id = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil, threshold: 1000, minFinal: 2)]), sizes: [4])
        try w.start(id, at: t)
        try w.step(id, at: t)
        try w.answer(id, ord: 0, .decline, at: t + 10)
        try w.answer(id, ord: 1, .decline, at: t + 10)
        try w.answer(id, ord: 2, .accept, at: t + 10)
        #expect(try w.step(id, at: t + 10).text("state") == "running")
    }
}
