import COTA
import OTACore
import OTAStore

@c @implementation
public func ota_campaign_create(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                                _ spec: UnsafePointer<UInt8>?, _ len: Int,
                                _ id: UnsafeMutablePointer<Int64>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        let out = try Arguments.out(id, "id")
        let bytes = try Arguments.bytes(spec, len, "spec")
        out.pointee = try Campaigns.create(h.store.db, actor: actor, now: now, spec: bytes)
    }
}

@c @implementation
public func ota_campaign_validate(_ db: OpaquePointer?, _ id: Int64, _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        try give(Campaigns.validate(h.store.db, campaign: id), to: out)
    }
}

@c @implementation
public func ota_campaign_approve(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                                 _ id: Int64) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        try Campaigns.approve(h.store.db, actor: try Arguments.actor(actor), now: now, campaign: id)
    }
}

@c @implementation
public func ota_campaign_get(_ db: OpaquePointer?, _ id: Int64, _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        try give(Campaigns.info(h.store.db, campaign: id), to: out)
    }
}

@c @implementation
public func ota_campaign_list(_ db: OpaquePointer?, _ filter: UnsafePointer<UInt8>?, _ filterLen: Int,
                              _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        let parsed = try Campaigns.ListFilter.parse(try Arguments.bytes(filter, filterLen, "filter"))
        try give(Campaigns.list(h.store.db, filter: parsed), to: out)
    }
}

@c @implementation
public func ota_test_fleet_add(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                               _ vins: UnsafePointer<UInt8>?, _ len: Int) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        try TestFleet.add(h.store.db, actor: actor, now: now, vins: try Arguments.bytes(vins, len, "vins"))
    }
}

@c @implementation
public func ota_test_fleet_remove(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                                  _ vins: UnsafePointer<UInt8>?, _ len: Int) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        try TestFleet.remove(h.store.db, actor: actor, now: now, vins: try Arguments.bytes(vins, len, "vins"))
    }
}
