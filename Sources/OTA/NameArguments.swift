import CShim
import OTACore

extension Arguments {
    /// An actor, role or key name other than the calling actor ("who", "role", "kid"):
    /// 1 to 256 bytes of UTF-8 without control characters.
    static func name(_ p: UnsafePointer<CChar>?, _ what: String) throws(OTAError) -> String {
        let s = try string(p, what)
        guard !s.isEmpty, s.utf8.count <= 256 else { throw .badInput("\(what) must be 1 to 256 bytes") }
        guard !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw .badInput("\(what) contains a control character")
        }
        return s
    }

    /// A file system path, passed to the C library as given (it need not be UTF-8); the
    /// returned text is for messages only.
    static func path(_ p: UnsafePointer<CChar>?, _ what: String) throws(OTAError) -> String {
        guard let p else { throw .misuse("\(what) is NULL") }
        let n = strnlen(p, 4097)
        guard n > 0 else { throw .badInput("\(what) is empty") }
        guard n <= 4096 else { throw .badInput("\(what) is longer than 4096 bytes") }
        let bytes = UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self)
        return String(decoding: UnsafeBufferPointer(start: bytes, count: n), as: UTF8.self)
    }
}
