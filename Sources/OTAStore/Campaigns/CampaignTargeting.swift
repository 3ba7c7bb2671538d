import OTACore

/// The inventory rows behind an export, kept while it is encoded: each vehicle's row id and
/// facets, and the ECUs of the campaign's nodes (row id, slot, hw, sw) in snapshot order.
struct InventoryRows {
    var vehicleID: [Int64] = []
    var vin: [String] = []
    var market: [String] = []
    var model: [String] = []
    var variant: [String] = []
    /// Per campaign node (in package order): the node's ECUs in snapshot order.
    var nodes: [String]
    var ecus: [NodeECUs]

    init(nodes: [String]) {
        self.nodes = nodes
        ecus = nodes.map { _ in NodeECUs() }
    }

    struct NodeECUs {
        var vehicle: [Int32] = []
        var id: [Int64] = []
        var slot: [Int64] = []
        var hw: [String] = []
        var sw: [String] = []
    }

    /// Exports the inventory (`FleetExport`, the same bytes as `ota_fleet_export`) and keeps
    /// the rows; returns the snapshot.
    mutating func export(_ db: SQLiteConnection, now: Int64) throws(OTAError) -> [UInt8] {
        var rows = self
        let encoder = try FleetExport.encoder(db, now: now, vehicle: { id, v in
            rows.vehicleID.append(id)
            rows.vin.append(v.vin)
            rows.market.append(v.market)
            rows.model.append(v.model)
            rows.variant.append(v.variant)
        }, ecu: { id, node, slot, hw, sw in
            for k in rows.nodes.indices where rows.nodes[k].sameBytes(as: node) {
                rows.ecus[k].vehicle.append(Int32(truncatingIfNeeded: rows.vehicleID.count))
                rows.ecus[k].id.append(id)
                rows.ecus[k].slot.append(slot)
                rows.ecus[k].hw.append(hw)
                rows.ecus[k].sw.append(sw)
            }
        })
        self = rows
        return encoder.finish()
    }
}

/// A resolution sink that ties each target back to its ECU row and keeps every vehicle's
/// outcome for one package: targeted, or the resolver's reason.
struct PackageOutcomes: ResolutionSink {
    static let targeted: Int8 = -1
    let ecus: InventoryRows.NodeECUs
    /// Per vehicle: `targeted` or an `ExclusionReason` raw value.
    var status: [Int8]
    /// The chosen ECU entries (indices into `ecus`), in snapshot order.
    var entries: [Int32] = []
    private var current: Int32 = 0
    private var cursor = 0
    /// ECUs of the current vehicle already chosen among several of the node (a vehicle may
    /// have many: a set, not a scan of the entries, keeps each choice O(ECUs)).
    private var takenOfCurrent = Set<Int32>()

    init(ecus: InventoryRows.NodeECUs, vehicles: Int) {
        self.ecus = ecus
        status = [Int8](repeating: 0, count: vehicles)
    }

    mutating func target(vin: UnsafeBufferPointer<UInt8>, hw: UnsafeBufferPointer<UInt8>,
                         from: UnsafeBufferPointer<UInt8>, serial: UnsafeBufferPointer<UInt8>?) throws(OTAError) {
        while cursor < ecus.vehicle.count && ecus.vehicle[cursor] < current { cursor += 1 }
        var end = cursor
        while end < ecus.vehicle.count && ecus.vehicle[end] == current { end += 1 }
        var chosen = -1
        if end - cursor == 1 {
            chosen = cursor
        } else {
            // Several ECUs of the node: the first one not yet taken with the same hw and sw
            // (the resolver passes them in snapshot order, and equal ones decide alike).
            var e = cursor
            while e < end {
                if !takenOfCurrent.contains(Int32(e)) && ecus.hw[e].utf8.elementsEqual(hw)
                    && ecus.sw[e].utf8.elementsEqual(from) {
                    chosen = e
                    break
                }
                e += 1
            }
        }
        guard chosen >= 0 else {
            throw OTAError(.internalError, "a resolved target of vehicle \(String(decoding: vin, as: UTF8.self)) matches no exported ECU")
        }
        entries.append(Int32(chosen))
        if end - cursor > 1 { takenOfCurrent.insert(Int32(chosen)) }
    }

    mutating func vehicleDecided(index: Int, excluded: ExclusionReason?) throws(OTAError) {
        guard index < status.count else {
            throw OTAError(.internalError, "the resolution has more vehicles than the export")
        }
        status[index] = excluded.map { Int8($0.rawValue) } ?? Self.targeted
        current = Int32(truncatingIfNeeded: index + 1)
        if !takenOfCurrent.isEmpty { takenOfCurrent.removeAll() }
    }
}

