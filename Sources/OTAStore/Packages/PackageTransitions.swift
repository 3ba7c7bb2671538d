import OTACore

/// The lifecycle actions. Each checks the actor's role, asks `PackageLifecycle` whether the
/// transition is legal, checks its own precondition, then moves the package, records the
/// event and writes the audit entry, all in one transaction.
extension Packages {
    public static var validateRoles: [Role] { [.engineer] }
    public static var approveRoles: [Role] { [.approver] }
    public static var releaseRoles: [Role] { [.approver, .campaignManager] }
    public static var withdrawRoles: [Role] { [.approver, .campaignManager] }

    /// draft → validated, once every file has been checked and matched.
    public static func validate(_ db: SQLiteConnection, actor: String, now: Int64, package id: Int64) throws(OTAError) {
        try db.transaction { () throws(OTAError) in
            try Roles.require(db, actor: actor, anyOf: validateRoles, for: "validating a package")
            let p = try load(db, id)
            let next = try PackageLifecycle.next(p.state, .validate, package: id)
            var pending = ""
            try db.prepare("SELECT name, status FROM package_files WHERE package_id = ? AND status <> 'match' ORDER BY position")
                .bind(1, id)
                .forEachRow { s in
                    pending += (pending.isEmpty ? "" : ", ") + "'\(s.text(0) ?? "")' (\(s.text(1) ?? ""))"
                    return true
                }
            guard pending.isEmpty else {
                throw .conflict("cannot validate package \(id): every file must be verified and match its manifest; not yet: \(pending)")
            }
            try move(db, p, to: next, actor: actor, now: now)
        }
    }

    /// validated → approved, by someone other than the registrant (two-person rule). Signs
    /// the canonical manifest as a COSE_Sign1 with `signer` and stores the signature.
    public static func approve(_ db: SQLiteConnection, actor: String, now: Int64, package id: Int64,
                               signer: Ed25519Signer?) throws(OTAError) {
        try db.transaction { () throws(OTAError) in
            try Roles.require(db, actor: actor, anyOf: approveRoles, for: "approving a package")
            let p = try load(db, id)
            let next = try PackageLifecycle.next(p.state, .approve, package: id)
            guard actor != p.registeredBy else {
                throw .denied("two-person rule: package \(id) was registered by '\(actor)', who cannot also approve it")
            }
            guard let signer else {
                throw .misuse("cannot approve package \(id): no signing key is configured on this handle (call ota_set_signing_key or ota_set_signer first)")
            }
            // Sign only what is still a valid manifest: the stored bytes are checked like input.
            _ = try checkedManifest(p)
            let cose = try COSESign1.sign(payload: p.manifest, with: signer)
            try db.prepare("INSERT INTO package_signatures(package_id, kid, public_key, cose, signed_by, signed_at) VALUES(?, ?, ?, ?, ?, ?)")
                .bind(1, id).bind(2, signer.kid).bind(3, blob: signer.publicKey).bind(4, blob: cose)
                .bind(5, actor).bind(6, now).run()
            try move(db, p, to: next, actor: actor, now: now, kid: signer.kid)
        }
    }

    /// approved → released, if its release counter is above every one already released for
    /// its ECU and any of its hardware.
    public static func release(_ db: SQLiteConnection, actor: String, now: Int64, package id: Int64) throws(OTAError) {
        try db.transaction { () throws(OTAError) in
            try Roles.require(db, actor: actor, anyOf: releaseRoles, for: "releasing a package")
            let p = try load(db, id)
            let next = try PackageLifecycle.next(p.state, .release, package: id)
            try requireCounterAboveReleased(db, package: id, ecu: p.ecu, counter: p.releaseCounter)
            try move(db, p, to: next, actor: actor, now: now)
        }
    }

    /// Any state but withdrawn → withdrawn, with a reason. A withdrawn package that was
    /// released keeps counting for rollback protection.
    public static func withdraw(_ db: SQLiteConnection, actor: String, now: Int64, package id: Int64,
                                reason: String) throws(OTAError) {
        try db.transaction { () throws(OTAError) in
            try Roles.require(db, actor: actor, anyOf: withdrawRoles, for: "withdrawing a package")
            var c = FieldChecks()
            guard let reason = c.prose(.text(reason), "reason") else {
                throw c.problems.error("withdrawal") ?? .badInput("withdrawal: reason is invalid")
            }
            let p = try load(db, id)
            let next = try PackageLifecycle.next(p.state, .withdraw, package: id)
            try move(db, p, to: next, actor: actor, now: now, reason: reason)
        }
    }

    static func move(_ db: SQLiteConnection, _ p: PackageRecord, to next: PackageState, actor: String,
                     now: Int64, reason: String? = nil, kid: String? = nil) throws(OTAError) {
        if next == .released {
            try db.prepare("UPDATE packages SET state = ?, released_at = ? WHERE id = ?")
                .bind(1, next.rawValue).bind(2, now).bind(3, p.id).run()
        } else {
            try db.prepare("UPDATE packages SET state = ? WHERE id = ?")
                .bind(1, next.rawValue).bind(2, p.id).run()
        }
        try appendEvent(db, package: p.id, state: next, actor: actor, now: now, reason: reason)
        var detail = CBORMapBuilder()
        detail.text("from", p.state.rawValue)
        detail.text("to", next.rawValue)
        if let reason { detail.text("reason", reason) }
        if let kid { detail.text("kid", kid) }
        try Audit.append(db, at: now, actor: actor, action: "package." + actionName(next),
                         subject: subject(p.id), detail: detail.encoded)
    }

    static func actionName(_ state: PackageState) -> String {
        for t in PackageLifecycle.transitions where t.to == state { return t.action.rawValue }
        return state.rawValue
    }
}
