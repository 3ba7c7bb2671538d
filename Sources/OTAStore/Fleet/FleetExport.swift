import OTACore

/// The current inventory as a fleet snapshot: vehicles in the order they entered the store
/// (a first import's snapshot order), each vehicle's ECUs in the order they were first listed,
/// ECUs that the latest snapshot no longer listed left out. The same store gives the same bytes.
/// Every stored value is checked as it is read (`StoredRow`): a tampered row is `.corrupt`.
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
        return try db.read { () throws(OTAError) -> SnapshotEncoder in
            var encoder = SnapshotEncoder(taken: now)
            let vehicles = try db.prepare("""
                SELECT id, vin, model, variant, powertrain, market, produced, engine_no, chassis_no, \
                attributes FROM vehicles ORDER BY id
                """)
            let ecus = try db.prepare("""
                SELECT id, node, hw, sw, calibration, serial, slot FROM ecus \
                WHERE vehicle_id = ? AND removed IS NULL ORDER BY id
                """)
            var position = 0
            try vehicles.forEachRow { (s) throws(OTAError) -> Bool in
                let id = s.int64(0)
                let row = StoredRow(s: s, .vehicle(id: id, vin: nil))
                let vin = try row.vin(1)
                let named = StoredRow(s: s, .vehicle(id: id, vin: vin))
                var v = SnapshotVehicle(index: position, vin: vin, model: try named.text(2, "model"),
                                        variant: try named.text(3, "variant"), powertrain: try named.text(4, "powertrain"),
                                        market: try named.text(5, "market"), produced: try named.uint(6, "produced"),
                                        ecus: [], engineNo: try named.optionalText(7, "engine_no"),
                                        chassisNo: try named.optionalText(8, "chassis_no"),
                                        attributes: try named.attributes(9))
                ecus.bind(1, id)
                try ecus.forEachRow { (e) throws(OTAError) -> Bool in
                    let r = StoredRow(s: e, .ecu(id: e.int64(0), vehicle: id))
                    let node = try r.text(1, "node"), hw = try r.text(2, "hw"), sw = try r.text(3, "sw")
                    ecu(e.int64(0), node, e.int64(6), hw, sw)
                    v.ecus.append(SnapshotECU(node: node, hw: hw, sw: sw,
                                              calibration: try r.optionalText(4, "calibration"),
                                              serial: try r.optionalText(5, "serial")))
                    return true
                }
                vehicle(id, v)
                encoder.add(v)
                position += 1
                return true
            }
            return encoder
        }
    }

    public static func snapshot(_ db: SQLiteConnection, now: Int64) throws(OTAError) -> [UInt8] {
        try encoder(db, now: now).finish()
    }
}
