import OTACore

/// One ingestion transaction: reports are applied one after another, counters are collected
/// per campaign and flushed once at the end, the campaigns' specs are read once.
final class IngestSession {
    let db: SQLiteConnection
    let actor: String
    let now: Int64
    private var counters: [Int64: CampaignCounters] = [:]
    private var campaigns: [Int64: IngestCampaign?] = [:]
    /// Today's count of kept unattributed reports, once one came; written at `finish`.
    private var unattributed: UnattributedQuota?
    private(set) var tally = IngestTally()

    /// The target's columns (`Targets.columns`, as `t.`), then the vehicle's id and key.
    static let lookupSQL: String = {
        var cols = ""
        for c in Targets.columns.split(separator: ",") {
            var name = Substring(c)
            while name.first == " " || name.first == "\n" { name = name.dropFirst() }
            cols += (cols.isEmpty ? "" : ", ") + "t." + name
        }
        return """
            SELECT \(cols), v.id, k.public_key FROM vehicles v
            LEFT JOIN vehicle_keys k ON k.vehicle_id = v.id
            LEFT JOIN targets t ON t.campaign_id = ? AND t.vehicle_id = v.id
            WHERE v.vin = ?
            """
    }()
    static let vehicleColumn: Int32 = Targets.columnCount
    static let keyColumn: Int32 = Targets.columnCount + 1

    init(db: SQLiteConnection, actor: String, now: Int64) {
        self.db = db
        self.actor = actor
        self.now = now
    }

    /// Applies one report (`topic` nil: the batch element was not [topic, bytes]).
    func ingest(topic: String?, report bytes: UnsafeRawBufferPointer) throws(OTAError) -> IngestResult {
        let result = try apply(topic: topic, bytes)
        tally.count(result)
        return result
    }

    private func apply(topic: String?, _ bytes: UnsafeRawBufferPointer) throws(OTAError) -> IngestResult {
        // Read the report; what cannot be read is kept and rejected as malformed.
        let envelope: StatusEnvelope
        let report: StatusReport
        do throws(OTAError) {
            envelope = try StatusEnvelope.open(bytes)
            report = try StatusReportParser.parse(envelope.payload)
        } catch {
            return try keepUnattributed(topic, bytes, nil, nil, .rejected(.malformed, error.message))
        }
        guard let topic, let topicVIN = StatusTopic.vin(topic) else {
            return try keepUnattributed(topic, bytes, report, nil, .rejected(.malformed,
                "topic \(topic.map { "'\($0)'" } ?? "(none)") is not ota/v1/vehicles/{vin}/status"))
        }
        guard topicVIN == report.vin else {
            return try keepUnattributed(topic, bytes, report, nil, .rejected(.topic,
                "the topic names \(VIN.quoted(topicVIN)) but the report is from \(VIN.quoted(report.vin))"))
        }

        let lookup = try db.prepare(Self.lookupSQL).bind(1, report.campaign).bind(2, report.vin)
        var vehicle: Int64?
        var key: [UInt8]?
        var found: TargetRecord?
        var bad: OTAError?
        try lookup.forEachRow { (r) throws(OTAError) -> Bool in
            vehicle = r.int64(Self.vehicleColumn)
            key = r.blob(Self.keyColumn)
            if !r.isNull(0) {
                do throws(OTAError) { found = try Targets.read(r) } catch { bad = error }
            }
            return false
        }
        if let bad { throw bad }
        guard let vehicle else {
            return try keepUnattributed(topic, bytes, report, nil, .rejected(.unknownVehicle, "no vehicle \(VIN.quoted(report.vin)) in the inventory"))
        }
        let signed = key.map { envelope.verify(publicKey: $0) } ?? true
        let campaign = try self.campaign(report.campaign)

        guard var target = found else {
            if !signed { return try keepUnattributed(topic, bytes, report, nil, signatureRejection(envelope, report)) }
            guard campaign != nil else {
                return try keepUnattributed(topic, bytes, report, nil, .rejected(.unknownCampaign, "no campaign \(report.campaign)"))
            }
            return try keepUnattributed(topic, bytes, report, nil, .rejected(.notTarget,
                "\(VIN.quoted(report.vin)) is not a target of campaign \(report.campaign)"))
        }
        // A report the vehicle's key does not sign is not the vehicle's: it touches nothing of
        // the target (its quota included, which a forger would otherwise use up).
        guard signed else {
            return try keepUnattributed(topic, bytes, report, target.id,
                                        signatureRejection(envelope, report, state: target.status.state))
        }
        // The quota: reports beyond it are counted on the target, not kept.
        let old = target
        target.reports = old.reports &+ 1
        guard old.reports < StatusQuota.perTarget else {
            try save(old, target)
            tally.notKept += 1
            return .rejected(.quota, "\(VIN.quoted(report.vin)) sent more than \(StatusQuota.perTarget) reports for campaign \(report.campaign): not kept", state: old.status.state)
        }
        guard let campaign, campaign.state.takesReports(targetFinal: old.status.final) else {
            try save(old, target)
            let state = campaign?.state.rawValue ?? "gone"
            return try keep(topic, bytes, report, old.id, .rejected(.campaignState,
                "campaign \(report.campaign) is \(state): reports count only while it is running or paused, "
                + "or, once aborted, for a target that was installing until it is final", state: old.status.state))
        }
        if report.seq == old.reportSeq {
            try save(old, target)
            return try keep(topic, bytes, report, old.id, IngestResult(.duplicate, state: old.status.state))
        }
        if report.seq < old.reportSeq {
            try save(old, target)
            return try keep(topic, bytes, report, old.id, IngestResult(.stale,
                detail: "seq \(report.seq) is older than the applied \(old.reportSeq)", state: old.status.state))
        }
        let spec = TargetPolicy.spec(try campaign.spec(), in: campaign.state)
        let decision = try ReportTransition.decide(target, report, spec: spec, now: now) { () throws(OTAError) in
            try TargetECUs.load(db, target: old.id)
        }
        switch decision {
        case .reject(let result):
            try save(old, target)
            return try keep(topic, bytes, report, old.id, result)
        case .move(let t):
            var new = t.target
            new.reports = target.reports
            for e in t.ecus { try TargetECUs.setOutcome(db, target: old.id, e) }
            if !t.inventory.isEmpty {
                try ReportedInventory.write(db, vehicle: vehicle, campaign: report.campaign, now: now, ecus: t.inventory)
            }
            try save(old, new)
            return try keep(topic, bytes, report, old.id, IngestResult(.applied, state: new.status.state))
        }
    }

