import COTA
import CShim
import OTACore

/// Argument checks shared by every export: nothing from the caller is trusted. Identities
/// (actor, who, role, kid) are checked by `Arguments.identity` (Identity.swift).
enum Arguments {
    static let maxStringBytes = 64 << 10
    static let maxDocumentBytes = 1 << 30
    static let maxPathBytes = 4096

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

    /// A borrowed (data, len) input; NULL is allowed only with len 0 (NULL with any other
    /// length is the caller's mistake, OTA_MISUSE, whatever the length).
    static func bytes(_ p: UnsafePointer<UInt8>?, _ len: Int, _ name: String) throws(OTAError) -> UnsafeRawBufferPointer {
        guard let p else {
            guard len == 0 else { throw .misuse("\(name) is NULL but its length is \(UInt(bitPattern: len))") }
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        // size_t arrives as Int: a length above Int.max (a negative or garbage size_t) is negative here.
        guard len >= 0, len <= maxDocumentBytes else {
            throw .badInput("\(name) length \(UInt(bitPattern: len)) exceeds \(maxDocumentBytes) bytes")
        }
        return UnsafeRawBufferPointer(start: p, count: len)
    }

    /// The caller's clock: Unix seconds from 1970 to the end of 9999 (`UnixTime.range`), so
    /// that no time the library adds to it or divides can overflow.
    static func now(_ now: Int64) throws(OTAError) -> Int64 {
        guard UnixTime.range.contains(now) else {
            throw .badInput("now \(now) is not a time from 1970 to 9999 (0...\(UnixTime.range.upperBound) Unix seconds)")
        }
        return now
    }

    /// A scalar or fixed-size output (never an `ota_buf`: those go through `onHandle(_:out:)`,
    /// which clears them first).
    static func out<T>(_ p: UnsafeMutablePointer<T>?, _ name: String = "out") throws(OTAError) -> UnsafeMutablePointer<T> {
        guard let p else { throw .misuse("\(name) is NULL") }
        return p
    }

    /// A file system path, passed to the C library as given (it need not be UTF-8); the
    /// returned text is for messages only.
    static func path(_ p: UnsafePointer<CChar>?, _ what: String) throws(OTAError) -> String {
        guard let p else { throw .misuse("\(what) is NULL") }
        let n = strnlen(p, maxPathBytes + 1)
        guard n > 0 else { throw .badInput("\(what) is empty") }
        guard n <= maxPathBytes else { throw .badInput("\(what) is longer than \(maxPathBytes) bytes") }
        let bytes = UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self)
        return String(decoding: UnsafeBufferPointer(start: bytes, count: n), as: UTF8.self)
    }
}
