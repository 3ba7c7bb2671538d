import CSQLite

extension Statement {
    /// Binds borrowed bytes as a blob (copied by SQLite), without making an array first.
    @discardableResult
    func bind(_ index: Int32, rawBlob bytes: UnsafeRawBufferPointer) -> Statement {
        // A zero-length blob still needs a non-NULL pointer to be a blob, not NULL.
        _ = sqlite3_bind_blob(raw, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                              Int32(clamping: bytes.count), ota_sqlite_transient())
        return self
    }
}
