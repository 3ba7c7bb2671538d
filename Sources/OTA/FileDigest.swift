import CShim
import OTACore

/// The size and SHA-256 of a local file, read in fixed-size blocks so that memory does not
/// grow with the file (firmware images can be gigabytes).
struct FileDigest {
    static let blockBytes = 64 << 10

    /// Bytes read: the file's size, or `limit + 1` when the file is longer than `limit`.
    var size: Int64
    /// Of the bytes read; meaningful only when `isComplete`.
    var sha256: [UInt8]
    /// False when reading stopped past `limit` (the file is longer, or endless as /dev/zero).
    var isComplete: Bool

    /// `path` is the caller's C string, opened as given; `shown` names it in messages. Reading
    /// stops once more than `limit` bytes were read: a file longer than its declared size is a
    /// mismatch whatever follows.
    static func measure(path: UnsafePointer<CChar>, shown: String,
                        limit: Int64 = Int64.max - 1) throws(OTAError) -> FileDigest {
        let limit = min(limit, Int64.max - 1)  // a declared size of Int64.max: size stays countable
        let file = try InputFile.open(path, shown: "'\(shown)'", devices: true)
        defer { file.closeFile() }
        let block = UnsafeMutableRawPointer.allocate(byteCount: blockBytes, alignment: 16)
        defer { block.deallocate() }
        var hash = SHA256()
        var size: Int64 = 0
        while size <= limit {
            // Never read (much) past the limit: one byte more tells that the file is longer.
            // (limit - size >= 0 here; adding the one byte after the min cannot overflow.)
            let wanted = Int(min(Int64(blockBytes) - 1, limit - size)) + 1
            let n = read(file.fd, block, wanted)
            if n < 0 {
                if ota_errno() == EINTR { continue }
                throw systemError("cannot read '\(shown)' after \(size) bytes")
            }
            if n == 0 { break }
            hash.update(UnsafeRawBufferPointer(start: block, count: n))
            size += Int64(n)  // n <= limit - size + 1, so no overflow
        }
        return FileDigest(size: size, sha256: hash.finalize(), isComplete: size <= limit)
    }
}
