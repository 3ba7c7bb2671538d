import OTACore

/// One role an actor holds, with who granted it and when ("" for the bootstrap admin).
public struct RoleGrant: Equatable {
    public var role: Role
    public var grantedBy: String
    public var grantedAt: Int64
}

/// Granting and revoking roles: admins only, audited, and never leaving the store without an
/// admin.
extension Roles {
    /// The role named `name`, or `.badInput` listing the roles.
    public static func named(_ name: String) throws(OTAError) -> Role {
        guard let role = Role(rawValue: name) else {
            throw .badInput("unknown role '\(name)': expected \(Role.allowedList)")
        }
        return role
    }

    public static func grant(_ db: SQLiteConnection, actor: String, now: Int64, to who: String,
                             _ role: Role) throws(OTAError) {
        try db.transaction { () throws(OTAError) in
            try require(db, actor: actor, anyOf: [], for: "granting a role")
            if let held = try grantOf(db, who, role) {
                throw .conflict("'\(who)' already holds the role \(role.rawValue) (granted by '\(held.grantedBy)' at \(held.grantedAt))")
            }
            try db.prepare("INSERT INTO actor_roles(actor, role, granted_by, granted_at) VALUES(?, ?, ?, ?)")
                .bind(1, who).bind(2, role.rawValue).bind(3, actor).bind(4, now).run()
            try audit(db, actor: actor, now: now, action: "role.grant", who: who, role)
        }
    }

    /// Revokes a role. The last admin's admin role cannot be revoked (the store would have no
    /// one left to grant roles).
    public static func revoke(_ db: SQLiteConnection, actor: String, now: Int64, from who: String,
                              _ role: Role) throws(OTAError) {
        try db.transaction { () throws(OTAError) in
            try require(db, actor: actor, anyOf: [], for: "revoking a role")
            guard try grantOf(db, who, role) != nil else {
                throw .notFound("'\(who)' does not hold the role \(role.rawValue)")
            }
            if role == .admin {
                let admins = try db.scalar("SELECT count(*) FROM actor_roles WHERE role = 'admin'") ?? 0
                guard admins > 1 else {
                    throw .conflict("cannot revoke the admin role of '\(who)': it is the store's last admin (grant admin to someone else first)")
                }
            }
            try db.prepare("DELETE FROM actor_roles WHERE actor = ? AND role = ?")
                .bind(1, who).bind(2, role.rawValue).run()
            try audit(db, actor: actor, now: now, action: "role.revoke", who: who, role)
        }
    }

    /// Every role `who` holds, by role name (one statement: one snapshot by itself).
    /// `.corrupt` naming the row for a role this libota does not know (the column has no
    /// CHECK: only a tampered store has one).
    public static func grants(_ db: SQLiteConnection, of who: String) throws(OTAError) -> [RoleGrant] {
        try db.prepare("SELECT role, granted_by, granted_at FROM actor_roles WHERE actor = ? ORDER BY role")
            .bind(1, who)
            .rows { (s) throws(OTAError) -> RoleGrant in
                let name = s.text(0) ?? ""
                guard let role = Role(rawValue: name) else {
                    throw .corrupt("actor_roles row ('\(who)', '\(name)'): unknown role '\(name)' (expected \(Role.allowedList))")
                }
                return RoleGrant(role: role, grantedBy: s.text(1) ?? "", grantedAt: s.int64(2))
            }
    }

    /// A CBOR array of role-grant maps (docs/schemas/roles.cddl).
    public static func encode(_ grants: [RoleGrant]) -> [UInt8] {
        var list = CBORArrayBuilder()
        for g in grants {
            list.map { m in
                m.text("role", g.role.rawValue)
                m.text("granted-by", g.grantedBy)
                m.int("granted-at", g.grantedAt)
            }
        }
        return list.encoded
    }

    static func grantOf(_ db: SQLiteConnection, _ who: String, _ role: Role) throws(OTAError) -> RoleGrant? {
        try db.prepare("SELECT granted_by, granted_at FROM actor_roles WHERE actor = ? AND role = ?")
            .bind(1, who).bind(2, role.rawValue)
            .firstRow { RoleGrant(role: role, grantedBy: $0.text(0) ?? "", grantedAt: $0.int64(1)) }
    }

    static func audit(_ db: SQLiteConnection, actor: String, now: Int64, action: String, who: String,
                      _ role: Role) throws(OTAError) {
        var detail = CBORMapBuilder()
        detail.text("role", role.rawValue)
        try Audit.append(db, at: now, actor: actor, action: action, subject: "actor:" + who,
                         detail: detail.encoded)
    }
}
