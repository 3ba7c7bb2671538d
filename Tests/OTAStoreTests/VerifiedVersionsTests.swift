import Testing
import OTACore
@testable import OTAStore

/// A success counts only on versions proved for every targeted ECU, the ones proved by an
/// earlier report included: a version proved once stands until a report shows that ECU on
/// another version (design/campaigns.md §6; ota.h "Status reports").
@Suite struct VerifiedVersionsTests {
    let t = StatusFixture.notifiedAt

    func outcomes(_ f: StatusFixture) throws -> [String] {
        try f.db.prepare("SELECT node, outcome FROM target_ecus WHERE target_id = ? ORDER BY position")
            .bind(1, try f.target(0).id).rows { "\($0.text(0) ?? "")=\($0.text(1) ?? "")" }
    }

    func inventory(_ f: StatusFixture, _ node: String) throws -> String? {
        try f.db.prepare("SELECT e.sw FROM ecus e JOIN vehicles v ON v.id = e.vehicle_id WHERE v.vin = ? AND e.node = ?")
            .bind(1, f.vins[0]).bind(2, node).firstRow { $0.text(0) } ?? nil
    }

    func retry(_ f: StatusFixture, at now: Int64) throws {
        try f.step(0, .retry, to: .queued, now: now)
        try f.step(0, .notify, to: .notified, now: now + 100)
    }

    @Test func aVerifiedECUShownOnAnotherVersionIsNoLongerVerified() throws {
        let f = try StatusFixture(StatusFixture.Options(multi: true))   // BCM 1.0 -> 2.0, ECM 2.0 -> 3.0
        // BCM proved, ECM not: a retry of the ECM
        #expect(try f.ingest(0, seq: 1, "installed", now: t + 500,
                             ecus: [("BCM", 0, "BCM-A", "2.0"), ("ECM", 0, "ECM-A", "2.0")]).state == .failed)
        #expect(try outcomes(f) == ["BCM=verified", "ECM=failed"])
        try retry(f, at: t + 1000)
        // the vehicle falls back: the BCM is on 1.0 again, and the inventory says so
        #expect(try f.ingest(0, seq: 2, "rolled-back", now: t + 1500,
                             ecus: [("BCM", 0, "BCM-A", "1.0"), ("ECM", 0, "ECM-A", "2.0")]).state == .failed)
        #expect(try outcomes(f) == ["BCM=failed", "ECM=failed"])
        #expect(try inventory(f, "BCM") == "1.0")
        try retry(f, at: t + 2000)
        // an "installed" that proves the ECM but shows the BCM still on 1.0 is not a success
        let r = try f.ingest(0, seq: 3, "installed", now: t + 2500,
                             ecus: [("BCM", 0, "BCM-A", "1.0"), ("ECM", 0, "ECM-A", "3.0")])
        #expect(r.state == .failed)
        #expect(try f.target(0).status.reason == "verification")
        #expect(try outcomes(f) == ["BCM=failed", "ECM=verified"])
        #expect(try f.countersMatchRecount())
    }

    @Test func anInstalledReportThatShowsAVerifiedECURegressedFailsAndCorrectsTheInventory() throws {
        let f = try StatusFixture(StatusFixture.Options(multi: true))
        _ = try f.ingest(0, seq: 1, "installed", now: t + 500,
                         ecus: [("BCM", 0, "BCM-A", "2.0"), ("ECM", 0, "ECM-A", "2.0")])
        #expect(try inventory(f, "BCM") == "2.0")
        try retry(f, at: t + 1000)
        let r = try f.ingest(0, seq: 2, "installed", now: t + 1500,
                             ecus: [("BCM", 0, "BCM-A", "1.0"), ("ECM", 0, "ECM-A", "3.0")])
        #expect(r.state == .failed)
        #expect(try outcomes(f) == ["BCM=failed", "ECM=verified"])
        // the inventory no longer claims a version the vehicle denies
        #expect(try inventory(f, "BCM") == "1.0")
        #expect(try inventory(f, "ECM") == "3.0")
    }

    @Test func aVersionProvedEarlierStandsWhenALaterReportLeavesItOut() throws {
        let f = try StatusFixture(StatusFixture.Options(multi: true))
        _ = try f.ingest(0, seq: 1, "installed", now: t + 500,
                         ecus: [("BCM", 0, "BCM-A", "2.0"), ("ECM", 0, "ECM-A", "2.0")])
        try retry(f, at: t + 1000)
        // the retry installs the ECM only, and the vehicle reports what it installed
        #expect(try f.ingest(0, seq: 2, "installed", now: t + 1500, ecus: [("ECM", 0, "ECM-A", "3.0")]).state == .succeeded)
        #expect(try outcomes(f) == ["BCM=verified", "ECM=verified"])
    }

    @Test func aFailureWhoseVersionsAreAllProvedRetriesTheWholeInstallAndCanSucceed() throws {
        let f = try StatusFixture()   // BCM 1.0 -> 2.0, retries for "install"
        let r = try f.ingest(0, seq: 1, "failed", now: t + 500, reason: "install", ecus: [("BCM", 0, "BCM-A", "2.0")])
        #expect(r.state == .failed)
        #expect(try outcomes(f) == ["BCM=verified"])
        // the retry's offer is not empty: the whole install again
        #expect(try TargetECUs.offered(f.db, target: try f.target(0).id).map(\.node) == ["BCM"])
        try retry(f, at: t + 1500)
        #expect(try f.ingest(0, seq: 2, "installed", now: t + 2000, ecus: [("BCM", 0, "BCM-A", "2.0")]).state == .succeeded)
        #expect(try f.countersMatchRecount())
    }

    @Test func anOfferCarriesOnlyTheECUsNotVerified() throws {
        let f = try StatusFixture(StatusFixture.Options(multi: true))
        let tid = try f.target(0).id
        #expect(try TargetECUs.offered(f.db, target: tid).map(\.node) == ["BCM", "ECM"])
        _ = try f.ingest(0, seq: 1, "installed", now: t + 500,
                         ecus: [("BCM", 0, "BCM-A", "2.0"), ("ECM", 0, "ECM-A", "2.0")])
        #expect(try TargetECUs.offered(f.db, target: tid).map(\.node) == ["ECM"])
    }
}
