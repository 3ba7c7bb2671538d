import Testing
import OTACore
@testable import OTAStore

/// Validation's (targets, excluded by reason) of campaign `id`.
private func validation(_ s: Store, _ id: Int64) throws -> (targets: Int64, excluded: [String: Int64]) {
    let doc = try CBORReader.decode(Campaigns.validate(s.db, campaign: id))
    var excluded: [String: Int64] = [:]
    for p in doc["excluded"]?.pairs ?? [] { excluded[p.key.text ?? ""] = p.value.int64 }
    return (doc["targets"]?.int64 ?? -1, excluded)
}

/// Vehicle `n` with exactly these ECUs (node, hw, sw).
private func vehicle(_ n: Int, _ ecus: [(String, String, String)]) -> SnapshotVehicle {
    SnapshotVehicle(index: n, vin: Fleet.vin(n), model: "Aurora", variant: "base", powertrain: "diesel",
                    market: "DE", produced: 1_600_000_000, ecus: ecus.map { SnapshotECU(node: $0.0, hw: $0.1, sw: $0.2) })
}

/// A spec of `packages` with one wave (a few targets round no wave to zero).
private func spec(_ packages: [Int64]) -> [UInt8] {
    let wave = CBOR.map([CBORPair(.text("success-gate"), .unsigned(100)), CBORPair(.text("failure-threshold"), .unsigned(0))])
    return CampaignFixture.spec(packages: packages, [("waves", .array([wave]))])
}

/// Requirements of a package ("requires") and how a campaign's packages meet them.
@Suite struct CampaignRequirementTests {
    @Test func registrationRefusesMoreRequirementsThanARuleHolds() throws {
        let s = try makeStore()
        let requires = (0..<33).map { ("N\($0)", ["1"]) }
        let e = error { () throws(OTAError) in try register(s, CampaignFixture.manifest(requires: requires)) }
        #expect(e?.code == .badInput && e?.message == "manifest has 1 problem: requires: 33 items, more than 32", "\(e?.message ?? "registered")")
        #expect(try s.db.scalar("SELECT count(*) FROM packages") == 0)
    }

    @Test func theLastRequirementAtTheLimitExcludesInTheFreeze() throws {
        let s = try makeStore()
        // BCM requires N0...N31 on 1 (32, the limit); vehicle 1 has N31 on 2, vehicle 2 none
        let others = (0..<31).map { ("N\($0)", "H", "1") }
        let base = [("BCM", "HW-1", "0.9")] + others
        try CampaignFixture.fleet(s, [vehicle(0, base + [("N31", "H", "1")]), vehicle(1, base + [("N31", "H", "2")]),
                                      vehicle(2, base)])
        let bcm = try CampaignFixture.package(s, CampaignFixture.manifest(requires: (0..<32).map { ("N\($0)", ["1"]) }))
        let id = try CampaignFixture.create(s, spec([bcm]))
        let r = try validation(s, id)
        #expect(r.targets == 1 && r.excluded == ["requires": 2], "\(r)")
        try Campaigns.approve(s.db, actor: "root", now: CampaignFixture.now, campaign: id)
        #expect(try CampaignFixture.targets(s, id).map(\.vin) == [Fleet.vin(0)])
    }

    /// GW 1.0 -> 2.0 for hw GW-A only, then BCM, which requires GW on 2.0.
    private func gwThenBCM(_ s: Store) throws -> Int64 {
        let gw = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "GW", version: "2.0", from: ["1.0"], hw: ["GW-A"]))
        let bcm = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "BCM", counter: 2, requires: [("GW", ["2.0"])]))
        return try CampaignFixture.create(s, spec([gw, bcm]))
    }

    @Test func anEarlierPackageMeetsARequirementOnlyForTheECUsItUpdates() throws {
        let s = try makeStore()
        try CampaignFixture.fleet(s, [
            vehicle(0, [("BCM", "HW-1", "0.9"), ("GW", "GW-A", "1.0"), ("GW", "GW-B", "1.0")]),  // GW-B stays on 1.0
            vehicle(1, [("BCM", "HW-1", "0.9"), ("GW", "GW-A", "1.0"), ("GW", "GW-A", "1.0")]),  // both updated
            vehicle(2, [("BCM", "HW-1", "0.9"), ("GW", "GW-A", "1.0"), ("GW", "GW-B", "2.0")]),  // GW-B on 2.0 already
            vehicle(3, [("BCM", "HW-1", "0.9"), ("GW", "GW-A", "2.0"), ("GW", "GW-B", "1.0")]),  // GW up to date, GW-B not
        ])
        let id = try gwThenBCM(s)
        let r = try validation(s, id)
        #expect(r.targets == 2 && r.excluded == ["requires": 2], "\(r)")
        try Campaigns.approve(s.db, actor: "root", now: CampaignFixture.now, campaign: id)
        #expect(try CampaignFixture.targets(s, id).map(\.vin).sorted() == [Fleet.vin(1), Fleet.vin(2)])
        #expect(try s.db.scalar("SELECT count(*) FROM target_ecus WHERE node = 'GW' AND hw = 'GW-A' AND to_sw = '2.0'") == 3)
        #expect(try s.db.scalar("SELECT count(*) FROM target_ecus WHERE node = 'BCM'") == 2)
    }

    @Test func anExcludedVehicleCountsUnderTheEarliestReasonOfItsPackages() throws {
        let s = try makeStore()
        // BCM (package 0) fails "from" (0.8), GW (package 1) fails "hw", which comes first
        try CampaignFixture.fleet(s, [vehicle(0, [("BCM", "HW-1", "0.8"), ("GW", "GW-9", "5.1")]),
                                      vehicle(1, [("BCM", "HW-1", "0.9"), ("GW", "GW-1", "5.1")])])
        let bcm = try CampaignFixture.package(s, CampaignFixture.manifest())
        let gw = try CampaignFixture.package(s, CampaignFixture.manifest(ecu: "GW", version: "5.2", from: ["5.1"], hw: ["GW-1"], counter: 2))
        for packages in [[bcm, gw], [gw, bcm]] {
            let r = try validation(s, try CampaignFixture.create(s, spec(packages)))
            #expect(r.targets == 1 && r.excluded == ["hw": 1], "\(packages): \(r)")
        }
    }
}
