import CSQLite
import OTACore

/// A row of the inventory read back from the store, checked like input: what the schema
/// promises (text that is UTF-8, times that are not negative, NOT NULL) is verified, and a
/// value outside it is `.corrupt` naming the table, the row and the column. The export and
/// the vehicle document read through here, so a tampered store never reaches an output.
struct StoredRow {
    let s: Statement
    let label: RowName

    init(s: Statement, name: String) {
        self.s = s
        label = .text(name)
    }

    /// A row named by its ids: the text is made only when a message needs it (the export
    /// reads every row, and almost never finds one to report).
    init(s: Statement, _ label: RowName) {
        self.s = s
        self.label = label
    }

    /// "vehicle row 7 (VIN ...)", "ECU row 12 of vehicle row 7": prefixed to every message.
    var name: String { label.text }

    func corrupt(_ column: String, _ problem: String) -> OTAError {
        .corrupt("stored \(name): \(column) \(problem)")
    }

    func text(_ c: Int32, _ column: String) throws(OTAError) -> String {
        guard let t = try optionalText(c, column) else { throw corrupt(column, "is NULL") }
        return t
    }

    func optionalText(_ c: Int32, _ column: String) throws(OTAError) -> String? {
        switch sqlite3_column_type(s.raw, c) {
        case SQLITE_NULL: return nil
        case SQLITE_TEXT: break
        default: throw corrupt(column, "is not text")
        }
        let utf8 = s.utf8(c)
        guard let base = utf8.baseAddress else { return "" }
        guard UTF8Check.isValid(base, utf8.count) else { throw corrupt(column, "is not UTF-8") }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// A time or count of the schema's `uint`: an integer that is not negative.
    func uint(_ c: Int32, _ column: String) throws(OTAError) -> Int64 {
        guard let n = try optionalUint(c, column) else { throw corrupt(column, "is NULL") }
        return n
    }

    func optionalUint(_ c: Int32, _ column: String) throws(OTAError) -> Int64? {
        switch sqlite3_column_type(s.raw, c) {
        case SQLITE_NULL: return nil
        case SQLITE_INTEGER: break
        default: throw corrupt(column, "is not an integer")
        }
        let n = s.int64(c)
        guard n >= 0 else { throw corrupt(column, "is \(n); the schema allows no negative value") }
        return n
    }

    /// The row id (column `c`), for naming the rows that depend on this one.
    func id(_ c: Int32) -> Int64 { s.int64(c) }

    /// A stored VIN: 17 VIN characters, as every import checked.
    func vin(_ c: Int32) throws(OTAError) -> String {
        let vin = try text(c, "vin")
        guard VINSyntax.isWellFormed(vin) else { throw corrupt("vin", "\(VIN.quoted(vin)) is not 17 VIN characters") }
        return vin
    }

    /// The attributes (column `c`): NULL, or a CBOR map of text keys to tstr / int / bool.
    func attributes(_ c: Int32) throws(OTAError) -> [SnapshotAttribute] {
        try StoredAttributes.decode(s.blob(c), row: name)
    }
}

/// What a `StoredRow`'s messages call the row.
enum RowName {
    case text(String)
    /// A vehicle row, with its VIN once that has been read.
    case vehicle(id: Int64, vin: String?)
    case ecu(id: Int64, vehicle: Int64)

    var text: String {
        switch self {
        case .text(let t): return t
        case .vehicle(let id, let vin):
            guard let vin else { return "vehicle row \(id)" }
            return "vehicle row \(id) (VIN \(VIN.quoted(vin)))"
        case .ecu(let id, let vehicle): return "ECU row \(id) of vehicle row \(vehicle)"
        }
    }
}
