import Testing
import OTACore
@testable import OTAStore

/// A fetch returns at most `Outbox.maxFetchBytes` or so, always at least one message: offers
/// embed packages' approvals, and 100,000 of them made a result of gigabytes.
@Suite struct OutboxFetchBytesTests {
    func post(_ db: SQLiteConnection, bytes: Int, _ tag: UInt8) throws -> Int64 {
        try Outbox.post(db, campaign: 1, vehicle: nil, kind: .event, topic: "t/\(tag)",
                        payload: [UInt8](repeating: tag, count: bytes), retain: false, now: 10)
    }

    /// The ids of one fetch, checking each payload is whole.
    func fetch(_ db: SQLiteConnection, limit: Int64) throws -> [Int64] {
        let bytes = try Outbox.fetch(db, limit: limit)
        // a fetch may be larger than the reader's default limit: its first message is whole
        let items = try bytes.withUnsafeBytes { try CBORReader.decode($0, maxBytes: Int.max) }.array ?? []
        return items.compactMap { item -> Int64? in
            guard let a = item.array, a.count == 4, case .bytes(let payload) = a[2], !payload.isEmpty else { return nil }
            return a[0].int64
        }
    }

    @Test func largeMessagesComeFewerAtATimeAndDrainInOrder() throws {
        let store = try makeStore()
        let budget = Int(Outbox.maxFetchBytes)
        let big = budget * 2 / 5  // two fit in one fetch, three do not
        var posted: [Int64] = []
        for i in 0..<4 { posted.append(try post(store.db, bytes: big, UInt8(i + 1))) }
        posted.append(try post(store.db, bytes: budget + 1, 5))  // alone above the budget
        for i in 0..<3 { posted.append(try post(store.db, bytes: 100, UInt8(i + 6))) }

        var batches: [[Int64]] = []
        while true {
            let ids = try fetch(store.db, limit: 100)
            if ids.isEmpty { break }
            // fetching again before the ack returns the same messages
            #expect(try fetch(store.db, limit: 100) == ids)
            batches.append(ids)
            _ = try Outbox.ack(store.db, ids: ids)
            if batches.count > posted.count { break }  // no progress: fail below, not hang
        }
        #expect(batches == [Array(posted[0..<2]), Array(posted[2..<4]), [posted[4]], Array(posted[5..<8])])
        #expect(try Outbox.pending(store.db) == 0)
    }

    @Test func theLimitStillCountsMessages() throws {
        let store = try makeStore()
        var posted: [Int64] = []
        for i in 0..<5 { posted.append(try post(store.db, bytes: 10, UInt8(i + 1))) }
        #expect(try fetch(store.db, limit: 2) == Array(posted[0..<2]))
        #expect(try fetch(store.db, limit: 5) == posted)
    }
}
