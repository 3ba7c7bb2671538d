import OTACore
import OTAStore

/// What an `ota_db *` points to: the open store and the message of the last call.
final class DBHandle {
    let store: Store
    /// Signs package approvals (ota_set_signing_key / ota_set_signer); never stored.
    var signer: Ed25519Signer?
    /// OTA_OPEN_FAST_INGEST: status ingestion commits with the store's synchronous = NORMAL.
    var fastIngest = false
    private(set) var code: Int32 = 0
    private(set) var storeCode: Int32 = 0
    /// NUL-terminated, owned here; `ota_errmsg` lends it until the next call on the handle.
    private(set) var message: UnsafeMutablePointer<CChar>

    init(store: Store) {
        self.store = store
        message = copyCString(okMessage)
    }

    deinit { message.deallocate() }

    func record(_ error: OTAError?) {
        code = error?.code.rawValue ?? 0
        storeCode = error?.storeCode ?? 0
        message.deallocate()
        message = copyCString(error?.message ?? okMessage)
    }

    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ p: OpaquePointer?) -> DBHandle? {
        guard let p else { return nil }
        return Unmanaged<DBHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
}

private func copyCString(_ s: String) -> UnsafeMutablePointer<CChar> {
    let utf8 = Array(s.utf8)
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
    for (i, b) in utf8.enumerated() { p[i] = CChar(bitPattern: b) }
    p[utf8.count] = 0
    return p
}

