import CSQLite

/// Column comparisons for the import's hot loop: a stored value is compared in place,
/// without making a String or an array of it.
extension Statement {
    /// Whether text column `c` holds exactly `s`; NULL equals nil.
    func textEquals(_ c: Int32, _ s: String?) -> Bool {
        guard let s else { return isNull(c) }
        guard !isNull(c), let p = sqlite3_column_text(raw, c) else { return false }
        let stored = UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(raw, c)))
        return stored.elementsEqual(s.utf8)
    }

    /// Whether blob column `c` holds exactly `bytes`; NULL equals nil.
    func blobEquals(_ c: Int32, _ bytes: [UInt8]?) -> Bool {
        guard let bytes else { return isNull(c) }
        guard !isNull(c) else { return false }
        let n = Int(sqlite3_column_bytes(raw, c))
        guard n == bytes.count else { return false }
        guard n > 0, let p = sqlite3_column_blob(raw, c) else { return n == 0 }
        return UnsafeRawBufferPointer(start: p, count: n).elementsEqual(bytes)
    }

    /// The UTF-8 bytes of text column `c`, valid until the statement moves on.
    func utf8(_ c: Int32) -> UnsafeBufferPointer<UInt8> {
        let p = sqlite3_column_text(raw, c)
        return UnsafeBufferPointer(start: p, count: p == nil ? 0 : Int(sqlite3_column_bytes(raw, c)))
    }

    /// Resets without clearing bindings: a statement reused row after row rebinds every
    /// parameter anyway.
    func rewind() { sqlite3_reset(raw) }
}
