import Testing
import OTACore
@testable import OTAStore

/// Expiry, abort, pause, id 0, the outbox and its messages (design/campaigns.md §4-5).
@Suite struct CampaignEndAndAbortTests {
    let day: Int64 = 86_400
    let t = RunWorld.monday

    @Test func expiryAtEndAndCompletion() throws {
        let w = try RunWorld(vehicles: 4)
        let id = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil)], end: t + 2 * day, answer: 5 * day), sizes: [4])
        try w.start(id, at: t)
        try w.step(id, at: t)
        try w.answer(id, ord: 0, .succeed, at: t + 60)
        try w.answer(id, ord: 1, .install, at: t + 60)
        let r = try w.step(id, at: t + 60)
        #expect(r.int("next-due") == t + 60 + 7200)   // the install timeout
        try w.answer(id, ord: 1, .succeed, at: t + 3600)
        #expect(try w.step(id, at: t + 3600).int("next-due") == t + 2 * day)   // the end
        let end = try w.step(id, at: t + 2 * day)
        #expect(end.int("expired") == 2)
        #expect(end.eventTypes == ["expired", "completed"])
        #expect(end.text("state") == "completed")
        #expect(end["next-due"] == .null)
        #expect(try w.states(id).sorted() == ["expired", "expired", "succeeded", "succeeded"])
        // every vehicle that had an offer got its retained offer cleared
        let clears = try w.outbox().filter { $0.payload.isEmpty }
        #expect(clears.count == 4)
        #expect(clears.allSatisfy { $0.retain })
        #expect(try CampaignCounters.stored(w.db, campaign: id) == CampaignCounters.recount(w.db, campaign: id))
    }

    @Test func abortCancelsAndSendsCancelsButNotToInstallingTargets() throws {
        let w = try RunWorld(vehicles: 5)
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        spec.rate = CampaignSpec.Rate(perMinute: 3)
        spec.retry.max = 2
        spec.retry.reasons = [.timeout]
        let id = try w.campaign(spec, sizes: [5])
        try w.start(id, at: t)
        try w.step(id, at: t)
        try w.ackAll()
        try w.answer(id, ord: 0, .install, at: t + 10)
        try w.answer(id, ord: 1, .deferral, at: t + 10)
        try CampaignControl.abort(w.db, actor: "cam", now: t + 20, campaign: id, reason: "bad calibration",
                                  signer: w.signer)
        #expect(try w.campaignState(id) == "aborted")
        #expect(try w.states(id) == ["installing", "cancelled", "cancelled", "cancelled", "cancelled"])
        let out = try w.outbox()
        let cancels = try out.filter { $0.topic.contains("/vehicles/") }.map { try w.open($0.payload) }
        // ord 1 and 2 had offers; 3 and 4 were still queued; 0 is installing and goes on
        #expect(cancels.count == 2)
        #expect(cancels.allSatisfy { $0.text("type") == "cancel" && $0.text("reason") == "bad calibration" })
        #expect(cancels.map { $0.int("seq") ?? 0 } == [2, 2])
        let event = try w.open(try #require(out.last?.payload))
        #expect(event["event"]?.text("type") == "aborted")
        #expect(event["event"]?.int("cancelled") == 4)
        // the installing target finishes: the step after the abort waits for its install
        // timeout, which fails it for good (no retry after an abort) and clears its offer
        let wait = try w.step(id, at: t + 30)
        #expect(wait.text("state") == "aborted")
        #expect(wait.int("next-due") == t + 10 + 7200)
        #expect(try w.step(id, at: t + 10 + 7199).int("timed-out") == 0)
        let r = try w.step(id, at: t + day)
        #expect(r.text("state") == "aborted")
        #expect(r.int("timed-out") == 1)
        #expect(r.int("retried") == 0)
        #expect(r["next-due"] == .null)
        let timedOut = try w.target(id, ord: 0)
        #expect(timedOut.status.state == .failed && timedOut.status.final && timedOut.due == nil)
        #expect(try w.outbox().last?.payload.isEmpty == true)
        #expect(try CampaignCounters.stored(w.db, campaign: id) == CampaignCounters.recount(w.db, campaign: id))
        // an aborted campaign is done now: a step does nothing, and aborting again is a conflict
        #expect(try w.step(id, at: t + 2 * day)["next-due"] == .null)
        let again = error { () throws(OTAError) in
            try CampaignControl.abort(w.db, actor: "cam", now: t + day, campaign: id, reason: "again", signer: w.signer)
        }
        #expect(again?.code == .conflict)
        let audit = try Audit.entries(w.db).filter { $0.action == "campaign.abort" }
        #expect(audit.count == 1)
    }

    @Test func abortNeedsAReasonAndTheRole() throws {
        let w = try RunWorld(vehicles: 1)
        let id = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil)]), sizes: [1])
        #expect(error { () throws(OTAError) in
            try CampaignControl.abort(w.db, actor: "cam", now: t, campaign: id, reason: "", signer: w.signer)
        }?.code == .badInput)
        #expect(error { () throws(OTAError) in
            try CampaignControl.abort(w.db, actor: "gus", now: t, campaign: id, reason: "x", signer: w.signer)
        }?.code == .denied)
        #expect(error { () throws(OTAError) in
            try CampaignStep.run(w.db, actor: "gus", now: t, campaign: id, signer: w.signer)
        }?.code == .denied)
    }

    @Test func pauseStopsNotificationsWhileTimeoutsContinue() throws {
        let w = try RunWorld(vehicles: 4)
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        spec.rate = CampaignSpec.Rate(perMinute: 2)
        let id = try w.campaign(spec, sizes: [4])
        try w.start(id, at: t)
        try w.step(id, at: t)
        try CampaignControl.pause(w.db, actor: "cam", now: t + 30, campaign: id, signer: w.signer)
        let p = try w.step(id, at: t + 120)
        #expect(p.int("notified") == 0)
        #expect(p.text("state") == "paused")
        #expect(p.int("next-due") == t + 3600)
        let timeouts = try w.step(id, at: t + 3600)
        #expect(timeouts.int("timed-out") == 2)
        #expect(timeouts.int("notified") == 0)
        try CampaignControl.resume(w.db, actor: "cam", now: t + 4000, campaign: id, signer: w.signer)
        #expect(try w.step(id, at: t + 4000).int("notified") == 2)
        let conflict = error { () throws(OTAError) in
            try CampaignControl.resume(w.db, actor: "cam", now: t + 4000, campaign: id, signer: w.signer)
        }
        #expect(conflict?.code == .conflict)
        #expect(conflict?.message.contains("running") == true)
    }

    @Test func stepAllServesDueCampaignsInPriorityOrder() throws {
        let w = try RunWorld(vehicles: 6)
        let low = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil)]), sizes: [2], priority: 100)
        let high = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil)]), sizes: [2], priority: 900, skip: 2)
        let later = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil)], urgency: .scheduled, start: t + 86_400),
                                   sizes: [2], priority: 1000, skip: 4)
        try w.start(later, at: t)
        try w.start(low, at: t)
        try w.start(high, at: t)
        let r = try w.step(0, at: t)
        let stepped = (r["campaigns"]?.array ?? []).compactMap { $0.int("campaign") }
        #expect(stepped == [high, low])
        #expect(r.int("notified") == 4)
        #expect(r.int("next-due") == t + 3600)
        #expect(r["state"] == nil)
        // the scheduled one is served first once its start has come
        let next = try w.step(0, at: t + 86_400)
        #expect((next["campaigns"]?.array ?? []).compactMap { $0.int("campaign") } == [later, high, low])
        // nothing due: nothing stepped
        let quiet = try w.step(0, at: t + 60)
        #expect(quiet["campaigns"]?.array?.isEmpty == true)
    }
}

