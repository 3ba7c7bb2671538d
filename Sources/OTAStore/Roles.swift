import OTACore

/// The roles an actor can hold. The host authenticates actors; libota authorizes them.
public enum Role: String, CaseIterable {
    case admin = "admin"                      // grants and revokes roles; may do everything
    case engineer = "engineer"                // imports fleet data, registers packages, test fleet, vehicle keys
    case approver = "approver"                // approves packages and campaigns (never their own)
    case campaignManager = "campaign-manager" // creates and steers campaigns
    case gateway = "gateway"                  // ingests vehicle status reports, drains the outbox
}

public enum Roles {
    public static func has(_ db: SQLiteConnection, actor: String, _ role: Role) throws(OTAError) -> Bool {
        try db.prepare("SELECT 1 FROM actor_roles WHERE actor = ? AND role = ?")
            .bind(1, actor).bind(2, role.rawValue).firstRow { _ in true } ?? false
    }

    /// Throws `.denied` naming the roles that would allow `action`, unless the actor holds one
    /// of them or is an admin.
    public static func require(_ db: SQLiteConnection, actor: String, anyOf roles: [Role],
                               for action: String) throws(OTAError) {
        let allowed = try db.read { () throws(OTAError) -> Bool in
            if try has(db, actor: actor, .admin) { return true }
            for role in roles where try has(db, actor: actor, role) { return true }
            return false
        }
        if allowed { return }
        var names = ""
        for role in roles { names += (names.isEmpty ? "" : " or ") + role.rawValue }
        throw .denied("\(action) needs the role \(names.isEmpty ? "admin" : names); actor '\(actor)' has none of them")
    }
}
