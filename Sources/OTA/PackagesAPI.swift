import COTA
import OTACore
import OTAStore

@c @implementation
public func ota_package_register(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                                 _ manifest: UnsafePointer<UInt8>?, _ len: Int,
                                 _ id: UnsafeMutablePointer<Int64>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        let out = try Arguments.out(id, "id")
        let bytes = try Arguments.bytes(manifest, len, "manifest")
        out.pointee = try Packages.register(h.store.db, actor: actor, now: now, manifest: bytes)
    }
}

@c @implementation
public func ota_package_get(_ db: OpaquePointer?, _ id: Int64, _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        try give(Packages.info(h.store.db, package: id), to: out)
    }
}

@c @implementation
public func ota_package_list(_ db: OpaquePointer?, _ filter: UnsafePointer<UInt8>?, _ filterLen: Int,
                             _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        let parsed = try PackageFilter.parse(try Arguments.bytes(filter, filterLen, "filter"))
        try give(Packages.list(h.store.db, filter: parsed), to: out)
    }
}

@c @implementation
public func ota_package_verify_file(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                                    _ id: Int64, _ name: UnsafePointer<CChar>?,
                                    _ path: UnsafePointer<CChar>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        let name = try Arguments.string(name, "name")
        let shown = try Arguments.path(path, "path")
        guard let path else { throw .misuse("path is NULL") }
        // Refuse before hashing what may be gigabytes; the store checks again when recording.
        let declared = try Packages.requireFileCheckAllowed(h.store.db, actor: actor, package: id, file: name)
        // Reading stops one byte past the declared size (/dev/zero would never end).
        let digest = try FileDigest.measure(path: path, shown: shown, limit: declared)
        let result = try Packages.recordFileCheck(h.store.db, actor: actor, now: now, package: id,
                                                  file: name, size: digest.size, sha256: digest.sha256)
        guard case .mismatch(let message) = result else { return }
        guard digest.isComplete else {
            throw .corrupt("file '\(name)' of package \(id) does not match its manifest: size more than \(declared) (expected \(declared)); reading stopped there; recorded as a mismatch")
        }
        throw .corrupt(message)
    }
}

@c @implementation
public func ota_package_validate(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                                 _ id: Int64) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        try Packages.validate(h.store.db, actor: try Arguments.actor(actor), now: now, package: id)
    }
}

@c @implementation
public func ota_package_approve(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                                _ id: Int64) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        try Packages.approve(h.store.db, actor: try Arguments.actor(actor), now: now, package: id,
                             signer: h.signer)
    }
}

@c @implementation
public func ota_package_release(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                                _ id: Int64) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        try Packages.release(h.store.db, actor: try Arguments.actor(actor), now: now, package: id)
    }
}

@c @implementation
public func ota_package_withdraw(_ db: OpaquePointer?, _ actor: UnsafePointer<CChar>?, _ now: Int64,
                                 _ id: Int64, _ reason: UnsafePointer<CChar>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let now = try Arguments.now(now)
        let actor = try Arguments.actor(actor)
        let reason = try Arguments.string(reason, "reason")
        try Packages.withdraw(h.store.db, actor: actor, now: now, package: id, reason: reason)
    }
}

@c @implementation
public func ota_package_signature(_ db: OpaquePointer?, _ id: Int64, _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        try give(Packages.signature(h.store.db, package: id), to: out)
    }
}
