import CSQLite
import OTACore

/// Validation's resolution kept in the store (migration 9), for approval to freeze from
/// without exporting and resolving the inventory again. Sound because of what it is
/// stamped with and what approval still checks itself:
/// - the inventory generation read in the same snapshot as the export (`InventoryGeneration`:
///   every import or verified report that changes the inventory bumps it in its own
///   transaction); approval uses the plan only while the store is at that generation;
/// - the package ids in campaign order (packages' manifests, and so their rules, never
///   change; a campaign's spec, and so its narrowing rule and regions, never changes: SQL
///   triggers of migrations 4 and 6);
/// - the test fleet and busy vehicles are not in it: approval leaves them out from the
///   tables of the moment. Package states, `after-test`, the spec's checks against `now`
///   and the wave sizes are checked again at approval too.
///
/// Encoding (CBOR): the header is [format, [* package id], [* excluded per ExclusionReason],
/// candidates, ECU entries, [* text]]; each chunk an array of candidates
/// [vehicle id, vin, market, model, variant, applying, * (package, ecu id, slot, hw, sw)]
/// with market, model, variant, hw and sw indices into the texts.
enum CampaignPlanStore {
    /// 2: requirements met by earlier packages are checked per ECU, and exclusions take the
    /// earliest reason; a plan of format 1 was resolved without that and is not reused.
    static let format: UInt64 = 2
    /// Candidates per chunk: a few megabytes of CBOR.
    static let chunkSize = 50_000

    /// Replaces the campaign's kept plan. The caller's write transaction.
    static func keep(_ db: SQLiteConnection, campaign id: Int64, inventory: Int64, packages: [Int64],
                     _ c: TargetCandidates) throws(OTAError) {
        try drop(db, campaign: id)
        var header = CBORWriter(capacity: 256 + 16 * c.strings.count)
        header.arrayHeader(6)
        header.unsigned(format)
        header.arrayHeader(packages.count)
        for p in packages { header.int(p) }
        header.arrayHeader(c.excluded.count)
        for n in c.excluded { header.int(n) }
        header.unsigned(UInt64(c.count))
        header.unsigned(UInt64(c.ecuCount))
        header.arrayHeader(c.strings.count)
        for s in c.strings { header.text(s) }
        try db.prepare("INSERT INTO campaign_plans(campaign_id, inventory, header) VALUES(?, ?, ?)")
            .bind(1, id).bind(2, inventory).bind(3, blob: header.bytes).run()

        let insert = try db.prepare("INSERT INTO campaign_plan_chunks(campaign_id, idx, candidates) VALUES(?, ?, ?)")
        var first = 0
        var chunk: Int64 = 0
        while first < c.count {
            let end = min(first + chunkSize, c.count)
            var w = CBORWriter(capacity: 64 * (end - first))
            w.arrayHeader(end - first)
            for t in first..<end {
                let from = Int(c.ecuStart[t]), to = Int(c.ecuStart[t + 1])
                w.arrayHeader(6 + 5 * (to - from))
                w.int(c.vehicleID[t])
                w.text(c.vin[t])
                w.unsigned(UInt64(c.market[t]))
                w.unsigned(UInt64(c.model[t]))
                w.unsigned(UInt64(c.variant[t]))
                w.unsigned(UInt64(c.applying[t]))
                for e in from..<to {
                    w.unsigned(UInt64(c.ecuPackage[e]))
                    w.int(c.ecuID[e])
                    w.int(c.ecuSlot[e])
                    w.unsigned(UInt64(c.ecuHW[e]))
                    w.unsigned(UInt64(c.ecuSW[e]))
                }
            }
            insert.bind(1, id).bind(2, chunk)
            w.withBytes { b in
                _ = sqlite3_bind_blob(insert.raw, 3, UnsafeRawPointer(b.baseAddress) ?? UnsafeRawPointer(bitPattern: 1),
                                      Int32(truncatingIfNeeded: b.count), ota_sqlite_transient())
            }
            try insert.run()
            chunk += 1
            first = end
        }
    }

    static func drop(_ db: SQLiteConnection, campaign id: Int64) throws(OTAError) {
        try db.prepare("DELETE FROM campaign_plan_chunks WHERE campaign_id = ?").bind(1, id).run()
        try db.prepare("DELETE FROM campaign_plans WHERE campaign_id = ?").bind(1, id).run()
    }

    /// The kept plan if it was resolved at generation `inventory` for `packages`; nil when
    /// there is none or it is stale. A plan that does not read is `.corrupt`.
    static func load(_ db: SQLiteConnection, campaign id: Int64, inventory: Int64,
                     packages: [Int64]) throws(OTAError) -> TargetCandidates? {
        let s = try db.prepare("SELECT inventory, header FROM campaign_plans WHERE campaign_id = ?").bind(1, id)
        var found: (inventory: Int64, header: [UInt8])?
        try s.forEachRow { (r) throws(OTAError) -> Bool in
            found = (r.int64(0), r.blob(1) ?? [])
            return false
        }
        guard let found, found.inventory == inventory else { return nil }
        var c = TargetCandidates()
        let reader = PlanReader(campaign: id)
        let counts = try withBuffer(found.header) { (raw) throws(OTAError) -> (Int, Int)? in
            try reader.header(raw, packages: packages, into: &c)
        }
        guard let (candidates, entries) = counts else { return nil }
        c.vehicleID.reserveCapacity(candidates)
        c.ecuID.reserveCapacity(entries)
        var next: Int64 = 0
        try db.prepare("SELECT idx, candidates FROM campaign_plan_chunks WHERE campaign_id = ? ORDER BY idx")
            .bind(1, id).forEachRow { (r) throws(OTAError) -> Bool in
                guard r.int64(0) == next else { throw reader.corrupt("chunk \(next) is missing") }
                next += 1
                let n = Int(sqlite3_column_bytes(r.raw, 1))
                guard let p = sqlite3_column_blob(r.raw, 1) else { throw reader.corrupt("chunk \(next - 1) is empty") }
                try reader.chunk(UnsafeRawBufferPointer(start: p, count: n), packages: packages.count, into: &c)
                return true
            }
        guard c.count == candidates, c.ecuCount == entries else {
            throw reader.corrupt("it holds \(c.count) candidates and \(c.ecuCount) ECU entries, not the \(candidates) and \(entries) of its header")
        }
        return c
    }
}

