import CShim
import OTACore

/// A file opened for reading, or OTA_IO. The open does not block (a FIFO without a writer
/// would hang there), then fstat refuses what the call cannot read to an end before a byte
/// is read: FIFOs, sockets and directories always; devices unless `devices` is set.
struct InputFile {
    let fd: Int32
    /// st_size: the length of a regular file (0 for a device).
    let size: Int64

    /// `path` is opened as given; `shown` names it in messages ("snapshot file 'x'", "'x'").
    /// `devices`: also accept block and character devices (a firmware image on a partition),
    /// for a reader that stops after a known length.
    static func open(_ path: UnsafePointer<CChar>, shown: String, devices: Bool = false) throws(OTAError) -> InputFile {
        let fd = ota_open_nonblocking(path)
        guard fd >= 0 else { throw systemError("cannot open \(shown)") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = systemError("cannot stat \(shown)")
            _ = close(fd)
            throw error
        }
        guard ota_is_regular_file(&info) != 0 || (devices && ota_is_device(&info) != 0) else {
            _ = close(fd)
            throw OTAError(.io, "cannot read \(shown): it is not a regular file" + (devices ? " or a device" : ""))
        }
        guard ota_clear_nonblock(fd) == 0 else {
            let error = systemError("cannot read \(shown)")
            _ = close(fd)
            throw error
        }
        return InputFile(fd: fd, size: Int64(info.st_size))
    }

    func closeFile() { _ = close(fd) }
}
