import CShim
import OTACore

/// The size and SHA-256 of a local file, read in fixed-size blocks so that memory does not
/// grow with the file (firmware images can be gigabytes).
struct FileDigest {
    static let blockBytes = 64 << 10

    var size: Int64
    var sha256: [UInt8]

    /// `path` is the caller's C string, opened as given; `shown` names it in messages.
    static func measure(path: UnsafePointer<CChar>, shown: String) throws(OTAError) -> FileDigest {
        guard let file = fopen(path, "rb") else {
            throw OTAError(.io, "cannot open '\(shown)': \(describeErrno())")
        }
        defer { fclose(file) }
        let block = UnsafeMutableRawPointer.allocate(byteCount: blockBytes, alignment: 16)
        defer { block.deallocate() }
        var hash = SHA256()
        var size: Int64 = 0
        while true {
            let n = fread(block, 1, blockBytes, file)
            if n > 0 {
                hash.update(UnsafeRawBufferPointer(start: block, count: n))
                let (sum, overflow) = size.addingReportingOverflow(Int64(n))
                guard !overflow else { throw OTAError(.io, "'\(shown)' is larger than \(Int64.max) bytes") }
                size = sum
            }
            if n < blockBytes {
                guard ferror(file) == 0 else {
                    throw OTAError(.io, "cannot read '\(shown)' after \(size) bytes: \(describeErrno())")
                }
                break
            }
        }
        return FileDigest(size: size, sha256: hash.finalize())
    }

    static func describeErrno() -> String {
        guard let text = strerror(ota_errno()) else { return "error \(ota_errno())" }
        return String(cString: text)
    }
}
