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
            // Every present ECU in one scan of the (vehicle_id, node, slot) index, read
            // alongside the vehicles: one statement instead of one query and one sort per
            // vehicle. Each vehicle's ECUs are put in row-id order here.
            let ecus = try db.prepare("""
                SELECT vehicle_id, id, node, hw, sw, calibration, serial, slot FROM ecus \
                WHERE removed IS NULL ORDER BY vehicle_id
                """)
            defer { ecus.reset() }
            var pending = try ecus.step()
            var listed = VehicleECUs()
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
                // ECU rows of no vehicle (before this one) are never exported.
                while pending && ecus.int64(0) < id { pending = try ecus.step() }
                listed.removeAll()
                while pending && ecus.int64(0) == id {
                    let r = StoredRow(s: ecus, .ecu(id: ecus.int64(1), vehicle: id))
                    listed.append(id: ecus.int64(1), slot: ecus.int64(7),
                                  SnapshotECU(node: try r.text(2, "node"), hw: try r.text(3, "hw"), sw: try r.text(4, "sw"),
                                              calibration: try r.optionalText(5, "calibration"),
                                              serial: try r.optionalText(6, "serial")))
                    pending = try ecus.step()
                }
                v.ecus.reserveCapacity(listed.ids.count)
                for k in listed.inOrder() {
                    let e = listed.ecus[k]
                    ecu(listed.ids[k], e.node, listed.slots[k], e.hw, e.sw)
                    v.ecus.append(e)
                }
                vehicle(id, v)
                encoder.add(v)
                position += 1
                return true
            }
            return encoder
        }
    }

    /// One vehicle's ECUs as the index scan yields them (by node and slot), buffers reused
    /// from vehicle to vehicle.
    private struct VehicleECUs {
        var ids: [Int64] = []
        var slots: [Int64] = []
        var ecus: [SnapshotECU] = []
        var order: [Int] = []

        mutating func removeAll() {
            ids.removeAll(keepingCapacity: true)
            slots.removeAll(keepingCapacity: true)
            ecus.removeAll(keepingCapacity: true)
        }

        mutating func append(id: Int64, slot: Int64, _ e: SnapshotECU) {
            ids.append(id)
            slots.append(slot)
            ecus.append(e)
        }

        /// Indices in row-id order: the order the ECUs were first listed.
        mutating func inOrder() -> [Int] {
            order.removeAll(keepingCapacity: true)
            order.append(contentsOf: ids.indices)
            let ids = self.ids
            order.sort { ids[$0] < ids[$1] }
            return order
        }
    }

    public static func snapshot(_ db: SQLiteConnection, now: Int64) throws(OTAError) -> [UInt8] {
        try encoder(db, now: now).finish()
    }
}