@Suite struct CampaignOutboxTests {
    let t = RunWorld.monday

    @Test func offersAreSignedAndCarryEveryFieldAndThePackageApproval() throws {
        let w = try RunWorld(vehicles: 1)
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        spec.notify.feedbackOnDecline = true
        spec.contacts = [CampaignSpec.Contacts(kind: "on-success", addresses: ["ops@oem.example"])]
        let id = try w.campaign(spec, sizes: [1])
        try w.start(id, at: t)
        try w.step(id, at: t)
        let out = try w.outbox()
        let offers = out.filter { $0.topic.hasPrefix("ota/v1/vehicles/") }
        #expect(offers.count == 1)
        let o = try #require(offers.first)
        let target = try w.target(id, ord: 0)
        #expect(o.topic == "ota/v1/vehicles/\(target.vin)/campaigns/\(id)")
        #expect(o.retain)
        let m = try w.open(o.payload)
        #expect(m.text("type") == "offer")
        #expect(m.int("campaign") == id)
        #expect(m.text("vin") == target.vin)
        #expect(m.int("seq") == 1)
        #expect(m.int("issued") == t)
        #expect(m.int("expires") == spec.end)
        #expect(m.text("category") == "bugfix")
        #expect(m.text("urgency") == "immediate")
        #expect(m.int("priority") == 500)
        #expect(m["feedback"] == .bool(true))
        let u = try #require(m["updates"]?.array?.first)
        #expect(u.text("node") == "BCM")
        #expect(u.text("hw") == "HW-1")
        #expect(u.text("from") == "0.9")
        #expect(u.text("to") == "1.0")
        #expect(u.int("release-counter") == 1)
        #expect(u["files"]?.array?.count == 2)
        #expect(u["files"]?.array?.first?["sha256"] == .bytes(sha))
        // the package's own approval, verifiable on its own
        guard case .bytes(let approval)? = u["approval"] else { Issue.record("no approval"); return }
        let manifest = try COSESign1.verify(approval, publicKey: w.signer.publicKey)
        #expect(manifest == (try Packages.load(w.db, w.package)).manifest)
        // events: not retained, on the campaign's topic
        let events = out.filter { $0.topic == "ota/v1/campaigns/\(id)/events" }
        var types: [String] = []
        for e in events { types.append(try w.open(e.payload)["event"]?.text("type") ?? "") }
        #expect(types == ["started", "wave-opened"])
        #expect(events.allSatisfy { !$0.retain })
    }

