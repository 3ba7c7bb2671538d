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
        // 4: update management. A package's manifest (canonical CBOR, the signed payload) and
        // the columns derived from it never change after registration; released and
        // withdrawn packages never change at all (a released one may only be withdrawn).
        // The triggers back up the code's checks: even raw SQL cannot rewrite history.
        """
        CREATE TABLE packages(
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL,
          version TEXT NOT NULL,
          ecu TEXT NOT NULL,
          installs TEXT NOT NULL,       -- the manifest's "to"
          category TEXT NOT NULL,
          release_type TEXT NOT NULL,
          release_counter INTEGER NOT NULL CHECK(release_counter >= 0),
          manifest BLOB NOT NULL,       -- canonical CBOR (docs/schemas/package.cddl)
          registered_by TEXT NOT NULL,
          registered_at INTEGER NOT NULL,
          state TEXT NOT NULL CHECK(state IN ('draft', 'validated', 'approved', 'released', 'withdrawn')),
          released_at INTEGER,          -- set when released; counts for rollback protection forever
          UNIQUE(name, version)
        ) STRICT;
        CREATE INDEX packages_by_ecu ON packages(ecu, id);
        CREATE TABLE package_hw(
          package_id INTEGER NOT NULL REFERENCES packages(id),
          hw TEXT NOT NULL,
          PRIMARY KEY(package_id, hw)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX package_hw_by_hw ON package_hw(hw, package_id);
        CREATE TABLE package_models(
          package_id INTEGER NOT NULL REFERENCES packages(id),
          model TEXT NOT NULL,
          PRIMARY KEY(package_id, model)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX package_models_by_model ON package_models(model, package_id);
        CREATE TABLE package_files(
          package_id INTEGER NOT NULL REFERENCES packages(id),
          position INTEGER NOT NULL,    -- index in the manifest's "files"
          name TEXT NOT NULL,
          size INTEGER NOT NULL,
          sha256 BLOB NOT NULL,
          uri TEXT NOT NULL,
          status TEXT NOT NULL DEFAULT 'unverified' CHECK(status IN ('unverified', 'match', 'mismatch')),
          found_size INTEGER,           -- what the last check measured
          found_sha256 BLOB,
          checked_by TEXT,
          checked_at INTEGER,
          PRIMARY KEY(package_id, position),
          UNIQUE(package_id, name)
        ) STRICT;
        CREATE TABLE package_events(    -- every lifecycle state a package entered, append-only
          id INTEGER PRIMARY KEY,
          package_id INTEGER NOT NULL REFERENCES packages(id),
          state TEXT NOT NULL,
          actor TEXT NOT NULL,
          at INTEGER NOT NULL,
          reason TEXT
        ) STRICT;
        CREATE INDEX package_events_by_package ON package_events(package_id, id);
        CREATE TABLE package_signatures(
          package_id INTEGER PRIMARY KEY REFERENCES packages(id),
          kid TEXT NOT NULL,
          public_key BLOB NOT NULL,
          cose BLOB NOT NULL,           -- tagged COSE_Sign1 over the manifest
          signed_by TEXT NOT NULL,
          signed_at INTEGER NOT NULL
        ) STRICT;
        CREATE TRIGGER packages_manifest_fixed
          BEFORE UPDATE OF id, name, version, ecu, installs, category, release_type, release_counter, manifest, registered_by, registered_at ON packages
          BEGIN SELECT RAISE(ABORT, 'a registered package''s manifest never changes'); END;
        CREATE TRIGGER packages_released_fixed BEFORE UPDATE OF state, released_at ON packages
          WHEN OLD.state = 'withdrawn'
            OR (OLD.state = 'released' AND (NEW.state <> 'withdrawn' OR NEW.released_at IS NOT OLD.released_at))
          BEGIN SELECT RAISE(ABORT, 'a released package is immutable'); END;
        CREATE TRIGGER packages_no_delete BEFORE DELETE ON packages
          BEGIN SELECT RAISE(ABORT, 'packages are never deleted'); END;
        CREATE TRIGGER package_files_draft_only BEFORE UPDATE ON package_files
          WHEN (SELECT state FROM packages WHERE id = OLD.package_id) <> 'draft'
            OR NEW.package_id IS NOT OLD.package_id OR NEW.position IS NOT OLD.position
            OR NEW.name IS NOT OLD.name OR NEW.size IS NOT OLD.size
            OR NEW.sha256 IS NOT OLD.sha256 OR NEW.uri IS NOT OLD.uri
          BEGIN SELECT RAISE(ABORT, 'file checks change only while the package is a draft'); END;
        CREATE TRIGGER package_files_insert_draft_only BEFORE INSERT ON package_files
          WHEN (SELECT state FROM packages WHERE id = NEW.package_id) IS NOT 'draft'
          BEGIN SELECT RAISE(ABORT, 'files are added only at registration'); END;
        CREATE TRIGGER package_files_no_delete BEFORE DELETE ON package_files
          BEGIN SELECT RAISE(ABORT, 'package files are never deleted'); END;
        CREATE TRIGGER package_hw_fixed BEFORE UPDATE ON package_hw
          BEGIN SELECT RAISE(ABORT, 'package hardware never changes'); END;
        CREATE TRIGGER package_hw_no_delete BEFORE DELETE ON package_hw
          BEGIN SELECT RAISE(ABORT, 'package hardware never changes'); END;
        CREATE TRIGGER package_hw_insert_draft_only BEFORE INSERT ON package_hw
          WHEN (SELECT state FROM packages WHERE id = NEW.package_id) IS NOT 'draft'
          BEGIN SELECT RAISE(ABORT, 'package hardware never changes'); END;
        CREATE TRIGGER package_models_fixed BEFORE UPDATE ON package_models
          BEGIN SELECT RAISE(ABORT, 'package models never change'); END;
        CREATE TRIGGER package_models_no_delete BEFORE DELETE ON package_models
          BEGIN SELECT RAISE(ABORT, 'package models never change'); END;
        CREATE TRIGGER package_models_insert_draft_only BEFORE INSERT ON package_models
          WHEN (SELECT state FROM packages WHERE id = NEW.package_id) IS NOT 'draft'
          BEGIN SELECT RAISE(ABORT, 'package models never change'); END;
        CREATE TRIGGER package_events_no_update BEFORE UPDATE ON package_events
          BEGIN SELECT RAISE(ABORT, 'package history is append-only'); END;
        CREATE TRIGGER package_events_no_delete BEFORE DELETE ON package_events
          BEGIN SELECT RAISE(ABORT, 'package history is append-only'); END;
        CREATE TRIGGER package_signatures_no_update BEFORE UPDATE ON package_signatures
          BEGIN SELECT RAISE(ABORT, 'package signatures never change'); END;
        CREATE TRIGGER package_signatures_no_delete BEFORE DELETE ON package_signatures
          BEGIN SELECT RAISE(ABORT, 'package signatures never change'); END;
        CREATE TRIGGER package_signatures_validated_only BEFORE INSERT ON package_signatures
          WHEN (SELECT state FROM packages WHERE id = NEW.package_id) IS NOT 'validated'
          BEGIN SELECT RAISE(ABORT, 'a package is signed only when it is approved'); END;
        """,
        // 5 (fleet inventory, issue 3): what a snapshot import needs beyond migration 2.
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
        // 6: campaign management and the loop back from the vehicles (design/campaigns.md).
        // `targets` is the frozen list a campaign works on; `due` is when a step must next
        // look at a target (answer or install timeout, retry, reminder), so that a step reads
        // only index entries that are due. `final` marks targets whose outcome is settled
        // (a failed target with a retry left is not final). `campaign_counts` holds the
        // counters that statistics read (kept as targets move), `campaign_timeline` the
        // per-hour events; both can be recounted from the rows.
        """
        CREATE TABLE campaigns(
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL,
          category TEXT NOT NULL,
          priority INTEGER NOT NULL,
          spec BLOB NOT NULL,           -- canonical CBOR (docs/schemas/campaign.cddl)
          state TEXT NOT NULL CHECK(state IN ('draft', 'approved', 'scheduled', 'running', 'paused', 'completed', 'aborted')),
          author TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          approved_by TEXT,
          approved_at INTEGER,
          seed INTEGER NOT NULL,
          test INTEGER NOT NULL DEFAULT 0,
          start_at INTEGER,             -- scheduled start, or NULL
          end_at INTEGER NOT NULL,
          targets INTEGER NOT NULL DEFAULT 0,
          excluded BLOB,                -- CBOR {reason => uint}, at approval
          open_wave INTEGER NOT NULL DEFAULT -1,  -- highest wave index opened
          gate_at INTEGER,              -- when the open wave reached its success gate
          rate_minute INTEGER NOT NULL DEFAULT 0, -- the minute (now / 60) of the budget below
          rate_used INTEGER NOT NULL DEFAULT 0,   -- notifications sent in that minute
          successes INTEGER NOT NULL DEFAULT 0,   -- for the rate's ramp
          next_due INTEGER              -- earliest time a step has something to do, NULL: none
        ) STRICT;
        CREATE INDEX campaigns_due ON campaigns(next_due) WHERE next_due IS NOT NULL;
        CREATE TABLE campaign_packages(
          campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
          position INTEGER NOT NULL,    -- install order
          package_id INTEGER NOT NULL REFERENCES packages(id),
          PRIMARY KEY(campaign_id, position)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE campaign_events(   -- every state a campaign entered, append-only
          id INTEGER PRIMARY KEY,
          campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
          state TEXT NOT NULL,
          actor TEXT NOT NULL,
          at INTEGER NOT NULL,
          reason TEXT
        ) STRICT;
        CREATE INDEX campaign_events_by_campaign ON campaign_events(campaign_id, id);
        CREATE TABLE campaign_waves(
          campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
          idx INTEGER NOT NULL,
          targets INTEGER NOT NULL,
          opened INTEGER,               -- when the wave opened, NULL while pending
          PRIMARY KEY(campaign_id, idx)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE targets(
          id INTEGER PRIMARY KEY,
          campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
          vehicle_id INTEGER NOT NULL REFERENCES vehicles(id),
          vin TEXT NOT NULL,
          ord INTEGER NOT NULL,         -- position in the frozen, shuffled order
          wave INTEGER NOT NULL,
          market TEXT NOT NULL,
          model TEXT NOT NULL,
          variant TEXT NOT NULL,
          region TEXT,                  -- the spec region the market is in, or NULL
          state TEXT NOT NULL,
          final INTEGER NOT NULL DEFAULT 0,
          reason TEXT,                  -- of the last failure
          code INTEGER,
          due INTEGER,                  -- next timeout / retry / reminder, NULL: nothing due
          retries INTEGER NOT NULL DEFAULT 0,
          deferrals INTEGER NOT NULL DEFAULT 0,
          report_seq INTEGER NOT NULL DEFAULT -1,  -- newest applied report's seq
          message_seq INTEGER NOT NULL DEFAULT 0,  -- newest message's seq
          reports INTEGER NOT NULL DEFAULT 0,      -- reports kept (the quota)
          notified_at INTEGER,
          accepted_at INTEGER,
          last_report INTEGER,
          succeeded_at INTEGER,
          feedback TEXT,
          UNIQUE(campaign_id, vehicle_id),
          UNIQUE(campaign_id, ord)
        ) STRICT;
        CREATE INDEX targets_due ON targets(campaign_id, due, ord) WHERE due IS NOT NULL;
        CREATE INDEX targets_queued ON targets(campaign_id, ord) WHERE state = 'queued';
        CREATE INDEX targets_by_state ON targets(campaign_id, wave, state);
        CREATE INDEX targets_by_vehicle ON targets(vehicle_id, campaign_id);
        CREATE TABLE target_ecus(       -- per ECU of a target: what it installs, and the outcome
          target_id INTEGER NOT NULL REFERENCES targets(id),
          position INTEGER NOT NULL,    -- the package's install position in the campaign
          ecu_id INTEGER NOT NULL REFERENCES ecus(id),
          node TEXT NOT NULL,
          slot INTEGER NOT NULL,
          hw TEXT NOT NULL,
          from_sw TEXT NOT NULL,
          to_sw TEXT NOT NULL,
          outcome TEXT NOT NULL DEFAULT 'pending' CHECK(outcome IN ('pending', 'verified', 'failed', 'installed')),
          PRIMARY KEY(target_id, position, node, slot)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX target_ecus_by_ecu ON target_ecus(ecu_id);
        CREATE TABLE campaign_counts(
          campaign_id INTEGER NOT NULL,
          dim TEXT NOT NULL,            -- 'state', 'final', 'wave', 'market', 'region', 'model', 'failure', 'tts'
          key TEXT NOT NULL,            -- '' for 'state'; the wave index, market, region, "model/variant", reason, bucket
          sub TEXT NOT NULL,            -- the target state; for 'failure' the code; '' for 'tts' and 'final'
          n INTEGER NOT NULL,
          PRIMARY KEY(campaign_id, dim, key, sub)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE campaign_timeline(
          campaign_id INTEGER NOT NULL,
          hour INTEGER NOT NULL,        -- now / 3600
          notified INTEGER NOT NULL DEFAULT 0,
          succeeded INTEGER NOT NULL DEFAULT 0,
          failed INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY(campaign_id, hour)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE outbox(            -- messages for the host to publish (at least once)
          id INTEGER PRIMARY KEY,
          campaign_id INTEGER NOT NULL,
          vehicle_id INTEGER,           -- NULL for campaign events
          kind TEXT NOT NULL,           -- 'offer', 'reminder', 'cancel', 'clear', 'event'
          topic TEXT NOT NULL,
          payload BLOB NOT NULL,        -- tagged COSE_Sign1, or empty (a retained clear)
          retain INTEGER NOT NULL,
          created_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX outbox_by_vehicle ON outbox(campaign_id, vehicle_id) WHERE vehicle_id IS NOT NULL;
        CREATE TABLE test_fleet(
          vehicle_id INTEGER PRIMARY KEY REFERENCES vehicles(id),
          added_by TEXT NOT NULL,
          added_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE vehicle_keys(
          vehicle_id INTEGER PRIMARY KEY REFERENCES vehicles(id),
          public_key BLOB NOT NULL CHECK(length(public_key) = 32),
          set_by TEXT NOT NULL,
          set_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE status_reports(    -- every report as received, with what became of it
          id INTEGER PRIMARY KEY,
          received_at INTEGER NOT NULL,
          actor TEXT NOT NULL,
          topic TEXT NOT NULL,
          report BLOB NOT NULL,
          campaign_id INTEGER,          -- when the report could be read
          target_id INTEGER,
          seq INTEGER,
          result TEXT NOT NULL CHECK(result IN ('applied', 'duplicate', 'stale', 'rejected')),
          reason TEXT
        ) STRICT;
        CREATE INDEX status_reports_by_target ON status_reports(target_id, seq) WHERE target_id IS NOT NULL;
        CREATE TRIGGER status_reports_no_update BEFORE UPDATE ON status_reports
          BEGIN SELECT RAISE(ABORT, 'status reports are kept as received'); END;
        CREATE TRIGGER status_reports_no_delete BEFORE DELETE ON status_reports
          BEGIN SELECT RAISE(ABORT, 'status reports are kept as received'); END;
        CREATE TRIGGER campaign_events_no_update BEFORE UPDATE ON campaign_events
          BEGIN SELECT RAISE(ABORT, 'campaign history is append-only'); END;
        CREATE TRIGGER campaign_events_no_delete BEFORE DELETE ON campaign_events
          BEGIN SELECT RAISE(ABORT, 'campaign history is append-only'); END;
        CREATE TRIGGER campaigns_spec_fixed
          BEFORE UPDATE OF id, name, category, priority, spec, author, created_at, seed, test ON campaigns
          BEGIN SELECT RAISE(ABORT, 'a campaign''s spec never changes'); END;
        CREATE TRIGGER campaigns_no_delete BEFORE DELETE ON campaigns
          BEGIN SELECT RAISE(ABORT, 'campaigns are never deleted'); END;
        """,
        // 7 (status, issue 10): paging a campaign's targets in frozen order by market or by
        // wave (ota_campaign_vehicles). Neither column changes after approval, so ingestion
        // and steps never touch these indexes; a state filter walks the (campaign_id, ord)
        // index instead (an index on the state would cost every target update).
        """
        CREATE INDEX targets_by_market ON targets(campaign_id, market, ord);
        CREATE INDEX targets_by_wave ON targets(campaign_id, wave, ord);
        """,
        // 8 (crash durability, issue 12): an outbox id is never given twice. Without
        // AUTOINCREMENT SQLite gives a new row the largest id + 1, so once the newest message
        // was acknowledged or superseded the next one got its id again (an emptied outbox
        // started again at 1): a host that tracks ids, as the gateway tracks those in flight,
        // took the new message for the old one, and acknowledging the old one deleted the new
        // one unpublished (so did a second acknowledgement of an old id, by two drainers or
        // one retrying its ack). A migrated store's ids go on after its largest pending one.
        """
        CREATE TABLE outbox_unique_ids(
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          campaign_id INTEGER NOT NULL,
          vehicle_id INTEGER,
          kind TEXT NOT NULL,
          topic TEXT NOT NULL,
          payload BLOB NOT NULL,
          retain INTEGER NOT NULL,
          created_at INTEGER NOT NULL
        ) STRICT;
        INSERT INTO outbox_unique_ids(id, campaign_id, vehicle_id, kind, topic, payload, retain, created_at)
          SELECT id, campaign_id, vehicle_id, kind, topic, payload, retain, created_at FROM outbox ORDER BY id;
        DROP TABLE outbox;
        ALTER TABLE outbox_unique_ids RENAME TO outbox;
        CREATE INDEX outbox_by_vehicle ON outbox(campaign_id, vehicle_id) WHERE vehicle_id IS NOT NULL;
        """,
        // 9 (issue 9, freezing): validation keeps what it resolved from the inventory, so
        // that approval need not export and resolve the inventory again. `inventory` is the
        // inventory generation (meta 'inventory_generation', bumped in the transaction of
        // every write that changes what an export shows) the plan was resolved from;
        // approval uses the plan only while the generation is unchanged. The candidates
        // (vehicles the resolver keeps, with their ECUs) are in chunks of CBOR; the test
        // fleet and busy vehicles are left out at approval. Deleted when the campaign is
        // approved or aborted. See CampaignPlanStore.swift for the encoding.
        // `campaigns.working_spec`: the spec without its `rule` (canonical CBOR, set once at
        // approval), which is what running a campaign reads: the rule's `vins` may list a
        // million VINs that only targeting needs. NULL for campaigns approved before.
        """
        ALTER TABLE campaigns ADD COLUMN working_spec BLOB;
        CREATE TRIGGER campaigns_working_spec_fixed BEFORE UPDATE OF working_spec ON campaigns
          WHEN OLD.working_spec IS NOT NULL
          BEGIN SELECT RAISE(ABORT, 'a campaign''s working spec never changes'); END;
        CREATE TABLE campaign_plans(
          campaign_id INTEGER PRIMARY KEY REFERENCES campaigns(id),
          inventory INTEGER NOT NULL,   -- the inventory generation it was resolved from
          header BLOB NOT NULL          -- CBOR: format, package ids, exclusions, counts, texts
        ) STRICT;
        CREATE TABLE campaign_plan_chunks(
          campaign_id INTEGER NOT NULL REFERENCES campaign_plans(campaign_id),
          idx INTEGER NOT NULL,         -- 0, 1, ... in candidate order
          candidates BLOB NOT NULL,     -- CBOR array of candidates
          PRIMARY KEY(campaign_id, idx)
        ) STRICT;
        """,
        // 10 (statistics): time to success is measured from a target's first offer in the
        // campaign, kept in `first_offer_at` and never reset (`notified_at` is the current
        // attempt's notification: a retry clears it, a reminder moves it, so measuring from it
        // left out successes after a retry and counted a reminder as the start). A migrated
        // target takes its `notified_at`, the best time known; a success the histogram left
        // out (no notification time kept) is counted in the first bucket ('0', the bucket of
        // 0 seconds), as a success without an offer is from now on: the histogram's total is
        // then the succeeded count.
        """
        ALTER TABLE targets ADD COLUMN first_offer_at INTEGER;
        UPDATE targets SET first_offer_at = notified_at;
        INSERT INTO campaign_counts(campaign_id, dim, key, sub, n)
          SELECT campaign_id, 'tts', '0', '', count(*) FROM targets
          WHERE state = 'succeeded' AND (notified_at IS NULL OR succeeded_at IS NULL) GROUP BY campaign_id
          ON CONFLICT(campaign_id, dim, key, sub) DO UPDATE SET n = n + excluded.n;
        """,
        // 11: campaign events are numbered. One step may send several events of one type at
        // one `at` (gates of successive waves, each opening the next), so tools need a number
        // to drop a duplicate by: `event_seq` is the seq of the campaign's latest event
        // (1, 2, 3, ...; campaign_events holds only the states). A migrated campaign's
        // events start at 1: those sent before had no seq.
        """
        ALTER TABLE campaigns ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;
        """,
    ]
}
