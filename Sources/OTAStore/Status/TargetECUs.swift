import OTACore

/// One row of `target_ecus`: an ECU a target installs, and what came of it.
public struct TargetECU: Equatable, Sendable {
    public enum Outcome: String, Sendable {
        case pending, verified, failed, installed
    }
    public var position: Int64
    public var ecuID: Int64
    public var node: String
    public var slot: Int64
    public var hw: String
    public var fromSW: String
    public var toSW: String
    public var outcome: Outcome
}

/// Per-ECU outcomes of a target.
public enum TargetECUs {
    static let columns = "position, ecu_id, node, slot, hw, from_sw, to_sw, outcome"

    /// Every ECU of the target, in install order.
    public static func load(_ db: SQLiteConnection, target: Int64) throws(OTAError) -> [TargetECU] {
        try read(db.prepare("SELECT \(columns) FROM target_ecus WHERE target_id = ? ORDER BY position, node, slot")
            .bind(1, target), target: target)
    }

    /// What an offer to the target installs, in install order: the ECUs not yet verified, so
    /// that a retry after a partial success sends only the rest; all of them again when every
    /// one is verified (a failure the versions do not explain: the whole install is retried).
    public static func offered(_ db: SQLiteConnection, target: Int64) throws(OTAError) -> [TargetECU] {
        try read(db.prepare("""
            SELECT \(columns) FROM target_ecus WHERE target_id = ?1 AND (outcome <> 'verified'
              OR NOT EXISTS (SELECT 1 FROM target_ecus WHERE target_id = ?1 AND outcome <> 'verified'))
            ORDER BY position, node, slot
            """).bind(1, target), target: target)
    }

    private static func read(_ s: Statement, target: Int64) throws(OTAError) -> [TargetECU] {
        var bad: String?
        let rows = try s.rows { (r) throws(OTAError) -> TargetECU in
            let outcome = r.text(7).flatMap { TargetECU.Outcome(rawValue: $0) }
            if outcome == nil { bad = r.text(7) ?? "NULL" }
            return TargetECU(position: r.int64(0), ecuID: r.int64(1), node: r.text(2) ?? "", slot: r.int64(3),
                             hw: r.text(4) ?? "", fromSW: r.text(5) ?? "", toSW: r.text(6) ?? "",
                             outcome: outcome ?? .pending)
        }
        if let bad { throw .corrupt("target \(target): an ECU has the unknown outcome '\(bad)' in the store") }
        return rows
    }

    public static func setOutcome(_ db: SQLiteConnection, target: Int64, _ e: TargetECU) throws(OTAError) {
        try db.prepare("UPDATE target_ecus SET outcome = ? WHERE target_id = ? AND position = ? AND node = ? AND slot = ?")
            .bind(1, e.outcome.rawValue).bind(2, target).bind(3, e.position).bind(4, e.node).bind(5, e.slot).run()
    }
}