/// What approving a campaign would freeze (and what validation reports): the targets, the
/// exclusions by reason, and every problem found.
struct CampaignPlan {
    struct Package {
        var position: Int
        var id: Int64
        var state: String
        var manifest: PackageManifest
    }

    var problems: [String] = []
    /// The only problem an admin may approve over: no `after-test`.
    var afterTestMissing = false
    var packages: [Package] = []
    /// The campaign's ECU nodes, in package order, and each package's index among them.
    var nodes: [String] = []
    var nodeOfPackage: [Int] = []
    /// Whether the inventory was resolved (every package of the spec exists).
    var resolved = false
    /// The inventory generation the candidates describe.
    var inventory: Int64 = 0
    /// Whether the candidates are validation's kept plan rather than a fresh resolution.
    var reused = false
    var candidates = TargetCandidates()
    /// Targets: candidate indices, in snapshot order.
    var targets: [Int32] = []
    /// Reason => vehicles excluded, sorted by reason.
    var excluded: [(String, Int64)] = []
    var waveSizes: [Int] = []

    var blockingProblems: [String] { problems }

    /// Every check of validation (design §2): the packages, the spec's own consistency, the
    /// test campaign it follows, and the targets from the inventory. With `reuse`, the
    /// candidates come from validation's kept plan when it still describes the inventory
    /// (`CampaignPlanStore`), else from a fresh export and resolution.
    static func make(_ db: SQLiteConnection, _ c: CampaignRecord, from: Int64, now: Int64,
                     reuse: Bool = false) throws(OTAError) -> CampaignPlan {
        try db.read { () throws(OTAError) -> CampaignPlan in
            var plan = CampaignPlan()
            let spec = c.spec
            try plan.loadPackages(db, c)
            plan.problems += CampaignSpecChecks.problems(spec, from: from)
            try plan.checkAfterTest(db, spec)
            if plan.packages.count == spec.packages.count {
                plan.resolved = true
                plan.inventory = try InventoryGeneration.current(db)
                if reuse, let kept = try CampaignPlanStore.load(db, campaign: c.id, inventory: plan.inventory,
                                                                 packages: plan.packages.map { $0.id }) {
                    plan.candidates = kept
                    plan.reused = true
                } else {
                    try plan.resolve(db, spec, now: now)
                }
                try plan.select(db, spec, campaign: c.id)
                let waves = CampaignSpecChecks.waveSizes(spec, targets: plan.targets.count)
                plan.waveSizes = waves.sizes
                plan.problems += waves.problems
                if plan.targets.isEmpty {
                    var why = ""
                    for (reason, n) in plan.excluded { why += (why.isEmpty ? "" : ", ") + "\(reason) \(n)" }
                    plan.problems.append("targets: no vehicle is a target" + (why.isEmpty ? " (the inventory is empty)" : " (excluded: \(why))"))
                }
            }
            return plan
        }
    }

    mutating func loadPackages(_ db: SQLiteConnection, _ c: CampaignRecord) throws(OTAError) {
        let s = try db.prepare("""
            SELECT cp.position, p.id, p.state, p.manifest FROM campaign_packages cp
            JOIN packages p ON p.id = cp.package_id WHERE cp.campaign_id = ? ORDER BY cp.position
            """).bind(1, c.id)
        var loaded: [Package] = []
        try s.forEachRow { (r) throws(OTAError) -> Bool in
            let position = Int(r.int64(0)), id = r.int64(1), state = r.text(2) ?? ""
            do throws(OTAError) {
                let m = try ManifestParser.parse(r.blob(3) ?? [])
                loaded.append(Package(position: position, id: id, state: state, manifest: m))
            } catch {
                throw .corrupt("package \(id): the stored manifest does not parse: \(error.message)")
            }
            return true
        }
        packages = loaded
        for (i, p) in packages.enumerated() {
            if p.state != PackageState.approved.rawValue && p.state != PackageState.released.rawValue {
                problems.append("packages[\(i)]: package \(p.id) is \(p.state); it must be approved or released")
            }
            if let first = nodes.firstIndexBytes(of: p.manifest.ecu) {
                problems.append("packages[\(i)]: package \(p.id) updates ECU node '\(p.manifest.ecu)' like packages[\(first)]; a campaign has one package per node")
                nodeOfPackage.append(first)
            } else {
                nodeOfPackage.append(nodes.count)
                nodes.append(p.manifest.ecu)
            }
            // A requirement that a later package of the campaign installs: wrong order.
            for r in p.manifest.requires {
                for (j, q) in packages.enumerated() where j > i && q.manifest.ecu.sameBytes(as: r.node) && r.versions.containsBytes(q.manifest.toVersion) {
                    problems.append("packages[\(i)]: package \(p.id) requires '\(r.node)' on \(r.versions.joined(separator: " or ")), which packages[\(j)] installs after it; install packages[\(j)] first")
                }
            }
        }
    }