    @Test func fetchIsAtLeastOnceAckDeletesSupersededAreDropped() throws {
        let w = try RunWorld(vehicles: 1)
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        spec.notify.reminder = 600
        let id = try w.campaign(spec, sizes: [1])
        try w.start(id, at: t)
        try w.step(id, at: t)
        let first = try w.outbox(limit: 2)
        #expect(first.count == 2)
        // not acknowledged: returned again, the same bytes
        let again = try w.outbox(limit: 2)
        #expect(again.map(\.id) == first.map(\.id))
        #expect(again.map(\.payload) == first.map(\.payload))
        _ = try Outbox.ack(w.db, ids: first.map(\.id))
        _ = try Outbox.ack(w.db, ids: first.map(\.id))   // twice is harmless
        let rest = try w.outbox()
        #expect(rest.count == 1)
        let offerID = try #require(rest.first?.id)
        // the owner defers before the offer was acknowledged; the reminder replaces it
        try w.answer(id, ord: 0, .deferral, at: t + 10)
        try w.step(id, at: t + 610)
        let now = try w.outbox().filter { $0.topic.contains("/vehicles/") }
        #expect(now.count == 1)
        #expect(now.first?.id != offerID)
        #expect(try w.open(try #require(now.first?.payload)).text("type") == "reminder")
        #expect(error { () throws(OTAError) in try Outbox.fetch(w.db, limit: 0) }?.code == .badInput)
    }

    @Test func aStepThatSendsNeedsASigner() throws {
        let w = try RunWorld(vehicles: 1)
        let id = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil)]), sizes: [1])
        let e = error { () throws(OTAError) in try CampaignControl.start(w.db, actor: "cam", now: t, campaign: id, signer: nil) }
        #expect(e?.code == .misuse)
        #expect(e?.message.contains("ota_set_signing_key") == true)
        #expect(try w.campaignState(id) == "approved")
        #expect(try Outbox.pending(w.db) == 0)
    }

    @Test func sameInputsGiveByteIdenticalResultsAndOutbox() throws {
        func run() throws -> ([[UInt8]], [[UInt8]]) {
            let w = try RunWorld(vehicles: 12, markets: ["DE", "FR", "US"])
            var spec = RunWorld.spec(waves: [RunWorld.wave(4, gate: 5000, soak: 3600), RunWorld.wave(nil)])
            spec.rate = CampaignSpec.Rate(perMinute: 3)
            spec.retry.max = 1
            spec.retry.reasons = [.timeout]
            spec.notify.reminder = 1800
            let id = try w.campaign(spec, sizes: [4, 8])
            try w.start(id, at: t)
            var results: [[UInt8]] = []
            for k in 0..<200 {
                let now = t + Int64(k) * 300
                if k == 3 { try w.answer(id, ord: 0, .succeed, at: now) }
                if k == 4 { try w.answer(id, ord: 1, .succeed, at: now) }
                if k == 5 { try w.answer(id, ord: 2, .deferral, at: now) }
                results.append(try w.stepBytes(k % 2 == 0 ? id : 0, at: now))
            }
            let outbox = try w.outbox().map { item -> [UInt8] in
                var wr = CBORWriter()
                wr.int(item.id)
                wr.text(item.topic)
                wr.bytes(item.payload)
                return wr.bytes
            }
            return (results, outbox)
        }
        let a = try run()
        let b = try run()
        #expect(a.0 == b.0)
        #expect(a.1 == b.1)
        #expect(a.1.count > 10)
    }
}
