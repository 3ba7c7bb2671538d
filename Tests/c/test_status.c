/* Status ingestion, vehicle keys, statistics and per-vehicle rows from C: a store with a
 * fleet imported through the API and a running campaign written with SQLite (as approval and
 * the first step would), then every call of the "Status reports and statistics" section with
 * its result codes. Compiled as C99 (-pedantic -Werror) and as C++. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota.h"
#include "check.h"
#include "cbor_stream.h"

#define T0 1780000000u
#define NOTIFIED 1780001000
#define PATH "test_status.db"


static const char *vins[3] = {"WVWZZZ1KZAW000001", "WVWZZZ1KZAW000002", "WVWZZZ1KZAW000003"};

static size_t snapshot(enc *e) {
  int i;
  e->n = 0;
  head(e, 5, 3); head(e, 0, 0); head(e, 0, 1); head(e, 0, 1); head(e, 0, T0); head(e, 0, 3); head(e, 4, 3);
  for (i = 0; i < 3; i++) {
    head(e, 4, 7); txt(e, vins[i]); txt(e, "Aster"); txt(e, "sedan"); txt(e, "petrol"); txt(e, "DE");
    head(e, 0, 1700000000u); head(e, 4, 1); head(e, 4, 3); txt(e, "BCM"); txt(e, "BCM-A"); txt(e, "1.0");
  }
  return e->n;
}

static size_t spec(enc *e) {
  e->n = 0;
  head(e, 5, 7);
  kt(e, "name", "BCM fix"); kt(e, "category", "bugfix");
  txt(e, "packages"); head(e, 4, 1); head(e, 0, 1);
  kt(e, "urgency", "immediate"); ku(e, "end", T0 + 90u * 86400u);
  txt(e, "waves"); head(e, 4, 1); head(e, 5, 3); ku(e, "share", 100); ku(e, "success-gate", 50); ku(e, "failure-threshold", 50);
  txt(e, "timeouts"); head(e, 5, 2); ku(e, "answer", 86400); ku(e, "install", 86400);
  return e->n;
}

static size_t report(enc *e, int i, unsigned seq, const char *state, const char *sw) {
  e->n = 0;
  head(e, 5, sw ? 5 : 4);
  kt(e, "vin", vins[i]); ku(e, "campaign", 1); ku(e, "seq", seq); kt(e, "state", state);
  if (sw) { txt(e, "ecus"); head(e, 4, 1); head(e, 5, 4); kt(e, "node", "BCM"); ku(e, "slot", 0); kt(e, "hw", "BCM-A"); kt(e, "sw", sw); }
  return e->n;
}

static int contains(const ota_buf *b, const char *s) {
  size_t n = strlen(s), i;
  for (i = 0; b->data && i + n <= b->len; i++) if (memcmp(b->data + i, s, n) == 0) return 1;
  return 0;
}

static void topic(char *out, int i) { snprintf(out, 64, "ota/v1/vehicles/%s/status", vins[i]); }

/* The campaign, its waves, targets, ECUs and counters, straight into the tables. */
static void campaign(void) {
  sqlite3 *s = NULL;
  sqlite3_stmt *st = NULL;
  enc e;
  char sql[1024];
  int i;
  CHECK(sqlite3_open(PATH, &s) == SQLITE_OK);
  CHECK(sqlite3_exec(s, "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
  CHECK(sqlite3_prepare_v2(s, "INSERT INTO campaigns(id, name, category, priority, spec, state, author, created_at, seed, "
                           "end_at, targets, open_wave) VALUES(1, 'BCM fix', 'bugfix', 500, ?, 'running', 'cam', 1, 7, 1, 3, 0)",
                           -1, &st, NULL) == SQLITE_OK);
  spec(&e);
  sqlite3_bind_blob(st, 1, e.b, (int)e.n, SQLITE_TRANSIENT);
  CHECK(sqlite3_step(st) == SQLITE_DONE);
  sqlite3_finalize(st);
  snprintf(sql, sizeof sql, "INSERT INTO campaign_waves VALUES(1, 0, 3, %d);"
           "INSERT INTO campaign_counts VALUES(1, 'state', '', 'notified', 3), (1, 'wave', '0', 'notified', 3),"
           "(1, 'market', 'DE', 'notified', 3), (1, 'model', 'Aster/sedan', 'notified', 3);"
           "INSERT INTO campaign_timeline(campaign_id, hour, notified) VALUES(1, %d, 3);", NOTIFIED, NOTIFIED / 3600);
  CHECK(sqlite3_exec(s, sql, NULL, NULL, NULL) == SQLITE_OK);
  for (i = 0; i < 3; i++) {
    snprintf(sql, sizeof sql,
             "INSERT INTO targets(campaign_id, vehicle_id, vin, ord, wave, market, model, variant, state, notified_at, "
             "first_offer_at, due) SELECT 1, id, vin, %d, 0, market, model, variant, 'notified', %d, %d, %d "
             "FROM vehicles WHERE vin = '%s';"
             "INSERT INTO target_ecus(target_id, position, ecu_id, node, slot, hw, from_sw, to_sw) "
             "SELECT last_insert_rowid(), 0, e.id, 'BCM', 0, 'BCM-A', '1.0', '2.0' FROM ecus e JOIN vehicles v "
             "ON v.id = e.vehicle_id WHERE v.vin = '%s' AND e.node = 'BCM';",
             i, NOTIFIED, NOTIFIED, NOTIFIED + 86400, vins[i], vins[i]);
    CHECK(sqlite3_exec(s, sql, NULL, NULL, NULL) == SQLITE_OK);
  }
  CHECK(sqlite3_exec(s, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(s);
}

int main(void) {
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  ota_db *db = NULL;
  ota_buf out = {NULL, 0};
  enc e;
  char t[64];
  uint8_t key[32];
  int64_t entries = 0, bad = 0;

  remove(PATH); remove(PATH "-wal"); remove(PATH "-shm");
  opts.bootstrap_admin = "alice";
  CHECK(ota_open_ex(PATH, &opts, &db) == OTA_OK);
  CHECK(ota_grant(db, "alice", 1, "gw", "gateway") == OTA_OK);
  CHECK(ota_grant(db, "alice", 1, "eve", "engineer") == OTA_OK);
  snapshot(&e);
  CHECK(ota_fleet_import(db, "eve", 2, e.b, e.n, NULL, NULL, &out) == OTA_OK);
  ota_buf_free(&out);
  campaign();

  /* one report: applied; again: duplicate; a rejected report is still OTA_OK */
  topic(t, 0);
  report(&e, 0, 1, "accepted", NULL);
  CHECK(ota_status_ingest(db, "gw", NOTIFIED + 10, t, e.b, e.n, &out) == OTA_OK);
  CHECK(contains(&out, "applied") && contains(&out, "accepted"));
  ota_buf_free(&out);
  CHECK(ota_status_ingest(db, "gw", NOTIFIED + 11, t, e.b, e.n, &out) == OTA_OK);
  CHECK(contains(&out, "duplicate"));
  ota_buf_free(&out);
  CHECK(ota_status_ingest(db, "gw", NOTIFIED + 12, t, e.b, e.n, NULL) == OTA_OK);   /* result not wanted */
  report(&e, 0, 2, "installed", "2.0");
  CHECK(ota_status_ingest(db, "gw", NOTIFIED + 900, t, e.b, e.n, &out) == OTA_OK);
  CHECK(contains(&out, "succeeded"));
  ota_buf_free(&out);
  report(&e, 0, 3, "installing", NULL);
  CHECK(ota_status_ingest(db, "gw", NOTIFIED + 901, t, e.b, e.n, &out) == OTA_OK);
  CHECK(contains(&out, "rejected") && contains(&out, "transition") && contains(&out, "succeeded -> installing"));
  ota_buf_free(&out);

  /* the topic's VIN must be the report's */
  topic(t, 1);
  report(&e, 0, 4, "installing", NULL);
  CHECK(ota_status_ingest(db, "gw", NOTIFIED + 902, t, e.b, e.n, &out) == OTA_OK);
  CHECK(contains(&out, "topic"));
  ota_buf_free(&out);

  /* a batch: [[topic, bytes], [topic, bytes], 7] */
  {
    enc b, r;
    b.n = 0;
    head(&b, 4, 3);
    head(&b, 4, 2); topic(t, 1); txt(&b, t); report(&r, 1, 1, "downloading", NULL); bin(&b, r.b, r.n);
    head(&b, 4, 2); topic(t, 2); txt(&b, t); report(&r, 2, 1, "installed", "1.9"); bin(&b, r.b, r.n);
    head(&b, 0, 7);
    CHECK(ota_status_ingest_batch(db, "gw", NOTIFIED + 1000, b.b, b.n, &out) == OTA_OK);
    CHECK(out.len > 0 && out.data[0] == 0x83);
    CHECK(contains(&out, "downloading") && contains(&out, "failed") && contains(&out, "malformed"));
    ota_buf_free(&out);
    CHECK(ota_status_ingest_batch(db, "gw", NOTIFIED, b.b, 3, &out) == OTA_BADINPUT);   /* truncated */
    CHECK(out.data == NULL);
  }

  /* statistics and rows */
  CHECK(ota_campaign_stats(db, 1, NOTIFIED + 2000, &out) == OTA_OK);
  CHECK(contains(&out, "by-state") && contains(&out, "time-to-success") && contains(&out, "verification"));
  ota_buf_free(&out);
  CHECK(ota_campaign_stats(db, 2, 0, &out) == OTA_NOTFOUND);
  CHECK_MSG(ota_errmsg(db), "no campaign 2");
  CHECK(ota_campaign_vehicles(db, 1, NULL, 0, &out) == OTA_OK);
  CHECK(contains(&out, vins[0]) && contains(&out, vins[2]) && contains(&out, "last-report"));
  ota_buf_free(&out);
  {
    static const uint8_t filter[] = {0xa1, 0x65, 'l', 'i', 'm', 'i', 't', 0x00};   /* {"limit": 0} */
    CHECK(ota_campaign_vehicles(db, 1, filter, sizeof filter, &out) == OTA_BADINPUT);
    CHECK_MSG(ota_errmsg(db), "limit");
    CHECK(ota_campaign_vehicles(db, 1, NULL, 3, &out) == OTA_MISUSE);
  }

  /* vehicle keys: then only signed reports apply */
  memset(key, 7, sizeof key);
  CHECK(ota_vehicle_set_key(db, "gw", 5, vins[1], key) == OTA_DENIED);
  CHECK(ota_vehicle_set_key(db, "eve", 5, "WVWZZZ1KZAW999999", key) == OTA_NOTFOUND);
  CHECK(ota_vehicle_set_key(db, "eve", 5, vins[1], NULL) == OTA_MISUSE);
  CHECK(ota_vehicle_set_key(db, "eve", 5, vins[1], key) == OTA_OK);
  topic(t, 1);
  report(&e, 1, 2, "downloaded", NULL);
  CHECK(ota_status_ingest(db, "gw", NOTIFIED + 3000, t, e.b, e.n, &out) == OTA_OK);
  CHECK(contains(&out, "signature"));
  ota_buf_free(&out);

  /* misuse and roles */
  CHECK(ota_status_ingest(NULL, "gw", 0, t, e.b, e.n, &out) == OTA_MISUSE);
  CHECK(ota_status_ingest(db, "gw", 0, NULL, e.b, e.n, &out) == OTA_MISUSE);
  CHECK(ota_status_ingest(db, "gw", 0, t, NULL, 5, &out) == OTA_MISUSE);
  CHECK(ota_status_ingest(db, "eve", 0, t, e.b, e.n, &out) == OTA_DENIED);
  CHECK_MSG(ota_errmsg(db), "gateway");
  CHECK(ota_status_ingest_batch(db, "gw", 0, NULL, 0, &out) == OTA_BADINPUT);

  CHECK(ota_audit_verify(db, &entries, &bad) == OTA_OK);
  CHECK(entries > 0);
  CHECK(ota_close(db) == OTA_OK);

  /* the open option, and an unknown flag */
  opts.flags = OTA_OPEN_FAST_INGEST;
  CHECK(ota_open_ex(PATH, &opts, &db) == OTA_OK);
  topic(t, 2);
  report(&e, 2, 9, "received", NULL);
  CHECK(ota_status_ingest(db, "gw", NOTIFIED + 4000, t, e.b, e.n, &out) == OTA_OK);
  ota_buf_free(&out);
  CHECK(ota_close(db) == OTA_OK);
  opts.flags = 0x80u;
  CHECK(ota_open_ex(PATH, &opts, &db) == OTA_MISUSE);
  CHECK(db == NULL);

  remove(PATH); remove(PATH "-wal"); remove(PATH "-shm");
  return check_report("test_status");
}
