import Testing
import OTACore
@testable import OTAStore

/// Time to success (design §7) is measured from a target's first offer in the campaign: a
/// retry or a reminder does not restart it, and every success is counted once, so the
/// histogram's total always equals the succeeded count.
@Suite struct TimeToSuccessTests {
    let t = RunWorld.monday

    /// A one-vehicle campaign started and offered at `t`.
    func offered(_ w: RunWorld, _ change: (inout CampaignSpec) -> Void) throws -> Int64 {
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        change(&spec)
        let id = try w.campaign(spec, sizes: [1])
        try w.start(id, at: t)
        #expect(try w.step(id, at: t).int("notified") == 1)
        return id
    }

    /// A report from the campaign's one vehicle, through ingestion (gus is the gateway).
    @discardableResult
    func report(_ w: RunWorld, _ id: Int64, seq: Int64, _ state: String, reason: String? = nil,
                at now: Int64) throws -> IngestResult {
        let vin = try w.target(id, ord: 0).vin
        let ecus: [(String, Int64, String, String)]? = state == "installed" ? [("BCM", 0, "HW-1", "1.0")] : nil
        let bytes = StatusFixture.report(vin, campaign: id, seq: seq, state, reason: reason, ecus: ecus)
        return try withBuffer(bytes) { (raw) throws(OTAError) in
            try StatusIngest.ingest(w.db, actor: "gus", now: now, topic: StatusTopic.of(vin), report: raw)
        }
    }

    /// The statistics' histogram, checked against the succeeded count and a recount.
    func histogram(_ w: RunWorld, _ id: Int64) throws -> [Int64] {
        let s = try CampaignStatsQuery.stats(w.db, campaign: id, now: t)
        #expect(s.timeToSuccess.reduce(0, +) == s.succeeded)
        #expect(try CampaignCounters.stored(w.db, campaign: id) == CampaignCounters.recount(w.db, campaign: id))
        return s.timeToSuccess
    }

    func only(_ bucketOf: Int64) -> [Int64] {
        var h = [Int64](repeating: 0, count: TimeToSuccess.upperBounds.count + 1)
        h[TimeToSuccess.bucket(bucketOf)] = 1
        return h
    }

    /// A campaign retrying `download` once after 60 s, its one target offered at t and failed
    /// on download at t + 100.
    func failedOnceOnDownload(_ w: RunWorld) throws -> Int64 {
        let id = try offered(w) { s in
            s.retry.max = 1
            s.retry.reasons = [.download]
            s.retry.backoff = 60
        }
        try report(w, id, seq: 1, "failed", reason: "download", at: t + 100)
        return id
    }

    /// The reviewer's sequence: the retry requeued the target, the paused campaign sent no new
    /// offer, and the vehicle proved the install: it used to succeed without a histogram count.
    @Test func aSuccessAfterARetryBeforeItsNewOfferIsCountedFromTheFirstOffer() throws {
        let w = try RunWorld(vehicles: 1)
        let id = try failedOnceOnDownload(w)
        try CampaignControl.pause(w.db, actor: "cam", now: t + 150, campaign: id, signer: w.signer)
        let r = try w.step(id, at: t + 160)
        #expect(r.int("retried") == 1 && r.int("notified") == 0)
        #expect(try w.target(id, ord: 0).status.state == .queued)
        #expect(try report(w, id, seq: 2, "installed", at: t + 200) == IngestResult(.applied, state: .succeeded))
        #expect(try histogram(w, id) == only(200))
    }

    @Test func aRetrysNotificationIsAnOfferAndTheClockKeepsRunning() throws {
        let w = try RunWorld(vehicles: 1)
        let id = try failedOnceOnDownload(w)
        #expect(try w.step(id, at: t + 160).int("notified") == 1)
        #expect(try w.open(try #require(w.outbox().last?.payload)).text("type") == "offer")
        let target = try w.target(id, ord: 0)
        #expect(target.notifiedAt == t + 160 && target.firstOfferAt == t)
        try report(w, id, seq: 2, "installed", at: t + 400)
        #expect(try histogram(w, id) == only(400))   // not 240 s from the second offer
    }

