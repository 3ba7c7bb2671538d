import OTACore

/// One entry of the audit trail as stored.
public struct AuditEntry: Equatable {
    public var seq: Int64
    public var at: Int64
    public var actor: String
    public var action: String
    public var subject: String
    public var detail: [UInt8]?
    public var hash: [UInt8]

    /// The bytes that are hashed together with the previous entry's hash.
    static func content(seq: Int64, at: Int64, actor: String, action: String, subject: String,
                        detail: [UInt8]?) -> [UInt8] {
        var w = CBORWriter()
        w.arrayHeader(6)
        w.int(seq)
        w.int(at)
        w.text(actor)
        w.text(action)
        w.text(subject)
        if let detail { w.bytes(detail) } else { w.null() }
        return w.bytes
    }

    /// A CBOR array of audit-entry maps (docs/schemas/audit.cddl).
    public static func encodeList(_ entries: [AuditEntry]) -> [UInt8] {
        var list = CBORArrayBuilder()
        for e in entries {
            list.map { m in
                m.int("seq", e.seq)
                m.int("at", e.at)
                m.text("actor", e.actor)
                m.text("action", e.action)
                m.text("subject", e.subject)
                m.add("detail") { if let d = e.detail { $0.bytes(d) } else { $0.null() } }
                m.bytes("hash", e.hash)
            }
        }
        return list.encoded
    }

    static func chainHash(previous: [UInt8], content: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(previous)
        h.update(content)
        return h.finalize()
    }
}

/// The result of walking the chain.
public struct AuditVerification: Equatable {
    public var entries: Int64
    /// The hash of the last entry (32 zero bytes for an empty trail): anchor it outside the
    /// store (a log, a ticket, a signed receipt) to detect removal of the newest entries too.
    public var head: [UInt8]
    /// The first entry that does not match, or nil when the chain is intact.
    public var firstBad: Int64?
    public var problem: String?
}

/// The tamper-evident trail: entry n stores SHA-256(hash of entry n-1 || content of n).
/// Editing, deleting or reordering any entry breaks every hash after it; the head, kept in
/// `meta` and returned to the host, also reveals a removed tail.
public enum Audit {
    static let genesis = [UInt8](repeating: 0, count: SHA256.byteCount)

