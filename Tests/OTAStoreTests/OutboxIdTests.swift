import Testing
import OTACore
@testable import OTAStore

/// An outbox id names one message for good (migration 8): a host that tracks ids, as the
/// gateway tracks the messages in flight, must never meet an id again for another message.
@Suite struct OutboxIdTests {
    func post(_ db: SQLiteConnection, vehicle: Int64?, _ kind: Outbox.Kind, _ byte: UInt8) throws -> Int64 {
        try Outbox.post(db, campaign: 1, vehicle: vehicle, kind: kind, topic: "t/\(byte)", payload: [byte],
                        retain: vehicle != nil, now: 10)
    }

    @Test func anAcknowledgedIdIsNeverGivenAgain() throws {
        let store = try makeStore()
        let a = try post(store.db, vehicle: nil, .event, 1)
        let b = try post(store.db, vehicle: nil, .event, 2)
        _ = try Outbox.ack(store.db, ids: [a, b])
        #expect(try Outbox.pending(store.db) == 0)
        // an emptied outbox used to start again at 1
        let c = try post(store.db, vehicle: nil, .event, 3)
        #expect(c > b)
    }

    @Test func aSupersedingMessageGetsANewId() throws {
        let store = try makeStore()
        let offer = try post(store.db, vehicle: 7, .offer, 1)
        // the newest row is deleted by the clear that supersedes it: the clear used to get its id
        let clear = try post(store.db, vehicle: 7, .clear, 2)
        #expect(clear > offer)
        #expect(try Outbox.pending(store.db) == 1)
    }

    @Test func migrationKeepsPendingMessagesAndTheirIds() throws {
        let path = temporaryStorePath()
        do {
            let old = try Store.open(path: path, migrateTo: 7)
            try old.db.exec("""
                INSERT INTO outbox(id, campaign_id, vehicle_id, kind, topic, payload, retain, created_at)
                VALUES(4, 1, NULL, 'event', 'e', x'01', 0, 5), (9, 1, 3, 'offer', 'o', x'02', 1, 6)
                """)
        }
        let store = try Store.open(path: path)
        #expect(try store.schemaVersion() == Schema.latest)
        #expect(try store.db.prepare("SELECT id, topic FROM outbox ORDER BY id").rows { "\($0.int64(0)) \($0.text(1) ?? "")" }
                == ["4 e", "9 o"])
        _ = try Outbox.ack(store.db, ids: [4, 9])
        #expect(try post(store.db, vehicle: nil, .event, 3) == 10)
        #expect(try store.db.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'outbox_by_vehicle'") == 1)
    }
}
