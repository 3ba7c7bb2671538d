import COTA
import OTACore
import OTAStore

@c @implementation
public func ota_audit_verify(_ db: OpaquePointer?, _ entries: UnsafeMutablePointer<Int64>?,
                             _ firstBad: UnsafeMutablePointer<Int64>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let report = try Audit.verify(h.store.db)
        entries?.pointee = report.entries
        firstBad?.pointee = report.firstBad ?? 0
        if let bad = report.firstBad {
            throw .corrupt(report.problem ?? "audit entry \(bad) does not verify")
        }
    }
}

@c @implementation
public func ota_audit_head(_ db: OpaquePointer?, _ seq: UnsafeMutablePointer<Int64>?,
                           _ hash: UnsafeMutablePointer<UInt8>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let hash = try Arguments.out(hash, "hash")
        let head = try Audit.head(h.store.db)
        // The caller's buffer is 32 bytes: copy only a hash of exactly that length (Audit.head
        // checks it too; this is the boundary that writes into caller memory).
        guard head.hash.count == 32 else {
            throw .corrupt("audit entry \(head.seq) has a stored hash of \(head.hash.count) bytes, expected 32")
        }
        seq?.pointee = head.seq
        for i in 0..<32 { hash[i] = head.hash[i] }
    }
}

@c @implementation
public func ota_audit_list(_ db: OpaquePointer?, _ after: Int64, _ limit: Int64,
                           _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    onHandle(db, out: out) { (h, out) throws(OTAError) in
        let entries = try Audit.entries(h.store.db, after: after, limit: limit > 0 ? limit : Int64.max)
        try give(AuditEntry.encodeList(entries), to: out)
    }
}
