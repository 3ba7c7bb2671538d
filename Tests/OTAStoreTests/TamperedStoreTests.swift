import Testing
import Foundation
import OTACore
@testable import OTAStore

/// Stores changed behind libota's back (raw SQL, triggers dropped, CHECKs switched off):
/// what is read back is checked like input, so each gives a code and a message naming the
/// row, never a crash, an overflow or a signature over garbage.
@Suite("Tampered stores")
struct TamperedStoreTests {
    func openError(_ path: String, _ options: StoreOptions = StoreOptions()) -> OTAError? {
        error { () throws(OTAError) in _ = try Store.open(path: path, options: options) }
    }

    // MARK: schema version

    @Test(arguments: [Int64(-1), Int64(Int32.min)])
    func aNegativeSchemaVersionIsCorruptAndTheFileUntouched(_ version: Int64) throws {
        let path = temporaryStorePath()
        try tamper(path, "PRAGMA user_version = \(version)")
        let before = try fileBytes(path)
        for options in [StoreOptions(), { var o = StoreOptions(); o.readOnly = true; return o }()] {
            let e = openError(path, options)
            #expect(e?.code == .corrupt)
            #expect(e?.message.contains("schema version \(version)") == true, "\(e?.message ?? "opened")")
        }
        #expect(try fileBytes(path) == before)
        // Reading a WAL-mode file may leave an empty -wal behind (a read-only open cannot
        // remove it); nothing is written to it.
        #expect(((try? fileBytes(path + "-wal")) ?? []).isEmpty)
    }

    @Test func aHugeSchemaVersionIsTooNewAndTheFileUntouched() throws {
        let path = temporaryStorePath()
        try tamper(path, "PRAGMA user_version = \(Int32.max)")
        let before = try fileBytes(path)
        let e = openError(path)
        #expect(e?.code == .tooNew && e?.message.contains("\(Int32.max)") == true)
        #expect(try fileBytes(path) == before)
    }

    // MARK: read-only opens

    @Test func aReadOnlyOpenOfAnOlderSchemaIsRefusedAtOpen() throws {
        let path = temporaryStorePath()
        _ = try Store.open(path: path, migrateTo: Schema.latest - 1)
        var ro = StoreOptions()
        ro.readOnly = true
        let e = openError(path, ro)
        #expect(e?.code == .conflict)
        #expect(e?.message.contains("schema version \(Schema.latest - 1)") == true)
        #expect(e?.message.contains("read-only") == true)
        // Opened once for writing, it is migrated, and then read-only works.
        _ = try Store.open(path: path)
        let store = try Store.open(path: path, options: ro)
        #expect(try store.schemaVersion() == Schema.latest)
    }