    mutating func checkAfterTest(_ db: SQLiteConnection, _ spec: CampaignSpec) throws(OTAError) {
        guard !spec.test else { return }
        guard let t = spec.afterTest else {
            afterTestMissing = true
            problems.append("after-test: missing; a fleet campaign follows a completed test campaign of the same packages (only an admin may approve without one)")
            return
        }
        guard let row = try db.prepare("SELECT state, test FROM campaigns WHERE id = ?").bind(1, t)
            .firstRow({ ($0.text(0) ?? "", $0.int64(1) != 0) }) else {
            problems.append("after-test: no campaign with id \(t)")
            return
        }
        if !row.1 { problems.append("after-test: campaign \(t) is not a test campaign") }
        if row.0 != CampaignState.completed.rawValue {
            problems.append("after-test: test campaign \(t) is unfinished (\(row.0)); it must be completed")
        } else if try db.scalar("SELECT count(*) FROM targets WHERE campaign_id = \(t) AND state = 'succeeded'") == 0 {
            // completed only means every target is final: one that failed everywhere proves nothing
            problems.append("after-test: test campaign \(t) completed without a single vehicle that succeeded")
        }
        let theirs = try db.prepare("SELECT package_id FROM campaign_packages WHERE campaign_id = ? ORDER BY position")
            .bind(1, t).rows { $0.int64(0) }
        if theirs != spec.packages {
            problems.append("after-test: test campaign \(t) has other packages (\(theirs.map { String($0) }.joined(separator: ", ")))")
        }
    }

    /// Each package's rule from its manifest (ecu, hw, from, to, models, powertrains,
    /// requires), narrowed by the spec's rule and regions, and the requirements that earlier
    /// packages of the campaign may meet: those are left out of the rule and checked after
    /// resolution (`EarlierRequirement`). Throws `.corrupt` for a stored manifest with more
    /// requirements than a rule holds (the manifest check refuses them): never truncated.
    static func rule(for p: Package, index: Int, packages: [Package], narrowing: TargetRule?,
                     regionMarkets: [String]?) throws(OTAError) -> (rule: TargetRule, earlier: [EarlierRequirement]) {
        let m = p.manifest
        guard m.requires.count <= TargetRule.maxRequirements else {
            throw .corrupt("package \(p.id): the stored manifest has \(m.requires.count) requirements; a rule holds at most \(TargetRule.maxRequirements)")
        }
        var r = TargetRule(ecu: m.ecu)
        r.hw = m.hardware
        r.from = m.fromVersions
        r.to = m.toVersion
        r.models = intersect(m.models, narrowing?.models)
        r.powertrains = intersect(m.powertrains, narrowing?.powertrains)
        r.variants = narrowing?.variants
        r.markets = narrowing?.markets
        if let regionMarkets { r.markets = intersect(regionMarkets, r.markets) }
        r.produced = narrowing?.produced
        r.vins = narrowing?.vins
        r.excludeVINs = narrowing?.excludeVINs
        r.attributes = narrowing?.attributes
        var requires: [Requirement] = []
        var earlier: [EarlierRequirement] = []
        for q in m.requires {
            if let e = EarlierRequirement(q, installedBy: packages.prefix(index).map { $0.manifest }) {
                earlier.append(e)
            } else {
                requires.append(Requirement(node: q.node, versions: q.versions))
            }
        }
        r.requires = requires.isEmpty ? nil : requires
        return (r, earlier)
    }

    static func intersect(_ a: [String], _ b: [String]?) -> [String] {
        guard let b else { return a }
        return a.filter { b.containsBytes($0) }
    }

