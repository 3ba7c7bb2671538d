import Testing
import OTACore
@testable import OTAStore

/// A defect the ThreadSanitizer concurrency test (Tests/tsan/test_concurrency.c) found, pinned
/// down without threads: opening a store took the write lock. (The other, outbox ids handed
/// out twice, is pinned down in OutboxIdTests.)
@Suite("Store: several handles on one file")
struct ConcurrentHandlesTests {
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
