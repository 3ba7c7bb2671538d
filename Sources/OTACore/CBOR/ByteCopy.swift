/// Byte arrays copied with `copyMemory` (a memmove), not element by element as the standard
/// library's generic paths do in Embedded Swift: documents of hundreds of megabytes pass here.

/// Copies `pieces` one after the other to `p`, which has room for all of them.
public func copyBytes(_ pieces: [[UInt8]], to p: UnsafeMutablePointer<UInt8>) {
    var at = 0
    for piece in pieces {
        piece.withUnsafeBytes { src in
            if let base = src.baseAddress { UnsafeMutableRawPointer(p + at).copyMemory(from: base, byteCount: src.count) }
        }
        at += piece.count
    }
}

/// `pieces` joined into one array.
public func joinedBytes(_ pieces: [[UInt8]]) -> [UInt8] {
    var total = 0
    for piece in pieces { total += piece.count }
    return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
        if let p = buffer.baseAddress { copyBytes(pieces, to: p) }
        initialized = total
    }
}
