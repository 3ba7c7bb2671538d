import CSQLite
import OTACore

extension Campaigns {
    /// The validation report (design §2, §8): {"problems": [* text], "targets": uint,
    /// "excluded": {reason => uint}}, plus "waves": [* uint] (the wave sizes) and
    /// "approvable-by-admin-only" when the only problem is a missing `after-test`.
    /// A draft's resolution is kept for approval (`CampaignPlanStore`), in a write
    /// transaction of its own after the read that resolved it.
    public static func validate(_ db: SQLiteConnection, campaign id: Int64) throws(OTAError) -> [UInt8] {
        let (c, plan) = try db.read { () throws(OTAError) -> (CampaignRecord, CampaignPlan) in
            let c = try load(db, id)
            // no time is given: the creation is the earliest the campaign could run
            let from = max(c.createdAt, c.spec.start ?? c.createdAt)
            return (c, try CampaignPlan.make(db, c, from: from, now: c.createdAt))
        }
        if c.state == .draft && plan.resolved { keepPlan(db, c, plan) }
        return report(plan)
    }

    /// Keeping the plan only saves approval work: a store that cannot take it (a read-only
    /// handle, a call inside a read transaction, a writer holding the lock past the busy
    /// timeout) still validates, and approval then resolves the inventory itself. The
    /// stamp is the generation read with the export, so an inventory change committed by
    /// another handle in between makes the kept plan stale, never wrong.
    static func keepPlan(_ db: SQLiteConnection, _ c: CampaignRecord, _ plan: CampaignPlan) {
        guard sqlite3_db_readonly(db.raw, "main") == 0 else { return }
        do throws(OTAError) {
            try db.write { () throws(OTAError) in
                // Another handle may have approved or aborted it since the read.
                guard try load(db, c.id).state == .draft else { return }
                try CampaignPlanStore.keep(db, campaign: c.id, inventory: plan.inventory,
                                           packages: plan.packages.map { $0.id }, plan.candidates)
            }
        } catch {
            return
        }
    }

    static func report(_ plan: CampaignPlan) -> [UInt8] {
        var m = CBORMapBuilder()
        m.array("problems") { a in for p in plan.problems { a.text(p) } }
        m.int("targets", plan.targets.count)
        m.map("excluded") { e in for (reason, n) in plan.excluded { e.int(reason, n) } }
        m.array("waves") { a in for n in plan.waveSizes { a.int(n) } }
        if plan.afterTestMissing && plan.problems.count == 1 { m.bool("approvable-by-admin-only", true) }
        return m.encoded
    }

    /// draft → approved by an approver who is not the author (two-person rule, `.denied`).
    /// Validates again (`.conflict` listing the problems) and freezes the targets: one
    /// `targets` row per vehicle in the seeded spread order with its wave, `target_ecus` rows
    /// per package and ECU, `campaign_waves`, the counters (every target pending), and the
    /// campaign's target count and exclusions. An admin may approve a fleet campaign without
    /// `after-test`; the audit entry then says "without-test". The targets come from
    /// validation's kept plan while the inventory is at the generation it was resolved at
    /// (the test fleet and busy vehicles are left out anew), else from a fresh resolution:
    /// the same rows either way.
    public static func approve(_ db: SQLiteConnection, actor: String, now: Int64, campaign id: Int64) throws(OTAError) {
        try db.write { () throws(OTAError) in
            try Roles.require(db, actor: actor, anyOf: approveRoles, for: "approving a campaign")
            let c = try load(db, id)
            _ = try CampaignLifecycle.next(c.state, .approve, campaign: id)
            guard actor != c.author else {
                throw .denied("two-person rule: campaign \(id) was created by '\(actor)', who cannot also approve it")
            }
            let plan = try CampaignPlan.make(db, c, from: max(now, c.spec.start ?? now), now: now, reuse: true)
            var problems = plan.problems
            var withoutTest = false
            if plan.afterTestMissing, try Roles.has(db, actor: actor, .admin) {
                problems.removeAll { $0.hasPrefix("after-test: missing") }
                withoutTest = true
            }
            if !problems.isEmpty {
                var message = "cannot approve campaign \(id): \(problems.count) problem\(problems.count == 1 ? "" : "s"): "
                for (i, p) in problems.enumerated() { message += (i == 0 ? "" : "; ") + p }
                throw .conflict(message)
            }
            try freeze(db, c, plan)
            try CampaignPlanStore.drop(db, campaign: id)
            try db.prepare("""
                UPDATE campaigns SET approved_by = ?, approved_at = ?, targets = ?, excluded = ?, working_spec = ?
                WHERE id = ?
                """)
                .bind(1, actor).bind(2, now).bind(3, Int64(plan.targets.count)).bind(4, blob: plan.excludedCBOR)
                .bind(5, blob: workingSpec(c.spec)).bind(6, id).run()
            try move(db, campaign: id, .approve, actor: actor, now: now,
                     reason: withoutTest ? "approved without a test campaign (admin)" : nil) { d in
                d.int("targets", plan.targets.count)
                d.raw("excluded", plan.excludedCBOR)
                d.unsigned("seed", c.seed)
                if withoutTest { d.bool("without-test", true) }
            }
        }
    }

    /// What running the campaign reads of its spec (`campaigns.working_spec`): all but the
    /// rule, which only targeting needs and which may list a million VINs. Canonical CBOR of
    /// the same spec model, so the spec parser alone still decides what it means.
    static func workingSpec(_ spec: CampaignSpec) -> [UInt8] {
        var working = spec
        working.rule = nil
        return working.canonical
    }

