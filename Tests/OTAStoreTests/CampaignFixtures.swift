import Testing
import OTACore
@testable import OTAStore

/// Campaigns for the tests: a small fleet, released packages and approved campaigns, built
/// through the public operations (so every row is as the library writes it).
///
///     let s = try makeStore()                          // root admin, eve, ann, cam, gus
///     let c = try CampaignFixture.approved(s)          // 40 vehicles, one BCM package
///     // c.campaign is approved (frozen, 40 targets); c.package, c.vins
enum CampaignFixture {
    static let now: Int64 = t0 + 3600
    static let end: Int64 = t0 + 30 * 86_400
    static let markets = ["DE", "FR", "US"]
    static let models = ["Aurora", "Borealis"]

    struct Built {
        var campaign: Int64
        var package: Int64
        /// Every vehicle of the fleet, in import order.
        var vins: [String]
    }

    /// Vehicle `n` of the fleet: market and model cycle over `markets` and `models`; one BCM
    /// (hw HW-1, on `sw`), one GW on 5.1.
    static func vehicle(_ n: Int, markets: [String] = markets, models: [String] = models,
                        bcm sw: String = "0.9", extra: [SnapshotECU] = []) -> SnapshotVehicle {
        SnapshotVehicle(index: n, vin: Fleet.vin(n), model: models[n % models.count], variant: "base",
                        powertrain: "diesel", market: markets[(n / models.count) % markets.count],
                        produced: 1_600_000_000 + Int64(n),
                        ecus: [SnapshotECU(node: "BCM", hw: "HW-1", sw: sw), SnapshotECU(node: "GW", hw: "GW-1", sw: "5.1")] + extra)
    }

    /// Imports `vehicles` (actor eve, engineer) and returns their VINs.
    @discardableResult
    static func fleet(_ s: Store, _ vehicles: [SnapshotVehicle]) throws(OTAError) -> [String] {
        let scan: VehicleScan = { (body) throws(OTAError) -> SnapshotHeader in
            for v in vehicles { try body(v) }
            return SnapshotHeader(taken: t0)
        }
        _ = try FleetImport.run(s.db, actor: "eve", now: t0, scan: scan)
        return vehicles.map(\.vin)
    }

    @discardableResult
    static func fleet(_ s: Store, count: Int) throws(OTAError) -> [String] {
        try fleet(s, (0..<count).map { vehicle($0) })
    }

    /// A manifest for `ecu` from `from` to `version`, for `models`, with `requires`.
    static func manifest(ecu: String = "BCM", version: String = "1.0", from: [String] = ["0.9"],
                         hw: [String] = ["HW-1"], models: [String] = models, counter: UInt64 = 1,
                         requires: [(String, [String])] = []) -> [UInt8] {
        func texts(_ items: [String]) -> CBOR { .array(items.map { .text($0) }) }
        let files: [CBOR] = ["app.bin", "cal.bin"].map { name in
            .map([CBORPair(.text("name"), .text(name)), CBORPair(.text("size"), .unsigned(1024)),
                  CBORPair(.text("sha256"), .bytes(sha)), CBORPair(.text("uri"), .text("s3://b/" + ecu + "/" + name))])
        }
        var pairs: [CBORPair] = [
            CBORPair(.text("name"), .text(ecu + "-fw")), CBORPair(.text("version"), .text(version)),
            CBORPair(.text("ecu"), .text(ecu)), CBORPair(.text("category"), .text("bugfix")),
            CBORPair(.text("release-type"), .text("routine")), CBORPair(.text("issue"), .text("door unlock")),
            CBORPair(.text("protocol"), .text("CAN")), CBORPair(.text("powertrains"), texts(["diesel"])),
            CBORPair(.text("models"), texts(models)), CBORPair(.text("hw"), texts(hw)),
            CBORPair(.text("from"), texts(from)), CBORPair(.text("to"), .text(version)),
            CBORPair(.text("files"), .array(files)), CBORPair(.text("release-notes"), .text("notes")),
            CBORPair(.text("release-counter"), .unsigned(counter)),
        ]
        if !requires.isEmpty {
            pairs.append(CBORPair(.text("requires"), .array(requires.map { .array([.text($0.0), texts($0.1)]) })))
        }
        var w = CBORWriter()
        w.value(.map(pairs))
        return w.bytes
    }

