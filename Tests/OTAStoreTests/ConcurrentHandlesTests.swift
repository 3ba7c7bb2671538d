import Testing
import OTACore
@testable import OTAStore

/// Two defects the ThreadSanitizer concurrency test (Tests/tsan/test_concurrency.c) found,
/// pinned down without threads: outbox ids handed out twice, and opening a store taking the
/// write lock.
@Suite("Store: several handles on one file")
struct ConcurrentHandlesTests {
    private func post(_ db: SQLiteConnection, vehicle: Int64?) throws -> Int64 {
        try db.write { () throws(OTAError) -> Int64 in
            try Outbox.post(db, campaign: 1, vehicle: vehicle, kind: .event, topic: "ota/v1/campaigns/1/events",
                            payload: [1], retain: false, now: 10)
        }
    }

    @Test func anAcknowledgedOutboxIdIsNeverHandedOutAgain() throws {
        let store = try Store.open(path: temporaryStorePath())
        let first = try post(store.db, vehicle: nil)
        #expect(try Outbox.ack(store.db, ids: [first]) == 1)
        // The outbox is empty: a plain rowid would give the new message the acknowledged id.
        let second = try post(store.db, vehicle: nil)
        #expect(second > first)
        // A second acknowledgement of the first id (another drainer, a retried ack) is harmless.
        #expect(try Outbox.ack(store.db, ids: [first]) == 0)
        #expect(try Outbox.pending(store.db) == 1)
        // A vehicle's superseded message does not free its id either.
        let offer = try post(store.db, vehicle: 7)
        let replacement = try post(store.db, vehicle: 7)
        #expect(replacement > offer)
        #expect(try Outbox.ack(store.db, ids: [offer]) == 0)
        #expect(try Outbox.pending(store.db) == 2)
    }

    @Test func migratingKeepsPendingMessagesAndTheirIds() throws {
        let path = temporaryStorePath()
        do {
            let old = try Store.open(path: path, migrateTo: 7)
            try old.db.exec("""
                INSERT INTO outbox(id, campaign_id, vehicle_id, kind, topic, payload, retain, created_at)
                VALUES(5, 1, NULL, 'event', 'ota/v1/campaigns/1/events', x'01', 0, 10)
                """)
        }
        let store = try Store.open(path: path)
        #expect(try store.schemaVersion() == Schema.latest)
        #expect(try store.db.scalar("SELECT id FROM outbox") == 5)
        #expect(try store.db.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'outbox_by_vehicle'") == 1)
        #expect(try Outbox.ack(store.db, ids: [5]) == 1)
        #expect(try post(store.db, vehicle: nil) == 6)
    }

    @Test func openingAnUpToDateStoreTakesNoWriteLock() throws {
        let path = temporaryStorePath()
        let writer = try Store.open(path: path, options: StoreOptions(bootstrapAdmin: "alice"))
        try writer.db.exec("BEGIN IMMEDIATE")
        defer { try? writer.db.exec("ROLLBACK") }
        // Another connection holds the write lock: opening (also with a bootstrap admin, since
        // the store has one) only reads, and does not wait for it.
        var options = StoreOptions(bootstrapAdmin: "alice")
        options.busyTimeoutMilliseconds = 1
        let reader = try Store.open(path: path, options: options)
        #expect(try reader.schemaVersion() == Schema.latest)
        #expect(try Roles.has(reader.db, actor: "alice", .admin))
    }
}
