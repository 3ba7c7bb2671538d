import Testing
import OTACore
@testable import OTAStore

/// Every campaign event has a seq (1, 2, 3, ... per campaign) that tools drop duplicates by
/// (docs/messages.md): one step may send several events of one type at one `at`, so type and
/// `at` do not tell two events apart.
@Suite struct CampaignEventSeqTests {
    let t = RunWorld.monday

    /// The events on the outbox, in order: (type, seq) of each message's `event`.
    func outboxEvents(_ w: RunWorld) throws -> [(type: String, at: Int64?, seq: Int64?)] {
        try w.outbox().filter { $0.topic.hasSuffix("/events") }.map { m in
            let e = try w.open(m.payload)["event"]
            return (e?.text("type") ?? "", e?.int("at"), e?.int("seq"))
        }
    }

    @Test func wavesWithoutAGateOpenInOneStepWithConsecutiveSeqs() throws {
        let w = try RunWorld(vehicles: 3)
        // success-gate 0 and no soak: each wave's gate is reached as soon as it opens
        let id = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(1, gate: 0), RunWorld.wave(1, gate: 0),
                                                      RunWorld.wave(nil, gate: 0)]),
                                sizes: [1, 1, 1])
        try w.start(id, at: t)  // started 1, wave-opened 2
        let step = try w.step(id, at: t)
        let stepped = (step["events"]?.array ?? []).map { ($0.text("type") ?? "", $0.int("seq")) }
        #expect(stepped.map(\.0) == ["gate-reached", "wave-opened", "gate-reached", "wave-opened"])
        #expect(stepped.map(\.1) == [3, 4, 5, 6])

        let sent = try outboxEvents(w)
        #expect(sent.map(\.type) == ["started", "wave-opened", "gate-reached", "wave-opened", "gate-reached", "wave-opened"])
        #expect(sent.allSatisfy { $0.at == t })  // what used to be the only key
        #expect(sent.map(\.seq) == [1, 2, 3, 4, 5, 6])
        // a fetch that was not acknowledged returns the same events with the same seqs
        #expect(try outboxEvents(w).map(\.seq) == [1, 2, 3, 4, 5, 6])
    }

    @Test func pauseResumePauseInOneSecondHaveDistinctSeqs() throws {
        let w = try RunWorld(vehicles: 2)
        let id = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil)]), sizes: [2])
        try w.start(id, at: t)
        try w.ackAll()
        try CampaignControl.pause(w.db, actor: "cam", now: t + 5, campaign: id, signer: w.signer)
        try CampaignControl.resume(w.db, actor: "cam", now: t + 5, campaign: id, signer: w.signer)
        try CampaignControl.pause(w.db, actor: "cam", now: t + 5, campaign: id, signer: w.signer)
        // the numbering goes on after the acknowledged started (1) and wave-opened (2)
        let sent = try outboxEvents(w)
        #expect(sent.map(\.type) == ["paused", "resumed", "paused"])
        #expect(sent.map(\.seq) == [3, 4, 5])
    }

    @Test func eachCampaignCountsItsOwnEvents() throws {
        let w = try RunWorld(vehicles: 4)
        let a = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil)]), sizes: [2])
        let b = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil)]), sizes: [2], skip: 2)
        try w.start(a, at: t)
        try w.start(b, at: t)
        let byCampaign = try w.outbox().filter { $0.topic.hasSuffix("/events") }.map { m in
            let e = try w.open(m.payload)["event"]
            return (e?.int("campaign"), e?.int("seq"))
        }
        #expect(byCampaign.map(\.0) == [a, a, b, b])
        #expect(byCampaign.map(\.1) == [1, 2, 1, 2])
    }
}
