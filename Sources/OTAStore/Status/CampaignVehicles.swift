import OTACore

/// `ota_campaign_vehicles`: a campaign's targets as rows for operators and CSV export
/// (docs/schemas/campaign-vehicles.cddl), in frozen order, filtered and paged.
///
/// Filter (CBOR map, every key optional): `state` (a target state), `wave` (index), `market`,
/// `after` (the `ord` of the last row of the previous page), `limit` (1-10,000, default 1,000).
/// Result: `{"rows": [...], "next": ord / null}`; `next` is the `after` of the next page, null
/// on the last one.
public enum CampaignVehicles {
    public static let defaultLimit: Int64 = 1000
    public static let maxLimit: Int64 = 10_000

    public struct Filter: Equatable, Sendable {
        public var state: TargetState?
        public var wave: Int64?
        public var market: String?
        public var after: Int64?
        public var limit: Int64 = CampaignVehicles.defaultLimit
        public init() {}
    }

    static let keys = ["state", "wave", "market", "after", "limit"]

    /// An empty input is the empty filter.
    public static func parseFilter(_ bytes: UnsafeRawBufferPointer) throws(OTAError) -> Filter {
        var f = Filter()
        guard bytes.count > 0 else { return f }
        let doc: CBOR
        do throws(OTAError) { doc = try CBORReader.decode(bytes, maxDepth: 4, maxBytes: 4096) } catch {
            throw error.prefixed("vehicles filter")
        }
        var c = FieldChecks()
        guard let m = c.fields(doc, "", known: keys) else {
            throw c.problems.error("vehicles filter") ?? .badInput("vehicles filter: not a map")
        }
        f.state = m["state"].flatMap { c.choice($0, "state", TargetState.self) }
        f.wave = m["wave"].flatMap { c.count($0, "wave") }
        f.market = m["market"].flatMap { c.identifier($0, "market") }
        f.after = m["after"].flatMap { c.count($0, "after") }
        if let limit = m["limit"].flatMap({ c.count($0, "limit", min: 1) }) {
            if limit > maxLimit { c.problems.add("limit", "\(limit) is more than \(maxLimit)") } else { f.limit = limit }
        }
        if let error = c.problems.error("vehicles filter") { throw error }
        return f
    }

    public static func rows(_ db: SQLiteConnection, campaign id: Int64, filter f: Filter) throws(OTAError) -> [UInt8] {
        try db.read { () throws(OTAError) -> [UInt8] in
            guard try db.prepare("SELECT 1 FROM campaigns WHERE id = ?").bind(1, id).firstRow({ _ in true }) != nil else {
                throw .notFound("no campaign \(id)")
            }
            var sql = """
                SELECT vin, ord, market, model, variant, wave, state, final, reason, code, last_report, retries, \
                deferrals, reports FROM targets WHERE campaign_id = ?1 AND ord > ?2
                """
            if f.state != nil { sql += " AND state = ?3" }
            if f.wave != nil { sql += " AND wave = ?4" }
            if f.market != nil { sql += " AND market = ?5" }
            sql += " ORDER BY ord LIMIT ?6"
            let s = try db.prepare(sql).bind(1, id).bind(2, f.after ?? -1).bind(3, f.state?.rawValue)
                .bind(4, f.wave).bind(5, f.market).bind(6, f.limit + 1)
            var rows = CBORArrayBuilder()
            var last: Int64?
            var more = false
            try s.forEachRow { (r) throws(OTAError) -> Bool in
                guard Int64(rows.count) < f.limit else {
                    more = true
                    return false
                }
                let ord = r.int64(1)
                rows.map { m in
                    m.text("vin", r.text(0) ?? "")
                    m.int("ord", ord)
                    m.text("market", r.text(2) ?? "")
                    m.text("model", r.text(3) ?? "")
                    m.text("variant", r.text(4) ?? "")
                    m.int("wave", r.int64(5))
                    m.text("state", r.text(6) ?? "")
                    m.bool("final", r.int64(7) != 0)
                    if let reason = r.text(8) { m.text("reason", reason) }
                    if !r.isNull(9) { m.int("code", r.int64(9)) }
                    m.optionalInt("last-report", r.isNull(10) ? nil : r.int64(10))
                    m.int("retries", r.int64(11))
                    m.int("deferrals", r.int64(12))
                    m.int("reports", r.int64(13))
                }
                last = ord
                return true
            }
            var doc = CBORMapBuilder()
            doc.add("rows") { rows.write(to: &$0) }
            doc.optionalInt("next", more ? last : nil)
            return doc.encoded
        }
    }
}
