import Testing
import OTACore
@testable import OTAStore

/// What the store keeps of reports it cannot attribute to a target: a report the vehicle's key
/// did not sign leaves the target (and its quota) alone, and reports that reach no target are
/// kept up to a daily bound, none larger than a report can be.
@Suite struct ReportBoundsTests {
    let t = StatusFixture.notifiedAt

    func seed(_ b: UInt8) -> UnsafeRawBufferPointer {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 1)
        for i in 0..<32 { p[i] = b &+ UInt8(i) }
        return UnsafeRawBufferPointer(p)
    }

    func notKept(_ f: StatusFixture) throws -> Int64? {
        let detail = try f.db.prepare("SELECT detail FROM audit WHERE action = 'status.ingest' ORDER BY seq DESC LIMIT 1")
            .firstRow { $0.blob(0) } ?? nil
        return try CBORReader.decode(detail ?? [])["not-kept"]?.int64
    }

    @Test func unsignedReportsDoNotUseUpTheVehiclesQuota() throws {
        let f = try StatusFixture()
        let key = try Ed25519Signer.fromSeed(seed(1), kid: "veh")
        try VehicleKeys.set(f.db, actor: "erin", now: 5, vin: f.vins[0], publicKey: key.publicKey)
        let tid = try f.target(0).id
        // a forger floods the vehicle's topic with more reports than its quota
        let plain = StatusFixture.report(f.vins[0], seq: 1, "declined")
        let flood = [(String, [UInt8])](repeating: (StatusTopic.of(f.vins[0]), plain), count: StatusQuota.perTarget + 5)
        let results = try f.batch(flood, now: t + 10)
        #expect(results.allSatisfy { $0.reason == .signature && $0.state == .notified })
        #expect(try f.target(0).reports == 0)
        #expect(try f.target(0).status.state == .notified)
        // the vehicle's own report still counts
        let signed = try COSESign1.sign(payload: StatusFixture.report(f.vins[0], seq: 1, "accepted"), with: key)
        #expect(try f.ingestRaw(signed, topic: StatusTopic.of(f.vins[0]), now: t + 20) == IngestResult(.applied, state: .accepted))
        #expect(try f.target(0).reports == 1)
        #expect(try f.count("SELECT count(*) FROM status_reports WHERE target_id = \(tid) AND reason = 'signature'")
                == Int64(StatusQuota.perTarget + 5))
    }

    @Test func reportsThatReachNoTargetAreKeptUpToADailyBound() throws {
        let f = try StatusFixture()
        let day = t - t % 86_400
        let stray = StatusFixture.report("1M8GDM9AXKP042788", seq: 1, "accepted")   // no such vehicle
        let topic = StatusTopic.of("1M8GDM9AXKP042788")
        let n = StatusQuota.unattributedPerDay
        let first = try f.batch(Array(repeating: (topic, stray), count: n - 1), now: day + 10)
        #expect(first.allSatisfy { $0.reason == .unknownVehicle && $0.detail?.contains("not kept") == false })
        let over = try f.batch(Array(repeating: (topic, stray), count: 3), now: day + 20)
        #expect(over.map(\.reason) == [.unknownVehicle, .unknownVehicle, .unknownVehicle])
        #expect(over[0].detail?.contains("not kept") == false)
        #expect(over[1].detail?.hasSuffix("not kept: more than \(n) reports that reach no target on this day") == true)
        #expect(try notKept(f) == 2)
        #expect(try f.count("SELECT count(*) FROM status_reports WHERE reason = 'unknown-vehicle'") == Int64(n))
        // a vehicle's own reports are not bounded by it
        #expect(try f.ingest(0, seq: 1, "accepted", now: day + 30).outcome == .applied)
        // the next UTC day starts again
        #expect(try f.ingestRaw(stray, topic: topic, now: day + 86_400).detail?.contains("not kept") == false)
        #expect(try f.count("SELECT count(*) FROM status_reports WHERE reason = 'unknown-vehicle'") == Int64(n) + 1)
    }

    @Test func aPayloadLargerThanAnyReportIsNotKept() throws {
        let f = try StatusFixture()
        let big = [UInt8](repeating: 0x41, count: StatusReportParser.maxBytes + 257)
        let r = try f.ingestRaw(big, topic: StatusTopic.of(f.vins[0]))
        #expect(r.reason == .malformed)
        #expect(r.detail?.hasSuffix("not kept: \(big.count) bytes, more than any report") == true)
        #expect(try f.count("SELECT count(*) FROM status_reports") == 0)
        #expect(try notKept(f) == 1)
        // one byte less is kept (as malformed)
        _ = try f.ingestRaw(Array(big.dropLast()), topic: StatusTopic.of(f.vins[0]))
        #expect(try f.count("SELECT count(*) FROM status_reports") == 1)
    }

    @Test(arguments: ["retries = -1", "deferrals = 9223372036854775807", "reports = -5"])
    func aTamperedTargetCountIsCorruptNotATrap(_ change: String) throws {
        let f = try StatusFixture()
        try f.db.exec("UPDATE targets SET \(change) WHERE vin = '\(f.vins[0])'")
        let column = change.split(separator: " ")[0]
        #expect {
            _ = try f.ingest(0, seq: 1, "failed", reason: "install")
        } throws: { e in
            (e as? OTAError)?.code == .corrupt && (e as? OTAError)?.message.contains(" \(column) is ") == true
        }
    }

    @Test func theTimelineTakesAnyHour() throws {
        var c = CampaignCounters(campaign: 1)
        c.event(at: Int64.min, notified: 1)   // floor division with no overflow
        c.event(at: Int64.max, failed: 1)
        c.event(at: -1, succeeded: 1)
    }
}