    private func signatureRejection(_ envelope: StatusEnvelope, _ report: StatusReport,
                                    state: TargetState? = nil) -> IngestResult {
        .rejected(.signature, envelope.isSigned
            ? "the COSE_Sign1 does not verify with the key of \(VIN.quoted(report.vin))"
            : "\(VIN.quoted(report.vin)) has a key: its reports must be a COSE_Sign1 by it", state: state)
    }

    private func save(_ old: TargetRecord, _ new: TargetRecord) throws(OTAError) {
        var c = counters[new.campaign] ?? CampaignCounters(campaign: new.campaign)
        try Targets.save(db, old: old, new: new, now: now, counters: &c)
        counters[new.campaign] = c
        // A target whose outcome is settled needs no offer any more: clear the retained one.
        if new.status.final && !old.status.final { try Outbox.clear(db, target: new, now: now) }
    }

    /// Keeps a report no target answers for (unreadable, for no known target, or not signed
    /// by the vehicle's key) within the store's bound on them: at most
    /// `StatusQuota.unattributedPerDay` on the UTC day of `now`, none larger than a report can
    /// be. Beyond it the result is the same, counted and not kept.
    private func keepUnattributed(_ topic: String?, _ bytes: UnsafeRawBufferPointer, _ report: StatusReport?,
                                  _ target: Int64?, _ result: IngestResult) throws(OTAError) -> IngestResult {
        var day: UnattributedQuota
        if let u = unattributed { day = u } else { day = try UnattributedQuota.load(db, now: now) }
        defer { unattributed = day }
        let why: String
        if bytes.count > StatusReportParser.maxBytes + 256 {
            why = "\(bytes.count) bytes, more than any report"
        } else if day.kept >= Int64(StatusQuota.unattributedPerDay) {
            why = "more than \(StatusQuota.unattributedPerDay) reports that reach no target on this day"
        } else {
            day.kept += 1
            return try keep(topic, bytes, report, target, result)
        }
        tally.notKept += 1
        var r = result
        r.detail = (r.detail.map { $0 + "; " } ?? "") + "not kept: " + why
        return r
    }

