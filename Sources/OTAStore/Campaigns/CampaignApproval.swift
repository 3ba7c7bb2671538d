import OTACore

extension Campaigns {
    /// The validation report (design §2, §8): {"problems": [* text], "targets": uint,
    /// "excluded": {reason => uint}}, plus "waves": [* uint] (the wave sizes) and
    /// "approvable-by-admin-only" when the only problem is a missing `after-test`.
    public static func validate(_ db: SQLiteConnection, campaign id: Int64) throws(OTAError) -> [UInt8] {
        try db.read { () throws(OTAError) -> [UInt8] in
            let c = try load(db, id)
            let from = c.spec.start ?? c.createdAt
            let plan = try CampaignPlan.make(db, c, from: from, now: c.createdAt)
            return report(plan)
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
    /// `after-test`; the audit entry then says "without-test".
    public static func approve(_ db: SQLiteConnection, actor: String, now: Int64, campaign id: Int64) throws(OTAError) {
        try db.write { () throws(OTAError) in
            try Roles.require(db, actor: actor, anyOf: approveRoles, for: "approving a campaign")
            let c = try load(db, id)
            _ = try CampaignLifecycle.next(c.state, .approve, campaign: id)
            guard actor != c.author else {
                throw .denied("two-person rule: campaign \(id) was created by '\(actor)', who cannot also approve it")
            }
            let plan = try CampaignPlan.make(db, c, from: max(now, c.spec.start ?? now), now: now)
            var problems = plan.problems
            if c.spec.end <= now { problems.append("end: \(c.spec.end) has passed (now is \(now))") }
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
            try db.prepare("UPDATE campaigns SET approved_by = ?, approved_at = ?, targets = ?, excluded = ? WHERE id = ?")
                .bind(1, actor).bind(2, now).bind(3, Int64(plan.targets.count)).bind(4, blob: plan.excludedCBOR)
                .bind(5, id).run()
            try move(db, campaign: id, .approve, actor: actor, now: now,
                     reason: withoutTest ? "approved without a test campaign (admin)" : nil) { d in
                d.int("targets", plan.targets.count)
                d.raw("excluded", plan.excludedCBOR)
                d.unsigned("seed", c.seed)
                if withoutTest { d.bool("without-test", true) }
            }
        }
    }

    /// Writes the frozen list. One write transaction (the caller's), prepared statements
    /// bound in a loop.
    static func freeze(_ db: SQLiteConnection, _ c: CampaignRecord, _ plan: CampaignPlan) throws(OTAError) {
        let rows = plan.rows
        // Facets (market, model, variant) numbered in sorted order; shuffle groups are
        // (market, model), numbered in the same order.
        struct Facet: Hashable { var market: String; var model: String; var variant: String }
        var facetOf: [Facet: Int32] = [:]
        var facetOfTarget = [Int32](repeating: 0, count: plan.targets.count)
        var facets: [Facet] = []
        for (t, v) in plan.targets.enumerated() {
            let f = Facet(market: rows.market[Int(v)], model: rows.model[Int(v)], variant: rows.variant[Int(v)])
            if let n = facetOf[f] {
                facetOfTarget[t] = n
            } else {
                let n = Int32(facets.count)
                facetOf[f] = n
                facets.append(f)
                facetOfTarget[t] = n
            }
        }
        let sorted = facets.indices.sorted { a, b in
            let x = facets[a], y = facets[b]
            if x.market != y.market { return x.market < y.market }
            if x.model != y.model { return x.model < y.model }
            return x.variant < y.variant
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
            let v = Int(plan.targets[Int(t)])
            let market = rows.market[v]
            try target.bind(2, rows.vehicleID[v]).bind(3, rows.vin[v]).bind(4, Int64(ord)).bind(5, Int64(wave))
                .bind(6, market).bind(7, rows.model[v]).bind(8, rows.variant[v]).bind(9, regionOf[market]).run()
            let targetID = db.lastInsertRowID
            ecu.bind(1, targetID)
            let mask = plan.applying[Int(t)]
            for (p, package) in plan.packages.enumerated() where mask & (1 << UInt32(p)) != 0 {
                let node = plan.nodeOfPackage[p]
                let entries = plan.outcomes[p].entries
                let nodeECUs = rows.ecus[node]
                var e = Int(plan.entryStart[p][v])
                let end = Int(plan.entryStart[p][v + 1])
                ecu.bind(2, Int64(package.position)).bind(4, rows.nodes[node]).bind(8, package.manifest.toVersion)
                while e < end {
                    let k = Int(entries[e])
                    try ecu.bind(3, nodeECUs.id[k]).bind(5, nodeECUs.slot[k]).bind(6, nodeECUs.hw[k])
                        .bind(7, nodeECUs.sw[k]).run()
                    e += 1
                }
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
            counters.add(TargetFacets(wave: key / facets.count, market: f.market, region: regionOf[f.market],
                                      model: f.model, variant: f.variant),
                         TargetStatus(state: .pending, final: false), by: n)
        }
        try counters.flush(db)
    }
}
