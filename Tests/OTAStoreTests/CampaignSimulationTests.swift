import Testing
import OTACore
@testable import OTAStore

/// A whole campaign over simulated weeks with vehicles that answer through real status
/// reports (`StatusIngest`): accept and install, defer, decline, fail and get retried, go
/// silent, report wrong versions.
@Suite struct CampaignSimulationTests {
    let day: Int64 = 86_400
    let t = RunWorld.monday

    final class Vehicles {
        let w: RunWorld
        let campaign: Int64
        var seq: [String: Int64] = [:]
        init(_ w: RunWorld, _ campaign: Int64) {
            self.w = w
            self.campaign = campaign
        }

        @discardableResult
        func report(ord: Int64, _ state: String, at now: Int64, reason: String? = nil, sw: String? = nil) throws -> String {
            let vin = try w.target(campaign, ord: ord).vin
            let n = (seq[vin] ?? 0) + 1
            seq[vin] = n
            let ecus: [(String, Int64, String, String)]? = sw.map { [("BCM", 0, "HW-1", $0)] }
            let bytes = StatusFixture.report(vin, campaign: campaign, seq: n, state, reason: reason, code: reason == nil ? nil : 7,
                                             ecus: ecus)
            let r = try withBuffer(bytes) { (raw) throws(OTAError) in
                try StatusIngest.ingest(w.db, actor: "gus", now: now, topic: StatusTopic.of(vin), report: raw)
            }
            var wr = CBORWriter()
            r.write(to: &wr)
            return (try CBORReader.decode(wr.bytes)).text("result") ?? ""
        }

        func install(ord: Int64, at now: Int64, sw: String = "1.0") throws {
            #expect(try report(ord: ord, "accepted", at: now) == "applied")
            #expect(try report(ord: ord, "installing", at: now + 60) == "applied")
            #expect(try report(ord: ord, "installed", at: now + 600, sw: sw) == "applied")
        }
    }

    @Test func twoWavesOverThreeWeeks() throws {
        let w = try RunWorld(vehicles: 12, markets: ["DE", "FR", "US"])
        var spec = RunWorld.spec(waves: [RunWorld.wave(5, gate: 6000, threshold: 5000, minFinal: 3, soak: day),
                                         RunWorld.wave(nil)],
                                 end: t + 21 * day, answer: day, install: day)
        spec.rate = CampaignSpec.Rate(perMinute: 4)
        spec.retry.max = 1
        spec.retry.backoff = 3600
        spec.retry.reasons = [.download, .timeout]
        spec.notify.reminder = day
        spec.notify.maxDeferrals = 1
        let id = try w.campaign(spec, sizes: [5, 7])
        let v = Vehicles(w, id)
        try w.start(id, at: t)
        #expect(try w.step(id, at: t).int("notified") == 4)          // the rate: 4 in the first minute
        #expect(try w.step(id, at: t + 60).int("notified") == 1)
        try v.install(ord: 0, at: t + 600)
        try v.install(ord: 1, at: t + 700)
        #expect(try v.report(ord: 2, "deferred", at: t + 800) == "applied")
        #expect(try v.report(ord: 3, "failed", at: t + 900, reason: "download") == "applied")
        // ord 4 stays silent
        let r1 = try w.step(id, at: t + 3600)
        #expect(r1.int("timed-out") == 0)
        #expect(try w.target(id, ord: 3).status.state == .failed)
        let r2 = try w.step(id, at: t + 900 + 3600)
        #expect(r2.int("retried") == 1)
        #expect(r2.int("notified") == 1)
        try v.install(ord: 3, at: t + 2 * 3600)
        // three successes of five: the gate (60 %) is reached, the soak runs a day
        let gate = try w.step(id, at: t + 2 * 3600 + 600)
        #expect(gate.eventTypes == ["gate-reached"])
        // ord 4 times out a day after its notification and is retried an hour later
        let silent = try w.step(id, at: t + 60 + day)
        #expect(silent.int("timed-out") == 1)
        // the reminder for ord 2 comes a day after its deferral
        let remind = try w.step(id, at: t + 800 + day)
        #expect(remind.int("reminded") == 1)
        #expect(try w.open(try #require(w.outbox().filter { $0.topic.contains("/vehicles/") }.last?.payload))
            .text("type") == "reminder")
        // the soak ends: wave 1 opens, 4 a minute
        let open = try w.step(id, at: t + 2 * 3600 + 600 + day)
        #expect(open.eventTypes.contains("wave-opened"))
        #expect(open.int("notified") == 4)
        // wave 1: one declines, one reports the wrong version (verification fails), the rest succeed
        var now = t + 2 * 3600 + 600 + day + 60
        #expect(try w.step(id, at: now).int("notified") == 4)   // the rest, and ord 4 retried
        for ord in Int64(5)...11 {
            switch ord {
            case 5: #expect(try v.report(ord: ord, "declined", at: now) == "applied")
            case 6: try v.install(ord: ord, at: now, sw: "0.9")
            default: try v.install(ord: ord, at: now)
            }
        }
        #expect(try w.target(id, ord: 6).status.reason == "verification")
        #expect(try w.target(id, ord: 6).status.final)   // verification is not retried here
        now += 3600
        try w.step(id, at: now)
        #expect(try CampaignCounters.stored(w.db, campaign: id) == CampaignCounters.recount(w.db, campaign: id))
        // the end: ord 2 (reminded, silent since) and ord 4 expire or have failed; the campaign completes
        let end = try w.step(id, at: t + 21 * day)
        #expect(end.text("state") == "completed")
        let states = try w.states(id)
        #expect(states.filter { $0 == "succeeded" }.count == 8)
        #expect(!states.contains("queued") && !states.contains("notified"))
        #expect(try CampaignCounters.stored(w.db, campaign: id) == CampaignCounters.recount(w.db, campaign: id))
    }
}
