import OTACore

/// The second pass of an import: writes each vehicle, inside the import's transaction, with
/// statements prepared once and reused for every row.
final class InventoryWriter {
    let db: SQLiteConnection
    /// The snapshot's time: stamped on every history row and on `updated`/`seen`.
    let taken: Int64
    private(set) var summary = ImportSummary()
    private let text = TextArena()

    private let insertVehicle: Statement
    private let insertECU: Statement
    private let insertHistory: Statement
    private let selectVehicle: Statement
    private let selectECUs: Statement
    private let updateVehicle: Statement
    private let updateSeen: Statement
    private let updateECU: Statement
    private let removeECU: Statement

    init(db: SQLiteConnection, taken: Int64) throws(OTAError) {
        self.db = db
        self.taken = taken
        summary.snapshotTime = taken
        insertVehicle = try db.prepare("""
            INSERT INTO vehicles(vin, model, variant, powertrain, market, produced, engine_no, \
            chassis_no, attributes, updated, seen) VALUES(?,?,?,?,?,?,?,?,?,?,?)
            """)
        insertECU = try db.prepare(
            "INSERT INTO ecus(vehicle_id, node, slot, hw, sw, calibration, serial) VALUES(?,?,?,?,?,?,?)")
        insertHistory = try db.prepare("""
            INSERT INTO ecu_history(ecu_id, at, hw, sw, calibration, serial, source) \
            VALUES(?,?,?,?,?,?,?)
            """)
        selectVehicle = try db.prepare("""
            SELECT model, variant, powertrain, market, produced, engine_no, chassis_no, attributes, \
            seen FROM vehicles WHERE id = ?
            """)
        // Index order (node, slot): matching is by (node, slot), so no sort is needed.
        selectECUs = try db.prepare(
            "SELECT id, node, slot, hw, sw, calibration, serial, removed FROM ecus WHERE vehicle_id = ?")
        updateVehicle = try db.prepare("""
            UPDATE vehicles SET model = ?, variant = ?, powertrain = ?, market = ?, produced = ?, \
            engine_no = ?, chassis_no = ?, attributes = ?, updated = ?, seen = ? WHERE id = ?
            """)
        updateSeen = try db.prepare("UPDATE vehicles SET seen = ? WHERE id = ?")
        updateECU = try db.prepare(
            "UPDATE ecus SET hw = ?, sw = ?, calibration = ?, serial = ?, removed = NULL WHERE id = ?")
        removeECU = try db.prepare("UPDATE ecus SET removed = ? WHERE id = ?")
    }

    /// Slot of ECU `j`: how many ECUs of the same node come before it in the vehicle.
    @inline(__always)
    static func slot(_ ecus: [SnapshotECU], _ j: Int) -> Int64 {
        var slot: Int64 = 0
        let node = ecus[j].node
        for k in 0..<j where ecus[k].node.sameBytes(as: node) { slot += 1 }
        return slot
    }

    /// A vehicle the store does not know: its row, its ECUs, and each ECU's first history row.
    func add(_ v: SnapshotVehicle) throws(OTAError) {
        summary.vehicles += 1
        let s = insertVehicle
        s.rewind()
        text.reset()
        text.bind(s, 1, v.vin)
        text.bind(s, 2, v.model)
        text.bind(s, 3, v.variant)
        text.bind(s, 4, v.powertrain)
        text.bind(s, 5, v.market)
        s.bind(6, v.produced)
        text.bind(s, 7, v.engineNo)
        text.bind(s, 8, v.chassisNo)
        s.bind(9, blob: StoredAttributes.encode(v.attributes)).bind(10, taken).bind(11, taken)
        try s.run()
        let id = db.lastInsertRowID
        for j in 0..<v.ecus.count { try addECU(vehicle: id, v.ecus[j], slot: InventoryWriter.slot(v.ecus, j)) }
        summary.added += 1
    }

    private func addECU(vehicle: Int64, _ e: SnapshotECU, slot: Int64) throws(OTAError) {
        let s = insertECU
        s.rewind()
        text.reset()
        s.bind(1, vehicle)
        text.bind(s, 2, e.node)
        s.bind(3, slot)
        text.bind(s, 4, e.hw)
        text.bind(s, 5, e.sw)
        text.bind(s, 6, e.calibration)
        text.bind(s, 7, e.serial)
        try s.run()
        try addHistory(ecu: db.lastInsertRowID, e)
        summary.ecusAdded += 1
    }

    private func addHistory(ecu: Int64, _ e: SnapshotECU) throws(OTAError) {
        let s = insertHistory
        s.rewind()
        text.reset()
        s.bind(1, ecu).bind(2, taken)
        text.bind(s, 3, e.hw)
        text.bind(s, 4, e.sw)
        text.bind(s, 5, e.calibration)
        text.bind(s, 6, e.serial)
        s.bind(7, "snapshot")
        try s.run()
    }

