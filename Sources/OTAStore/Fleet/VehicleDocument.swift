import OTACore

/// One vehicle with every ECU's history, as CBOR (docs/schemas/vehicle.cddl). Map keys are
/// written in deterministic order (shorter first, then bytewise).
public enum VehicleDocument {
    public static func get(_ db: SQLiteConnection, vin: String) throws(OTAError) -> [UInt8] {
        try db.transaction(immediate: false) { () throws(OTAError) -> [UInt8] in
            let v = try db.prepare("""
                SELECT id, model, variant, powertrain, market, produced, engine_no, chassis_no, \
                attributes, updated, seen FROM vehicles WHERE vin = ?
                """)
            v.bind(1, vin)
            guard try v.step() else {
                throw .notFound("no vehicle with VIN \(VIN.quoted(vin)) in the inventory")
            }
            defer { v.reset() }
            let id = v.int64(0)
            var w = CBORWriter(capacity: 4096)
            w.mapHeader(12)
            w.text("vin"); w.text(vin)
            w.text("ecus"); try ecus(db, vehicle: id, &w)
            w.text("seen"); w.int(v.int64(10))
            w.text("model"); w.text(v.text(1) ?? "")
            w.text("market"); w.text(v.text(4) ?? "")
            w.text("updated"); w.int(v.int64(9))
            w.text("variant"); w.text(v.text(2) ?? "")
            w.text("produced"); w.int(v.int64(5))
            w.text("engine-no"); w.optionalText(v.text(6))
            w.text("attributes")
            let attributes = try StoredAttributes.decode(v.blob(8), vin: vin)
            w.mapHeader(attributes.count)
            for a in attributes {
                w.text(a.key)
                switch a.value {
                case .text(let s): w.text(s)
                case .int(let n): w.int(n)
                case .bool(let b): w.bool(b)
                }
            }
            w.text("chassis-no"); w.optionalText(v.text(7))
            w.text("powertrain"); w.text(v.text(3) ?? "")
            return w.bytes
        }
    }

    /// Every ECU the vehicle ever had, removed ones included, in the order first listed.
    private static func ecus(_ db: SQLiteConnection, vehicle: Int64, _ w: inout CBORWriter) throws(OTAError) {
        struct Row { var id, slot: Int64; var node, hw, sw: String; var calibration, serial: String?; var removed: Int64? }
        let e = try db.prepare("""
            SELECT id, node, slot, hw, sw, calibration, serial, removed FROM ecus \
            WHERE vehicle_id = ? ORDER BY id
            """)
        e.bind(1, vehicle)
        var rows: [Row] = []
        while try e.step() {
            rows.append(Row(id: e.int64(0), slot: e.int64(2), node: e.text(1) ?? "", hw: e.text(3) ?? "",
                            sw: e.text(4) ?? "", calibration: e.text(5), serial: e.text(6),
                            removed: e.isNull(7) ? nil : e.int64(7)))
        }
        w.arrayHeader(rows.count)
        for r in rows {
            w.mapHeader(8)
            w.text("hw"); w.text(r.hw)
            w.text("sw"); w.text(r.sw)
            w.text("node"); w.text(r.node)
            w.text("slot"); w.int(r.slot)
            w.text("serial"); w.optionalText(r.serial)
            w.text("history"); try history(db, ecu: r.id, &w)
            w.text("removed"); if let at = r.removed { w.int(at) } else { w.null() }
            w.text("calibration"); w.optionalText(r.calibration)
        }
    }

    /// The ECU's history rows in the order recorded (the first is as first imported).
    private static func history(_ db: SQLiteConnection, ecu: Int64, _ w: inout CBORWriter) throws(OTAError) {
        let h = try db.prepare("""
            SELECT at, hw, sw, calibration, serial, source FROM ecu_history WHERE ecu_id = ? ORDER BY id
            """)
        h.bind(1, ecu)
        var rows: [(at: Int64, hw: String, sw: String, calibration: String?, serial: String?, source: String)] = []
        while try h.step() {
            rows.append((h.int64(0), h.text(1) ?? "", h.text(2) ?? "", h.text(3), h.text(4), h.text(5) ?? ""))
        }
        w.arrayHeader(rows.count)
        for r in rows {
            w.mapHeader(6)
            w.text("at"); w.int(r.at)
            w.text("hw"); w.text(r.hw)
            w.text("sw"); w.text(r.sw)
            w.text("serial"); w.optionalText(r.serial)
            w.text("source"); w.text(r.source)
            w.text("calibration"); w.optionalText(r.calibration)
        }
    }
}