    /// Exports the inventory and resolves each package's rule over it (in the caller's read
    /// snapshot, the one `inventory` was read in): the candidates.
    mutating func resolve(_ db: SQLiteConnection, _ spec: CampaignSpec, now: Int64) throws(OTAError) {
        var rows = InventoryRows(nodes: nodes)
        let snapshot = try rows.export(db, now: max(now, 0))
        let narrowing: TargetRule?
        if case .map(let pairs)? = spec.rule {
            narrowing = try TargetRule(.map([CBORPair(.text("ecu"), .text("-"))] + pairs))
        } else {
            narrowing = nil
        }
        var regionMarkets: [String]?
        if !spec.regions.isEmpty {
            var all: [String] = []
            for region in spec.regions { all += region.markets }
            regionMarkets = all
        }
        let vehicles = rows.vehicleID.count
        var outcomes: [PackageOutcomes] = []
        var entryStart: [[Int32]] = []
        for (i, p) in packages.enumerated() {
            let (rule, earlier) = try Self.rule(for: p, index: i, packages: packages, narrowing: narrowing,
                                                regionMarkets: regionMarkets)
            var sink = PackageOutcomes(ecus: rows.ecus[nodeOfPackage[i]], vehicles: vehicles)
            _ = try withBuffer(snapshot) { (raw) throws(OTAError) -> ResolutionCounts in
                try Resolver.resolve(snapshot: raw, rule: rule, into: &sink)
            }
            // First entry of each vehicle: entries come in vehicle order.
            var start = [Int32](repeating: 0, count: vehicles + 1)
            let vehicleOf = sink.ecus.vehicle
            var e = 0
            for v in 0..<vehicles {
                start[v] = Int32(e)
                if sink.status[v] == PackageOutcomes.targeted {
                    while e < sink.entries.count && vehicleOf[Int(sink.entries[e])] == Int32(v) { e += 1 }
                }
            }
            start[vehicles] = Int32(e)
            outcomes.append(sink)
            entryStart.append(start)
            for r in earlier { r.exclude(package: i, outcomes: &outcomes, entryStart: entryStart) }
        }
        candidates = TargetCandidates(rows: rows, outcomes: outcomes, entryStart: entryStart, nodeOfPackage: nodeOfPackage)
    }

    /// The targets among the candidates: in a test campaign only vehicles of the test fleet,
    /// and never vehicles busy in another campaign (approved, active, or aborted with targets
    /// that still run: `CampaignState.holdingStatesSQL`) for one of the same nodes. Both
    /// read the tables of the moment, so a kept plan is as current as a fresh resolution.
    mutating func select(_ db: SQLiteConnection, _ spec: CampaignSpec, campaign: Int64) throws(OTAError) {
        var testFleet = Set<Int64>()
        if spec.test {
            try db.prepare("SELECT vehicle_id FROM test_fleet").forEachRow { (r) throws(OTAError) -> Bool in
                testFleet.insert(r.int64(0))
                return true
            }
        }
        var busy: [Int64: UInt32] = [:]  // vehicle id => a bit per campaign node
        let nodes = self.nodes
        try db.prepare("""
            SELECT t.vehicle_id, te.node FROM campaigns c
            JOIN targets t ON t.campaign_id = c.id JOIN target_ecus te ON te.target_id = t.id
            WHERE c.state IN (\(CampaignState.holdingStatesSQL)) AND c.id <> ? AND t.final = 0
            """).bind(1, campaign).forEachRow { (r) throws(OTAError) -> Bool in
                if let node = r.text(1), let k = nodes.firstIndexBytes(of: node) {
                    busy[r.int64(0), default: 0] |= 1 << UInt32(k)
                }
                return true
            }
        var testFleetOut: Int64 = 0, busyOut: Int64 = 0
        targets = []
        let c = candidates
        for t in 0..<c.count {
            let vehicle = c.vehicleID[t]
            if spec.test && !testFleet.contains(vehicle) {
                testFleetOut += 1
            } else if let b = busy[vehicle], b & nodeMask(c.applying[t]) != 0 {
                busyOut += 1
            } else {
                targets.append(Int32(t))
            }
        }
        var out: [(String, Int64)] = []
        for r in ExclusionReason.all where c.excluded[r.rawValue] > 0 { out.append((r.name, c.excluded[r.rawValue])) }
        if testFleetOut > 0 { out.append(("test-fleet", testFleetOut)) }
        if busyOut > 0 { out.append(("busy", busyOut)) }
        excluded = out.sorted { $0.0 < $1.0 }
    }

    /// The nodes (bits by index in `nodes`) of the packages in `applying`.
    func nodeMask(_ applying: UInt32) -> UInt32 {
        var mask: UInt32 = 0
        for p in nodeOfPackage.indices where applying & (1 << UInt32(p)) != 0 { mask |= 1 << UInt32(nodeOfPackage[p]) }
        return mask
    }

    /// The exclusions as a CBOR map {reason => uint}.
    var excludedCBOR: [UInt8] {
        var m = CBORMapBuilder()
        for (reason, n) in excluded { m.int(reason, n) }
        return m.encoded
    }
}
