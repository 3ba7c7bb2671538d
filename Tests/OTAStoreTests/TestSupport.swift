import Foundation
import OTACore
@testable import OTAStore

/// A fresh database path in a private temporary directory.
func temporaryStorePath(_ name: String = "store.db") -> String {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("libota-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// Raw SQL on a store file, as an attacker or another tool would do it.
func tamper(_ path: String, _ sql: String) throws {
    let store = try Store.open(path: path)
    try store.db.exec(sql)
}
