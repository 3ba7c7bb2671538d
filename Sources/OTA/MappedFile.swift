import CShim
import OTACore

/// A whole file mapped read-only for the duration of a call: large snapshots are read in
/// place, never copied, and only the pages being scanned need to be resident.
enum MappedFile {
    /// Far beyond any fleet (1M vehicles ≈ 240 MB); a sanity bound, not a design limit.
    static let maxBytes = 64 << 30

    static func withContents<T>(of path: String, _ what: String,
                                _ body: (UnsafeRawBufferPointer) throws(OTAError) -> T) throws(OTAError) -> T {
        let file = try InputFile.open(path, shown: "\(what) file '\(path)'")
        defer { file.closeFile() }
        guard file.size > 0 else { throw .badInput("\(what) file '\(path)' is empty: expected one CBOR item") }
        guard file.size <= Int64(maxBytes) else {
            throw .badInput("\(what) file '\(path)' is \(file.size) bytes, over the \(maxBytes)-byte limit: split it into shards")
        }
        let size = Int(file.size)
        guard let base = ota_map_readonly(file.fd, size) else { throw systemError("cannot map \(what) file '\(path)'") }
        defer { munmap(UnsafeMutableRawPointer(mutating: base), size) }
        return try body(UnsafeRawBufferPointer(start: base, count: size))
    }
}
