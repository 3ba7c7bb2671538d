import OTACore

/// Finds which of a snapshot's vehicles the store already holds with one ordered scan of the
/// VIN index, merged against the snapshot's sorted VINs: no query per vehicle.
enum StoredVehicleMatch {
    /// For each snapshot position, the stored vehicle's id, or 0 for a vehicle new to the
    /// store; nil when the store holds no vehicle at all (everything is new).
    static func ids(_ db: SQLiteConnection, sorted keys: [KeyedPosition], count: Int) throws(OTAError) -> [Int64]? {
        guard !keys.isEmpty, try db.scalar("SELECT EXISTS(SELECT 1 FROM vehicles)") == 1 else { return nil }
        var ids = [Int64](repeating: 0, count: count)
        // BINARY collation orders VINs bytewise, which is the order of their keys.
        let s = try db.prepare("SELECT vin, id FROM vehicles ORDER BY vin")
        var k = 0
        while try s.step() {
            // A stored VIN that is not 17 VIN characters cannot match a checked one.
            guard let key = VIN.key(utf8: s.utf8(0)) else { continue }
            while k < keys.count && keys[k].key < key { k += 1 }
            guard k < keys.count else {
                s.reset()
                break
            }
            if keys[k].key == key { ids[Int(keys[k].position)] = s.int64(1) }
        }
        return ids
    }
}