    /// The history row of a removal: the values the ECU had when a snapshot no longer listed
    /// it (source "removed"), so that a gap before it is listed again shows in its history.
    private func addRemoval(_ old: StoredECU) throws(OTAError) {
        let s = insertHistory
        s.rewind()
        s.bind(1, old.id).bind(2, taken).bind(3, old.hw).bind(4, old.sw).bind(5, old.calibration)
            .bind(6, old.serial).bind(7, "removed")
        try s.run()
    }

    private func setECU(_ id: Int64, _ e: SnapshotECU) throws(OTAError) {
        let s = updateECU
        s.rewind()
        s.bind(1, e.hw).bind(2, e.sw).bind(3, e.calibration).bind(4, e.serial).bind(5, id)
        try s.run()
        try addHistory(ecu: id, e)
    }

    /// An ECU as stored, for comparison with the snapshot's.
    private struct StoredECU {
        var id: Int64
        var node: String
        var slot: Int64
        var hw: String
        var sw: String
        var calibration: String?
        var serial: String?
        var removed: Bool
        var listed = false
    }

    /// A vehicle the store knows (row `id`): changed fields and ECUs are written, each ECU
    /// change with a history row; nothing is written for what did not change. A snapshot
    /// older than the store's newest data about the vehicle is stale and leaves it alone.
    func update(_ v: SnapshotVehicle, id: Int64) throws(OTAError) {
        summary.vehicles += 1
        let attributes = StoredAttributes.encode(v.attributes)
        let sv = selectVehicle
        sv.rewind()
        sv.bind(1, id)
        guard try sv.step() else { throw OTAError(.internalError, "vehicle \(v.vin) vanished during the import") }
        let seen = sv.int64(8)
        if taken < seen {
            sv.rewind()
            summary.stale += 1
            return
        }
        let fieldsChanged = !(sv.textEquals(0, v.model) && sv.textEquals(1, v.variant)
            && sv.textEquals(2, v.powertrain) && sv.textEquals(3, v.market) && sv.int64(4) == v.produced
            && sv.textEquals(5, v.engineNo) && sv.textEquals(6, v.chassisNo) && sv.blobEquals(7, attributes))
        sv.rewind()

        var stored: [StoredECU] = []
        let se = selectECUs
        se.rewind()
        se.bind(1, id)
        while try se.step() {
            stored.append(StoredECU(id: se.int64(0), node: se.text(1) ?? "", slot: se.int64(2), hw: se.text(3) ?? "",
                                    sw: se.text(4) ?? "", calibration: se.text(5), serial: se.text(6),
                                    removed: !se.isNull(7)))
        }

        var ecusChanged = false
        for j in 0..<v.ecus.count {
            let e = v.ecus[j]
            let slot = InventoryWriter.slot(v.ecus, j)
            guard let k = stored.firstIndex(where: { $0.slot == slot && $0.node.sameBytes(as: e.node) }) else {
                try addECU(vehicle: id, e, slot: slot)
                ecusChanged = true
                continue
            }
            stored[k].listed = true
            let old = stored[k]
            if old.removed {
                // Listed again after a snapshot left it out: its values are recorded anew.
                try setECU(old.id, e)
                summary.ecusAdded += 1
                ecusChanged = true
                continue
            }
            // By bytes (ByteText): a change to an equivalent spelling is a change.
            let hw = !old.hw.sameBytes(as: e.hw), sw = !old.sw.sameBytes(as: e.sw)
            let calibration = !String.sameBytes(old.calibration, e.calibration)
            let serial = !String.sameBytes(old.serial, e.serial)
            guard hw || sw || calibration || serial else { continue }
            try setECU(old.id, e)
            summary.ecusChanged += 1
            if hw { summary.hwChanges += 1 }
            if sw { summary.swChanges += 1 }
            if calibration { summary.calibrationChanges += 1 }
            if serial { summary.serialChanges += 1 }
            ecusChanged = true
        }
        for old in stored where !old.listed && !old.removed {
            removeECU.rewind()
            removeECU.bind(1, taken).bind(2, old.id)
            try removeECU.run()
            try addRemoval(old)
            summary.ecusRemoved += 1
            ecusChanged = true
        }

        if fieldsChanged || ecusChanged {
            let s = updateVehicle
            s.rewind()
            s.bind(1, v.model).bind(2, v.variant).bind(3, v.powertrain).bind(4, v.market).bind(5, v.produced)
            s.bind(6, v.engineNo).bind(7, v.chassisNo).bind(8, blob: attributes).bind(9, taken).bind(10, taken)
            s.bind(11, id)
            try s.run()
            summary.changed += 1
        } else {
            if taken > seen {
                updateSeen.rewind()
                updateSeen.bind(1, taken).bind(2, id)
                try updateSeen.run()
            }
            summary.unchanged += 1
        }
    }
}
