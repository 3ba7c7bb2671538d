import OTACore

/// Status ingestion (design/campaigns.md §6): `ota_status_ingest` and `_batch`. Every report
/// is kept as received in `status_reports` with what became of it (up to the per-target
/// quota), in one write transaction per call, with the counters flushed once and one audit
/// entry ("status.ingest", the counts as detail) per call, not per report.
///
/// Durability: with `durable` (the default of a handle), the transaction commits with
/// `PRAGMA synchronous = FULL`, so that when the call returns the reports are on disk (the
/// WAL is synced at the commit). Without it the store's own setting applies (NORMAL in WAL:
/// a process crash loses nothing, a power loss may lose the last transactions).
public enum StatusIngest {
    /// The most reports one batch may hold.
    public static let maxBatch = 100_000

    public static func ingest(_ db: SQLiteConnection, actor: String, now: Int64, topic: String,
                              report: UnsafeRawBufferPointer, durable: Bool = true) throws(OTAError) -> IngestResult {
        try ingest(db, actor: actor, now: now, topic: topic, report: report, durable: durable) {
            (r: IngestResult) throws(OTAError) -> IngestResult in r
        }
    }

    /// `ingest`, with `deliver` run on the result before the commit: what it allocates for
    /// the caller is there before anything is on disk, so a failure of it (out of memory)
    /// rolls the ingestion back instead of failing a call whose work was committed.
    public static func ingest<R>(_ db: SQLiteConnection, actor: String, now: Int64, topic: String,
                                 report: UnsafeRawBufferPointer, durable: Bool = true,
                                 deliver: (IngestResult) throws(OTAError) -> R) throws(OTAError) -> R {
        try durably(db, durable) { () throws(OTAError) -> R in
            try db.write { () throws(OTAError) -> R in
                try Roles.require(db, actor: actor, anyOf: [.gateway], for: "status ingestion")
                let session = IngestSession(db: db, actor: actor, now: now)
                let result = try session.ingest(topic: topic, report: report)
                try finish(session)
                return try deliver(result)
            }
        }
    }

    /// A CBOR array of `[topic, report-bytes]`; one result per element, in order. The
    /// array itself must be well-formed CBOR (else `.badInput`, nothing kept); an element
    /// that is not `[text, bytes]` is kept (its encoded bytes, topic "") as malformed.
    public static func ingestBatch(_ db: SQLiteConnection, actor: String, now: Int64,
                                   batch: UnsafeRawBufferPointer, durable: Bool = true) throws(OTAError) -> [IngestResult] {
        try ingestBatch(db, actor: actor, now: now, batch: batch, durable: durable) {
            (r: [IngestResult]) throws(OTAError) -> [IngestResult] in r
        }
    }

    /// `ingestBatch`, with `deliver` run on the results before the commit (as for `ingest`).
    public static func ingestBatch<R>(_ db: SQLiteConnection, actor: String, now: Int64,
                                      batch: UnsafeRawBufferPointer, durable: Bool = true,
                                      deliver: ([IngestResult]) throws(OTAError) -> R) throws(OTAError) -> R {
        try durably(db, durable) { () throws(OTAError) -> R in
            try db.write { () throws(OTAError) -> R in
                try Roles.require(db, actor: actor, anyOf: [.gateway], for: "status ingestion")
                let session = IngestSession(db: db, actor: actor, now: now)
                var results: [IngestResult] = []
                try StatusBatch.forEach(batch) { (topic, report) throws(OTAError) in
                    results.append(try session.ingest(topic: topic, report: report))
                }
                try finish(session)
                return try deliver(results)
            }
        }
    }

    /// The results of a batch as its CBOR array.
    public static func encode(_ results: [IngestResult]) -> [UInt8] {
        var w = CBORWriter(capacity: 32 * results.count + 8)
        w.arrayHeader(results.count)
        for r in results { r.write(to: &w) }
        return w.bytes
    }

    private static func finish(_ session: IngestSession) throws(OTAError) {
        try session.finish()
        try Audit.append(session.db, at: session.now, actor: session.actor, action: "status.ingest",
                         subject: "", detail: session.tally.encoded)
    }

    /// Runs `body` with a synchronous commit unless the caller opted out (or the caller's own
    /// transaction is open: then its commit decides).
    static func durably<T>(_ db: SQLiteConnection, _ durable: Bool,
                           _ body: () throws(OTAError) -> T) throws(OTAError) -> T {
        guard durable, !db.inTransaction else { return try body() }
        let before = try db.scalar("PRAGMA synchronous") ?? 2
        guard before < 2 else { return try body() }
        try db.exec("PRAGMA synchronous = FULL")
        defer { try? db.exec("PRAGMA synchronous = \(before)") }
        return try body()
    }
}

/// Splits a batch into its elements without building a tree of the whole batch.
enum StatusBatch {
    static func forEach(_ batch: UnsafeRawBufferPointer,
                        _ body: (String?, UnsafeRawBufferPointer) throws(OTAError) -> Void) throws(OTAError) {
        var scanner: CBORScanner
        var items: CBORItems
        do throws(OTAError) {
            scanner = try CBORScanner(batch)
            items = try scanner.container(4, "status batch")
        } catch {
            throw error.prefixed("status batch")
        }
        var index = 0
        while true {
            let element: ByteRange
            do throws(OTAError) {
                guard try scanner.next(&items) else { break }
                let start = scanner.offset
                try scanner.skipItem()
                element = ByteRange(start: start, count: scanner.offset - start)
            } catch {
                throw error.prefixed("status batch element \(index)")
            }
            index += 1
            guard index <= StatusIngest.maxBatch else {
                throw .badInput("status batch: more than \(StatusIngest.maxBatch) reports")
            }
            let raw = UnsafeRawBufferPointer(rebasing: batch[element.start..<element.end])
            // Definite [text, bytes] (the usual encoding) is read in place; anything else
            // through the tree reader.
            if let (topic, report) = inPlace(raw) {
                try body(topic, report)
                continue
            }
            let decoded = try? CBORReader.decode(raw, maxDepth: 4)
            if let items = decoded?.array, items.count == 2, let topic = items[0].text, case .bytes(let report) = items[1] {
                try withBuffer(report) { (r) throws(OTAError) in try body(topic, r) }
            } else {
                try body(nil, raw)
            }
        }
        guard scanner.atEnd else {
            throw .badInput("status batch: trailing bytes after the array at byte \(scanner.offset)")
        }
    }

    /// A definite two-item array of a definite text and a definite byte string.
    static func inPlace(_ raw: UnsafeRawBufferPointer) -> (String, UnsafeRawBufferPointer)? {
        guard var s = try? CBORScanner(raw), let h = try? s.head(), h.major == 4, !h.indefinite, h.argument == 2,
              let t = try? s.head(), t.major == 3, !t.indefinite, let tr = try? s.definiteText(t),
              let b = try? s.head(), b.major == 2, !b.indefinite, b.argument <= UInt64(raw.count - s.offset),
              s.offset + Int(b.argument) == raw.count else { return nil }
        let topic = String(decoding: UnsafeRawBufferPointer(rebasing: raw[tr.start..<tr.end]), as: UTF8.self)
        return (topic, UnsafeRawBufferPointer(rebasing: raw[s.offset..<raw.count]))
    }
}
