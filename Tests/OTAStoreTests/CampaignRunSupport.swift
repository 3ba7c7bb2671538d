import Testing
import OTACore
@testable import OTAStore

/// A small world for stepping campaigns: a store with a fleet, one released BCM package and
/// approved campaigns whose targets are inserted directly (as approval freezes them), and
/// vehicles that answer by moving their targets through `Targets.save` (as ingestion does).
final class RunWorld {
    let store: Store
    let signer: Ed25519Signer
    let package: Int64
    var db: SQLiteConnection { store.db }
    /// Monday 2024-01-01 00:00 UTC.
    static let monday: Int64 = 1_704_067_200

    init(vehicles: Int, markets: [String] = ["DE"]) throws {
        store = try makeStore()
        signer = try testSigner()
        try CampaignFixture.fleet(store, (0..<vehicles).map { CampaignFixture.vehicle($0, markets: markets) })
        package = try CampaignFixture.package(store, CampaignFixture.manifest())
    }

    static func spec(waves: [CampaignSpec.Wave], urgency: CampaignSpec.Urgency = .immediate, start: Int64? = nil,
                     end: Int64 = monday + 60 * 86_400, answer: Int64 = 3600, install: Int64 = 7200) -> CampaignSpec {
        var s = CampaignSpec(name: "bcm-fix", category: .bugfix, packages: [1], urgency: urgency, end: end,
                             waves: waves, timeouts: CampaignSpec.Timeouts(answer: answer, install: install))
        s.start = start
        return s
    }

    static func wave(_ count: Int?, gate: Int = 10_000, threshold: Int = 10_000, minFinal: Int = 1,
                     soak: Int64 = 0, advance: CampaignSpec.Wave.Advance = .auto) -> CampaignSpec.Wave {
        var w = CampaignSpec.Wave(size: count.map { .count($0) }, successGate: gate, failureThreshold: threshold)
        w.minFinal = minFinal
        w.soak = soak
        w.advance = advance
        return w
    }

    /// A campaign created by cam and approved by root (frozen by the library) over the
    /// first `sum(sizes)` vehicles of the fleet; `sizes` are the waves' sizes, as the spec's
    /// waves give them.
    func campaign(_ input: CampaignSpec, sizes: [Int], priority: Int = 500, skip: Int = 0) throws -> Int64 {
        var spec = input
        spec.packages = [package]
        spec.priority = priority
        let total = sizes.reduce(0, +)
        let vins = try db.prepare("SELECT vin FROM vehicles ORDER BY id LIMIT ? OFFSET ?").bind(1, Int64(total)).bind(2, Int64(skip)).rows { $0.text(0) ?? "" }
        spec.rule = .map([CBORPair(.text("vins"), .array(vins.map { .text($0) }))])
        let id = try Campaigns.create(db, actor: "cam", now: CampaignFixture.now, spec: spec.canonical)
        try Campaigns.approve(db, actor: "root", now: CampaignFixture.now, campaign: id)
        let waves = try WaveRow.all(db, campaign: id).map { Int($0.targets) }
        #expect(waves == sizes)
        return id
    }

    func start(_ id: Int64, at now: Int64) throws(OTAError) {
        try CampaignControl.start(db, actor: "cam", now: now, campaign: id, signer: signer)
    }

    /// A step's result, decoded.
    @discardableResult
    func step(_ id: Int64, at now: Int64) throws(OTAError) -> CBOR {
        try CBORReader.decode(try stepBytes(id, at: now))
    }

    func stepBytes(_ id: Int64, at now: Int64) throws(OTAError) -> [UInt8] {
        try CampaignStep.run(db, actor: "cam", now: now, campaign: id, signer: signer)
    }

