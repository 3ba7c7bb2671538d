import CShim
import OTACore

/// What a successful call leaves as its message, on a handle and on a thread.
let okMessage = "not an error"

/// Stores the message of a handle-free call in the calling thread's buffer (the one
/// `ota_last_errmsg` returns), cut to OTA_TLS_MSG_CAP - 1 bytes at a character boundary.
func recordThreadMessage(_ error: OTAError?) -> Int32 {
    let text = Array((error?.message ?? okMessage).utf8)
    let buffer = ota_tls_msg()
    var n = min(text.count, Int(OTA_TLS_MSG_CAP) - 1)
    // Never cut a UTF-8 sequence in half: back up to a lead byte.
    while n > 0 && n < text.count && text[n] & 0xC0 == 0x80 { n -= 1 }
    for i in 0..<n { buffer?[i] = CChar(bitPattern: text[i]) }
    buffer?[n] = 0
    return error?.code.rawValue ?? 0
}
