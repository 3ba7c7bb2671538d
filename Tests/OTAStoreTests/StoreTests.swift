import Testing
import OTACore
@testable import OTAStore

@Suite("Store: creation, reopening, migrations")
struct StoreTests {
    @Test func createsAStoreInWALModeAtTheLatestSchema() throws {
        let path = temporaryStorePath()
        let store = try Store.open(path: path)
        #expect(try store.schemaVersion() == Schema.latest)
        #expect(try store.db.prepare("PRAGMA journal_mode").firstRow { $0.text(0) } == "wal")
        #expect(try store.db.scalar("PRAGMA foreign_keys") == 1)
        for table in ["meta", "audit", "vehicles", "ecus", "ecu_history", "actor_roles"] {
            #expect(try store.db.scalar("SELECT count(*) FROM sqlite_schema WHERE name = '\(table)'") == 1)
        }
    }

    @Test func reopeningKeepsDataAndDoesNotMigrateAgain() throws {
        let path = temporaryStorePath()
        do {
            let store = try Store.open(path: path, options: StoreOptions(bootstrapAdmin: "alice"))
            try store.db.transaction { () throws(OTAError) in
                try Audit.append(store.db, at: 10, actor: "alice", action: "test.note", subject: "x")
            }
        }
        let again = try Store.open(path: path, options: StoreOptions(bootstrapAdmin: "mallory"))
        #expect(try again.schemaVersion() == Schema.latest)
        #expect(try Audit.entries(again.db).map(\.action) == ["role.bootstrap", "test.note"])
        // A bootstrap admin is only named while the store has none.
        #expect(try Roles.has(again.db, actor: "alice", .admin))
        #expect(try !Roles.has(again.db, actor: "mallory", .admin))
    }

    @Test func migratesAnOlderStoreForwardKeepingItsData() throws {
        let path = temporaryStorePath()
        do {
            let old = try Store.open(path: path, migrateTo: 1)
            #expect(try old.schemaVersion() == 1)
            #expect(try old.db.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'vehicles'") == 0)
            try old.db.transaction { () throws(OTAError) in
                try Audit.append(old.db, at: 5, actor: "ops", action: "test.before-migration")
            }
        }
        let store = try Store.open(path: path)
        #expect(try store.schemaVersion() == Schema.latest)
        #expect(try store.db.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'vehicles'") == 1)
        #expect(try Audit.entries(store.db).map(\.action) == ["test.before-migration"])
        #expect(try Audit.verify(store.db).firstBad == nil)
    }

    @Test func refusesANewerStoreWithoutTouchingIt() throws {
        let path = temporaryStorePath()
        try tamper(path, "PRAGMA user_version = \(Schema.latest + 1)")
        let before = try fileBytes(path)
        #expect {
            _ = try Store.open(path: path)
        } throws: { error in
            guard let e = error as? OTAError else { return false }
            return e.code == .tooNew && e.message.contains("\(Schema.latest + 1)")
        }
        #expect(try fileBytes(path) == before)
    }

    @Test func memoryStoresWork() throws {
        let store = try Store.open(path: ":memory:")
        #expect(try store.schemaVersion() == Schema.latest)
    }

    @Test func unwritablePathIsAStoreErrorWithTheSQLiteCode() throws {
        #expect {
            _ = try Store.open(path: "/nonexistent-dir/sub/x.db")
        } throws: { error in
            guard let e = error as? OTAError else { return false }
            return e.code == .store && e.storeCode & 0xff == 14 /* SQLITE_CANTOPEN */
                && e.message.contains("/nonexistent-dir/sub/x.db")
        }
    }

    @Test func everyMigrationAppliesCleanlyInOrder() throws {
        let path = temporaryStorePath()
        for version in 1...Schema.latest {
            let store = try Store.open(path: path, migrateTo: version)
            #expect(try store.schemaVersion() == version)
        }
    }
}

func fileBytes(_ path: String) throws -> [UInt8] {
    let data = try Foundation.Data(contentsOf: Foundation.URL(fileURLWithPath: path))
    return [UInt8](data)
}

import Foundation
