import OTACore

/// Vehicles' own Ed25519 public keys: once a vehicle has one, only its reports that are a
/// COSE_Sign1 by that key are applied (design/campaigns.md §6).
public enum VehicleKeys {
    /// Sets (or replaces) the key of `vin` (role admin or engineer; audited with the key).
    public static func set(_ db: SQLiteConnection, actor: String, now: Int64, vin: String,
                           publicKey: [UInt8]) throws(OTAError) {
        guard publicKey.count == Ed25519.publicKeyBytes else {
            throw .badInput("vehicle key: \(publicKey.count) bytes, an Ed25519 public key has \(Ed25519.publicKeyBytes)")
        }
        try db.write { () throws(OTAError) in
            try Roles.require(db, actor: actor, anyOf: [.engineer], for: "setting a vehicle key")
            guard let vehicle = try db.prepare("SELECT id FROM vehicles WHERE vin = ?").bind(1, vin)
                .firstRow({ $0.int64(0) }) else {
                throw .notFound("no vehicle \(VIN.quoted(vin)) in the inventory")
            }
            let previous = try db.prepare("SELECT public_key FROM vehicle_keys WHERE vehicle_id = ?").bind(1, vehicle)
                .firstRow { $0.blob(0) } ?? nil
            if previous == publicKey { return }
            try db.prepare("""
                INSERT INTO vehicle_keys(vehicle_id, public_key, set_by, set_at) VALUES(?, ?, ?, ?)
                ON CONFLICT(vehicle_id) DO UPDATE SET public_key = excluded.public_key,
                  set_by = excluded.set_by, set_at = excluded.set_at
                """).bind(1, vehicle).bind(2, blob: publicKey).bind(3, actor).bind(4, now).run()
            var detail = CBORMapBuilder()
            detail.bytes("key", publicKey)
            if let previous { detail.bytes("replaces", previous) }
            try Audit.append(db, at: now, actor: actor, action: "vehicle.set-key", subject: "vin:" + vin,
                             detail: detail.encoded)
        }
    }

    public static func get(_ db: SQLiteConnection, vin: String) throws(OTAError) -> [UInt8]? {
        try db.prepare("SELECT k.public_key FROM vehicle_keys k JOIN vehicles v ON v.id = k.vehicle_id WHERE v.vin = ?")
            .bind(1, vin).firstRow { $0.blob(0) } ?? nil
    }
}
