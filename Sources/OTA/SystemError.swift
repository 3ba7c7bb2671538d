import CShim
import OTACore

/// OTA_IO for a failed system call: what was being done, then errno's text
/// ("cannot open 'x.bin': No such file or directory"). Call right after the failure, before
/// anything else can change errno.
func systemError(_ what: String) -> OTAError {
    let number = ota_errno()
    let reason = strerror(number).map { String(cString: $0) } ?? "error \(number)"
    return OTAError(.io, "\(what): \(reason)")
}
