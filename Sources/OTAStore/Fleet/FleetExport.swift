import OTACore

/// The current inventory as a fleet snapshot: vehicles in the order they entered the store
/// (a first import's snapshot order), each vehicle's ECUs in the order they were first listed,
/// ECUs that the latest snapshot no longer listed left out. The same store gives the same bytes.
public enum FleetExport {
    public static func encoder(_ db: SQLiteConnection, now: Int64) throws(OTAError) -> SnapshotEncoder {
        try encoder(db, now: now, vehicle: { _, _ in }, ecu: { _, _, _, _, _ in })
    }

    /// The export, telling the caller each exported ECU's row id, node, slot, hw and sw, then
    /// its vehicle's row id and fields (in snapshot order), so that what a resolution of the
    /// snapshot finds can be tied back to the rows (campaign freezing).
    public static func encoder(_ db: SQLiteConnection, now: Int64, vehicle: (Int64, SnapshotVehicle) -> Void,
                               ecu: (_ id: Int64, _ node: String, _ slot: Int64, _ hw: String, _ sw: String) -> Void)
        throws(OTAError) -> SnapshotEncoder {
        guard now >= 0 else { throw .badInput("now is \(now); a snapshot time is not negative") }
        // One read transaction: a consistent view while another connection writes.
        return try db.transaction(immediate: false) { () throws(OTAError) -> SnapshotEncoder in
            var encoder = SnapshotEncoder(taken: now)
            let vehicles = try db.prepare("""
                SELECT id, vin, model, variant, powertrain, market, produced, engine_no, chassis_no, \
                attributes FROM vehicles ORDER BY id
                """)
            let ecus = try db.prepare("""
                SELECT node, hw, sw, calibration, serial, id, slot FROM ecus \
                WHERE vehicle_id = ? AND removed IS NULL ORDER BY id
                """)
            var position = 0
            while try vehicles.step() {
                let vin = vehicles.text(1) ?? ""
                var v = SnapshotVehicle(index: position, vin: vin, model: vehicles.text(2) ?? "",
                                        variant: vehicles.text(3) ?? "", powertrain: vehicles.text(4) ?? "",
                                        market: vehicles.text(5) ?? "", produced: vehicles.int64(6), ecus: [],
                                        engineNo: vehicles.text(7), chassisNo: vehicles.text(8),
                                        attributes: try StoredAttributes.decode(vehicles.blob(9), vin: vin))
                ecus.rewind()
                ecus.bind(1, vehicles.int64(0))
                while try ecus.step() {
                    let node = ecus.text(0) ?? "", hw = ecus.text(1) ?? "", sw = ecus.text(2) ?? ""
                    ecu(ecus.int64(5), node, ecus.int64(6), hw, sw)
                    v.ecus.append(SnapshotECU(node: node, hw: hw, sw: sw,
                                              calibration: ecus.text(3), serial: ecus.text(4)))
                }
                vehicle(vehicles.int64(0), v)
                encoder.add(v)
                position += 1
            }
            return encoder
        }
    }

    public static func snapshot(_ db: SQLiteConnection, now: Int64) throws(OTAError) -> [UInt8] {
        try encoder(db, now: now).finish()
    }
}
