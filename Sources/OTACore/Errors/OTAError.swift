/// The one error type of the core. Every failure carries a code that maps 1:1 to an `OTA_*`
/// result code of `ota.h` and a message that says what was wrong and where.
public struct OTAError: Error, Equatable {
    /// Mirrors the `OTA_*` result codes; the raw values are the C values.
    public enum Code: Int32, Equatable, Sendable {
        case internalError = 1  // OTA_ERROR: a bug in libota
        case badInput = 2       // OTA_BADINPUT: malformed or out-of-range caller data
        case notFound = 3       // OTA_NOTFOUND
        case conflict = 4       // OTA_CONFLICT: state does not allow it (duplicate, immutable, ...)
        case denied = 5         // OTA_DENIED: the actor lacks a role, or the two-person rule
        case misuse = 6         // OTA_MISUSE: NULL handle/out pointer, call order
        case noMemory = 7       // OTA_NOMEM
        case store = 8          // OTA_STORE: SQLite failed; the extended code is kept
        case io = 9             // OTA_IO: a file could not be read or mapped
        case corrupt = 10       // OTA_CORRUPT: stored data fails its integrity check
        case tooNew = 11        // OTA_TOONEW: the store was written by a newer libota
        case cancelled = 12     // OTA_CANCELLED: the caller's progress callback said stop
    }

    public var code: Code
    public var message: String
    /// SQLite's extended result code when `code == .store`, else 0.
    public var storeCode: Int32

    public init(_ code: Code, _ message: String, storeCode: Int32 = 0) {
        self.code = code
        self.message = message
        self.storeCode = storeCode
    }

    public static func badInput(_ message: String) -> OTAError { OTAError(.badInput, message) }
    public static func notFound(_ message: String) -> OTAError { OTAError(.notFound, message) }
    public static func conflict(_ message: String) -> OTAError { OTAError(.conflict, message) }
    public static func denied(_ message: String) -> OTAError { OTAError(.denied, message) }
    public static func misuse(_ message: String) -> OTAError { OTAError(.misuse, message) }
    public static func corrupt(_ message: String) -> OTAError { OTAError(.corrupt, message) }

    /// The same error with `context` in front of the message ("manifest: files[2]: ...").
    public func prefixed(_ context: String) -> OTAError {
        OTAError(code, context + ": " + message, storeCode: storeCode)
    }
}
