import Testing
import OTACore
@testable import OTAStore

/// The import's check pass runs without the write lock; the write pass proves it wrote what
/// the check pass checked; the summary is ready before COMMIT.
@Suite("Fleet import: the lock, the two passes, the summary before COMMIT")
struct ImportLockTests {
    /// A store file with admin "alice" and engineer "erin", and a second handle on it.
    static func twoHandles() throws -> (Store, Store) {
        let path = temporaryStorePath()
        var options = StoreOptions(bootstrapAdmin: "alice")
        options.now = 1
        let first = try Store.open(path: path, options: options)
        try Roles.grant(first.db, actor: "alice", now: 1, to: "erin", .engineer)
        var quick = StoreOptions()
        quick.busyTimeoutMilliseconds = 200  // a held lock shows as SQLITE_BUSY at once
        return (first, try Store.open(path: path, options: quick))
    }

    @Test("while the check pass runs, another handle can write; the import still commits")
    func checkPassHoldsNoLock() throws {
        let (store, other) = try ImportLockTests.twoHandles()
        let vehicles = Fleet.fleet(3)
        var pass = 0
        var grantedDuringCheck = false
        let scan: VehicleScan = { (body) throws(OTAError) -> SnapshotHeader in
            pass += 1
            for v in vehicles {
                try body(v)
                if pass == 1 && v.index == 1 {
                    // Another gateway, on its own handle, writes in the middle of the check.
                    try Roles.grant(other.db, actor: "alice", now: 2, to: "gwen", .gateway)
                    grantedDuringCheck = true
                }
            }
            return SnapshotHeader(taken: Fleet.t0)
        }
        let summary = try FleetImport.run(store.db, actor: "erin", now: Fleet.now, scan: scan)
        #expect(grantedDuringCheck)
        #expect(summary.added == 3)
        #expect(try Roles.grants(store.db, of: "gwen").count == 1)
        #expect(try Fleet.count(other, "vehicles") == 3)
    }

    @Test("the check pass's progress callback can let another handle write")
    func writeFromCheckProgress() throws {
        let (store, other) = try ImportLockTests.twoHandles()
        var checkCalls = 0
        let progress: ImportProgress = { done, total in
            if total == 0 {
                checkCalls += 1
                // Thrown errors cannot leave the callback: a failed grant shows as no grant.
                _ = try? Roles.grant(other.db, actor: "alice", now: 2, to: "gwen\(done)", .gateway)
            }
            return true
        }
        try Fleet.load(store, Fleet.fleet(FleetImport.progressInterval + 1), progress: progress)
        #expect(checkCalls == 1)
        #expect(try Roles.grants(store.db, of: "gwen\(FleetImport.progressInterval)").count == 1)
    }

    @Test("a role revoked during the check pass is checked again under the write lock")
    func roleCheckedAgain() throws {
        let (store, other) = try ImportLockTests.twoHandles()
        var pass = 0
        let scan: VehicleScan = { (body) throws(OTAError) -> SnapshotHeader in
            pass += 1
            if pass == 1 { try Roles.revoke(other.db, actor: "alice", now: 2, from: "erin", .engineer) }
            for v in Fleet.fleet(2) { try body(v) }
            return SnapshotHeader(taken: Fleet.t0)
        }
        let error = #expect(throws: OTAError.self) {
            try FleetImport.run(store.db, actor: "erin", now: Fleet.now, scan: scan)
        }
        #expect(error?.code == .denied)
        #expect(try Fleet.count(store, "vehicles") == 0)
    }

    /// A snapshot's bytes in a buffer the test can change between the passes.
    static func importMutating(_ store: Store, _ snapshot: [UInt8], change: @escaping (UnsafeMutableRawBufferPointer) -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: snapshot.count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: snapshot)
        let scan: VehicleScan = { (body) throws(OTAError) -> SnapshotHeader in
            try Snapshot.forEachVehicle(UnsafeRawBufferPointer(buffer), body)
        }
        // "before writing" (done 0 of a known total) comes between the two passes.
        let progress: ImportProgress = { done, total in
            if done == 0 && total > 0 { change(buffer) }
            return true
        }
        try FleetImport.run(store.db, actor: "erin", now: Fleet.now, scan: scan, progress: progress)
    }

    static func replace(_ buffer: UnsafeMutableRawBufferPointer, _ old: String, _ new: String) {
        let o = Array(old.utf8), n = Array(new.utf8)
        guard o.count == n.count, buffer.count >= o.count else { return }
        for i in 0...(buffer.count - o.count) where (0..<o.count).allSatisfy({ buffer[i + $0] == o[$0] }) {
            for k in 0..<n.count { buffer[i + k] = n[k] }
            return
        }
    }

    @Test("an inline string that changed between the two passes is refused (OTA_ERROR); nothing is written",
          arguments: [("EA1", "EX1"), ("S1", "Z1"), ("CH2", "CQ2")])
    func inlineStringChanged(old: String, new: String) throws {
        let store = try Fleet.store()
        var encoder = SnapshotEncoder(taken: Fleet.t0)
        for v in Fleet.fleet(3) { encoder.add(v) }
        let bytes = encoder.finish()
        let before = try Fleet.footprint(store)
        let error = #expect(throws: OTAError.self) {
            try ImportLockTests.importMutating(store, bytes) { ImportLockTests.replace($0, old, new) }
        }
        #expect(error?.code == .internalError)
        #expect(error?.message.contains("the snapshot changed between the import's two passes") == true, "\(error?.message ?? "")")
        #expect(try Fleet.footprint(store) == before)
        // Unchanged, the same bytes import.
        try ImportLockTests.importMutating(store, bytes) { _ in }
        #expect(try Fleet.count(store, "vehicles") == 3)
    }

    @Test("a changed string-table entry is refused too")
    func tableEntryChanged() throws {
        let store = try Fleet.store()
        var encoder = SnapshotEncoder(taken: Fleet.t0)
        for v in Fleet.fleet(2) { encoder.add(v) }
        let error = #expect(throws: OTAError.self) {
            try ImportLockTests.importMutating(store, encoder.finish()) { ImportLockTests.replace($0, "Aster", "Astor") }
        }
        #expect(error?.code == .internalError)
        #expect(try Fleet.count(store, "vehicles") == 0)
    }

    @Test("the summary is handed out inside the transaction: a failure there rolls the import back")
    func summaryBeforeCommit() throws {
        let store = try Fleet.store()
        let before = try Fleet.footprint(store)
        var sawTransaction = false
        let error = #expect(throws: OTAError.self) {
            try FleetImport.run(store.db, actor: "erin", now: Fleet.now, scan: Fleet.scan(Fleet.fleet(2))) {
                (summary, encoded) throws(OTAError) -> Int in
                sawTransaction = store.db.inTransaction
                #expect(summary.added == 2 && encoded == summary.encode())
                throw OTAError(.noMemory, "cannot allocate \(encoded.count) bytes for the result")
            }
        }
        #expect(sawTransaction)
        #expect(error?.code == .noMemory)
        #expect(try Fleet.footprint(store) == before)
        // What it returns is what the call returns, after COMMIT.
        let n = try FleetImport.run(store.db, actor: "erin", now: Fleet.now, scan: Fleet.scan(Fleet.fleet(2))) {
            (summary, _) throws(OTAError) -> Int in summary.added
        }
        #expect(n == 2)
        #expect(try Fleet.count(store, "vehicles") == 2)
    }
}
