import Testing
import Foundation
import OTACore
@testable import OTAStore

@Suite("Write transactions: nesting, the audit entry per batch, moved files")
struct WriteTransactionTests {
    @Test func anAuditEntryAppendedInANestedWriteCommitsWithTheOuterOne() throws {
        let s = try makeStore()
        let before = try Audit.head(s.db).seq
        try s.db.write { () throws(OTAError) in
            try s.db.write { () throws(OTAError) in
                _ = try Audit.append(s.db, at: t0, actor: "root", action: "test.batch", subject: "batch:1")
            }
            try Audit.append(s.db, at: t0, actor: "root", action: "test.batch", subject: "batch:2")
        }
        #expect(try Audit.entries(s.db, after: before).map(\.subject) == ["batch:1", "batch:2"])
        #expect(try Audit.verify(s.db).firstBad == nil)
    }

    @Test func anOuterWriteThatThrowsAfterAnInnerAppendLeavesNoAuditEntry() throws {
        let s = try makeStore()
        let before = try Audit.head(s.db)
        let e = error { () throws(OTAError) in
            try s.db.write { () throws(OTAError) in
                try s.db.write { () throws(OTAError) in
                    _ = try Audit.append(s.db, at: t0, actor: "root", action: "test.batch", subject: "batch:1")
                }
                try Roles.grant(s.db, actor: "root", now: t0, to: "x", .gateway)
                throw .conflict("the batch failed after its audit entry")
            }
        }
        #expect(e?.code == .conflict)
        #expect(try Audit.head(s.db) == before)
        #expect(try Roles.grants(s.db, of: "x").isEmpty)
        #expect(try s.db.scalar("SELECT value FROM meta WHERE key = 'audit_head_seq'") == before.seq)
        #expect(try Audit.verify(s.db).firstBad == nil)
    }

    @Test func anInnerWriteThatThrowsUndoesOnlyItsOwnPart() throws {
        let s = try makeStore()
        let before = try Audit.head(s.db).seq
        try s.db.write { () throws(OTAError) in
            try Audit.append(s.db, at: t0, actor: "root", action: "test.kept")
            _ = error { () throws(OTAError) in
                try s.db.write { () throws(OTAError) in
                    try Audit.append(s.db, at: t0, actor: "root", action: "test.undone")
                    throw .conflict("inner")
                }
            }
            try Audit.append(s.db, at: t0, actor: "root", action: "test.kept")
        }
        #expect(try Audit.entries(s.db, after: before).map(\.action) == ["test.kept", "test.kept"])
        #expect(try Audit.verify(s.db).firstBad == nil)
    }

    func fileStore() throws -> (Store, String) {
        let path = temporaryStorePath()
        let s = try Store.open(path: path, options: StoreOptions(bootstrapAdmin: "root"))
        try Roles.grant(s.db, actor: "root", now: t0, to: "eve", .engineer)
        return (s, path)
    }

    func expectWriteRefused(_ s: Store, _ fragment: String) {
        let e = error { () throws(OTAError) in try Roles.grant(s.db, actor: "root", now: t0, to: "ann", .approver) }
        #expect(e?.code == .store && e?.storeCode == 1032 /* SQLITE_READONLY_DBMOVED */,
                "\(e?.message ?? "written")")
        #expect(e?.message.contains(fragment) == true, "\(e?.message ?? "written")")
    }

    @Test func writesFailOnceTheWALAndSharedMemoryFilesAreDeleted() throws {
        let (s, path) = try fileStore()
        try FileManager.default.removeItem(atPath: path + "-wal")
        try FileManager.default.removeItem(atPath: path + "-shm")
        expectWriteRefused(s, "-wal")
    }

    @Test func writesFailOnceTheSharedMemoryFileAloneIsDeleted() throws {
        let (s, path) = try fileStore()
        try FileManager.default.removeItem(atPath: path + "-shm")
        expectWriteRefused(s, "-shm")
    }

    @Test func writesFailOnceTheStoreFileIsMovedOrDeleted() throws {
        let (s, path) = try fileStore()
        try FileManager.default.moveItem(atPath: path, toPath: path + ".moved")
        expectWriteRefused(s, "moved")
        let (t, other) = try fileStore()
        try FileManager.default.removeItem(atPath: other)
        expectWriteRefused(t, "deleted")
    }

    @Test func aFreshStoreAndAReopenedOneWriteNormally() throws {
        let (s, path) = try fileStore()
        try Roles.grant(s.db, actor: "root", now: t0, to: "ann", .approver)
        let again = try Store.open(path: path)
        try Roles.grant(again.db, actor: "root", now: t0, to: "cam", .campaignManager)
        #expect(try Audit.verify(again.db).entries == 4)
    }
}
