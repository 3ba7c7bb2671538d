import CShim
import OTACore

/// A regular file opened for reading, or OTA_IO. The open does not block (a FIFO without a
/// writer would hang there), then fstat refuses anything that is not a regular file (FIFO,
/// device, directory, socket) before a byte is read.
struct RegularFile {
    let fd: Int32
    let size: Int64

    /// `path` is opened as given; `shown` names it in messages ("snapshot file 'x'", "'x'").
    static func open(_ path: UnsafePointer<CChar>, shown: String) throws(OTAError) -> RegularFile {
        let fd = ota_open_nonblocking(path)
        guard fd >= 0 else { throw systemError("cannot open \(shown)") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = systemError("cannot stat \(shown)")
            close(fd)
            throw error
        }
        guard ota_is_regular_file(&info) != 0 else {
            close(fd)
            throw OTAError(.io, "\(shown) is not a regular file")
        }
        guard ota_clear_nonblock(fd) == 0 else {
            let error = systemError("cannot read \(shown)")
            close(fd)
            throw error
        }
        return RegularFile(fd: fd, size: Int64(info.st_size))
    }

    func closeFile() { _ = close(fd) }
}
