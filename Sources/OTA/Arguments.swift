import COTA
import CShim
import OTACore

/// Argument checks shared by every export: nothing from the caller is trusted.
enum Arguments {
    static let maxStringBytes = 64 << 10
    static let maxDocumentBytes = 1 << 30

    /// A required NUL-terminated UTF-8 string.
    static func string(_ p: UnsafePointer<CChar>?, _ name: String) throws(OTAError) -> String {
        guard let p else { throw .misuse("\(name) is NULL") }
        let n = strnlen(p, maxStringBytes + 1)
        guard n <= maxStringBytes else { throw .badInput("\(name) is longer than \(maxStringBytes) bytes") }
        let bytes = UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self)
        guard let s = String(validating: UnsafeBufferPointer(start: bytes, count: n), as: UTF8.self) else {
            throw .badInput("\(name) is not valid UTF-8")
        }
        return s
    }

    static func optionalString(_ p: UnsafePointer<CChar>?, _ name: String) throws(OTAError) -> String? {
        guard p != nil else { return nil }
        return try string(p, name)
    }

    /// An authenticated actor name: non-empty, printable, no longer than 256 bytes.
    static func actor(_ p: UnsafePointer<CChar>?) throws(OTAError) -> String {
        let s = try string(p, "actor")
        guard !s.isEmpty, s.utf8.count <= 256 else { throw .badInput("actor must be 1 to 256 bytes") }
        guard !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw .badInput("actor contains a control character")
        }
        return s
    }

    /// A borrowed (data, len) input; NULL is allowed only with len 0.
    static func bytes(_ p: UnsafePointer<UInt8>?, _ len: Int, _ name: String) throws(OTAError) -> UnsafeRawBufferPointer {
        // size_t arrives as Int: a length above Int.max (a negative or garbage size_t) is negative here.
        guard len >= 0, len <= maxDocumentBytes else {
            throw .badInput("\(name) length \(UInt(bitPattern: len)) exceeds \(maxDocumentBytes) bytes")
        }
        guard let p else {
            guard len == 0 else { throw .misuse("\(name) is NULL but its length is \(len)") }
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: p, count: len)
    }

    static func out<T>(_ p: UnsafeMutablePointer<T>?, _ name: String = "out") throws(OTAError) -> UnsafeMutablePointer<T> {
        guard let p else { throw .misuse("\(name) is NULL") }
        return p
    }
}

/// Hands a document to the caller as one `ota_buf` allocated with malloc (freed by
/// `ota_buf_free`). A document built in pieces is joined straight into that buffer, so a large
/// result is copied once, not twice.
func give(_ pieces: [UInt8]..., to out: UnsafeMutablePointer<ota_buf>) throws(OTAError) {
    var total = 0
    for piece in pieces { total += piece.count }
    let p = try resultBuffer(total)
    copyBytes(pieces, to: p)
    out.pointee = ota_buf(data: p, len: total)
}

/// `give` for a document whose large part is still in its writer (`head`, the writer's bytes,
/// `tail`): those bytes are copied once, from the writer into the caller's buffer.
func give(_ head: [UInt8], _ middle: CBORWriter, _ tail: [UInt8] = [], to out: UnsafeMutablePointer<ota_buf>) throws(OTAError) {
    try middle.withBytes { (m) throws(OTAError) in
        let total = head.count + m.count + tail.count
        let p = try resultBuffer(total)
        copyBytes([head], to: p)
        if let base = m.baseAddress { UnsafeMutableRawPointer(p + head.count).copyMemory(from: base, byteCount: m.count) }
        copyBytes([tail], to: p + head.count + m.count)
        out.pointee = ota_buf(data: p, len: total)
    }
}

/// A malloc'd buffer of `count` bytes for `give` (at least one, so that it is never NULL).
private func resultBuffer(_ count: Int) throws(OTAError) -> UnsafeMutablePointer<UInt8> {
    guard let p = malloc(max(count, 1))?.assumingMemoryBound(to: UInt8.self) else {
        throw OTAError(.noMemory, "cannot allocate \(count) bytes for the result")
    }
    return p
}

/// Runs an export on a handle: the error, if any, becomes the result code and the handle's
/// message. Nothing thrown crosses into C.
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

/// Runs a handle-free export; the message goes to the calling thread's `ota_last_errmsg`.
func handleFree(_ body: () throws(OTAError) -> Void) -> Int32 {
    do throws(OTAError) {
        try body()
        return recordThreadMessage(nil)
    } catch {
        return recordThreadMessage(error)
    }
}
