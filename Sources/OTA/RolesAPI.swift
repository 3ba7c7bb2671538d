import COTA
import OTACore
import OTAStore

@c @implementation
public func ota_grant(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                      _ who: UnsafePointer<CChar>?, _ role: UnsafePointer<CChar>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        let who = try Arguments.identity(who, "who")
        let role = try Roles.named(try Arguments.identity(role, "role"))
        try Roles.grant(h.store.db, actor: actor, now: now, to: who, role)
    }
}

@c @implementation
public func ota_revoke(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                       _ who: UnsafePointer<CChar>?, _ role: UnsafePointer<CChar>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        let who = try Arguments.identity(who, "who")
        let role = try Roles.named(try Arguments.identity(role, "role"))
        try Roles.revoke(h.store.db, actor: actor, now: now, from: who, role)
    }
}

@c @implementation
public func ota_roles(_ db: OpaquePointer?, _ who: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        let who = try Arguments.identity(who, "who")
        try give(Roles.encode(Roles.grants(h.store.db, of: who)), to: out)
    }
}
