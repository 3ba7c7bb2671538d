import COTA
import CShim
import OTACore

@c @implementation
public func ota_libversion_number() -> Int32 { OTA_VERSION_NUMBER }

@c @implementation
public func ota_code_name(_ code: Int32) -> UnsafePointer<CChar>? {
    let name: StaticString
    switch code {
    case OTA_OK: name = "OTA_OK"
    case OTA_ERROR: name = "OTA_ERROR"
    case OTA_BADINPUT: name = "OTA_BADINPUT"
    case OTA_NOTFOUND: name = "OTA_NOTFOUND"
    case OTA_CONFLICT: name = "OTA_CONFLICT"
    case OTA_DENIED: name = "OTA_DENIED"
    case OTA_MISUSE: name = "OTA_MISUSE"
    case OTA_NOMEM: name = "OTA_NOMEM"
    case OTA_STORE: name = "OTA_STORE"
    case OTA_IO: name = "OTA_IO"
    case OTA_CORRUPT: name = "OTA_CORRUPT"
    case OTA_TOONEW: name = "OTA_TOONEW"
    case OTA_CANCELLED: name = "OTA_CANCELLED"
    default: name = "OTA_UNKNOWN"
    }
    return UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
}

@c @implementation
public func ota_buf_free(_ buf: UnsafeMutablePointer<ota_buf>?) {
    guard let buf else { return }
    free(buf.pointee.data)
    buf.pointee = ota_buf(data: nil, len: 0)
}

@c @implementation
public func ota_last_errmsg() -> UnsafePointer<CChar>? {
    // A thread that has made no call yet has a zeroed buffer: say so, as after a success.
    if let buffer = ota_tls_msg(), buffer[0] == 0 { _ = recordThreadMessage(nil) }
    return UnsafePointer(ota_tls_msg())
}
