import OTACore

/// A package's requirement that earlier packages of the campaign can meet: they install one
/// of its versions on its node. They update only the node's ECUs that pass their own hw and
/// from filters, so the requirement holds for a vehicle when it has an ECU of the node and
/// each of them is on one of the versions or is one an earlier package updates there. The
/// resolver cannot see another package's choice: the package's rule leaves this requirement
/// out, and `exclude` then takes the vehicles that fail it (reason "requires").
struct EarlierRequirement {
    var versions: [String]
    /// The earlier packages (campaign positions) that install an accepted version on the node.
    var packages: [Int]

    /// Nil when no earlier package installs an accepted version (the rule keeps it).
    init?(_ r: ECURequirement, installedBy earlier: [PackageManifest]) {
        var packages: [Int] = []
        for (j, m) in earlier.enumerated() where m.ecu.sameBytes(as: r.node) && r.versions.containsBytes(m.toVersion) {
            packages.append(j)
        }
        guard !packages.isEmpty else { return nil }
        versions = r.versions
        self.packages = packages
    }

    /// Marks "requires" each vehicle that package `p` targets and that fails the requirement;
    /// `outcomes` and `entryStart` hold packages 0 through p (its chosen entries stay: only
    /// a targeted vehicle's entries are read).
    func exclude(package p: Int, outcomes: inout [PackageOutcomes], entryStart: [[Int32]]) {
        let requires = Int8(ExclusionReason.requires.rawValue)
        let node = outcomes[packages[0]].ecus  // the node's ECUs, whichever package exports them
        var first = 0
        for v in 0..<outcomes[p].status.count {
            while first < node.vehicle.count && Int(node.vehicle[first]) < v { first += 1 }
            guard outcomes[p].status[v] == PackageOutcomes.targeted else { continue }
            var e = first
            var met = e < node.vehicle.count && Int(node.vehicle[e]) == v  // one ECU at least
            while met && e < node.vehicle.count && Int(node.vehicle[e]) == v {
                met = versions.containsBytes(node.sw[e]) || updated(e, vehicle: v, outcomes, entryStart)
                e += 1
            }
            if !met { outcomes[p].status[v] = requires }
        }
    }

    /// Whether an earlier package that targets vehicle `v` chose ECU entry `e`.
    private func updated(_ e: Int, vehicle v: Int, _ outcomes: [PackageOutcomes], _ entryStart: [[Int32]]) -> Bool {
        for j in packages where outcomes[j].status[v] == PackageOutcomes.targeted {
            let chosen = outcomes[j].entries[Int(entryStart[j][v])..<Int(entryStart[j][v + 1])]
            if chosen.contains(Int32(e)) { return true }
        }
        return false
    }
}
