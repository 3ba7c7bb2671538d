import OTACore

/// What one fleet import did (docs/schemas/import-summary.cddl).
public struct ImportSummary: Equatable {
    /// When the snapshot was taken: the time stamped on every history row it wrote.
    public var snapshotTime: Int64 = 0
    /// Vehicles in the snapshot: added + changed + unchanged + stale.
    public var vehicles = 0
    public var added = 0
    /// Known vehicles whose fields or ECUs changed (ECUs added or removed included).
    public var changed = 0
    public var unchanged = 0
    /// Known vehicles for which the store holds data from a newer snapshot: left as they were.
    public var stale = 0
    /// ECU rows created (those of new vehicles included) or listed again after a removal.
    public var ecusAdded = 0
    /// Known ECUs whose hardware, software, calibration or serial changed: one history row each.
    public var ecusChanged = 0
    /// Known ECUs that the snapshot no longer lists.
    public var ecusRemoved = 0
    /// Changed ECUs by field (an ECU may count under several).
    public var hwChanges = 0
    public var swChanges = 0
    public var calibrationChanges = 0
    public var serialChanges = 0

    public init() {}

    /// A CBOR map with text keys in deterministic order (length first, then bytewise).
    public func encode() -> [UInt8] {
        var w = CBORWriter(capacity: 192)
        w.mapHeader(10)
        w.text("added"); w.int(Int64(added))
        w.text("stale"); w.int(Int64(stale))
        w.text("changed"); w.int(Int64(changed))
        w.text("vehicles"); w.int(Int64(vehicles))
        w.text("unchanged"); w.int(Int64(unchanged))
        w.text("ecus-added"); w.int(Int64(ecusAdded))
        w.text("ecu-changes")
        w.mapHeader(4)
        w.text("hw"); w.int(Int64(hwChanges))
        w.text("sw"); w.int(Int64(swChanges))
        w.text("serial"); w.int(Int64(serialChanges))
        w.text("calibration"); w.int(Int64(calibrationChanges))
        w.text("ecus-changed"); w.int(Int64(ecusChanged))
        w.text("ecus-removed"); w.int(Int64(ecusRemoved))
        w.text("snapshot-time"); w.int(snapshotTime)
        return w.bytes
    }
}
