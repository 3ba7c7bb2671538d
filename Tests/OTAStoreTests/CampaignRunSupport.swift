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
        var fleet: [SnapshotVehicle] = []
        for n in 0..<vehicles { fleet.append(Fleet.vehicle(n, market: markets[n % markets.count])) }
        try FleetImport.run(store.db, actor: "eve", now: t0, scan: Fleet.scan(fleet), progress: { _, _ in true })
        package = try released(store, version: "2.0", hw: ["BCM-A"], counter: 1)
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

    /// An approved campaign over the first `sum(sizes)` vehicles in VIN order, wave by wave.
    func campaign(_ input: CampaignSpec, sizes: [Int], priority: Int = 500) throws -> Int64 {
        var spec = input
        spec.packages = [package]
        spec.priority = priority
        let total = sizes.reduce(0, +)
        try db.prepare("""
            INSERT INTO campaigns(name, category, priority, spec, state, author, created_at, approved_by, approved_at,
              seed, test, start_at, end_at, targets)
            VALUES(?, ?, ?, ?, 'approved', 'cam', ?, 'ann', ?, 7, 0, ?, ?, ?)
            """)
            .bind(1, spec.name).bind(2, spec.category.rawValue).bind(3, Int64(priority)).bind(4, blob: spec.canonical)
            .bind(5, t0).bind(6, t0).bind(7, spec.start).bind(8, spec.end).bind(9, Int64(total)).run()
        let id = db.lastInsertRowID
        try db.prepare("INSERT INTO campaign_packages(campaign_id, position, package_id) VALUES(?, 0, ?)")
            .bind(1, id).bind(2, package).run()
        let vehicles = try db.prepare("""
            SELECT v.id, v.vin, v.market, v.model, v.variant, e.id, e.slot, e.hw, e.sw FROM vehicles v
            JOIN ecus e ON e.vehicle_id = v.id AND e.node = 'BCM' ORDER BY v.vin LIMIT ?
            """).bind(1, Int64(total)).rows {
            ($0.int64(0), $0.text(1) ?? "", $0.text(2) ?? "", $0.text(3) ?? "", $0.text(4) ?? "", $0.int64(5),
             $0.int64(6), $0.text(7) ?? "", $0.text(8) ?? "")
        }
        var counters = CampaignCounters(campaign: id)
        var ord = 0
        for (w, size) in sizes.enumerated() {
            try db.prepare("INSERT INTO campaign_waves(campaign_id, idx, targets) VALUES(?, ?, ?)")
                .bind(1, id).bind(2, Int64(w)).bind(3, Int64(size)).run()
            for _ in 0..<size {
                let v = vehicles[ord]
                let region = spec.regions.first { $0.markets.contains(v.2) }?.name
                try db.prepare("""
                    INSERT INTO targets(campaign_id, vehicle_id, vin, ord, wave, market, model, variant, region, state)
                    VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')
                    """)
                    .bind(1, id).bind(2, v.0).bind(3, v.1).bind(4, Int64(ord)).bind(5, Int64(w)).bind(6, v.2)
                    .bind(7, v.3).bind(8, v.4).bind(9, region).run()
                let target = db.lastInsertRowID
                try db.prepare("""
                    INSERT INTO target_ecus(target_id, position, ecu_id, node, slot, hw, from_sw, to_sw)
                    VALUES(?, 0, ?, 'BCM', ?, ?, ?, '2.0')
                    """).bind(1, target).bind(2, v.5).bind(3, v.6).bind(4, v.7).bind(5, v.8).run()
                counters.add(TargetFacets(wave: w, market: v.2, region: region, model: v.3, variant: v.4),
                             TargetStatus(state: .pending, final: false))
                ord += 1
            }
        }
        try counters.flush(db)
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
