import OTACore

/// Versions a vehicle proved in a status report, written into the inventory as an import
/// would: the `ecus` row changes, an `ecu_history` row (source `campaign:<id>`, stamped `now`)
/// records it, and the vehicle's `seen` moves to at least `now`, so that a snapshot taken
/// before the report and imported later is stale for the vehicle and cannot roll it back
/// (InventoryWriter leaves a vehicle alone when the snapshot is older than `seen`).
enum ReportedInventory {
    /// Writes `ecus` (matched by node and slot; an ECU the inventory does not know is not
    /// invented). A calibration or serial the report leaves out keeps its stored value.
    static func write(_ db: SQLiteConnection, vehicle: Int64, campaign: Int64, now: Int64,
                      ecus: [StatusReport.ECU]) throws(OTAError) {
        let select = try db.prepare(
            "SELECT id, hw, sw, calibration, serial, removed FROM ecus WHERE vehicle_id = ? AND node = ? AND slot = ?")
        let update = try db.prepare(
            "UPDATE ecus SET hw = ?, sw = ?, calibration = ?, serial = ?, removed = NULL WHERE id = ?")
        let history = try db.prepare("""
            INSERT INTO ecu_history(ecu_id, at, hw, sw, calibration, serial, source) VALUES(?,?,?,?,?,?,?)
            """)
        let source = "campaign:\(campaign)"
        var changed = false
        for e in ecus {
            select.bind(1, vehicle).bind(2, e.node).bind(3, e.slot)
            guard let row = try select.firstRow({ r in
                (id: r.int64(0), hw: r.text(1), sw: r.text(2), calibration: r.text(3), serial: r.text(4),
                 removed: !r.isNull(5))
            }) else { continue }
            let calibration = e.calibration ?? row.calibration
            let serial = e.serial ?? row.serial
            // By bytes (ByteText), as the rows hold them.
            guard row.removed || !String.sameBytes(row.hw, e.hw) || !String.sameBytes(row.sw, e.sw)
                    || !String.sameBytes(row.calibration, calibration) || !String.sameBytes(row.serial, serial)
            else { continue }
            try update.bind(1, e.hw).bind(2, e.sw).bind(3, calibration).bind(4, serial).bind(5, row.id).run()
            try history.bind(1, row.id).bind(2, now).bind(3, e.hw).bind(4, e.sw).bind(5, calibration)
                .bind(6, serial).bind(7, source).run()
            changed = true
        }
        if changed {
            try InventoryGeneration.bump(db)
            try db.prepare("UPDATE vehicles SET updated = max(updated, ?), seen = max(seen, ?) WHERE id = ?")
                .bind(1, now).bind(2, now).bind(3, vehicle).run()
        } else {
            try db.prepare("UPDATE vehicles SET seen = ? WHERE id = ? AND seen < ?")
                .bind(1, now).bind(2, vehicle).bind(3, now).run()
        }
    }
}