/// Reads a kept plan, checking every value before it is used.
private struct PlanReader {
    let campaign: Int64

    func corrupt(_ problem: String) -> OTAError {
        .corrupt("campaign \(campaign): the plan kept by validation (campaign_plans) does not read: \(problem); validate the campaign again to replace it")
    }

    /// The header's counts, or nil when the plan is of another format or other packages.
    func header(_ raw: UnsafeRawBufferPointer, packages: [Int64],
                into c: inout TargetCandidates) throws(OTAError) -> (Int, Int)? {
        do throws(OTAError) {
            var s = try CBORScanner(raw)
            try array(&s, count: 6)
            guard try uint(&s) == CampaignPlanStore.format else { return nil }
            let n = try array(&s)
            var ids: [Int64] = []
            for _ in 0..<n { ids.append(try int64(&s)) }
            guard ids == packages, try array(&s) == ExclusionReason.all.count else { return nil }
            for r in 0..<ExclusionReason.all.count { c.excluded[r] = try int64(&s) }
            let candidates = try int64(&s), entries = try int64(&s)
            let strings = try array(&s)
            for _ in 0..<strings { c.strings.append(try text(&s)) }
            guard s.atEnd else { throw corrupt("bytes follow the header") }
            return (Int(candidates), Int(entries))
        } catch where error.code == .badInput {
            throw corrupt("header: \(error.message)")
        }
    }

    func chunk(_ raw: UnsafeRawBufferPointer, packages: Int, into c: inout TargetCandidates) throws(OTAError) {
        do throws(OTAError) {
            var s = try CBORScanner(raw)
            let n = try array(&s)
            let strings = UInt64(c.strings.count)
            func string(_ s: inout CBORScanner) throws(OTAError) -> Int32 {
                let i = try uint(&s)
                guard i < strings else { throw corrupt("text \(i) is not in the header's \(strings)") }
                return Int32(truncatingIfNeeded: i)
            }
            for _ in 0..<n {
                let fields = try array(&s)
                guard fields >= 11, (fields - 6) % 5 == 0 else { throw corrupt("a candidate has \(fields) fields") }
                c.vehicleID.append(try int64(&s))
                c.vin.append(try text(&s))
                c.market.append(try string(&s))
                c.model.append(try string(&s))
                c.variant.append(try string(&s))
                let applying = try uint(&s)
                guard applying != 0, applying >> UInt64(packages) == 0 else {
                    throw corrupt("a candidate's packages (\(applying)) are not among the campaign's \(packages)")
                }
                c.applying.append(UInt32(truncatingIfNeeded: applying))
                var last: UInt64 = 0
                for _ in 0..<(fields - 6) / 5 {
                    let p = try uint(&s)
                    guard p < UInt64(packages), applying & (1 << p) != 0, p >= last else {
                        throw corrupt("an ECU entry's package \(p) does not apply to its candidate")
                    }
                    last = p
                    c.ecuPackage.append(UInt8(truncatingIfNeeded: p))
                    c.ecuID.append(try int64(&s))
                    c.ecuSlot.append(try int64(&s))
                    c.ecuHW.append(try string(&s))
                    c.ecuSW.append(try string(&s))
                }
                c.ecuStart.append(Int32(truncatingIfNeeded: c.ecuID.count))
            }
            guard s.atEnd else { throw corrupt("bytes follow a chunk's candidates") }
        } catch where error.code == .badInput {
            throw corrupt(error.message)
        }
    }

    @discardableResult
    func array(_ s: inout CBORScanner, count: Int? = nil) throws(OTAError) -> Int {
        let h = try s.head()
        guard h.major == 4, !h.indefinite else { throw corrupt("a \(h.typeName) at byte \(h.offset) where an array belongs") }
        let items = try s.items(of: h)
        if let count, items.remaining != UInt64(count) {
            throw corrupt("an array of \(items.remaining) items at byte \(h.offset), not \(count)")
        }
        return Int(items.remaining)
    }

    func uint(_ s: inout CBORScanner) throws(OTAError) -> UInt64 {
        let h = try s.head()
        guard h.major == 0 else { throw corrupt("a \(h.typeName) at byte \(h.offset) where an unsigned integer belongs") }
        return h.argument
    }

    func int64(_ s: inout CBORScanner) throws(OTAError) -> Int64 {
        let n = try uint(&s)
        guard n <= UInt64(Int64.max) else { throw corrupt("\(n) is out of range") }
        return Int64(n)
    }

    func text(_ s: inout CBORScanner) throws(OTAError) -> String {
        let h = try s.head()
        guard h.major == 3, !h.indefinite else { throw corrupt("a \(h.typeName) at byte \(h.offset) where text belongs") }
        let r = try s.definiteText(h)
        return String(decoding: UnsafeBufferPointer(start: s.base + r.start, count: r.count), as: UTF8.self)
    }
}
