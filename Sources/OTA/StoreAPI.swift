import COTA
import CSQLite
import OTACore
import OTAStore

@c @implementation
public func ota_open(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    ota_open_ex(path, nil, out)
}

@c @implementation
public func ota_open_ex(_ path: UnsafePointer<CChar>?, _ opts: UnsafePointer<ota_open_options>?,
                        _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    out?.pointee = nil
    return handleFree { () throws(OTAError) in
        let out = try Arguments.out(out)
        let path = try Arguments.string(path, "path")
        var options = StoreOptions()
        var fastIngest = false
        if let o = opts?.pointee {
            guard o.version == UInt32(OTA_OPEN_OPTIONS_VERSION) else {
                throw .misuse("ota_open_options.version is \(o.version); this libota knows \(OTA_OPEN_OPTIONS_VERSION)")
            }
            let known = UInt32(OTA_OPEN_READONLY | OTA_OPEN_MUSTEXIST | OTA_OPEN_FAST_INGEST)
            guard o.flags & ~known == 0 else { throw .misuse("unknown ota_open_options.flags 0x\(String(o.flags, radix: 16))") }
            guard o.busy_timeout_ms >= 0 else { throw .badInput("busy_timeout_ms is negative") }
            options.readOnly = o.flags & UInt32(OTA_OPEN_READONLY) != 0
            options.mustExist = o.flags & UInt32(OTA_OPEN_MUSTEXIST) != 0
            fastIngest = o.flags & UInt32(OTA_OPEN_FAST_INGEST) != 0
            if o.busy_timeout_ms > 0 { options.busyTimeoutMilliseconds = o.busy_timeout_ms }
            options.bootstrapAdmin = try Arguments.optionalString(o.bootstrap_admin, "bootstrap_admin")
            options.now = o.now
        }
        let store = try Store.open(path: path, options: options)
        let handle = DBHandle(store: store)
        handle.fastIngest = fastIngest
        out.pointee = OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
    }
}

@c @implementation
public func ota_close(_ db: OpaquePointer?) -> Int32 {
    guard let db else { return OTA_OK }
    Unmanaged<DBHandle>.fromOpaque(UnsafeRawPointer(db)).release()
    return OTA_OK
}

@c @implementation
public func ota_errmsg(_ db: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let handle = DBHandle.from(db) else {
        let text: StaticString = "NULL ota_db handle"
        return UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
    }
    return UnsafePointer(handle.message)
}

@c @implementation
public func ota_errcode(_ db: OpaquePointer?) -> Int32 {
    DBHandle.from(db)?.code ?? OTA_MISUSE
}

@c @implementation
public func ota_store_errcode(_ db: OpaquePointer?) -> Int32 {
    DBHandle.from(db)?.storeCode ?? 0
}

@c @implementation
public func ota_schema_version(_ db: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        try Arguments.out(out).pointee = try h.store.schemaVersion()
    }
}