    @Test func aReadOnlyStoreOfTheLatestSchemaReadsEverything() throws {
        let path = temporaryStorePath()
        do {
            let s = try Store.open(path: path, options: StoreOptions(bootstrapAdmin: "root"))
            try Roles.grant(s.db, actor: "root", now: t0, to: "eve", .engineer)
            _ = try register(s, manifestBytes())
        }
        var ro = StoreOptions()
        ro.readOnly = true
        let store = try Store.open(path: path, options: ro)
        #expect(try Audit.verify(store.db).firstBad == nil)
        #expect(try Roles.grants(store.db, of: "eve").map(\.role) == [.engineer])
        #expect(try Packages.info(store.db, package: 1).count > 100)
        #expect(try Packages.list(store.db, filter: PackageFilter()).first == 0x81)
        #expect(error { () throws(OTAError) in
            try Roles.grant(store.db, actor: "root", now: t0, to: "ann", .approver)
        }?.code == .store)
    }

    // MARK: the audit trail

    @Test(arguments: [0, 16, 33, 64])
    func aStoredHeadHashOfTheWrongLengthIsCorrupt(_ length: Int) throws {
        let path = temporaryStorePath()
        let store = try Store.open(path: path, options: StoreOptions(bootstrapAdmin: "root"))
        try Roles.grant(store.db, actor: "root", now: t0, to: "eve", .engineer)
        try store.db.exec("DROP TRIGGER audit_no_update; UPDATE audit SET hash = zeroblob(\(length)) WHERE seq = 2")
        let e = error { () throws(OTAError) in try Audit.head(store.db) }
        #expect(e?.code == .corrupt)
        #expect(e?.message.contains("audit entry 2") == true && e?.message.contains("\(length) bytes") == true,
                "\(e?.message ?? "accepted")")
        // Nothing is chained onto a head that is not a hash.
        #expect(error { () throws(OTAError) in
            try Roles.grant(store.db, actor: "root", now: t0, to: "ann", .approver)
        }?.code == .corrupt)
        #expect(try Roles.grants(store.db, of: "ann").isEmpty)
    }

    @Test func aNullHeadHashIsCorrupt() throws {
        let store = try Store.open(path: ":memory:", options: StoreOptions(bootstrapAdmin: "root"))
        // A table without the NOT NULL, as a tool that rebuilt it could leave it.
        try store.db.exec("""
            DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;
            ALTER TABLE audit RENAME TO audit_old;
            CREATE TABLE audit(seq INTEGER PRIMARY KEY, at, actor, action, subject, detail, hash);
            INSERT INTO audit SELECT * FROM audit_old;
            UPDATE audit SET hash = NULL WHERE seq = 1;
            """)
        let e = error { () throws(OTAError) in try Audit.head(store.db) }
        #expect(e?.code == .corrupt && e?.message.contains("NULL") == true)
        #expect(try Audit.verify(store.db).firstBad == 1)
    }

    @Test func aRecordedHeadThatIsNotAnIntegerIsReported() throws {
        let store = try Store.open(path: ":memory:", options: StoreOptions(bootstrapAdmin: "root"))
        try store.db.exec("UPDATE meta SET value = 'one' WHERE key = 'audit_head_seq'")
        let report = try Audit.verify(store.db)
        #expect(report.firstBad == 2 && report.problem?.contains("not an integer") == true)
    }

    @Test func theHeadHashIsNoLongerWrittenToMeta() throws {
        let s = try makeStore()
        #expect(try s.db.scalar("SELECT count(*) FROM meta WHERE key = 'audit_head_hash'") == 0)
        #expect(try s.db.scalar("SELECT value FROM meta WHERE key = 'audit_head_seq'") == (try Audit.head(s.db).seq))
    }

    // MARK: roles

    @Test func anUnknownStoredRoleIsCorruptNamingTheRow() throws {
        let s = try makeStore()
        try s.db.exec("INSERT INTO actor_roles VALUES('eve', 'superuser', 'root', 1)")
        let e = error { () throws(OTAError) in try Roles.grants(s.db, of: "eve") }
        #expect(e?.code == .corrupt && e?.message.contains("'superuser'") == true
                && e?.message.contains("actor_roles") == true)
    }

    // MARK: packages

    /// A validated package whose stored manifest is then replaced by `bytes` (hex).
    func validatedPackageWithManifest(_ hex: String) throws -> (Store, Int64) {
        let s = try makeStore()
        let id = try register(s, manifestBytes())
        try verifyAll(s, id)
        try Packages.validate(s.db, actor: "eve", now: t0, package: id)
        try s.db.exec("DROP TRIGGER packages_manifest_fixed; UPDATE packages SET manifest = x'\(hex)' WHERE id = \(id)")
        return (s, id)
    }

    static let badManifests: [(String, String)] = [
        ("garbage", "ff00fe17"),
        ("an integer", "1864"),
        ("empty", ""),
        ("deeply nested", String(repeating: "81", count: 5000) + "00"),
        ("an empty map", "a0"),
    ]

    @Test(arguments: badManifests)
    func approvalRefusesAStoredManifestThatIsNotAManifest(_ name: String, _ hex: String) throws {
        let (s, id) = try validatedPackageWithManifest(hex)
        let e = error { () throws(OTAError) in
            try Packages.approve(s.db, actor: "ann", now: t0, package: id, signer: testSigner())
        }
        #expect(e?.code == .corrupt, "\(name): \(e?.message ?? "signed")")
        #expect(e?.message.contains("package row \(id)") == true)
        #expect(try Packages.load(s.db, id).state == .validated)
        #expect(try s.db.scalar("SELECT count(*) FROM package_signatures") == 0)
        // Nor is it spliced into package-info.
        let g = error { () throws(OTAError) in try Packages.info(s.db, package: id) }
        #expect(g?.code == .corrupt && g?.message.contains("package row \(id)") == true, "\(name)")
    }

    @Test func approvalRefusesAValidManifestOfAnotherPackage() throws {
        let other = try ManifestParser.parse(manifestBytes(version: "9.9", counter: 9)).canonical
        let (s, id) = try validatedPackageWithManifest(Hex.encode(other))
        let e = error { () throws(OTAError) in
            try Packages.approve(s.db, actor: "ann", now: t0, package: id, signer: testSigner())
        }
        #expect(e?.code == .corrupt && e?.message.contains("does not match the row") == true)
    }

    @Test func anUnknownStoredStateIsCorruptInListAndGet() throws {
        let s = try makeStore()
        let id = try register(s, manifestBytes())
        try s.db.exec("PRAGMA ignore_check_constraints = ON; UPDATE packages SET state = 'shipped' WHERE id = \(id); PRAGMA ignore_check_constraints = OFF")
        for e in [error { () throws(OTAError) in try Packages.list(s.db, filter: PackageFilter()) },
                  error { () throws(OTAError) in try Packages.info(s.db, package: id) },
                  error { () throws(OTAError) in try Packages.signature(s.db, package: id) }] {
            #expect(e?.code == .corrupt)
            #expect(e?.message.contains("package row \(id)") == true && e?.message.contains("'shipped'") == true)
        }
    }

    @Test func anUnknownStateInTheHistoryIsCorrupt() throws {
        let s = try makeStore()
        let id = try register(s, manifestBytes())
        try s.db.exec("DROP TRIGGER package_events_no_update; UPDATE package_events SET state = 'zombie'")
        let e = error { () throws(OTAError) in try Packages.info(s.db, package: id) }
        #expect(e?.code == .corrupt && e?.message.contains("'zombie'") == true)
    }

    @Test func anUnknownFileStatusIsCorrupt() throws {
        let s = try makeStore()
        let id = try register(s, manifestBytes())
        try s.db.exec("PRAGMA ignore_check_constraints = ON; UPDATE package_files SET status = 'ok' WHERE position = 1")
        let e = error { () throws(OTAError) in try Packages.info(s.db, package: id) }
        #expect(e?.code == .corrupt && e?.message.contains("'cal.bin'") == true)
    }

    @Test func aStoredFileDigestOfTheWrongLengthIsCorrupt() throws {
        let s = try makeStore()
        let id = try register(s, manifestBytes())
        try s.db.exec("DROP TRIGGER package_files_draft_only; UPDATE package_files SET sha256 = x'abab' WHERE name = 'app.bin'")
        let e = error { () throws(OTAError) in
            try Packages.recordFileCheck(s.db, actor: "eve", now: t0, package: id, file: "app.bin",
                                         size: 1024, sha256: sha)
        }
        #expect(e?.code == .corrupt && e?.message.contains("2 bytes") == true)
    }
}
