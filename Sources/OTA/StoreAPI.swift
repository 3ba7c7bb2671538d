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
        let (options, fastIngest) = try OpenOptions.read(opts)
        let store = try Store.open(path: path, options: options)
        let handle = DBHandle(store: store)
        handle.fastIngest = fastIngest
        out.pointee = OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
    }
}

@c @implementation
public func ota_open_options_init(_ opts: UnsafeMutablePointer<ota_open_options>?, _ version: UInt32) -> Int32 {
    handleFree { () throws(OTAError) in
        try OpenOptions.initialise(try Arguments.out(opts, "opts"), version: version)
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