    /// An owner who deferred for a week and installed ten minutes after the reminder took a
    /// week and ten minutes, not ten minutes.
    @Test func aReminderDoesNotRestartTheClock() throws {
        let week: Int64 = 7 * 86_400
        let w = try RunWorld(vehicles: 1)
        let id = try offered(w) { s in
            s.notify.reminder = week
            s.notify.maxDeferrals = 2
        }
        try report(w, id, seq: 1, "deferred", at: t + 100)
        #expect(try w.step(id, at: t + 100 + week).int("reminded") == 1)
        #expect(try w.open(try #require(w.outbox().last?.payload)).text("type") == "reminder")
        try report(w, id, seq: 2, "installed", at: t + 100 + week + 600)
        #expect(try histogram(w, id) == only(week + 700))
    }

    /// A vehicle that proves the install before any offer went out counts as 0 seconds.
    @Test func aSuccessWithoutAnyOfferCountsAsZeroSeconds() throws {
        let w = try RunWorld(vehicles: 1)
        let id = try w.campaign(RunWorld.spec(waves: [RunWorld.wave(nil)]), sizes: [1])
        try w.start(id, at: t)
        try CampaignControl.pause(w.db, actor: "cam", now: t, campaign: id, signer: w.signer)
        #expect(try w.target(id, ord: 0).status.state == .queued)
        #expect(try report(w, id, seq: 1, "installed", at: t + 500) == IngestResult(.applied, state: .succeeded))
        #expect(try histogram(w, id) == only(0))
    }

    /// Migration 10 on a store written before it: the first offer is the notification kept,
    /// and the success the histogram left out is counted in the first bucket.
    @Test func aMigratedStoreCountsEverySuccess() throws {
        let path = temporaryStorePath()
        do {
            let old = try Store.open(path: path, migrateTo: 9)
            try old.db.exec("""
                PRAGMA foreign_keys = OFF;
                INSERT INTO targets(campaign_id, vehicle_id, vin, ord, wave, market, model, variant, state, final,
                  notified_at, succeeded_at) VALUES
                  (1, 1, 'V1', 0, 0, 'DE', 'M', 'v', 'succeeded', 1, 100, 350),
                  (1, 2, 'V2', 1, 0, 'DE', 'M', 'v', 'succeeded', 1, NULL, 500),
                  (1, 3, 'V3', 2, 0, 'DE', 'M', 'v', 'queued', 0, NULL, NULL);
                INSERT INTO campaign_counts(campaign_id, dim, key, sub, n) VALUES
                  (1, 'state', '', 'succeeded', 2), (1, 'state', '', 'queued', 1),
                  (1, 'wave', '0', 'succeeded', 2), (1, 'wave', '0', 'queued', 1),
                  (1, 'market', 'DE', 'succeeded', 2), (1, 'market', 'DE', 'queued', 1),
                  (1, 'model', 'M/v', 'succeeded', 2), (1, 'model', 'M/v', 'queued', 1),
                  (1, 'final', '', '', 2), (1, 'wave-final', '0', 'succeeded', 2), (1, 'tts', '1', '', 1);
                """)
        }
        let store = try Store.open(path: path)
        #expect(try store.db.prepare("SELECT first_offer_at FROM targets ORDER BY ord").rows { $0.isNull(0) ? nil : $0.int64(0) }
                == [100, nil, nil])
        let tts = try CampaignCounters.stored(store.db, campaign: 1).filter { $0.dim == "tts" }
        #expect(tts.map { "\($0.key)=\($0.n)" } == ["0=1", "1=1"])
        #expect(try CampaignCounters.stored(store.db, campaign: 1) == CampaignCounters.recount(store.db, campaign: 1))
    }

    @Test func secondsSaturateAndMissingTimesCountAsZero() {
        #expect(TimeToSuccess.seconds(firstOffer: nil, succeeded: 50) == 0)
        #expect(TimeToSuccess.seconds(firstOffer: 50, succeeded: nil) == 0)
        #expect(TimeToSuccess.seconds(firstOffer: 10, succeeded: 70) == 60)
        #expect(TimeToSuccess.seconds(firstOffer: Int64.min, succeeded: Int64.max) == Int64.max)
        #expect(TimeToSuccess.seconds(firstOffer: Int64.max, succeeded: Int64.min) == Int64.min)
    }
}
