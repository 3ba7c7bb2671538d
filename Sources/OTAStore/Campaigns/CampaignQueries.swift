import OTACore

extension Campaigns {
    /// `ota_campaign_get` (design §8): {"id", "state", "spec", "author", "approved-by",
    /// "targets", "excluded", "seed", "history": [* {"state", "actor", "at", ? "reason"}]}
    /// plus "name", "category", "priority", "created", "approved-at", "packages", "next-due"
    /// and "waves": [* {"index", "targets", "opened"}] (docs/schemas/campaign-info.cddl).
    public static func info(_ db: SQLiteConnection, campaign id: Int64) throws(OTAError) -> [UInt8] {
        try db.read { () throws(OTAError) -> [UInt8] in
            let c = try load(db, id)
            let row = try db.prepare("SELECT approved_at, excluded, next_due, priority, category FROM campaigns WHERE id = ?")
                .bind(1, id)
                .firstRow { s in (s.isNull(0) ? nil : s.int64(0), s.blob(1), s.isNull(2) ? nil : s.int64(2), s.int64(3), s.text(4) ?? "") }
            guard let (approvedAt, excluded, nextDue, priority, category) = row else { throw .notFound("no campaign with id \(id)") }
            var m = CBORMapBuilder()
            m.int("id", id)
            m.text("name", c.name)
            m.text("category", category)
            m.int("priority", priority)
            m.text("state", c.state.rawValue)
            m.raw("spec", c.specBytes)
            m.text("author", c.author)
            m.int("created", c.createdAt)
            m.optionalText("approved-by", c.approvedBy)
            m.optionalInt("approved-at", approvedAt)
            m.int("targets", c.targets)
            if let excluded, !excluded.isEmpty { m.raw("excluded", excluded) } else { m.map("excluded") { _ in } }
            m.unsigned("seed", c.seed)
            m.optionalInt("next-due", nextDue)
            m.add("packages") { w in
                w.arrayHeader(c.spec.packages.count)
                for p in c.spec.packages { w.int(p) }
            }
            let waves = try db.prepare("SELECT idx, targets, opened FROM campaign_waves WHERE campaign_id = ? ORDER BY idx")
                .bind(1, id).rows { s in (s.int64(0), s.int64(1), s.isNull(2) ? nil : s.int64(2)) }
            m.array("waves") { a in
                for (index, targets, opened) in waves {
                    a.map { w in
                        w.int("index", index)
                        w.int("targets", targets)
                        w.optionalInt("opened", opened)
                    }
                }
            }
            let history = try db.prepare("SELECT state, actor, at, reason FROM campaign_events WHERE campaign_id = ? ORDER BY id")
                .bind(1, id).rows { s in (s.text(0) ?? "", s.text(1) ?? "", s.int64(2), s.text(3)) }
            m.array("history") { a in
                for (state, actor, at, reason) in history {
                    a.map { e in
                        e.text("state", state)
                        e.text("actor", actor)
                        e.int("at", at)
                        if let reason { e.text("reason", reason) }
                    }
                }
            }
            return m.encoded
        }
    }

    /// A filter of `ota_campaign_list`: an optional map with "state" and "category".
    public struct ListFilter: Equatable {
        public var state: CampaignState?
        public var category: CampaignSpec.Category?
        public init() {}

        public static func parse(_ bytes: UnsafeRawBufferPointer) throws(OTAError) -> ListFilter {
            var f = ListFilter()
            guard bytes.count > 0 else { return f }
            let doc: CBOR
            do throws(OTAError) { doc = try CBORReader.decode(bytes) } catch { throw error.prefixed("campaign filter") }
            var c = FieldChecks()
            if let m = c.fields(doc, "", known: ["state", "category"]) {
                f.state = m["state"].flatMap { c.choice($0, "state", CampaignState.self) }
                f.category = m["category"].flatMap { c.choice($0, "category", CampaignSpec.Category.self) }
            }
            if let error = c.problems.error("campaign filter") { throw error }
            return f
        }
    }

    /// `ota_campaign_list`: [* {"id", "name", "category", "state", "targets", "succeeded",
    /// "failed", "progress", "next-due"}] by id; "progress" is the percentage of targets whose
    /// outcome is final (two decimals, computed in integers).
    public static func list(_ db: SQLiteConnection, filter: ListFilter) throws(OTAError) -> [UInt8] {
        try db.read { () throws(OTAError) -> [UInt8] in
            let s = try db.prepare("""
                SELECT c.id, c.name, c.category, c.state, c.targets, c.next_due,
                  coalesce((SELECT n FROM campaign_counts WHERE campaign_id = c.id AND dim = 'state' AND key = '' AND sub = 'succeeded'), 0),
                  coalesce((SELECT n FROM campaign_counts WHERE campaign_id = c.id AND dim = 'state' AND key = '' AND sub = 'failed'), 0),
                  coalesce((SELECT n FROM campaign_counts WHERE campaign_id = c.id AND dim = 'final' AND key = '' AND sub = ''), 0)
                FROM campaigns c WHERE (?1 IS NULL OR c.state = ?1) AND (?2 IS NULL OR c.category = ?2) ORDER BY c.id
                """)
                .bind(1, filter.state?.rawValue).bind(2, filter.category?.rawValue)
            var a = CBORArrayBuilder()
            try s.forEachRow { (r) throws(OTAError) -> Bool in
                let id = r.int64(0)
                let targets = try StoredCount.check(r.int64(4), "campaign \(id): targets")
                let succeeded = try StoredCount.check(r.int64(6), "campaign \(id): counter ('state', '', 'succeeded')")
                let failed = try StoredCount.check(r.int64(7), "campaign \(id): counter ('state', '', 'failed')")
                let final = try StoredCount.check(r.int64(8), "campaign \(id): counter ('final', '', '')")
                a.map { m in
                    m.int("id", id)
                    m.text("name", r.text(1) ?? "")
                    m.text("category", r.text(2) ?? "")
                    m.text("state", r.text(3) ?? "")
                    m.int("targets", targets)
                    m.int("succeeded", succeeded)
                    m.int("failed", failed)
                    let bp = targets > 0 ? Int(min(final, targets) * 10_000 / targets) : 0
                    m.add("progress") { $0.hundredths(bp) }
                    m.optionalInt("next-due", r.isNull(5) ? nil : r.int64(5))
                }
                return true
            }
            return a.encoded
        }
    }
}
