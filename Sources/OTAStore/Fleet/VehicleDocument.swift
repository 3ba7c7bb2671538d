import OTACore

/// One vehicle with every ECU's history, as CBOR (docs/schemas/vehicle.cddl), built with
/// `CBORMapBuilder` (keys in deterministic order). Every stored value is checked as it is
/// read (`StoredRow`): a tampered row is `.corrupt`, naming it.
public enum VehicleDocument {
    public static func get(_ db: SQLiteConnection, vin: String) throws(OTAError) -> [UInt8] {
        try db.read { () throws(OTAError) -> [UInt8] in
            let v = try db.prepare("""
                SELECT id, model, variant, powertrain, market, produced, engine_no, chassis_no, \
                attributes, updated, seen FROM vehicles WHERE vin = ?
                """)
            v.bind(1, vin)
            var found: (id: Int64, doc: CBORMapBuilder)?
            try v.forEachRow { (s) throws(OTAError) -> Bool in
                let id = s.int64(0)
                let row = StoredRow(s: s, name: "vehicle row \(id) (VIN \(VIN.quoted(vin)))")
                var doc = CBORMapBuilder()
                doc.text("vin", vin)
                doc.text("model", try row.text(1, "model"))
                doc.text("variant", try row.text(2, "variant"))
                doc.text("powertrain", try row.text(3, "powertrain"))
                doc.text("market", try row.text(4, "market"))
                doc.int("produced", try row.uint(5, "produced"))
                doc.optionalText("engine-no", try row.optionalText(6, "engine_no"))
                doc.optionalText("chassis-no", try row.optionalText(7, "chassis_no"))
                let attributes = try row.attributes(8)
                doc.map("attributes") { m in
                    for a in attributes { m.add(a.key) { a.value.write(to: &$0) } }
                }
                doc.int("updated", try row.uint(9, "updated"))
                doc.int("seen", try row.uint(10, "seen"))
                found = (id, doc)
                return false
            }
            guard let found else {
                throw .notFound("no vehicle with VIN \(VIN.quoted(vin)) in the inventory")
            }
            var doc = found.doc
            let list = try ecus(db, vehicle: found.id)
            doc.add("ecus") { list.write(to: &$0) }
            return doc.encoded
        }
    }

    /// Every ECU the vehicle ever had, removed ones included, in the order first listed.
    private static func ecus(_ db: SQLiteConnection, vehicle: Int64) throws(OTAError) -> CBORArrayBuilder {
        let e = try db.prepare("""
            SELECT id, node, slot, hw, sw, calibration, serial, removed FROM ecus \
            WHERE vehicle_id = ? ORDER BY id
            """)
        e.bind(1, vehicle)
        // Read whole before the history queries: one statement steps at a time here.
        let rows = try e.rows { (s) throws(OTAError) -> (id: Int64, ecu: CBORMapBuilder) in
            let id = s.int64(0)
            let row = StoredRow(s: s, name: "ECU row \(id) of vehicle row \(vehicle)")
            var ecu = CBORMapBuilder()
            ecu.text("node", try row.text(1, "node"))
            ecu.int("slot", try row.uint(2, "slot"))
            ecu.text("hw", try row.text(3, "hw"))
            ecu.text("sw", try row.text(4, "sw"))
            ecu.optionalText("calibration", try row.optionalText(5, "calibration"))
            ecu.optionalText("serial", try row.optionalText(6, "serial"))
            ecu.optionalInt("removed", try row.optionalUint(7, "removed"))
            return (id, ecu)
        }
        var list = CBORArrayBuilder()
        for var r in rows {
            let history = try history(db, ecu: r.id)
            r.ecu.add("history") { history.write(to: &$0) }
            list.add { r.ecu.write(to: &$0) }
        }
        return list
    }

    /// The ECU's history rows in the order recorded (the first is as first imported).
    private static func history(_ db: SQLiteConnection, ecu: Int64) throws(OTAError) -> CBORArrayBuilder {
        let h = try db.prepare("""
            SELECT id, at, hw, sw, calibration, serial, source FROM ecu_history WHERE ecu_id = ? ORDER BY id
            """)
        h.bind(1, ecu)
        var list = CBORArrayBuilder()
        try h.forEachRow { (s) throws(OTAError) -> Bool in
            let row = StoredRow(s: s, name: "ECU history row \(s.int64(0)) of ECU row \(ecu)")
            var entry = CBORMapBuilder()
            entry.int("at", try row.uint(1, "at"))
            entry.text("hw", try row.text(2, "hw"))
            entry.text("sw", try row.text(3, "sw"))
            entry.optionalText("calibration", try row.optionalText(4, "calibration"))
            entry.optionalText("serial", try row.optionalText(5, "serial"))
            entry.text("source", try row.text(6, "source"))
            list.add { entry.write(to: &$0) }
            return true
        }
        return list
    }
}
