import OTACore

/// The store's outbox (design/campaigns.md §5, docs/messages.md): every message a campaign
/// sends is written here in the transaction that decided it, and stays until the host
/// acknowledges it. Fetching does not remove anything, so a host that dies between fetch and
/// publish loses nothing (at-least-once); a vehicle's unacknowledged message is replaced
/// by a newer one for the same campaign (the vehicle needs only the latest).
public enum Outbox {
    public enum Kind: String, Sendable { case offer, reminder, cancel, clear, event }

    public static let maxFetch: Int64 = 100_000
    /// About how many bytes one fetch returns at most: an offer embeds every package's
    /// approval COSE_Sign1 (a manifest may be 1 MiB), so a count alone does not bound it.
    /// The first message is returned whatever its size, so that the outbox always drains.
    public static let maxFetchBytes: Int64 = 16 << 20
    /// The most ids one acknowledgement takes.
    public static let maxAck = 1 << 24

    /// Writes one message. For a vehicle (`vehicle` not nil), any of its messages in the same
    /// campaign that were not yet acknowledged are dropped first. Returns the new row's id.
    @discardableResult
    public static func post(_ db: SQLiteConnection, campaign: Int64, vehicle: Int64?, kind: Kind,
                            topic: String, payload: [UInt8], retain: Bool, now: Int64) throws(OTAError) -> Int64 {
        if let vehicle {
            try db.prepare("DELETE FROM outbox WHERE campaign_id = ? AND vehicle_id = ?")
                .bind(1, campaign).bind(2, vehicle).run()
        }
        try db.prepare("""
            INSERT INTO outbox(campaign_id, vehicle_id, kind, topic, payload, retain, created_at)
            VALUES(?, ?, ?, ?, ?, ?, ?)
            """)
            .bind(1, campaign).bind(2, vehicle).bind(3, kind.rawValue).bind(4, topic)
            .bind(5, blob: payload).bind(6, retain ? 1 : 0).bind(7, now).run()
        return db.lastInsertRowID
    }

    /// The empty retained message that clears a vehicle's offer on the broker, for a target
    /// that became final after it was sent something (`messageSeq` > 0). Status ingestion
    /// calls this too when a report makes a target final.
    public static func clear(_ db: SQLiteConnection, target t: TargetRecord, now: Int64) throws(OTAError) {
        guard t.messageSeq > 0 else { return }
        try post(db, campaign: t.campaign, vehicle: t.vehicleID, kind: .clear,
                 topic: MessageTopics.vehicle(vin: t.vin, campaign: t.campaign), payload: [],
                 retain: true, now: now)
    }

    /// Up to `limit` pending messages, oldest first, and about `maxFetchBytes` of them (at
    /// least one): a CBOR array of `[id, topic, payload, retain]` (docs/schemas/message.cddl
    /// `outbox-fetch`).
    public static func fetch(_ db: SQLiteConnection, limit: Int64) throws(OTAError) -> [UInt8] {
        guard limit >= 1, limit <= maxFetch else {
            throw .badInput("outbox fetch: limit \(limit) is outside 1-\(maxFetch)")
        }
        return try db.read { () throws(OTAError) -> [UInt8] in
            var a = CBORArrayBuilder()
            var bytes: Int64 = 0
            // The size is read before the payload, so the row that would pass the budget is
            // not copied at all.
            try db.prepare("""
                SELECT id, topic, payload, retain, length(CAST(topic AS BLOB)) + length(payload)
                FROM outbox ORDER BY id LIMIT ?
                """)
                .bind(1, limit)
                .forEachRow { (r) throws(OTAError) -> Bool in
                    let size = r.int64(4) + entryOverhead
                    guard a.count == 0 || bytes + size <= maxFetchBytes else { return false }
                    bytes += size
                    let id = r.int64(0)
                    let topic = r.text(1) ?? ""
                    let payload = r.blob(2) ?? []
                    let retain = r.int64(3) != 0
                    a.add { w in
                        w.arrayHeader(4)
                        w.int(id)
                        w.text(topic)
                        w.bytes(payload)
                        w.bool(retain)
                    }
                    return true
                }
            var w = CBORWriter()
            a.write(to: &w)
            return w.bytes
        }
    }

    /// An entry's CBOR beyond its topic and payload bytes, at most: the array head (1), the id
    /// (9), the topic's and the payload's heads (9 each), retain (1).
    static let entryOverhead: Int64 = 29

    /// Deletes the acknowledged messages; ids that are not (or no longer) in the outbox are
    /// ignored, so acknowledging twice is harmless. Returns how many were deleted.
    @discardableResult
    public static func ack(_ db: SQLiteConnection, ids: some Sequence<Int64>) throws(OTAError) -> Int {
        try db.write { () throws(OTAError) -> Int in
            var n = 0
            let s = try db.prepare("DELETE FROM outbox WHERE id = ?")
            for id in ids {
                try s.bind(1, id).run()
                n += db.changes
            }
            return n
        }
    }

    /// How many messages wait (for tests and tools).
    public static func pending(_ db: SQLiteConnection) throws(OTAError) -> Int64 {
        try db.scalar("SELECT count(*) FROM outbox") ?? 0
    }
}
