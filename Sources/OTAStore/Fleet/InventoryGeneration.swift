import OTACore

/// A number that grows with every change of what an inventory export shows (vehicles'
/// fields, ECUs added, changed, listed again or removed), kept in `meta` and bumped in the
/// transaction of the change: a campaign's validation plan resolved at one generation is
/// still the inventory's resolution while the generation is the same. A store that never
/// changed its inventory is at generation 0. `seen`-only updates do not count (the export
/// does not show them).
enum InventoryGeneration {
    static func current(_ db: SQLiteConnection) throws(OTAError) -> Int64 {
        try db.prepare("SELECT value FROM meta WHERE key = 'inventory_generation'").firstRow { $0.int64(0) } ?? 0
    }

    /// Called by every writer of `vehicles` or `ecus` that changed something, inside its
    /// write transaction.
    static func bump(_ db: SQLiteConnection) throws(OTAError) {
        try db.prepare("""
            INSERT INTO meta(key, value) VALUES('inventory_generation', 1)
            ON CONFLICT(key) DO UPDATE SET value = value + 1
            """).run()
    }
}
