import OTACore

/// What resolving a campaign's packages over the inventory leaves: the vehicles that would
/// be targets before the checks that can change while the inventory does not (the test
/// fleet, vehicles busy in another campaign), each with its facets, the packages that apply
/// and the ECUs they go to; and the vehicles the resolver left out, by reason. Validation
/// keeps it in the store (`CampaignPlanStore`), and approval freezes from it, so both
/// paths of approval (a kept plan, a fresh resolution) freeze from the same data.
struct TargetCandidates: Equatable {
    /// Facet and ECU texts (market, model, variant, hw, sw), each once.
    var strings: [String] = []
    var vehicleID: [Int64] = []
    var vin: [String] = []
    /// Indices into `strings`.
    var market: [Int32] = []
    var model: [Int32] = []
    var variant: [Int32] = []
    /// Per candidate: a bit per package (campaign position) that applies; the others are
    /// installed already. Never 0.
    var applying: [UInt32] = []
    /// Per candidate: where its ECU entries start (count + 1 values).
    var ecuStart: [Int32] = [0]
    /// ECU entries, per candidate in package order, then in snapshot order: the package
    /// index, the `ecus` row id, the slot, hw and sw (indices into `strings`).
    var ecuPackage: [UInt8] = []
    var ecuID: [Int64] = []
    var ecuSlot: [Int64] = []
    var ecuHW: [Int32] = []
    var ecuSW: [Int32] = []
    /// Vehicles the resolver left out, per `ExclusionReason` raw value; `up-to-date` counts
    /// the vehicles on which every package is installed already.
    var excluded = [Int64](repeating: 0, count: ExclusionReason.all.count)

    var count: Int { vehicleID.count }
    var ecuCount: Int { ecuID.count }

    /// The candidates of a resolution: `outcomes[p]` for package p, over the rows of the
    /// export. A vehicle is a candidate when every package applies to it or is installed
    /// already, and at least one applies. Another vehicle counts under the earliest
    /// `ExclusionReason` among its packages, whatever their order.
    init(rows: InventoryRows, outcomes: [PackageOutcomes], entryStart: [[Int32]], nodeOfPackage: [Int]) {
        var texts = TextIndex()
        let upToDate = Int8(ExclusionReason.upToDate.rawValue)
        for v in 0..<rows.vehicleID.count {
            var mask: UInt32 = 0
            var reason: Int8 = -1
            for p in outcomes.indices {
                let s = outcomes[p].status[v]
                if s == PackageOutcomes.targeted {
                    mask |= 1 << UInt32(p)
                } else if s != upToDate && (reason < 0 || s < reason) {
                    reason = s  // the earliest check in reason order, as the resolver counts
                }
            }
            if reason >= 0 {
                excluded[Int(reason)] += 1
                continue
            }
            if mask == 0 {
                excluded[ExclusionReason.upToDate.rawValue] += 1
                continue
            }
            vehicleID.append(rows.vehicleID[v])
            vin.append(rows.vin[v])
            market.append(texts.index(rows.market[v]))
            model.append(texts.index(rows.model[v]))
            variant.append(texts.index(rows.variant[v]))
            applying.append(mask)
            for p in outcomes.indices where mask & (1 << UInt32(p)) != 0 {
                let ecus = rows.ecus[nodeOfPackage[p]]
                let entries = outcomes[p].entries
                var e = Int(entryStart[p][v])
                let end = Int(entryStart[p][v + 1])
                while e < end {
                    let k = Int(entries[e])
                    ecuPackage.append(UInt8(truncatingIfNeeded: p))
                    ecuID.append(ecus.id[k])
                    ecuSlot.append(ecus.slot[k])
                    ecuHW.append(texts.index(ecus.hw[k]))
                    ecuSW.append(texts.index(ecus.sw[k]))
                    e += 1
                }
            }
            ecuStart.append(Int32(truncatingIfNeeded: ecuID.count))
        }
        strings = texts.strings
    }

    init() {}

    /// Numbers texts in order of first use, by their bytes (ByteText): each target keeps
    /// its own spelling of a model or version.
    struct TextIndex {
        var strings: [String] = []
        var index: [ByteKey: Int32] = [:]

        mutating func index(_ s: String) -> Int32 {
            if let i = index[ByteKey(s)] { return i }
            let i = Int32(truncatingIfNeeded: strings.count)
            strings.append(s)
            index[ByteKey(s)] = i
            return i
        }
    }
}
