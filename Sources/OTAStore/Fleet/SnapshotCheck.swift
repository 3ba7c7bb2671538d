import OTACore

/// Yields every vehicle of a snapshot, in order, to `body` and returns the header: the shape
/// of `Snapshot.forEachVehicle`, so that the import runs over snapshot bytes in the library
/// and over hand-built vehicles in tests.
public typealias VehicleScan = (_ body: (SnapshotVehicle) throws(OTAError) -> Void) throws(OTAError) -> SnapshotHeader

/// A snapshot position and its VIN, sortable by VIN.
struct KeyedPosition: Comparable {
    var key: VINKey
    var position: Int32

    static func < (a: KeyedPosition, b: KeyedPosition) -> Bool {
        a.key != b.key ? a.key < b.key : a.position < b.position
    }
}

/// What the checking pass learnt: the header (the snapshot time is needed before anything
/// is written) and every VIN, sorted, for the duplicate check and the match with the store.
struct CheckedSnapshot {
    var header: SnapshotHeader
    var count: Int
    var keys: [KeyedPosition]
    /// What the pass read (`VehicleDigest`), for the write pass to compare.
    var digest: [UInt8]
}

/// The first pass of an import: validates every vehicle before the store is touched. It
/// reads only the snapshot, so it runs before the import takes the write lock.
enum SnapshotCheck {
    static func run(_ scan: VehicleScan, progress: @escaping ImportProgress) throws(OTAError) -> CheckedSnapshot {
        var keys: [KeyedPosition] = []
        var position = 0
        var digest = VehicleDigest()
        let header = try scan { (v) throws(OTAError) in
            guard position < Int(Int32.max) else { throw .badInput("snapshot has more than \(Int32.max) vehicles") }
            do throws(OTAError) {
                keys.append(KeyedPosition(key: try VIN.validate(v.vin, market: v.market), position: Int32(position)))
                try StoredAttributes.check(v.attributes)
                guard v.produced >= 0 else { throw .badInput("produced time \(v.produced) is negative") }
            } catch {
                throw error.prefixed("snapshot: vehicle \(position)")
            }
            digest.add(v)
            position += 1
            if position % FleetImport.progressInterval == 0 {
                try FleetImport.report(progress, UInt64(position), 0, "after checking \(position) vehicles")
            }
        }
        guard header.formatVersion == 1 else {
            throw .badInput("snapshot format version \(header.formatVersion) is not supported (this libota reads version 1)")
        }
        guard header.taken >= 0 else { throw .badInput("snapshot time \(header.taken) is negative") }
        keys.sort()
        try rejectDuplicates(keys)
        return CheckedSnapshot(header: header, count: position, keys: keys, digest: digest.finish())
    }

    /// Names the first repeated VIN in snapshot order: the pair whose second listing comes
    /// earliest.
    static func rejectDuplicates(_ sorted: [KeyedPosition]) throws(OTAError) {
        guard sorted.count > 1 else { return }
        var first: KeyedPosition?
        var second = Int32.max
        // Positions ascend within a run of equal VINs: its pair is the run's first two.
        for i in 1..<sorted.count where sorted[i].key == sorted[i - 1].key
            && (i == 1 || sorted[i - 2].key != sorted[i].key) && sorted[i].position < second {
            first = sorted[i - 1]
            second = sorted[i].position
        }
        if let first {
            throw .badInput("snapshot: vehicle \(first.position) and vehicle \(second) have the same VIN '\(first.key.text)': a snapshot lists each vehicle once")
        }
    }
}
