import CSQLite
import OTACore

/// A thin, throwing wrapper over one sqlite3 connection. Not thread-safe: a `Store` (and so
/// an `ota_db` handle) is used by one thread at a time.
public final class SQLiteConnection {
    let raw: OpaquePointer
    private var cache: [String: Statement] = [:]

    init(raw: OpaquePointer) { self.raw = raw }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(raw)
    }

    static func open(path: String, flags: Int32) throws(OTAError) -> SQLiteConnection {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            let code = db.map { sqlite3_extended_errcode($0) } ?? rc
            if let db { sqlite3_close_v2(db) }
            throw OTAError(.store, "cannot open store at '\(path)': \(message)", storeCode: code)
        }
        sqlite3_extended_result_codes(db, 1)
        return SQLiteConnection(raw: db)
    }

    func failure(_ what: String) -> OTAError { storeFailure(raw, what) }

    /// Runs one or more statements that return no rows.
    public func exec(_ sql: String) throws(OTAError) {
        let rc = sqlite3_exec(raw, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw failure("SQL failed") }
    }

    /// A prepared statement, cached by its text: hot statements are compiled once.
    public func prepare(_ sql: String) throws(OTAError) -> Statement {
        if let s = cache[sql] {
            s.reset()
            return s
        }
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(raw, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw failure("cannot prepare statement")
        }
        let s = Statement(stmt, db: raw)
        cache[sql] = s
        return s
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(raw) }
    public var changes: Int { Int(sqlite3_changes(raw)) }

    /// The one integer a query returns (`PRAGMA user_version`, `SELECT count(*)`), or nil.
    public func scalar(_ sql: String) throws(OTAError) -> Int64? {
        try prepare(sql).firstRow { $0.isNull(0) ? nil : $0.int64(0) } ?? nil
    }

    /// How many `write`/`read` scopes are open on this connection (0: autocommit).
    private var depth = 0
    /// Whether the outermost open scope is a write transaction.
    private var writing = false

    /// Runs `body` in a write transaction: committed if it returns, rolled back if it throws.
    /// The outermost call takes the write lock at once (BEGIN IMMEDIATE: read-then-write
    /// sequences never fail half-way with SQLITE_BUSY); a nested call is a SAVEPOINT, so code
    /// that writes (packages, roles, audit) can be called inside a caller's transaction and
    /// undoes only its own part when it throws.
    @discardableResult
    public func write<T>(_ body: () throws(OTAError) -> T) throws(OTAError) -> T {
        if depth > 0 {
            guard writing else { throw OTAError(.internalError, "a write inside a read transaction") }
            let name = "s\(depth)"
            try exec("SAVEPOINT \(name)")
            depth += 1
            defer { depth -= 1 }
            do {
                let value = try body()
                try exec("RELEASE \(name)")
                return value
            } catch {
                sqlite3_exec(raw, "ROLLBACK TO \(name); RELEASE \(name)", nil, nil, nil)
                throw error
            }
        }
        try exec("BEGIN IMMEDIATE")
        depth = 1
        writing = true
        defer { depth = 0; writing = false }
        do {
            try requireFilesInPlace()
            let value = try body()
            try exec("COMMIT")
            return value
        } catch {
            sqlite3_exec(raw, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }

    /// Refuses to write when the files this connection writes to are no longer the store's:
    /// the database file moved or deleted (SQLite's SQLITE_FCNTL_HAS_MOVED compares the
    /// inode at its path with the open one), or the `-wal` or `-shm` file deleted while this
    /// connection has them open (what it committed would go to an unlinked file and be lost
    /// at close). Checked inside BEGIN IMMEDIATE, when the WAL is certainly open. A WAL or
    /// shared-memory file deleted and then re-created by another connection is not detected
    /// (SQLite does not lend the open file's inode), nor anything done after this check.
    private func requireFilesInPlace() throws(OTAError) {
        var moved: Int32 = 0
        // SQLITE_NOTFOUND for in-memory databases: nothing can move.
        if sqlite3_file_control(raw, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK, moved != 0 {
            throw movedFailure("the store file was moved, renamed or deleted while it was open")
        }
        guard let name = sqlite3_db_filename(raw, "main"), name.pointee != 0 else { return }
        var journal: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(raw, "main", SQLITE_FCNTL_JOURNAL_POINTER, &journal) == SQLITE_OK,
              journal?.pointee.pMethods != nil,  // the WAL is open on this connection
              let wal = sqlite3_filename_wal(name) else { return }
        let walPath = String(cString: wal)
        let shmPath = String(cString: name) + "-shm"
        for path in [walPath, shmPath] where !exists(path) {
            throw movedFailure("its file '\(path)' was deleted (or made inaccessible) while the store was open")
        }
    }

    /// Whether a file exists, asked through SQLite's VFS (no C library needed). The unix
    /// VFS's "exists" counts an empty file as missing (a new WAL is empty), so this asks
    /// whether it can be read and written: what this connection does with it anyway.
    private func exists(_ path: String) -> Bool {
        var vfs: UnsafeMutablePointer<sqlite3_vfs>?
        guard sqlite3_file_control(raw, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) == SQLITE_OK,
              let vfs, let access = vfs.pointee.xAccess else { return true }
        var found: Int32 = 1
        guard access(vfs, path, SQLITE_ACCESS_READWRITE, &found) == SQLITE_OK else { return true }
        return found != 0
    }

    private func movedFailure(_ what: String) -> OTAError {
        let file = sqlite3_db_filename(raw, "main").map { String(cString: $0) } ?? "?"
        return OTAError(.store, "cannot write to store '\(file)': \(what); nothing was written (close the handle and reopen the store)",
                        storeCode: SQLITE_READONLY | (4 << 8))  // SQLITE_READONLY_DBMOVED
    }

    /// Runs `body` in one read transaction, so that every statement in it sees the same
    /// snapshot of the store (a concurrent writer's commit is seen entirely or not at all).
    /// Inside another transaction it simply runs (that one already gives a single view).
    @discardableResult
    public func read<T>(_ body: () throws(OTAError) -> T) throws(OTAError) -> T {
        if depth > 0 { return try body() }
        try exec("BEGIN DEFERRED")
        depth = 1
        defer { depth = 0 }
        do {
            let value = try body()
            try exec("COMMIT")
            return value
        } catch {
            sqlite3_exec(raw, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }

    /// `write` or `read`; kept for the existing callers (`immediate: false` reads).
    @discardableResult
    public func transaction<T>(immediate: Bool = true,
                               _ body: () throws(OTAError) -> T) throws(OTAError) -> T {
        immediate ? try write(body) : try read(body)
    }

    /// Whether a transaction is open (for code that must run inside one).
    public var inTransaction: Bool { depth > 0 }
}

/// One prepared statement. Parameters are 1-based, columns 0-based (as in SQLite).
public final class Statement {
    let raw: OpaquePointer
    let db: OpaquePointer  // the owning connection's, for error messages; it outlives us

    init(_ raw: OpaquePointer, db: OpaquePointer) {
        self.raw = raw
        self.db = db
    }

    deinit { sqlite3_finalize(raw) }

    /// Ends the statement, so that it holds no read transaction open; binding are cleared.
    public func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    /// Reads the first row, if any, and resets: for queries that are not read to the end.
    public func firstRow<T>(_ read: (Statement) -> T) throws(OTAError) -> T? {
        defer { reset() }
        guard try step() else { return nil }
        return read(self)
    }

    @discardableResult
    public func bind(_ index: Int32, _ value: Int64) -> Statement {
        sqlite3_bind_int64(raw, index, value)
        return self
    }

    /// An optional integer: NULL when nil.
    @discardableResult
    public func bind(_ index: Int32, _ value: Int64?) -> Statement {
        if let value { sqlite3_bind_int64(raw, index, value) } else { sqlite3_bind_null(raw, index) }
        return self
    }

    @discardableResult
    public func bind(_ index: Int32, _ value: String?) -> Statement {
        if var value {
            value.withUTF8 { utf8 in
                utf8.withMemoryRebound(to: CChar.self) { chars in
                    _ = sqlite3_bind_text(raw, index, chars.baseAddress, Int32(chars.count),
                                          ota_sqlite_transient())
                }
            }
        } else {
            sqlite3_bind_null(raw, index)
        }
        return self
    }

    @discardableResult
    public func bind(_ index: Int32, blob: [UInt8]?) -> Statement {
        if let blob {
            blob.withUnsafeBytes { b in
                // A zero-length blob still needs a non-NULL pointer to be a blob, not NULL.
                _ = sqlite3_bind_blob(raw, index, b.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                                      Int32(b.count), ota_sqlite_transient())
            }
        } else {
            sqlite3_bind_null(raw, index)
        }
        return self
    }

    /// Calls `body` for every row, then resets the statement whatever happens (an early
    /// return or a throw leaves no statement holding an old snapshot open). `body` returns
    /// false to stop early.
    public func forEachRow(_ body: (Statement) throws(OTAError) -> Bool) throws(OTAError) {
        defer { reset() }
        while try step() {
            if try !body(self) { return }
        }
    }

    /// Every row mapped by `read`, with the statement reset afterwards.
    public func rows<T>(_ read: (Statement) throws(OTAError) -> T) throws(OTAError) -> [T] {
        var out: [T] = []
        try forEachRow { (s) throws(OTAError) -> Bool in
            out.append(try read(s))
            return true
        }
        return out
    }

    /// Advances; true while a row is available.
    public func step() throws(OTAError) -> Bool {
        switch sqlite3_step(raw) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = storeFailure(db, "statement failed")
            sqlite3_reset(raw)
            throw error
        }
    }

    /// Runs a statement that returns no rows (and resets it).
    public func run() throws(OTAError) {
        defer { sqlite3_reset(raw) }  // bindings stay: hot loops rebind only what changes
        while try step() {}
    }

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }
    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(raw, column) }

    public func text(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(raw, column) else { return nil }
        let n = Int(sqlite3_column_bytes(raw, column))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    public func blob(_ column: Int32) -> [UInt8]? {
        if isNull(column) { return nil }
        let n = Int(sqlite3_column_bytes(raw, column))
        guard n > 0, let p = sqlite3_column_blob(raw, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}

/// SQLite's message and extended code as an `OTA_STORE` error.
func storeFailure(_ db: OpaquePointer, _ what: String) -> OTAError {
    OTAError(.store, "\(what): \(String(cString: sqlite3_errmsg(db)))",
             storeCode: sqlite3_extended_errcode(db))
}
