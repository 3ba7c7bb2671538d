import Testing
import OTACore
@testable import OTAStore

@Suite("Audit trail: a tamper-evident hash chain")
struct AuditTests {
    /// A store file with `count` audit entries.
    func storeWithEntries(_ count: Int) throws -> String {
        let path = temporaryStorePath()
        let store = try Store.open(path: path)
        try store.db.transaction { () throws(OTAError) in
            for i in 1...count {
                try Audit.append(store.db, at: Int64(1000 + i), actor: "actor\(i % 3)",
                                 action: "test.step", subject: "item:\(i)", detail: [0x80 | UInt8(i % 16)])
            }
        }
        return path
    }

    func verify(_ path: String) throws -> AuditVerification {
        try Audit.verify(Store.open(path: path).db)
    }

    @Test func anIntactChainVerifies() throws {
        let path = try storeWithEntries(5)
        let report = try verify(path)
        #expect(report.entries == 5 && report.firstBad == nil && report.problem == nil)
        #expect(report.head == (try Audit.head(Store.open(path: path).db).hash))
    }

    @Test func eachHashChainsThePreviousOne() throws {
        let store = try Store.open(path: try storeWithEntries(3))
        let entries = try Audit.entries(store.db)
        var previous = [UInt8](repeating: 0, count: 32)
        for e in entries {
            let content = AuditEntry.content(seq: e.seq, at: e.at, actor: e.actor, action: e.action,
                                             subject: e.subject, detail: e.detail)
            #expect(e.hash == SHA256.hash(previous + content))
            previous = e.hash
        }
    }

    @Test func theTrailIsAppendOnlyThroughSQL() throws {
        let store = try Store.open(path: try storeWithEntries(2))
        #expect(throws: OTAError.self) { try store.db.exec("UPDATE audit SET actor = 'x'") }
        #expect(throws: OTAError.self) { try store.db.exec("DELETE FROM audit WHERE seq = 1") }
    }

    @Test func anEditedEntryIsFound() throws {
        let path = try storeWithEntries(5)
        try tamper(path, "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'mallory' WHERE seq = 3")
        let report = try verify(path)
        #expect(report.firstBad == 3 && report.entries == 2)
        #expect(report.problem?.contains("entry 3") == true)
    }

    @Test func anEditedDetailIsFound() throws {
        let path = try storeWithEntries(4)
        try tamper(path, "DROP TRIGGER audit_no_update; UPDATE audit SET detail = x'00' WHERE seq = 4")
        #expect(try verify(path).firstBad == 4)
    }

    @Test func aDeletedEntryIsFound() throws {
        let path = try storeWithEntries(5)
        try tamper(path, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 2")
        let report = try verify(path)
        #expect(report.firstBad == 2)  // the missing entry's seq, as ota.h says
        #expect(report.problem?.contains("entry 2 is missing") == true)
    }

    @Test func aDeletedAndRenumberedEntryIsFound() throws {
        // Deleting entry 2 and renumbering the rest hides the gap, not the broken chain.
        let path = try storeWithEntries(5)
        try tamper(path, """
            DROP TRIGGER audit_no_delete; DROP TRIGGER audit_no_update;
            DELETE FROM audit WHERE seq = 2;
            UPDATE audit SET seq = seq - 1 WHERE seq > 2;
            """)
        #expect(try verify(path).firstBad == 2)
    }

    @Test func aRemovedTailIsFoundThroughTheStoredHead() throws {
        let path = try storeWithEntries(5)
        try tamper(path, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 5")
        let report = try verify(path)
        #expect(report.firstBad == 5)
        #expect(report.problem?.contains("removed") == true)
    }

    @Test func reorderedEntriesAreFound() throws {
        // Swap the contents (and hashes) of entries 2 and 3.
        let path = try storeWithEntries(5)
        try tamper(path, """
            DROP TRIGGER audit_no_update;
            UPDATE audit SET seq = -2 WHERE seq = 2;
            UPDATE audit SET seq = 2 WHERE seq = 3;
            UPDATE audit SET seq = 3 WHERE seq = -2;
            """)
        #expect(try verify(path).firstBad == 2)
    }

    @Test func anEmptyTrailVerifiesWithAZeroHead() throws {
        let store = try Store.open(path: ":memory:")
        let report = try Audit.verify(store.db)
        #expect(report.entries == 0 && report.firstBad == nil)
        #expect(report.head == [UInt8](repeating: 0, count: 32))
    }
}