    /// Writes the frozen list. One write transaction (the caller's), prepared statements
    /// bound in a loop.
    static func freeze(_ db: SQLiteConnection, _ c: CampaignRecord, _ plan: CampaignPlan) throws(OTAError) {
        let cand = plan.candidates
        let texts = cand.strings
        // Facets (market, model, variant) numbered in sorted order; shuffle groups are
        // (market, model), numbered in the same order. Texts are numbered once each, so
        // equal facets have equal numbers.
        struct Facet: Hashable { var market: Int32; var model: Int32; var variant: Int32 }
        var facetOf: [Facet: Int32] = [:]
        var facetOfTarget = [Int32](repeating: 0, count: plan.targets.count)
        var facets: [Facet] = []
        for (t, i) in plan.targets.enumerated() {
            let i = Int(i)
            let f = Facet(market: cand.market[i], model: cand.model[i], variant: cand.variant[i])
            if let n = facetOf[f] {
                facetOfTarget[t] = n
            } else {
                let n = Int32(facets.count)
                facetOf[f] = n
                facets.append(f)
                facetOfTarget[t] = n
            }
        }
        func text(_ i: Int32) -> String { texts[Int(i)] }
        let sorted = facets.indices.sorted { a, b in
            let x = facets[a], y = facets[b]
            if x.market != y.market { return text(x.market) < text(y.market) }
            if x.model != y.model { return text(x.model) < text(y.model) }
            return text(x.variant) < text(y.variant)
        }
        var rank = [Int32](repeating: 0, count: facets.count)
        var groupOfFacet = [Int32](repeating: 0, count: facets.count)
        var groups = 0
        for (i, f) in sorted.enumerated() {
            rank[f] = Int32(i)
            if i > 0 {
                let prev = facets[sorted[i - 1]]
                if prev.market != facets[f].market || prev.model != facets[f].model { groups += 1 }
            }
            groupOfFacet[f] = Int32(groups)
        }
        var groupOfTarget = [Int32](repeating: 0, count: plan.targets.count)
        for t in 0..<plan.targets.count { groupOfTarget[t] = groupOfFacet[Int(facetOfTarget[t])] }
        let order = SpreadOrder.order(group: groupOfTarget, groupCount: plan.targets.isEmpty ? 0 : groups + 1, seed: c.seed)

        var regionOf: [String: String] = [:]
        for r in c.spec.regions { for m in r.markets { regionOf[m] = r.name } }
        // Per text: the region of the market it names (texts that are no market: none).
        let regionOfText = texts.map { regionOf[$0] }

        let target = try db.prepare("""
            INSERT INTO targets(campaign_id, vehicle_id, vin, ord, wave, market, model, variant, region, state)
            VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')
            """)
        let ecu = try db.prepare("""
            INSERT INTO target_ecus(target_id, position, ecu_id, node, slot, hw, from_sw, to_sw)
            VALUES(?, ?, ?, ?, ?, ?, ?, ?)
            """)
        target.bind(1, c.id)
        var waveCounts: [Int: Int64] = [:]  // wave * facets + facet rank => targets
        var wave = 0
        var waveLeft = plan.waveSizes.first ?? 0
        for (ord, t) in order.enumerated() {
            while waveLeft == 0 && wave + 1 < plan.waveSizes.count {
                wave += 1
                waveLeft = plan.waveSizes[wave]
            }
            waveLeft -= 1
            let i = Int(plan.targets[Int(t)])
            let market = cand.market[i]
            try target.bind(2, cand.vehicleID[i]).bind(3, cand.vin[i]).bind(4, Int64(ord)).bind(5, Int64(wave))
                .bind(6, text(market)).bind(7, text(cand.model[i])).bind(8, text(cand.variant[i]))
                .bind(9, regionOfText[Int(market)]).run()
            ecu.bind(1, db.lastInsertRowID)
            var e = Int(cand.ecuStart[i])
            let end = Int(cand.ecuStart[i + 1])
            while e < end {
                let p = Int(cand.ecuPackage[e])
                let package = plan.packages[p]
                try ecu.bind(2, Int64(package.position)).bind(3, cand.ecuID[e]).bind(4, plan.nodes[plan.nodeOfPackage[p]])
                    .bind(5, cand.ecuSlot[e]).bind(6, text(cand.ecuHW[e])).bind(7, text(cand.ecuSW[e]))
                    .bind(8, package.manifest.toVersion).run()
                e += 1
            }
            waveCounts[wave * facets.count + Int(rank[Int(facetOfTarget[Int(t)])]), default: 0] += 1
        }

        let waves = try db.prepare("INSERT INTO campaign_waves(campaign_id, idx, targets) VALUES(?, ?, ?)")
        for (i, n) in plan.waveSizes.enumerated() {
            try waves.bind(1, c.id).bind(2, Int64(i)).bind(3, Int64(n)).run()
        }
        var counters = CampaignCounters(campaign: c.id)
        for key in waveCounts.keys.sorted() {
            guard let n = waveCounts[key], facets.count > 0 else { continue }
            let f = facets[sorted[key % facets.count]]
            let market = text(f.market)
            counters.add(TargetFacets(wave: key / facets.count, market: market, region: regionOf[market],
                                      model: text(f.model), variant: text(f.variant)),
                         TargetStatus(state: .pending, final: false), by: n)
        }
        try counters.flush(db)
    }
}
