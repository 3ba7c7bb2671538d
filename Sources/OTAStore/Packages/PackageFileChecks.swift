import OTACore

/// What a file check found.
public enum FileCheckResult: Equatable {
    case match
    /// The message says which of size and SHA-256 differ, with both values.
    case mismatch(String)
}

extension Packages {
    /// Everything that would refuse a file check, checked before the caller spends time
    /// hashing a large file: the role (engineer), the package, its state (draft), the file.
    /// Returns the file's declared size, past which the caller need not read.
    @discardableResult
    public static func requireFileCheckAllowed(_ db: SQLiteConnection, actor: String, package id: Int64,
                                               file name: String) throws(OTAError) -> Int64 {
        try db.read { () throws(OTAError) -> Int64 in
            try Roles.require(db, actor: actor, anyOf: [.engineer], for: "verifying package files")
            let p = try load(db, id)
            try PackageLifecycle.requireFileChecksAllowed(p.state, package: id)
            return try expected(db, package: id, file: name).0
        }
    }

    /// Records what the caller measured for one of the package's files (role engineer,
    /// package in draft). A mismatch is recorded and audited like a match; the caller decides
    /// how to report it. Re-checking a file replaces its previous result.
    public static func recordFileCheck(_ db: SQLiteConnection, actor: String, now: Int64, package id: Int64,
                                       file name: String, size: Int64,
                                       sha256: [UInt8]) throws(OTAError) -> FileCheckResult {
        try db.transaction { () throws(OTAError) -> FileCheckResult in
            try requireFileCheckAllowed(db, actor: actor, package: id, file: name)
            let (expectedSize, expectedHash) = try expected(db, package: id, file: name)
            var differences: [String] = []
            if size != expectedSize { differences.append("size \(size) (expected \(expectedSize))") }
            if sha256 != expectedHash {
                differences.append("sha256 \(Hex.encode(sha256)) (expected \(Hex.encode(expectedHash)))")
            }
            let status = differences.isEmpty ? "match" : "mismatch"
            try db.prepare("UPDATE package_files SET status = ?, found_size = ?, found_sha256 = ?, checked_by = ?, checked_at = ? WHERE package_id = ? AND name = ?")
                .bind(1, status).bind(2, size).bind(3, blob: sha256).bind(4, actor).bind(5, now)
                .bind(6, id).bind(7, name).run()
            var detail = CBORMapBuilder()
            detail.text("file", name)
            detail.text("result", status)
            detail.int("size", size)
            detail.bytes("sha256", sha256)
            try Audit.append(db, at: now, actor: actor, action: "package.verify-file",
                             subject: subject(id), detail: detail.encoded)
            if differences.isEmpty { return .match }
            var message = "file '\(name)' of package \(id) does not match its manifest: "
            for (i, d) in differences.enumerated() { message += (i > 0 ? ", " : "") + d }
            return .mismatch(message + "; recorded as a mismatch")
        }
    }

    /// The manifest's size and SHA-256 of a file, or `.notFound` naming the package's files.
    static func expected(_ db: SQLiteConnection, package id: Int64,
                         file name: String) throws(OTAError) -> (Int64, [UInt8]) {
        let row = try db.prepare("SELECT size, sha256 FROM package_files WHERE package_id = ? AND name = ?")
            .bind(1, id).bind(2, name).firstRow { ($0.int64(0), $0.blob(1) ?? []) }
        if let (size, sha256) = row {
            guard sha256.count == SHA256.byteCount else {
                throw .corrupt("package row \(id): file '\(name)' has a stored sha256 of \(sha256.count) bytes, expected \(SHA256.byteCount)")
            }
            return (size, sha256)
        }
        var names = ""
        try db.prepare("SELECT name FROM package_files WHERE package_id = ? ORDER BY position")
            .bind(1, id)
            .forEachRow { s in
                names += (names.isEmpty ? "'" : ", '") + (s.text(0) ?? "") + "'"
                return true
            }
        throw .notFound("package \(id) has no file '\(name)' (its files: \(names))")
    }
}
