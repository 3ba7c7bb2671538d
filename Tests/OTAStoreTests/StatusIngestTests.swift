import Testing
import OTACore
@testable import OTAStore

/// Every rule of design/campaigns.md §6, on a running campaign built in the tables.
@Suite struct StatusIngestTests {
    let t = StatusFixture.notifiedAt

    @Test func acceptedThenProgressAreApplied() throws {
        let f = try StatusFixture()
        let r = try f.ingest(0, seq: 1, "accepted", now: t + 50)
        #expect(r == IngestResult(.applied, state: .accepted))
        let a = try f.target(0)
        #expect(a.status.state == .accepted)
        #expect(a.acceptedAt == t + 50)
        #expect(a.reportSeq == 1)
        #expect(a.lastReport == t + 50)
        #expect(a.due == t + 50 + 7 * 86_400)   // the install timeout runs from acceptance
        #expect(try f.ingest(0, seq: 2, "downloading", now: t + 60).state == .downloading)
        #expect(try f.ingest(0, seq: 3, "downloading", now: t + 70).outcome == .applied)   // progress again
        #expect(try f.target(0).acceptedAt == t + 50)
        #expect(try f.countersMatchRecount())
        #expect(try f.count("SELECT count(*) FROM status_reports WHERE result = 'applied'") == 3)
    }

    @Test func receivedDoesNotAnswer() throws {
        let f = try StatusFixture()
        let before = try f.target(0)
        #expect(try f.ingest(0, seq: 1, "received").state == .notified)
        #expect(try f.target(0).due == before.due)
    }

    @Test func duplicatesAndStaleReportsChangeNothing() throws {
        let f = try StatusFixture()
        try f.ingest(0, seq: 5, "accepted", now: t + 10)
        let applied = try f.target(0)
        let counters = try CampaignCounters.stored(f.db, campaign: 1)
        let dup = try f.ingest(0, seq: 5, "downloading", now: t + 20)
        #expect(dup == IngestResult(.duplicate, state: .accepted))
        let stale = try f.ingest(0, seq: 4, "declined", now: t + 30)
        #expect(stale.outcome == .stale)
        #expect(stale.state == .accepted)
        var after = try f.target(0)
        #expect(after.reports == 3)
        after.reports = applied.reports
        #expect(after == applied)
        #expect(try CampaignCounters.stored(f.db, campaign: 1) == counters)
        // both kept as received, with what became of them
        #expect(try f.count("SELECT count(*) FROM status_reports WHERE result = 'duplicate' AND seq = 5") == 1)
        #expect(try f.count("SELECT count(*) FROM status_reports WHERE result = 'stale' AND seq = 4") == 1)
    }

    @Test func illegalTransitionsNameBothStates() throws {
        let f = try StatusFixture()
        try f.ingest(0, seq: 1, "downloading")
        let r = try f.ingest(0, seq: 2, "accepted")
        #expect(r.outcome == .rejected)
        #expect(r.reason == .transition)
        #expect(r.detail?.contains("downloading -> accepted") == true)
        #expect(r.state == .downloading)
        #expect(try f.target(0).reportSeq == 1)
        // a pending target (its wave not open) takes no report
        let g = try StatusFixture(StatusFixture.Options(waves: 2))
        let p = try g.ingest(1, seq: 1, "accepted")
        #expect(p.reason == .transition)
        #expect(p.detail?.contains("pending -> accepted") == true)
    }

