import CShim
import OTACore

/// A whole file mapped read-only for the duration of a call: large snapshots are read in
/// place, never copied, and only the pages being scanned need to be resident.
enum MappedFile {
    /// Far beyond any fleet (1M vehicles ≈ 240 MB); a sanity bound, not a design limit.
    static let maxBytes = 64 << 30

    static func withContents<T>(of path: String, _ what: String,
                                _ body: (UnsafeRawBufferPointer) throws(OTAError) -> T) throws(OTAError) -> T {
        let fd = ota_open_readonly(path)
        guard fd >= 0 else { throw ioError("cannot open \(what) file '\(path)'") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ioError("cannot stat \(what) file '\(path)'") }
        guard ota_is_regular_file(&info) != 0 else {
            throw OTAError(.io, "\(what) file '\(path)' is not a regular file")
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw .badInput("\(what) file '\(path)' is empty: expected one CBOR item") }
        guard size <= maxBytes else {
            throw .badInput("\(what) file '\(path)' is \(size) bytes, over the \(maxBytes)-byte limit: split it into shards")
        }
        guard let base = ota_map_readonly(fd, size) else { throw ioError("cannot map \(what) file '\(path)'") }
        defer { munmap(UnsafeMutableRawPointer(mutating: base), size) }
        return try body(UnsafeRawBufferPointer(start: base, count: size))
    }

    private static func ioError(_ what: String) -> OTAError {
        let reason = strerror(ota_errno()).map { String(cString: $0) } ?? "error \(ota_errno())"
        return OTAError(.io, "\(what): \(reason)")
    }
}
