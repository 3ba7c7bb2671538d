import Testing
import Foundation
import OTACore
@testable import OTAStore

/// Counts shared between the test's threads.
final class SharedCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Int] = [:]
    private var notes: [String] = []
    func add(_ key: String, _ n: Int = 1) { lock.lock(); values[key, default: 0] += n; lock.unlock() }
    func note(_ s: String) { lock.lock(); if notes.count < 5 { notes.append(s) }; lock.unlock() }
    subscript(_ key: String) -> Int { lock.lock(); defer { lock.unlock() }; return values[key, default: 0] }
    var firstNotes: [String] { lock.lock(); defer { lock.unlock() }; return notes }
}

/// Two connections on one file, as two handles or two processes: one writes, one reads.
@Suite("Concurrent readers and writers on one store", .serialized)
struct ConcurrentReadTests {
    /// A store file with root (admin) and eve (engineer).
    func storeFile() throws -> String {
        let path = temporaryStorePath()
        let s = try Store.open(path: path, options: StoreOptions(bootstrapAdmin: "root"))
        try Roles.grant(s.db, actor: "root", now: t0, to: "eve", .engineer)
        return path
    }

    @Test func verifyingWhileAnotherHandleWritesNeverReportsAFalseCorruption() throws {
        let path = try storeFile()
        let counts = SharedCounts()
        let writer = Thread {
            do {
                let s = try Store.open(path: path)
                for i in 0..<100 {
                    try Roles.grant(s.db, actor: "root", now: t0 + Int64(i), to: "user\(i)", .gateway)
                    _ = try register(s, manifestBytes(version: "v\(i)", counter: UInt64(i + 1)))
                    counts.add("writes", 2)
                }
            } catch {
                counts.note("writer: \(error)")
            }
            counts.add("done")
        }
        let reader = try Store.open(path: path)
        writer.start()
        var verifies = 0
        var sawWritesMidway = false
        while true {
            let done = counts["done"] == 1
            if done && verifies >= 2000 { break }
            let report = try Audit.verify(reader.db)
            if let bad = report.firstBad { counts.note("verify \(verifies): entry \(bad): \(report.problem ?? "")"); counts.add("false") }
            // Multi-statement reads see one snapshot too.
            if verifies % 25 == 0, report.entries > 3 {
                _ = try Packages.list(reader.db, filter: PackageFilter())
                _ = try Packages.info(reader.db, package: 1)
            }
            if !done && report.entries > 2 { sawWritesMidway = true }
            verifies += 1
        }
        #expect(counts.firstNotes.isEmpty, "\(counts.firstNotes)")
        #expect(counts["false"] == 0)
        #expect(counts["writes"] == 200)
        #expect(sawWritesMidway)  // the reads really overlapped the writes
        let final = try Audit.verify(reader.db)
        #expect(final.firstBad == nil && final.entries == 2 + 200)
    }

    @Test func afterARealCorruptionTheHandleSeesLaterChangesAndCanWrite() throws {
        let path = try storeFile()
        let writer = try Store.open(path: path)
        let reader = try Store.open(path: path)
        for i in 0..<5 { try Roles.grant(writer.db, actor: "root", now: t0, to: "u\(i)", .gateway) }
        try writer.db.exec("DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'mallory' WHERE seq = 3")
        let report = try Audit.verify(reader.db)
        #expect(report.firstBad == 3)
        // The walk stopped early; its statement must not hold the old snapshot open.
        try Roles.grant(writer.db, actor: "root", now: t0, to: "late", .approver)
        #expect(try Roles.grants(reader.db, of: "late").map(\.role) == [.approver])
        try Roles.grant(reader.db, actor: "root", now: t0, to: "later", .approver)  // no SQLITE_BUSY_SNAPSHOT
        #expect(try Roles.grants(writer.db, of: "later").map(\.role) == [.approver])
        #expect(try Audit.verify(reader.db).firstBad == 3)
    }

    @Test func aMissingEntryLeavesNoStatementOpenEither() throws {
        let path = try storeFile()
        let writer = try Store.open(path: path)
        let reader = try Store.open(path: path)
        try writer.db.exec("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 1")
        #expect(try Audit.verify(reader.db).firstBad == 1)
        try Roles.grant(writer.db, actor: "root", now: t0, to: "late", .approver)
        #expect(try Roles.grants(reader.db, of: "late").count == 1)
        try Roles.grant(reader.db, actor: "root", now: t0, to: "later", .approver)
    }
}