    /// Appends an entry; call inside the transaction that makes the change it records (a
    /// nested `write` is a savepoint: the entry goes if the caller's transaction rolls back).
    @discardableResult
    public static func append(_ db: SQLiteConnection, at: Int64, actor: String, action: String,
                              subject: String = "", detail: [UInt8]? = nil) throws(OTAError) -> AuditEntry {
        try db.write { () throws(OTAError) -> AuditEntry in
            let last = try head(db)
            let seq = last.seq + 1
            let content = AuditEntry.content(seq: seq, at: at, actor: actor, action: action,
                                             subject: subject, detail: detail)
            let hash = AuditEntry.chainHash(previous: last.hash, content: content)
            try db.prepare("INSERT INTO audit(seq, at, actor, action, subject, detail, hash) VALUES(?,?,?,?,?,?,?)")
                .bind(1, seq).bind(2, at).bind(3, actor).bind(4, action).bind(5, subject)
                .bind(6, blob: detail).bind(7, blob: hash).run()
            // The recorded head reveals a removed tail (see verify).
            try db.prepare("INSERT INTO meta(key, value) VALUES('audit_head_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                .bind(1, seq).run()
            return AuditEntry(seq: seq, at: at, actor: actor, action: action, subject: subject,
                              detail: detail, hash: hash)
        }
    }

    /// The newest entry's seq and hash (0 and zeros for an empty trail). `.corrupt` naming
    /// the entry when its stored hash is not 32 bytes: callers copy it into fixed buffers and
    /// chain new entries from it.
    public static func head(_ db: SQLiteConnection) throws(OTAError) -> (seq: Int64, hash: [UInt8]) {
        let row = try db.prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
            .firstRow { ($0.int64(0), $0.blob(1)) }
        guard let (seq, hash) = row else { return (0, genesis) }
        // The next entry is seq + 1: a stored seq that leaves no room is damage, not a trap.
        guard seq > 0, seq < Int64.max else {
            throw .corrupt("audit entry \(seq) has a sequence number no libota writes (1, 2, 3, ...)")
        }
        guard let hash, hash.count == SHA256.byteCount else {
            throw .corrupt("audit entry \(seq) has a stored hash of \(hash.map { "\($0.count) bytes" } ?? "NULL"), expected \(SHA256.byteCount) bytes")
        }
        return (seq, hash)
    }

    /// Entries with `seq > after`, oldest first, at most `limit`. One statement: one snapshot
    /// by itself, so no read transaction is needed.
    public static func entries(_ db: SQLiteConnection, after: Int64 = 0,
                               limit: Int64 = Int64.max) throws(OTAError) -> [AuditEntry] {
        try db.prepare("SELECT seq, at, actor, action, subject, detail, hash FROM audit WHERE seq > ? ORDER BY seq LIMIT ?")
            .bind(1, after).bind(2, limit)
            .rows { s in
                AuditEntry(seq: s.int64(0), at: s.int64(1), actor: s.text(2) ?? "",
                           action: s.text(3) ?? "", subject: s.text(4) ?? "",
                           detail: s.blob(5), hash: s.blob(6) ?? [])
            }
    }

    /// Walks the whole chain in `seq` order and reports the first entry that does not match.
    /// The walk and the recorded head are read in one read transaction: a writer on another
    /// connection commits entry and head together, so it is seen entirely or not at all.
    public static func verify(_ db: SQLiteConnection) throws(OTAError) -> AuditVerification {
        try db.read { () throws(OTAError) -> AuditVerification in
            var previous = genesis
            var expectedSeq: Int64 = 1
            var count: Int64 = 0
            var failure: (seq: Int64, problem: String)?
            try db.prepare("SELECT seq, at, actor, action, subject, detail, hash FROM audit ORDER BY rowid")
                .forEachRow { s in
                    let seq = s.int64(0)
                    if seq != expectedSeq {
                        failure = seq > expectedSeq
                            ? (expectedSeq, "audit entry \(expectedSeq) is missing (next stored entry is \(seq))")
                            : (seq, "audit entry \(seq) is out of order (expected \(expectedSeq))")
                        return false
                    }
                    let content = AuditEntry.content(seq: seq, at: s.int64(1), actor: s.text(2) ?? "",
                                                     action: s.text(3) ?? "", subject: s.text(4) ?? "",
                                                     detail: s.blob(5))
                    let hash = AuditEntry.chainHash(previous: previous, content: content)
                    guard hash == (s.blob(6) ?? []) else {
                        failure = (seq, "audit entry \(seq) does not match its hash: it was edited, or an entry before it was removed or replaced")
                        return false
                    }
                    previous = hash
                    count += 1
                    expectedSeq += 1
                    return true
                }
            if let failure {
                return AuditVerification(entries: count, head: previous, firstBad: failure.seq,
                                         problem: failure.problem)
            }
            // The head kept in meta reveals a removed tail (unless it was rewritten as well).
            let recorded = try db.prepare("SELECT value, typeof(value) FROM meta WHERE key = 'audit_head_seq'")
                .firstRow { ($0.int64(0), $0.text(1) ?? "") }
            let headSeq: Int64
            switch recorded {
            case nil: headSeq = 0
            case let (value, type)? where type == "integer": headSeq = value
            case let (_, type)?:
                return AuditVerification(entries: count, head: previous, firstBad: count + 1,
                                         problem: "the recorded audit head (meta 'audit_head_seq') is a \(type), not an integer: it was rewritten")
            }
            if headSeq != count {
                return AuditVerification(entries: count, head: previous, firstBad: count + 1,
                                         problem: "the audit trail ends at entry \(count) but entry \(headSeq) was recorded: entries were removed")
            }
            return AuditVerification(entries: count, head: previous, firstBad: nil, problem: nil)
        }
    }
}