    func target(_ id: Int64, ord: Int64) throws -> TargetRecord {
        let t = try db.prepare("SELECT \(Targets.columns) FROM targets WHERE campaign_id = ? AND ord = ?")
            .bind(1, id).bind(2, ord)
        defer { t.reset() }
        guard try t.step() else { throw OTAError.notFound("no target \(ord)") }
        return try Targets.read(t)
    }

    func states(_ id: Int64) throws -> [String] {
        try db.prepare("SELECT state FROM targets WHERE campaign_id = ? ORDER BY ord").bind(1, id).rows { $0.text(0) ?? "" }
    }

    func count(_ id: Int64, _ state: TargetState) throws -> Int {
        try states(id).filter { $0 == state.rawValue }.count
    }

    func campaignState(_ id: Int64) throws -> String {
        try db.prepare("SELECT state FROM campaigns WHERE id = ?").bind(1, id).firstRow { $0.text(0) ?? "" } ?? ""
    }

    /// What a vehicle's report does to its target (the rules ingestion follows), without
    /// the report itself.
    enum Answer { case accept, deferral, decline, install, succeed, fail(FailureReason) }

    func answer(_ id: Int64, ord: Int64, _ a: Answer, at now: Int64) throws {
        let spec = try CampaignRow.spec(db, id: id)
        let t = try target(id, ord: ord)
        var n = t
        func settle(_ state: TargetState, reason: String? = nil) {
            let next = TargetPolicy.next(spec, state: state, now: now, notifiedAt: n.notifiedAt, acceptedAt: n.acceptedAt,
                                         retries: n.retries, reason: reason)
            n.status = TargetStatus(state: state, final: next.final, reason: reason ?? t.status.reason,
                                    code: reason == nil ? t.status.code : 1)
            n.due = next.due
        }
        switch a {
        case .accept:
            n.acceptedAt = now
            settle(.accepted)
        case .deferral:
            if TargetPolicy.deferralAllowed(spec, deferralsBefore: t.deferrals) {
                n.deferrals += 1
                settle(.deferred)
            } else {
                settle(.failed, reason: FailureReason.user.rawValue)
            }
        case .decline: settle(.declined)
        case .install:
            if n.acceptedAt == nil { n.acceptedAt = now }
            settle(.installing)
        case .succeed:
            n.succeededAt = now
            settle(.succeeded)
        case .fail(let r): settle(.failed, reason: r.rawValue)
        }
        _ = try TargetMachine.check(t.status.state, n.status.state, cause: .report, vin: t.vin)
        try db.write { () throws(OTAError) in
            var counters = CampaignCounters(campaign: id)
            try Targets.save(db, old: t, new: n, now: now, counters: &counters)
            try counters.flush(db)
            if n.status.final { try Outbox.clear(db, target: n, now: now) }
        }
    }

    /// The outbox: [id, topic, payload, retain], oldest first.
    func outbox(limit: Int64 = 100_000) throws -> [(id: Int64, topic: String, payload: [UInt8], retain: Bool)] {
        guard let items = try CBORReader.decode(Outbox.fetch(db, limit: limit)).array else { return [] }
        return items.compactMap { item in
            guard let a = item.array, a.count == 4, let id = a[0].int64, case .text(let topic) = a[1],
                  case .bytes(let payload) = a[2], case .bool(let retain) = a[3] else { return nil }
            return (id, topic, payload, retain)
        }
    }

    /// The signed payload of a message, verified with the world's signer, decoded.
    func open(_ payload: [UInt8]) throws -> CBOR {
        try CBORReader.decode(COSESign1.verify(payload, publicKey: signer.publicKey))
    }

    func ackAll() throws {
        _ = try Outbox.ack(db, ids: outbox().map(\.id))
    }
}

extension CBOR {
    func int(_ key: String) -> Int64? { self[key]?.int64 }
    func text(_ key: String) -> String? {
        guard case .text(let s)? = self[key] else { return nil }
        return s
    }
    var eventTypes: [String] {
        (self["events"]?.array ?? []).compactMap { $0.text("type") }
    }
}
