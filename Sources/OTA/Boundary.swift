import COTA
import CShim
import OTACore

// The C boundary: every export runs through `onHandle` or `handleFree`, so the contract of
// ota.h holds in one place. Nothing thrown crosses into C; an `ota_buf` out is {NULL, 0}
// from the first instruction of the call (even for a NULL handle) and again after any failure.

/// Runs an export on a handle: the error, if any, becomes the result code and the handle's
/// message.
func onHandle(_ db: OpaquePointer?, _ body: (DBHandle) throws(OTAError) -> Void) -> Int32 {
    guard let handle = DBHandle.from(db) else { return OTAError.Code.misuse.rawValue }
    do throws(OTAError) {
        try body(handle)
        handle.record(nil)
        return 0
    } catch {
        handle.record(error)
        return error.code.rawValue
    }
}

/// `onHandle` for an export with a required `ota_buf` out: cleared on entry, NULL refused
/// (OTA_MISUSE), and cleared (freed) again if the body fails after giving it bytes.
func onHandle(_ db: OpaquePointer?, out: UnsafeMutablePointer<ota_buf>?,
              _ body: (DBHandle, ResultOut) throws(OTAError) -> Void) -> Int32 {
    let result = ResultOut.cleared(out)
    let code = onHandle(db) { (h) throws(OTAError) in
        guard let result else { throw .misuse("out is NULL") }
        try body(h, result)
    }
    if code != 0 { result?.discard() }
    return code
}

/// `onHandle` for an export whose `ota_buf` out may be NULL (the caller does not want it).
func onHandle(_ db: OpaquePointer?, optionalOut out: UnsafeMutablePointer<ota_buf>?,
              _ body: (DBHandle, ResultOut?) throws(OTAError) -> Void) -> Int32 {
    let result = ResultOut.cleared(out)
    let code = onHandle(db) { (h) throws(OTAError) in try body(h, result) }
    if code != 0 { result?.discard() }
    return code
}

/// Runs a handle-free export; the message goes to the calling thread's `ota_last_errmsg`.
func handleFree(_ body: () throws(OTAError) -> Void) -> Int32 {
    do throws(OTAError) {
        try body()
        return recordThreadMessage(nil)
    } catch {
        return recordThreadMessage(error)
    }
}

/// `handleFree` for an export with a required `ota_buf` out, cleared as for `onHandle`.
func handleFree(out: UnsafeMutablePointer<ota_buf>?, _ body: (ResultOut) throws(OTAError) -> Void) -> Int32 {
    let result = ResultOut.cleared(out)
    let code = handleFree { () throws(OTAError) in
        guard let result else { throw .misuse("out is NULL") }
        try body(result)
    }
    if code != 0 { result?.discard() }
    return code
}

/// The caller's `ota_buf`, already cleared. Only the boundary makes one, so an export
/// cannot hand out bytes through an `ota_buf` it forgot to clear.
struct ResultOut {
    fileprivate let pointer: UnsafeMutablePointer<ota_buf>

    fileprivate static func cleared(_ p: UnsafeMutablePointer<ota_buf>?) -> ResultOut? {
        guard let p else { return nil }
        p.pointee = ota_buf(data: nil, len: 0)
        return ResultOut(pointer: p)
    }

    /// After a failure: nothing to free for the caller.
    fileprivate func discard() {
        free(pointer.pointee.data)
        pointer.pointee = ota_buf(data: nil, len: 0)
    }
}

/// Hands a document to the caller as one `ota_buf` allocated with malloc (freed by
/// `ota_buf_free`). A document built in pieces is joined straight into that buffer, so a large
/// result is copied once, not twice.
func give(_ pieces: [UInt8]..., to out: ResultOut) throws(OTAError) {
    var total = 0
    for piece in pieces { total += piece.count }
    let p = try resultBuffer(total)
    copyBytes(pieces, to: p)
    out.set(p, total)
}

/// `give` for a document whose large part is still in its writer (`head`, the writer's bytes,
/// `tail`): those bytes are copied once, from the writer into the caller's buffer.
func give(_ head: [UInt8], _ middle: CBORWriter, _ tail: [UInt8] = [], to out: ResultOut) throws(OTAError) {
    try middle.withBytes { (m) throws(OTAError) in
        let total = head.count + m.count + tail.count
        let p = try resultBuffer(total)
        copyBytes([head], to: p)
        if let base = m.baseAddress { UnsafeMutableRawPointer(p + head.count).copyMemory(from: base, byteCount: m.count) }
        copyBytes([tail], to: p + head.count + m.count)
        out.set(p, total)
    }
}

extension ResultOut {
    /// Replaces what an earlier `give` of this call put there (never the caller's old bytes).
    fileprivate func set(_ p: UnsafeMutablePointer<UInt8>, _ count: Int) {
        free(pointer.pointee.data)
        pointer.pointee = ota_buf(data: p, len: count)
    }
}

/// A result already copied into a malloc'd buffer but not yet the caller's: freed unless
/// handed over (so a transaction that fails after allocating it leaks nothing).
final class PendingResult {
    private var data: UnsafeMutablePointer<UInt8>?
    private let count: Int

    init(_ bytes: [UInt8]) throws(OTAError) {
        guard let p = malloc(max(bytes.count, 1))?.assumingMemoryBound(to: UInt8.self) else {
            throw OTAError(.noMemory, "cannot allocate \(bytes.count) bytes for the result")
        }
        bytes.withUnsafeBufferPointer { b in
            if let base = b.baseAddress { p.update(from: base, count: b.count) }
        }
        data = p
        count = bytes.count
    }

    /// Hands the bytes to the caller's `ota_buf`; cannot fail.
    func hand(to out: ResultOut) {
        guard let p = data else { return }
        out.set(p, count)
        data = nil
    }

    deinit { free(data) }
}

/// A malloc'd buffer of `count` bytes for `give` (at least one, so that it is never NULL).
private func resultBuffer(_ count: Int) throws(OTAError) -> UnsafeMutablePointer<UInt8> {
    guard let p = malloc(max(count, 1))?.assumingMemoryBound(to: UInt8.self) else {
        throw OTAError(.noMemory, "cannot allocate \(count) bytes for the result")
    }
    return p
}

/// Copies a fixed-size value (a hash, a key) to the caller's `count` bytes, only if it has
/// exactly that length: a stored value of another size is OTA_CORRUPT, never an overflow.
func copyFixed(_ bytes: [UInt8], to out: UnsafeMutablePointer<UInt8>?, count: Int,
               what: String) throws(OTAError) {
    guard let out else { throw .misuse("\(what) output is NULL") }
    guard bytes.count == count else {
        throw .corrupt("\(what) is \(bytes.count) bytes, expected \(count)")
    }
    for (i, b) in bytes.enumerated() { out[i] = b }
}
