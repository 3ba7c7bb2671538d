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

    /// The summary as a CBOR map (`CBORMapBuilder`: keys in deterministic order).
    public func encode() -> [UInt8] {
        var doc = CBORMapBuilder()
        doc.int("snapshot-time", snapshotTime)
        doc.int("vehicles", vehicles)
        doc.int("added", added)
        doc.int("changed", changed)
        doc.int("unchanged", unchanged)
        doc.int("stale", stale)
        doc.int("ecus-added", ecusAdded)
        doc.int("ecus-changed", ecusChanged)
        doc.int("ecus-removed", ecusRemoved)
        doc.map("ecu-changes") { m in
            m.int("hw", hwChanges)
            m.int("sw", swChanges)
            m.int("calibration", calibrationChanges)
            m.int("serial", serialChanges)
        }
        return doc.encoded
    }
}
