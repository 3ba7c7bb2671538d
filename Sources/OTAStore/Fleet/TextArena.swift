import CSQLite

/// Binds text without a copy by SQLite: the bytes go into one buffer, reused statement after
/// statement, and are bound SQLITE_STATIC. SQLite reads static bindings when the statement
/// steps, so `reset()` may reuse the buffer only once the statements bound from it have
/// stepped and will be rebound before they step again (the import's row-at-a-time pattern).
/// Text that does not fit is bound as usual (copied by SQLite).
final class TextArena {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var used = 0

    init(capacity: Int = 1 << 16) {
        self.capacity = capacity
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Starts a new row: earlier bindings from the arena must not be stepped again.
    func reset() { used = 0 }

    func bind(_ s: Statement, _ index: Int32, _ text: String?) {
        guard var text else {
            sqlite3_bind_null(s.raw, index)
            return
        }
        let n = text.utf8.count
        guard n <= capacity &- used, n < Int(Int32.max) else {
            s.bind(index, text)
            return
        }
        let start = base + used
        text.withUTF8 { utf8 in
            if let p = utf8.baseAddress { start.update(from: p, count: n) }
        }
        used &+= n
        // A zero-length text still needs a non-NULL pointer to be text, not NULL.
        start.withMemoryRebound(to: CChar.self, capacity: max(n, 1)) { chars in
            _ = sqlite3_bind_text(s.raw, index, chars, Int32(n), nil)
        }
    }
}