    @Test func verifiedInstallSucceedsAndWritesTheInventory() throws {
        let f = try StatusFixture()
        try f.ingest(0, seq: 1, "accepted", now: t + 100)
        let r = try f.ingest(0, seq: 2, "installed", now: t + 900, ecus: [("BCM", 0, "BCM-A", "2.0")])
        #expect(r == IngestResult(.applied, state: .succeeded))
        let s = try f.target(0)
        #expect(s.status == TargetStatus(state: .succeeded, final: true))
        #expect(s.succeededAt == t + 900)
        #expect(s.due == nil)
        #expect(try f.count("SELECT count(*) FROM target_ecus WHERE outcome = 'verified'") == 1)
        let vid = s.vehicleID
        #expect(try f.db.prepare("SELECT sw FROM ecus WHERE vehicle_id = ? AND node = 'BCM'").bind(1, vid)
            .firstRow { $0.text(0) } == "2.0")
        let history = try f.db.prepare("""
            SELECT h.sw, h.source, h.at FROM ecu_history h JOIN ecus e ON e.id = h.ecu_id
            WHERE e.vehicle_id = ? AND e.node = 'BCM' ORDER BY h.id
            """).bind(1, vid).rows { r in "\(r.text(0) ?? "")@\(r.text(1) ?? "")@\(r.int64(2))" }
        #expect(history == ["1.0@snapshot@\(Fleet.t0)", "2.0@campaign:1@\(t + 900)"])
        #expect(try f.db.prepare("SELECT seen FROM vehicles WHERE id = ?").bind(1, vid).firstRow { $0.int64(0) } == t + 900)
        #expect(try f.countersMatchRecount())
        // the time-to-success histogram counted 900 s from the notification
        #expect(try f.count("SELECT n FROM campaign_counts WHERE dim = 'tts' AND key = '\(TimeToSuccess.bucket(900))'") == 1)
        // final: nothing moves it again
        let again = try f.ingest(0, seq: 3, "rolled-back", now: t + 1000)
        #expect(again.reason == .transition)
        #expect(again.detail?.contains("succeeded -> failed") == true)
    }

    @Test func anOlderSnapshotImportedLaterLeavesReportedVersionsAlone() throws {
        let f = try StatusFixture()
        let at = t + 900
        try f.ingest(0, seq: 1, "installed", now: at, ecus: [("BCM", 0, "BCM-A", "2.0")])
        // a snapshot taken before the report, still listing 1.0, imported afterwards
        let old = Fleet.vehicle(0, market: "US", sw: "1.0")
        let summary = try Fleet.load(f.store, [old], taken: at - 100)
        #expect(summary.stale == 1)
        let vid = try f.target(0).vehicleID
        #expect(try f.db.prepare("SELECT sw FROM ecus WHERE vehicle_id = ? AND node = 'BCM'").bind(1, vid)
            .firstRow { $0.text(0) } == "2.0")
        // a later snapshot still decides
        try Fleet.load(f.store, [Fleet.vehicle(0, market: "US", sw: "2.1")], taken: at + 100)
        #expect(try f.db.prepare("SELECT sw FROM ecus WHERE vehicle_id = ? AND node = 'BCM'").bind(1, vid)
            .firstRow { $0.text(0) } == "2.1")
    }

    @Test func wrongVersionsFailVerification() throws {
        let f = try StatusFixture()
        let r = try f.ingest(0, seq: 1, "installed", now: t + 500, ecus: [("BCM", 0, "BCM-A", "1.9")])
        #expect(r == IngestResult(.applied, state: .failed))
        let x = try f.target(0)
        #expect(x.status.reason == "verification")
        #expect(x.status.final == false)            // verification is retried (max 2)
        #expect(x.due == t + 500 + 600)             // backoff
        #expect(try f.count("SELECT count(*) FROM target_ecus WHERE outcome = 'failed'") == 1)
        // unproven versions are not written into the inventory
        #expect(try f.count("SELECT count(*) FROM ecu_history WHERE source LIKE 'campaign:%'") == 0)
        // hardware must match too
        let h = try f.ingest(1, seq: 1, "installed", ecus: [("BCM", 0, "BCM-B", "2.0")])
        #expect(h.state == .failed)
        #expect(try f.target(1).status.reason == "verification")
        #expect(try f.countersMatchRecount())
        #expect(try f.count("SELECT n FROM campaign_counts WHERE dim = 'failure' AND key = 'verification'") == 2)
    }

    @Test func installedWithoutVersionsIsNotASuccess() throws {
        let f = try StatusFixture()
        try f.ingest(0, seq: 1, "installing")
        for ecus in [nil, [(String, Int64, String, String)]()] {
            let r = try f.ingest(0, seq: 2, "installed", ecus: ecus)
            #expect(r.outcome == .rejected)
            #expect(r.reason == .unverified)
            #expect(r.state == .installing)
        }
        #expect(try f.target(0).status.state == .installing)
        // after the reboot, with versions, it counts
        #expect(try f.ingest(0, seq: 2, "installed", ecus: [("BCM", 0, "BCM-A", "2.0")]).state == .succeeded)
    }

    @Test func aMixedMultiECUOutcomeRetriesOnlyTheMissingECU() throws {
        let f = try StatusFixture(StatusFixture.Options(multi: true))
        let r = try f.ingest(0, seq: 1, "installed", now: t + 500,
                             ecus: [("BCM", 0, "BCM-A", "2.0"), ("ECM", 0, "ECM-A", "2.0")])
        #expect(r.state == .failed)
        let tid = try f.target(0).id
        let outcomes = try f.db.prepare("SELECT node, outcome FROM target_ecus WHERE target_id = ? ORDER BY position")
            .bind(1, tid).rows { "\($0.text(0) ?? "")=\($0.text(1) ?? "")" }
        #expect(outcomes == ["BCM=verified", "ECM=failed"])
        // what a retry's offer contains
        let missing = try f.db.prepare("SELECT node FROM target_ecus WHERE target_id = ? AND outcome <> 'verified'")
            .bind(1, tid).rows { $0.text(0) ?? "" }
        #expect(missing == ["ECM"])
        // the verified BCM is in the inventory already
        #expect(try f.count("SELECT count(*) FROM ecu_history WHERE source = 'campaign:1' AND sw = '2.0'") == 1)
        // the step retries: failed -> queued -> notified; the vehicle installs the ECM only
        try f.step(0, .retry, to: .queued, now: t + 1200)
        try f.step(0, .notify, to: .notified, now: t + 1300)
        let done = try f.ingest(0, seq: 2, "installed", now: t + 2000, ecus: [("ECM", 0, "ECM-A", "3.0")])
        #expect(done.state == .succeeded)
        #expect(try f.count("SELECT count(*) FROM target_ecus WHERE target_id = \(tid) AND outcome = 'verified'") == 2)
        #expect(try f.countersMatchRecount())
    }

    @Test func deferralsCountAgainstTheLimit() throws {
        let f = try StatusFixture()   // max-deferrals 2
        #expect(try f.ingest(0, seq: 1, "deferred", now: t + 10).state == .deferred)
        #expect(try f.target(0).due == t + 10 + 3600)   // the reminder
        #expect(try f.ingest(0, seq: 2, "deferred", now: t + 20).state == .deferred)
        #expect(try f.target(0).deferrals == 2)
        let third = try f.ingest(0, seq: 3, "deferred", now: t + 30)
        #expect(third.state == .failed)
        let x = try f.target(0)
        #expect(x.status == TargetStatus(state: .failed, final: true, reason: "user"))
        #expect(try f.countersMatchRecount())
        // no deferral at all allowed
        let g = try StatusFixture(StatusFixture.Options(maxDeferrals: 0))
        #expect(try g.ingest(0, seq: 1, "deferred").state == .failed)
    }

    @Test func declineIsFinalWithFeedbackWhenAsked() throws {
        let f = try StatusFixture()
        #expect(try f.ingest(0, seq: 1, "declined", feedback: "not now, on a trip").state == .declined)
        let d = try f.target(0)
        #expect(d.status == TargetStatus(state: .declined, final: true))
        #expect(d.feedback == "not now, on a trip")
        let g = try StatusFixture(StatusFixture.Options(feedbackOnDecline: false))
        try g.ingest(0, seq: 1, "declined", feedback: "unasked")
        #expect(try g.target(0).feedback == nil)
        #expect(try f.countersMatchRecount())
    }

    @Test func failuresAreRetriedByReasonOrFinal() throws {
        let f = try StatusFixture()
        let r = try f.ingest(0, seq: 1, "failed", now: t + 100, reason: "install", code: 42)
        #expect(r.state == .failed)
        let x = try f.target(0)
        #expect(x.status == TargetStatus(state: .failed, final: false, reason: "install", code: 42))
        #expect(x.due == t + 100 + 600)
        // power is not among the retried reasons: final
        try f.ingest(1, seq: 1, "failed", now: t + 100, reason: "power")
        let y = try f.target(1)
        #expect(y.status.final)
        #expect(y.due == nil)
        #expect(try f.count("SELECT n FROM campaign_counts WHERE dim = 'failure' AND key = 'install' AND sub = '42'") == 1)
        #expect(try f.count("SELECT n FROM campaign_counts WHERE dim = 'final'") == 1)
        #expect(try f.countersMatchRecount())
    }

    @Test func rolledBackFailsAndUpdatesTheInventory() throws {
        let f = try StatusFixture()
        try f.ingest(0, seq: 1, "installing")
        let r = try f.ingest(0, seq: 2, "rolled-back", now: t + 700, code: 7, ecus: [("BCM", 0, "BCM-A", "1.0.1")])
        #expect(r.state == .failed)
        let x = try f.target(0)
        #expect(x.status.reason == "rolled-back")
        #expect(x.status.code == 7)
        #expect(!x.status.final)   // rolled-back is retried in this spec
        #expect(try f.db.prepare("SELECT sw FROM ecus WHERE vehicle_id = ? AND node = 'BCM'").bind(1, x.vehicleID)
            .firstRow { $0.text(0) } == "1.0.1")
        #expect(try f.count("SELECT count(*) FROM ecu_history WHERE source = 'campaign:1' AND sw = '1.0.1'") == 1)
    }

    @Test func signedVehiclesNeedTheirSignature() throws {
        let f = try StatusFixture()
        let key = try Ed25519Signer.fromSeed(seed(1), kid: "veh")
        let other = try Ed25519Signer.fromSeed(seed(2), kid: "veh")
        #expect(throws: OTAError.self) {
            try VehicleKeys.set(f.db, actor: "gw", now: 5, vin: f.vins[0], publicKey: key.publicKey)
        }
        try VehicleKeys.set(f.db, actor: "erin", now: 5, vin: f.vins[0], publicKey: key.publicKey)
        #expect(try f.count("SELECT count(*) FROM audit WHERE action = 'vehicle.set-key'") == 1)
        let plain = StatusFixture.report(f.vins[0], seq: 1, "accepted")
        let unsigned = try f.ingestRaw(plain, topic: StatusTopic.of(f.vins[0]))
        #expect(unsigned.reason == .signature)
        #expect(unsigned.state == .notified)
        let forged = try f.ingestRaw(try COSESign1.sign(payload: plain, with: other), topic: StatusTopic.of(f.vins[0]))
        #expect(forged.reason == .signature)
        #expect(try f.target(0).status.state == .notified)
        let signed = try f.ingestRaw(try COSESign1.sign(payload: plain, with: key), topic: StatusTopic.of(f.vins[0]))
        #expect(signed == IngestResult(.applied, state: .accepted))
        // a vehicle without a key may sign: the payload is read
        let b = StatusFixture.report(f.vins[1], seq: 1, "accepted")
        #expect(try f.ingestRaw(try COSESign1.sign(payload: b, with: other), topic: StatusTopic.of(f.vins[1])).outcome == .applied)
        #expect(try f.count("SELECT count(*) FROM status_reports WHERE reason = 'signature'") == 2)
    }

    func seed(_ b: UInt8) -> UnsafeRawBufferPointer {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 1)
        for i in 0..<32 { p[i] = b &+ UInt8(i) }
        return UnsafeRawBufferPointer(p)
    }

    @Test func topicsAndMalformedReportsAreRejectedAndKept() throws {
        let f = try StatusFixture()
        let mismatch = try f.ingest(0, seq: 1, "accepted", topicVIN: f.vins[1])
        #expect(mismatch.reason == .topic)
        #expect(mismatch.detail?.contains(f.vins[1]) == true)
        let badTopic = try f.ingestRaw(StatusFixture.report(f.vins[0], seq: 1, "accepted"), topic: "ota/v1/other")
        #expect(badTopic.reason == .malformed)
        let junk = try f.ingestRaw([0xff, 0x00], topic: StatusTopic.of(f.vins[0]))
        #expect(junk.reason == .malformed)
        let failedWithoutReason = try f.ingestRaw(StatusFixture.report(f.vins[0], seq: 1, "failed"), topic: StatusTopic.of(f.vins[0]))
        #expect(failedWithoutReason.reason == .malformed)
        #expect(failedWithoutReason.detail?.contains("reason") == true)
        #expect(try f.count("SELECT count(*) FROM status_reports WHERE result = 'rejected'") == 4)
        #expect(try f.db.prepare("SELECT report FROM status_reports WHERE reason = 'malformed' AND topic = ? ORDER BY id")
            .bind(1, StatusTopic.of(f.vins[0])).firstRow { $0.blob(0) } == [0xff, 0x00])
        #expect(try f.target(0).status.state == .notified)
    }

    @Test func unknownsAndCampaignStatesAreRejected() throws {
        let f = try StatusFixture(StatusFixture.Options(vehicles: 2))
        let stranger = Fleet.vin(999)
        #expect(try f.ingestRaw(StatusFixture.report(stranger, seq: 1, "accepted"), topic: StatusTopic.of(stranger)).reason == .unknownVehicle)
        #expect(try f.ingestRaw(StatusFixture.report(f.vins[0], campaign: 77, seq: 1, "accepted"),
                                topic: StatusTopic.of(f.vins[0])).reason == .unknownCampaign)
        try Fleet.load(f.store, [Fleet.vehicle(50)])
        let outsider = Fleet.vin(50)
        #expect(try f.ingestRaw(StatusFixture.report(outsider, seq: 1, "accepted"), topic: StatusTopic.of(outsider)).reason == .notTarget)
        for state in ["approved", "scheduled", "completed"] {
            try f.db.exec("UPDATE campaigns SET state = '\(state)' WHERE id = 1")
            let r = try f.ingest(0, seq: 1, "accepted")
            #expect(r.reason == .campaignState)
            #expect(r.detail?.contains(state) == true)
        }
        // paused: reports still apply
        try f.db.exec("UPDATE campaigns SET state = 'paused' WHERE id = 1")
        #expect(try f.ingest(0, seq: 1, "accepted").outcome == .applied)
    }

    /// An abort spares the targets that were installing (design §4): their reports still count
    /// until they are final, with no retry; the cancelled ones' reports do not.
    @Test func anAbortedCampaignTakesItsInstallingTargetsReportsUntilFinal() throws {
        let f = try StatusFixture(StatusFixture.Options(vehicles: 4))
        let t = StatusFixture.notifiedAt
        for i in 0..<3 { #expect(try f.ingest(i, seq: 1, "installing", now: t + 100).outcome == .applied) }
        try CampaignControl.abort(f.db, actor: "alice", now: t + 200, campaign: 1, reason: "bad calibration", signer: try testSigner())
        // target 3 was only notified: cancelled, and its reports no longer count
        #expect(try f.target(3).status.state == .cancelled)
        let late = try f.ingest(3, seq: 1, "accepted", now: t + 300)
        #expect(late.reason == .campaignState)
        #expect(late.detail?.contains("aborted") == true)
        // the installing ones finish: one succeeds, one fails for good (install is retryable,
        // but an aborted campaign retries nothing)
        let done = try f.ingest(0, seq: 2, "installed", now: t + 300, ecus: [("BCM", 0, "BCM-A", "2.0")])
        #expect(done.outcome == .applied)
        #expect(done.state == .succeeded)
        let failed = try f.ingest(1, seq: 2, "failed", now: t + 300, reason: "install")
        #expect(failed.outcome == .applied)
        #expect(try f.target(1).status.final)
        #expect(try f.target(1).due == nil)
        // once final, later reports are the campaign's state again
        #expect(try f.ingest(0, seq: 3, "installed", now: t + 400, ecus: [("BCM", 0, "BCM-A", "2.0")]).reason == .campaignState)
        // target 2 is still installing: after a step, the campaign waits for its install timeout
        try Roles.grant(f.db, actor: "alice", now: t, to: "cam", .campaignManager)
        let r = try CBORReader.decode(try CampaignStep.run(f.db, actor: "cam", now: t + 400, campaign: 1, signer: try testSigner()))
        #expect(r["next-due"]?.int64 == t + 100 + 7 * 86_400)
        #expect(try f.target(2).due == t + 100 + 7 * 86_400)
        #expect(try f.countersMatchRecount())
    }

    @Test func theQuotaKeepsAThousandReportsAndCountsTheRest() throws {
        let f = try StatusFixture()
        let tid = try f.target(0).id
        try f.db.exec("UPDATE targets SET reports = 999 WHERE id = \(tid)")
        #expect(try f.ingest(0, seq: 1, "accepted").outcome == .applied)   // the 1,000th is kept
        let over = try f.ingest(0, seq: 2, "downloading")
        #expect(over.reason == .quota)
        #expect(over.state == .accepted)
        #expect(try f.ingest(0, seq: 3, "downloading").reason == .quota)
        #expect(try f.target(0).reports == 1002)
        #expect(try f.target(0).status.state == .accepted)
        #expect(try f.count("SELECT count(*) FROM status_reports WHERE target_id = \(tid)") == 1)
        #expect(try f.count("SELECT count(*) FROM status_reports WHERE reason = 'quota'") == 0)
        // the audit counts them
        let detail = try f.db.prepare("SELECT detail FROM audit WHERE action = 'status.ingest' ORDER BY seq DESC LIMIT 1")
            .firstRow { $0.blob(0) } ?? nil
        #expect(try CBORReader.decode(detail ?? [])["not-kept"]?.int64 == 1)
    }

    @Test func onlyGatewaysIngest() throws {
        let f = try StatusFixture()
        let before = try f.count("SELECT count(*) FROM status_reports")
        #expect(throws: OTAError.self) {
            try f.ingestRaw(StatusFixture.report(f.vins[0], seq: 1, "accepted"), topic: StatusTopic.of(f.vins[0]), actor: "erin")
        }
        #expect(try f.count("SELECT count(*) FROM status_reports") == before)
    }

    @Test func aBatchIsOneTransactionWithOneAuditEntry() throws {
        let f = try StatusFixture()
        let audit = try f.count("SELECT count(*) FROM audit")
        var items: [(String, [UInt8])] = []
        for (i, vin) in f.vins.enumerated() {
            items.append((StatusTopic.of(vin), StatusFixture.report(vin, seq: 1, i % 2 == 0 ? "accepted" : "declined")))
            items.append((StatusTopic.of(vin), StatusFixture.report(vin, seq: 2, "downloading")))
        }
        items.append((StatusTopic.of(f.vins[0]), StatusFixture.report(f.vins[0], seq: 2, "downloading")))
        items.append((StatusTopic.of(f.vins[0]), [0x01]))
        let results = try f.batch(items)
        #expect(results.count == items.count)
        #expect(results[0] == IngestResult(.applied, state: .accepted))
        #expect(results[1] == IngestResult(.applied, state: .downloading))
        #expect(results[2] == IngestResult(.applied, state: .declined))
        #expect(results[3].reason == .transition)   // declined is final
        #expect(results[items.count - 2].outcome == .duplicate)
        #expect(results[items.count - 1].reason == .malformed)
        #expect(try f.count("SELECT count(*) FROM audit") == audit + 1)
        let detail = try f.db.prepare("SELECT detail FROM audit WHERE action = 'status.ingest'").firstRow { $0.blob(0) } ?? nil
        let d = try CBORReader.decode(detail ?? [])
        #expect(d["reports"]?.int64 == Int64(items.count))
        #expect(d["applied"]?.int64 == Int64(3 * f.vins.count / 2))
        #expect(d["duplicate"]?.int64 == 1)
        #expect(d["rejected"]?.int64 == Int64(f.vins.count / 2 + 1))
        #expect(try f.countersMatchRecount())
        // an element that is not [topic, bytes] is kept as received
        var a = CBORArrayBuilder()
        a.int(Int64(5))
        a.array { e in e.text(StatusTopic.of(f.vins[1])); e.bytes(StatusFixture.report(f.vins[1], seq: 9, "downloading")) }
        let r = try withBuffer(a.encoded) { (raw) throws(OTAError) in
            try StatusIngest.ingestBatch(f.db, actor: "gw", now: t + 200, batch: raw)
        }
        #expect(r.map { $0.outcome } == [.rejected, .rejected])
        #expect(r.map { $0.reason } == [.malformed, .transition])   // vins[1] declined: final
        #expect(try f.db.prepare("SELECT report, topic FROM status_reports WHERE report = x'05'").firstRow { $0.text(1) } == "")
        // a batch that is not an array keeps nothing
        let n = try f.count("SELECT count(*) FROM status_reports")
        #expect(throws: OTAError.self) {
            try withBuffer([0xa0]) { (raw) throws(OTAError) in _ = try StatusIngest.ingestBatch(f.db, actor: "gw", now: t, batch: raw) }
        }
        #expect(try f.count("SELECT count(*) FROM status_reports") == n)
    }

    @Test func aFailedBatchRollsBackEverything() throws {
        let f = try StatusFixture()
        let before = try f.count("SELECT count(*) FROM status_reports")
        // truncated after the first element: the batch is refused whole
        var a = CBORWriter()
        a.arrayHeader(2)
        a.arrayHeader(2)
        a.text(StatusTopic.of(f.vins[0]))
        a.bytes(StatusFixture.report(f.vins[0], seq: 1, "accepted"))
        #expect(throws: OTAError.self) {
            try withBuffer(a.bytes) { (raw) throws(OTAError) in _ = try StatusIngest.ingestBatch(f.db, actor: "gw", now: t, batch: raw) }
        }
        #expect(try f.count("SELECT count(*) FROM status_reports") == before)
        #expect(try f.target(0).status.state == .notified)
    }
}
