/// The store's schema as forward-only migrations. `PRAGMA user_version` is the number of
/// migrations applied; a store whose version is higher than `Schema.latest` was written by a
/// newer libota and is refused untouched. Never edit a released migration: append one.
public enum Schema {
    public static var latest: Int64 { Int64(migrations.count) }

    public static let migrations: [String] = [
        // 1: store metadata and the audit trail (a hash chain, see Audit.swift).
        """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value ANY) STRICT, WITHOUT ROWID;
        CREATE TABLE audit(
          seq INTEGER PRIMARY KEY,      -- 1, 2, 3, ... with no gaps
          at INTEGER NOT NULL,          -- Unix seconds, from the caller's `now`
          actor TEXT NOT NULL,
          action TEXT NOT NULL,         -- "package.approve", "fleet.import", ...
          subject TEXT NOT NULL,        -- what it acted on: "package:12", "vin:WVW...", ""
          detail BLOB,                  -- CBOR, or NULL
          hash BLOB NOT NULL            -- SHA-256(previous hash || CBOR [seq, at, actor, action, subject, detail])
        ) STRICT;
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
          BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
          BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
        """,
        // 2: the fleet inventory. `ecus` holds each ECU's current values; `ecu_history`
        // every value it ever had (the first row is as built), append-only.
        """
        CREATE TABLE vehicles(
          id INTEGER PRIMARY KEY,
          vin TEXT NOT NULL UNIQUE,
          model TEXT NOT NULL,
          variant TEXT NOT NULL,
          powertrain TEXT NOT NULL,
          market TEXT NOT NULL,
          produced INTEGER NOT NULL,
          engine_no TEXT,
          chassis_no TEXT,
          attributes BLOB,              -- CBOR map, or NULL
          updated INTEGER NOT NULL      -- snapshot time of the last change
        ) STRICT;
        CREATE TABLE ecus(
          id INTEGER PRIMARY KEY,
          vehicle_id INTEGER NOT NULL REFERENCES vehicles(id),
          node TEXT NOT NULL,
          slot INTEGER NOT NULL,        -- 0, 1, ... among the vehicle's ECUs of this node
          hw TEXT NOT NULL,
          sw TEXT NOT NULL,
          calibration TEXT,
          serial TEXT,
          UNIQUE(vehicle_id, node, slot)
        ) STRICT;
        CREATE TABLE ecu_history(
          id INTEGER PRIMARY KEY,
          ecu_id INTEGER NOT NULL REFERENCES ecus(id),
          at INTEGER NOT NULL,          -- when the value was observed (snapshot or report time)
          hw TEXT NOT NULL,
          sw TEXT NOT NULL,
          calibration TEXT,
          serial TEXT,
          source TEXT NOT NULL          -- "snapshot", "status", ...
        ) STRICT;
        CREATE INDEX ecu_history_by_ecu ON ecu_history(ecu_id, id);
        CREATE TRIGGER ecu_history_no_update BEFORE UPDATE ON ecu_history
          BEGIN SELECT RAISE(ABORT, 'ECU history is append-only'); END;
        CREATE TRIGGER ecu_history_no_delete BEFORE DELETE ON ecu_history
          BEGIN SELECT RAISE(ABORT, 'ECU history is append-only'); END;
        """,
        // 3: roles of actors (the host authenticates actors; libota authorizes them).
        """
        CREATE TABLE actor_roles(
          actor TEXT NOT NULL,
          role TEXT NOT NULL,           -- "admin", "engineer", "approver", "campaign-manager", "gateway"
          granted_by TEXT NOT NULL,
          granted_at INTEGER NOT NULL,
          PRIMARY KEY(actor, role)
        ) STRICT, WITHOUT ROWID;
        """,
        // 4 (fleet inventory, issue 3): what a snapshot import needs beyond migration 2.
        // `vehicles.seen`: the time of the newest snapshot that described the vehicle, so
        // that an older snapshot never overwrites newer data (`updated` moves only on a
        // change). `ecus.removed`: the snapshot time at which a snapshot that described the
        // vehicle no longer listed the ECU (NULL while it is present); the row and its
        // history stay, export leaves it out.
        """
        ALTER TABLE vehicles ADD COLUMN seen INTEGER NOT NULL DEFAULT 0;
        UPDATE vehicles SET seen = updated;
        ALTER TABLE ecus ADD COLUMN removed INTEGER;
        """,
    ]
}