    /// Keeps the report as received, with what became of it.
    private func keep(_ topic: String?, _ bytes: UnsafeRawBufferPointer, _ report: StatusReport?, _ target: Int64?,
                      _ result: IngestResult) throws(OTAError) -> IngestResult {
        try db.prepare("""
            INSERT INTO status_reports(received_at, actor, topic, report, campaign_id, target_id, seq, result, reason)
            VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
            .bind(1, now).bind(2, actor).bind(3, topic ?? "").bind(4, rawBlob: bytes).bind(5, report?.campaign)
            .bind(6, target).bind(7, report?.seq).bind(8, result.outcome.rawValue).bind(9, result.reason?.rawValue)
            .run()
        return result
    }

    private func campaign(_ id: Int64) throws(OTAError) -> IngestCampaign? {
        if let cached = campaigns[id] { return cached }
        let c = try IngestCampaign.load(db, id: id)
        campaigns[id] = c
        return c
    }

    /// Writes the counters of every campaign touched (in id order), and today's count of
    /// kept unattributed reports.
    func finish() throws(OTAError) {
        for id in counters.keys.sorted() {
            guard var c = counters[id] else { continue }
            try c.flush(db)
        }
        counters.removeAll()
        try unattributed?.save(db)
        unattributed = nil
    }
}

/// A campaign as ingestion needs it; its spec is parsed when a report first needs it.
final class IngestCampaign {
    let id: Int64
    let state: CampaignState
    private let specBytes: [UInt8]
    private var parsed: CampaignSpec?

    init(id: Int64, state: CampaignState, specBytes: [UInt8]) {
        self.id = id
        self.state = state
        self.specBytes = specBytes
    }

    static func load(_ db: SQLiteConnection, id: Int64) throws(OTAError) -> IngestCampaign? {
        // The working spec (without the rule, which ingestion never reads) when approval
        // kept one: a rule may list a million VINs.
        let s = try db.prepare("SELECT state, coalesce(working_spec, spec) FROM campaigns WHERE id = ?").bind(1, id)
        guard let row = try s.firstRow({ r in (r.text(0), r.blob(1)) }) else { return nil }
        guard let text = row.0, let state = CampaignState(rawValue: text) else {
            throw .corrupt("campaign \(id): unknown state '\(row.0 ?? "NULL")' in the store")
        }
        return IngestCampaign(id: id, state: state, specBytes: row.1 ?? [])
    }

    func spec() throws(OTAError) -> CampaignSpec {
        if let parsed { return parsed }
        do throws(OTAError) {
            let s = try StoredCampaignSpec.decode(specBytes)
            parsed = s
            return s
        } catch {
            throw OTAError(.corrupt, "campaign \(id): its stored spec cannot be read: \(error.message)")
        }
    }
}

/// Counts of one ingestion call, for its audit entry.
struct IngestTally {
    var reports: Int64 = 0
    var applied: Int64 = 0
    var duplicate: Int64 = 0
    var stale: Int64 = 0
    var rejected: Int64 = 0
    /// Rejected for the quota: counted, not kept.
    var notKept: Int64 = 0

    mutating func count(_ r: IngestResult) {
        reports += 1
        switch r.outcome {
        case .applied: applied += 1
        case .duplicate: duplicate += 1
        case .stale: stale += 1
        case .rejected: rejected += 1
        }
    }

    var encoded: [UInt8] {
        var m = CBORMapBuilder()
        m.int("reports", reports)
        m.int("applied", applied)
        m.int("duplicate", duplicate)
        m.int("stale", stale)
        m.int("rejected", rejected)
        m.int("not-kept", notKept)
        return m.encoded
    }
}

/// How many reports that reach no target were kept on one UTC day (`meta`
/// 'unattributed_day' and 'unattributed_kept'); a new day starts again from zero.
struct UnattributedQuota {
    var day: Int64
    var kept: Int64

    static func load(_ db: SQLiteConnection, now: Int64) throws(OTAError) -> UnattributedQuota {
        let day = UnixTime.floorDiv(now, 86_400)
        let stored = try db.prepare("""
            SELECT d.value, k.value FROM meta d, meta k WHERE d.key = 'unattributed_day' AND k.key = 'unattributed_kept'
            """).firstRow { r in (day: r.int64(0), kept: r.int64(1)) }
        guard let stored, stored.day == day, stored.kept >= 0 else { return UnattributedQuota(day: day, kept: 0) }
        return UnattributedQuota(day: day, kept: stored.kept)
    }

    func save(_ db: SQLiteConnection) throws(OTAError) {
        let put = try db.prepare("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        try put.bind(1, "unattributed_day").bind(2, day).run()
        try put.bind(1, "unattributed_kept").bind(2, kept).run()
    }
}
