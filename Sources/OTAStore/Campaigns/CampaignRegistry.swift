import OTACore

/// A campaign's row as the lifecycle needs it.
public struct CampaignRecord: Equatable {
    public var id: Int64
    public var name: String
    public var state: CampaignState
    public var author: String
    public var createdAt: Int64
    public var approvedBy: String?
    public var seed: UInt64
    public var targets: Int64
    /// Canonical CBOR of the spec (docs/schemas/campaign.cddl).
    public var specBytes: [UInt8]
    public var spec: CampaignSpec
}

/// Campaign management in the store: creation, validation, approval (freezing the targets),
/// queries. Every change runs in one transaction with its audit entry; every state change goes
/// through `CampaignLifecycle` and `Campaigns.move`.
public enum Campaigns {
    public static var createRoles: [Role] { [.campaignManager] }
    public static var approveRoles: [Role] { [.approver] }

    /// Stores a spec as a new draft campaign (role campaign-manager) and returns its id.
    /// Refused: an invalid spec (`.badInput` listing every problem), a package id that does not
    /// exist (`.notFound`). Whether the packages are approved, the waves add up etc. is
    /// validation's business: a draft may still be wrong.
    public static func create(_ db: SQLiteConnection, actor: String, now: Int64,
                              spec bytes: UnsafeRawBufferPointer) throws(OTAError) -> Int64 {
        try db.write { () throws(OTAError) -> Int64 in
            try Roles.require(db, actor: actor, anyOf: createRoles, for: "creating a campaign")
            let spec = try CampaignSpecParser.parse(bytes)
            for (i, p) in spec.packages.enumerated() {
                let exists = try db.prepare("SELECT 1 FROM packages WHERE id = ?").bind(1, p).firstRow { _ in true } ?? false
                if !exists { throw .notFound("campaign spec: packages[\(i)]: no package with id \(p)") }
            }
            // The id is known before the insert, so that the default seed can be derived from
            // it (a campaign's seed never changes once stored).
            let id = (try db.scalar("SELECT coalesce(max(id), 0) + 1 FROM campaigns")) ?? 1
            let seed = spec.seed ?? SpreadOrder.defaultSeed(campaign: id)
            try db.prepare("""
                INSERT INTO campaigns(id, name, category, priority, spec, state, author, created_at, seed,
                                      test, start_at, end_at)
                VALUES(?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?)
                """)
                .bind(1, id).bind(2, spec.name).bind(3, spec.category.rawValue).bind(4, Int64(spec.priority))
                .bind(5, blob: spec.canonical).bind(6, actor).bind(7, now).bind(8, Int64(bitPattern: seed))
                .bind(9, Int64(spec.test ? 1 : 0)).bind(10, optional: spec.start).bind(11, spec.end).run()
            let insert = try db.prepare("INSERT INTO campaign_packages(campaign_id, position, package_id) VALUES(?, ?, ?)")
            for (i, p) in spec.packages.enumerated() {
                try insert.bind(1, id).bind(2, Int64(i)).bind(3, p).run()
            }
            try appendEvent(db, campaign: id, state: .draft, actor: actor, now: now, reason: nil)
            var detail = CBORMapBuilder()
            detail.text("name", spec.name)
            detail.add("packages") { w in
                w.arrayHeader(spec.packages.count)
                for p in spec.packages { w.int(p) }
            }
            detail.unsigned("seed", seed)
            try Audit.append(db, at: now, actor: actor, action: "campaign.create",
                             subject: subject(id), detail: detail.encoded)
            return id
        }
    }

    public static func create(_ db: SQLiteConnection, actor: String, now: Int64,
                              spec bytes: [UInt8]) throws(OTAError) -> Int64 {
        try withBuffer(bytes) { (raw) throws(OTAError) in try create(db, actor: actor, now: now, spec: raw) }
    }

    public static func load(_ db: SQLiteConnection, _ id: Int64) throws(OTAError) -> CampaignRecord {
        let row = try db.prepare("""
            SELECT name, state, author, created_at, approved_by, seed, targets, spec FROM campaigns WHERE id = ?
            """)
            .bind(1, id)
            .firstRow { s in
                (s.text(0) ?? "", s.text(1) ?? "", s.text(2) ?? "", s.int64(3), s.text(4), s.int64(5), s.int64(6), s.blob(7) ?? [])
            }
        guard let (name, stateName, author, created, approvedBy, seed, targets, specBytes) = row else {
            throw .notFound("no campaign with id \(id)")
        }
        guard let state = CampaignState(rawValue: stateName) else {
            throw .corrupt("campaign \(id) has the unknown state '\(stateName)'")
        }
        let spec: CampaignSpec
        do throws(OTAError) {
            spec = try CampaignSpecParser.parse(specBytes)
        } catch {
            throw .corrupt("campaign \(id): the stored spec does not parse: \(error.message)")
        }
        return CampaignRecord(id: id, name: name, state: state, author: author, createdAt: created,
                              approvedBy: approvedBy, seed: UInt64(bitPattern: seed), targets: targets,
                              specBytes: specBytes, spec: spec)
    }

    /// The one way a campaign's state changes: checks the transition with `CampaignLifecycle`
    /// (`.conflict` naming the current state), reads the current state inside the caller's
    /// transaction, updates it, appends the event and the audit entry ("campaign.<action>",
    /// detail {from, to, ? reason} plus `detail`'s keys). Returns the new state.
    @discardableResult
    public static func move(_ db: SQLiteConnection, campaign id: Int64, _ action: CampaignAction,
                            to target: CampaignState? = nil, actor: String, now: Int64, reason: String? = nil,
                            detail extra: (inout CBORMapBuilder) -> Void = { _ in }) throws(OTAError) -> CampaignState {
        try db.write { () throws(OTAError) -> CampaignState in
            guard let name = try db.prepare("SELECT state FROM campaigns WHERE id = ?").bind(1, id).firstRow({ $0.text(0) }) else {
                throw .notFound("no campaign with id \(id)")
            }
            guard let current = name.flatMap({ CampaignState(rawValue: $0) }) else {
                throw .corrupt("campaign \(id) has the unknown state '\(name ?? "NULL")'")
            }
            let next = try CampaignLifecycle.next(current, action, to: target, campaign: id)
            try db.prepare("UPDATE campaigns SET state = ? WHERE id = ?").bind(1, next.rawValue).bind(2, id).run()
            try appendEvent(db, campaign: id, state: next, actor: actor, now: now, reason: reason)
            var detail = CBORMapBuilder()
            detail.text("from", current.rawValue)
            detail.text("to", next.rawValue)
            if let reason { detail.text("reason", reason) }
            extra(&detail)
            try Audit.append(db, at: now, actor: actor, action: "campaign." + action.rawValue,
                             subject: subject(id), detail: detail.encoded)
            return next
        }
    }

    static func appendEvent(_ db: SQLiteConnection, campaign id: Int64, state: CampaignState,
                            actor: String, now: Int64, reason: String?) throws(OTAError) {
        try db.prepare("INSERT INTO campaign_events(campaign_id, state, actor, at, reason) VALUES(?, ?, ?, ?, ?)")
            .bind(1, id).bind(2, state.rawValue).bind(3, actor).bind(4, now).bind(5, reason).run()
    }

    public static func subject(_ id: Int64) -> String { "campaign:\(id)" }
}

extension Statement {
    /// An optional integer: NULL when nil.
    @discardableResult
    func bind(_ index: Int32, optional value: Int64?) -> Statement {
        if let value { return bind(index, value) }
        return bind(index, nil as String?)
    }
}
