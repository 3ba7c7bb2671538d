import OTACore

/// Builds, signs and posts a campaign's messages (design/campaigns.md §5): offers, reminders
/// and cancels to vehicles, events to the campaign's events topic. Every message is a
/// COSE_Sign1 by the handle's signer, written to the outbox in the caller's transaction.
/// The campaign's packages (files, release counters, approval signatures) are read once.
struct CampaignMessenger {
    let campaign: Int64
    let spec: CampaignSpec
    let signer: Ed25519Signer?
    private var packages: [Int64: PackageForOffer]?

    struct PackageForOffer {
        var id: Int64
        var releaseCounter: Int64
        var files: [VehicleMessage.File]
        var approval: [UInt8]
    }

    init(campaign: Int64, spec: CampaignSpec, signer: Ed25519Signer?) {
        self.campaign = campaign
        self.spec = spec
        self.signer = signer
    }

    func sign(_ payload: [UInt8], what: String) throws(OTAError) -> [UInt8] {
        guard let signer else {
            throw .misuse("campaign \(campaign): cannot send \(what): no signing key or signer is set on this handle (ota_set_signing_key or ota_set_signer); every message to vehicles and every campaign event is signed")
        }
        return try COSESign1.sign(payload: payload, with: signer)
    }

    /// Sends an offer or a reminder to `t`; returns the message's seq (the target's next).
    mutating func offer(_ db: SQLiteConnection, _ t: TargetRecord, kind: VehicleMessage.Kind,
                        now: Int64) throws(OTAError) -> Int64 {
        let seq = t.messageSeq + 1
        let message = VehicleMessage(
            kind: kind, campaign: campaign, vin: t.vin, seq: seq, issued: now, expires: spec.end,
            category: spec.category.rawValue, urgency: spec.urgency.rawValue, priority: spec.priority,
            mandatory: TargetPolicy.mandatory(spec, deferrals: t.deferrals),
            deferralsLeft: TargetPolicy.deferralsLeft(spec, deferrals: t.deferrals),
            feedback: spec.notify.feedbackOnDecline, updates: try updates(db, t))
        try post(db, t, kind: kind == .offer ? .offer : .reminder, message.encoded, now: now)
        return seq
    }

    /// Sends a cancel to `t` (the campaign was aborted); returns its seq. Retained, so that
    /// it replaces the offer the broker keeps for the vehicle.
    func cancel(_ db: SQLiteConnection, _ t: TargetRecord, reason: String, now: Int64) throws(OTAError) -> Int64 {
        let seq = t.messageSeq + 1
        let message = VehicleMessage(
            kind: .cancel, campaign: campaign, vin: t.vin, seq: seq, issued: now, expires: spec.end,
            category: spec.category.rawValue, urgency: spec.urgency.rawValue, priority: spec.priority,
            mandatory: false, deferralsLeft: 0, feedback: false, updates: [], reason: reason)
        try post(db, t, kind: .cancel, message.encoded, now: now)
        return seq
    }

    private func post(_ db: SQLiteConnection, _ t: TargetRecord, kind: Outbox.Kind, _ payload: [UInt8],
                      now: Int64) throws(OTAError) {
        let signed = try sign(payload, what: "a \(kind.rawValue) to \(t.vin)")
        try Outbox.post(db, campaign: campaign, vehicle: t.vehicleID, kind: kind,
                        topic: MessageTopics.vehicle(vin: t.vin, campaign: campaign), payload: signed,
                        retain: true, now: now)
    }

    /// Posts a campaign event on the events topic (not retained).
    func event(_ db: SQLiteConnection, _ e: CampaignEvent, name: String, state: CampaignState) throws(OTAError) {
        let payload = e.message(name: name, state: state.rawValue, contacts: CampaignEvent.contacts(e.type, in: spec))
        let signed = try sign(payload, what: "the event '\(e.type)'")
        try Outbox.post(db, campaign: campaign, vehicle: nil, kind: .event,
                        topic: MessageTopics.events(campaign: campaign), payload: signed, retain: false, now: e.at)
    }

    /// What `t` installs, in install order (`TargetECUs.offered`).
    private mutating func updates(_ db: SQLiteConnection, _ t: TargetRecord) throws(OTAError) -> [VehicleMessage.Update] {
        let packages = try loadPackages(db)
        var out: [VehicleMessage.Update] = []
        for e in try TargetECUs.offered(db, target: t.id) {
            guard let p = packages[e.position] else {
                throw .corrupt("campaign \(campaign): target \(t.vin) installs package position \(e.position), which the campaign does not have")
            }
            out.append(VehicleMessage.Update(
                node: e.node, slot: e.slot, hw: e.hw, from: e.fromSW, to: e.toSW,
                releaseCounter: p.releaseCounter, files: p.files, approval: p.approval))
        }
        return out
    }

    private mutating func loadPackages(_ db: SQLiteConnection) throws(OTAError) -> [Int64: PackageForOffer] {
        if let packages { return packages }
        var found: [Int64: PackageForOffer] = [:]
        var unsigned: Int64?
        try db.prepare("""
            SELECT cp.position, p.id, p.release_counter, s.cose FROM campaign_packages cp
            JOIN packages p ON p.id = cp.package_id
            LEFT JOIN package_signatures s ON s.package_id = p.id
            WHERE cp.campaign_id = ? ORDER BY cp.position
            """).bind(1, campaign)
            .forEachRow { (r) throws(OTAError) -> Bool in
                guard let cose = r.blob(3) else {
                    unsigned = r.int64(1)
                    return false
                }
                found[r.int64(0)] = PackageForOffer(id: r.int64(1), releaseCounter: r.int64(2), files: [],
                                                    approval: cose)
                return true
            }
        if let unsigned {
            throw .corrupt("campaign \(campaign): package \(unsigned) has no approval signature to put in offers")
        }
        let files = try db.prepare("SELECT name, size, sha256, uri FROM package_files WHERE package_id = ? ORDER BY position")
        for position in found.keys.sorted() {
            guard var p = found[position] else { continue }
            p.files = try files.bind(1, p.id).rows {
                VehicleMessage.File(name: $0.text(0) ?? "", size: $0.int64(1), sha256: $0.blob(2) ?? [],
                                    uri: $0.text(3) ?? "")
            }
            found[position] = p
        }
        packages = found
        return found
    }
}