    /// Registers (eve), verifies, validates, approves (ann) and, if `release`, releases (cam).
    static func package(_ s: Store, _ manifest: [UInt8], release: Bool = true) throws -> Int64 {
        let id = try register(s, manifest)
        try verifyAll(s, id)
        try Packages.validate(s.db, actor: "eve", now: t0, package: id)
        try Packages.approve(s.db, actor: "ann", now: t0, package: id, signer: testSigner())
        if release { try Packages.release(s.db, actor: "cam", now: t0, package: id) }
        return id
    }

    /// A spec as CBOR: immediate, ending at `end`, two waves (25 %, the rest), with keys
    /// replaced or removed (nil) by `changes`.
    static func spec(packages: [Int64], _ changes: [(String, CBOR?)] = []) -> [UInt8] {
        var m = CBORMapBuilder()
        var removed: [String] = []
        for (key, value) in changes where value == nil { removed.append(key) }
        func put(_ key: String, _ body: (inout CBORMapBuilder) -> Void) {
            if !removed.contains(key) { body(&m) }
        }
        put("name") { $0.text("name", "BCM door-unlock fix") }
        put("category") { $0.text("category", "bugfix") }
        put("packages") { m in
            m.add("packages") { w in
                w.arrayHeader(packages.count)
                for p in packages { w.int(p) }
            }
        }
        put("urgency") { $0.text("urgency", "immediate") }
        put("end") { $0.int("end", end) }
        put("waves") { m in
            m.array("waves") { a in
                a.map { w in
                    w.int("share", 25)
                    w.int("success-gate", 90)
                    w.int("failure-threshold", 10)
                    w.int("min-final", 5)
                }
                a.map { w in
                    w.int("success-gate", 95)
                    w.int("failure-threshold", 5)
                }
            }
        }
        put("timeouts") { m in
            m.map("timeouts") { t in
                t.int("answer", 7 * 86_400)
                t.int("install", 4 * 3600)
            }
        }
        put("retry") { m in
            m.map("retry") { r in
                r.int("max", 2)
                r.int("backoff", 3600)
                r.int("factor", 2)
                r.add("reasons") { $0.textList(["timeout", "download", "connectivity"]) }
            }
        }
        for (key, value) in changes {
            if let value { m.value(key, value) }   // a key added again replaces the default
        }
        return m.encoded
    }

    /// Creates a campaign (actor cam) from `spec`.
    static func create(_ s: Store, _ spec: [UInt8], actor: String = "cam", now: Int64 = now) throws(OTAError) -> Int64 {
        try Campaigns.create(s.db, actor: actor, now: now, spec: spec)
    }

    /// The whole path: a fleet of `vehicles`, one released BCM package 0.9 -> 1.0, a campaign
    /// created by cam from `spec` (default `spec(packages:)`), approved by `approver` (root, an
    /// admin, approves without a test campaign; the audit says so). Returns the ids.
    static func approved(_ s: Store, vehicles: Int = 40, approver: String = "root",
                         changes: [(String, CBOR?)] = []) throws -> Built {
        let vins = try fleet(s, count: vehicles)
        let package = try package(s, manifest())
        let campaign = try create(s, spec(packages: [package], changes))
        try Campaigns.approve(s.db, actor: approver, now: now, campaign: campaign)
        return Built(campaign: campaign, package: package, vins: vins)
    }

    /// The frozen targets of a campaign in order: (vin, wave, market, model).
    static func targets(_ s: Store, _ campaign: Int64) throws(OTAError) -> [(vin: String, wave: Int64, market: String, model: String)] {
        try s.db.prepare("SELECT vin, wave, market, model FROM targets WHERE campaign_id = ? ORDER BY ord")
            .bind(1, campaign).rows { ($0.text(0) ?? "", $0.int64(1), $0.text(2) ?? "", $0.text(3) ?? "") }
    }
}
