import CSQLite
import OTACore

/// How to open a store (mirrors `ota_open_options`).
public struct StoreOptions {
    /// Granted the admin role if the store has no admin yet (a new store); audited.
    public var bootstrapAdmin: String?
    /// Time for the bootstrap grant's audit entry.
    public var now: Int64 = 0
    /// How long a writer waits for another connection's lock before `OTA_STORE` (SQLITE_BUSY).
    public var busyTimeoutMilliseconds: Int32 = 5000
    public var readOnly = false
    /// Fail with `.notFound` instead of creating a missing store.
    public var mustExist = false

    public init(bootstrapAdmin: String? = nil) { self.bootstrapAdmin = bootstrapAdmin }
}

/// An open store: one SQLite connection in WAL mode with foreign keys, migrated to the
/// latest schema. Used by one thread at a time; several stores on one file work together.
public final class Store {
    public let db: SQLiteConnection
    public let path: String

    private init(db: SQLiteConnection, path: String) {
        self.db = db
        self.path = path
    }

    /// Opens (creating if allowed) and migrates. `migrateTo` exists for tests of migrations.
    public static func open(path: String, options: StoreOptions = StoreOptions(),
                            migrateTo target: Int64 = Schema.latest) throws(OTAError) -> Store {
        // SQLite's multi-thread mode: a handle is used by one thread at a time (ota.h), so the
        // per-connection mutex would only cost time (~15% per statement in the import profile).
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        if options.readOnly {
            flags |= SQLITE_OPEN_READONLY
        } else {
            flags |= SQLITE_OPEN_READWRITE
            if !options.mustExist { flags |= SQLITE_OPEN_CREATE }
        }
        let db: SQLiteConnection
        do throws(OTAError) {
            db = try SQLiteConnection.open(path: path, flags: flags)
        } catch where options.mustExist && error.storeCode & 0xff == SQLITE_CANTOPEN {
            throw .notFound("no store at '\(path)'")
        }
        sqlite3_busy_timeout(db.raw, options.busyTimeoutMilliseconds)
        let store = Store(db: db, path: path)
        // Read the version before anything writes: a newer store must stay untouched.
        let version = try store.schemaVersion()
        if version < 0 {
            throw .corrupt("store '\(path)' has the schema version \(version) (PRAGMA user_version): no libota writes a negative one, so the file is damaged or not a libota store (nothing was changed)")
        }
        if version > Schema.latest {
            throw OTAError(.tooNew, "store '\(path)' has schema version \(version), newer than the \(Schema.latest) this libota knows: open it with a newer libota (nothing was changed)")
        }
        if options.readOnly {
            // A read-only handle cannot migrate, and this libota's queries need the latest
            // schema: refuse now rather than fail later with "no such column".
            guard version == Schema.latest else {
                throw .conflict("store '\(path)' has schema version \(version), older than the \(Schema.latest) this libota reads, and a read-only open cannot migrate it: open it once for writing (that migrates it), then read-only")
            }
            return store
        }
        try db.exec("PRAGMA foreign_keys = ON")
        if path != ":memory:" && !path.hasPrefix("file::memory:") {
            guard try store.pragmaText("PRAGMA journal_mode = WAL") == "wal" else {
                throw OTAError(.store, "store '\(path)' cannot use WAL journaling")
            }
            try db.exec("PRAGMA synchronous = NORMAL")
        }
        try store.migrate(to: min(target, Schema.latest))
        if let admin = options.bootstrapAdmin {
            try store.bootstrap(admin: admin, now: options.now)
        }
        return store
    }

    public func schemaVersion() throws(OTAError) -> Int64 {
        try db.scalar("PRAGMA user_version") ?? 0
    }

    private func pragmaText(_ sql: String) throws(OTAError) -> String? {
        try db.prepare(sql).firstRow { $0.text(0) } ?? nil
    }

    /// Applies the missing migrations, each in its own transaction; another connection that
    /// migrates at the same time is serialized by the write lock and finds nothing to do.
    func migrate(to target: Int64) throws(OTAError) {
        // An up-to-date store (every open but the first) is only read: opening it takes no
        // write lock, so it never waits for (or fails on) a busy writer of another handle.
        guard try schemaVersion() < target else { return }
        while true {
            let applied: Bool = try db.transaction { () throws(OTAError) -> Bool in
                let version = try schemaVersion()
                guard version < target else { return false }
                // Checked at open; checked again here since another connection may have
                // changed the version in between.
                guard version >= 0, version < Schema.latest else {
                    throw .corrupt("store '\(path)' has the schema version \(version) (PRAGMA user_version), which no migration leads to")
                }
                let index = Int(version)
                do throws(OTAError) {
                    try db.exec(Schema.migrations[index])
                } catch {
                    throw error.prefixed("migration \(index + 1) of store '\(path)'")
                }
                try db.exec("PRAGMA user_version = \(version + 1)")
                return true
            }
            if !applied { return }
        }
    }

    /// Grants the admin role to the host's named bootstrap admin while the store has none.
    func bootstrap(admin: String, now: Int64) throws(OTAError) {
        guard !admin.isEmpty else { throw .badInput("bootstrap admin: empty name") }
        // A store that has an admin is not written to (no write lock at open, as above).
        guard try db.scalar("SELECT count(*) FROM actor_roles WHERE role = 'admin'") ?? 0 == 0 else { return }
        try db.transaction { () throws(OTAError) in
            let admins = try db.scalar("SELECT count(*) FROM actor_roles WHERE role = 'admin'") ?? 0
            guard admins == 0 else { return }
            try db.prepare("INSERT INTO actor_roles(actor, role, granted_by, granted_at) VALUES(?, 'admin', '', ?)")
                .bind(1, admin).bind(2, now).run()
            try Audit.append(db, at: now, actor: admin, action: "role.bootstrap",
                             subject: "actor:" + admin, detail: nil)
        }
    }
}
