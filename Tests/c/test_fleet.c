/* The fleet inventory API from C: result codes for bad arguments, malformed snapshots
 * (with the byte offset in the message), cancelling through the progress callback, roles.
 * Compiled as C99 (-pedantic -Werror) and as C++, linked against the Embedded libota.a. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "ota.h"
#include "check.h"
#include "cbor_build.h"

#define T0 1780000000u
#define NOW 1790000000

/* One vehicle of a snapshot: [vin, "M", "V", "P", market, 1000, [["BCM", "H", sw]]]. */
static cbor_item_t *vehicle(const char *vin, const char *market, const char *sw) {
  return cb_array(7, cb_text(vin), cb_text("M"), cb_text("V"), cb_text("P"), cb_text(market), cb_uint(1000),
                  cb_array(1, cb_array(3, cb_text("BCM"), cb_text("H"), cb_text(sw))));
}

/* A one-vehicle snapshot, {0: 1, 1: T0, 3: [vehicle]}, copied into out (128 bytes). */
static size_t snapshot(uint8_t *out, const char *vin, const char *sw) {
  cb_doc d = cb_encode(cb_map(3, cb_uint(0), cb_uint(1), cb_uint(1), cb_uint(T0),
                              cb_uint(3), cb_array(1, vehicle(vin, "DE", sw))));
  size_t n = d.len <= 128 ? d.len : 0;
  memcpy(out, d.data, n);
  cb_free(&d);
  return n;
}

/* A snapshot of n vehicles (market DE: no check digit), VINs WLXFLEET0TS + 6 digits. */
static cb_doc fleet(int n, const char *sw) {
  cbor_item_t *vehicles = cb_array_of((size_t)n);
  for (int i = 0; i < n; i++) {
    char vin[18];
    snprintf(vin, sizeof vin, "WLXFLEET0TS%06u", (unsigned)i % 1000000u);
    cb_push(vehicles, vehicle(vin, "DE", sw));
  }
  return cb_encode(cb_map(3, cb_uint(0), cb_uint(1), cb_uint(1), cb_uint(T0), cb_uint(3), vehicles));
}

static int stop_at_first(void *ctx, uint64_t done, uint64_t total) {
  (void)done; (void)total;
  ++*(int *)ctx;
  return 1;
}

static int count_calls(void *ctx, uint64_t done, uint64_t total) {
  (void)done; (void)total;
  ++*(int *)ctx;
  return 0;
}

static ota_db *open_store(void) {
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.bootstrap_admin = "alice";
  ota_db *db = NULL;
  CHECK(ota_open_ex(":memory:", &opts, &db) == OTA_OK);
  return db;
}

static void test_null_arguments(void) {
  ota_db *db = open_store();
  uint8_t snap[128];
  size_t len = snapshot(snap, "1M8GDM9AXKP042788", "1.0");
  ota_buf out = {NULL, 0};
  CHECK(ota_fleet_import(NULL, "alice", NOW, snap, len, NULL, NULL, &out) == OTA_MISUSE);
  CHECK(ota_fleet_import(db, NULL, NOW, snap, len, NULL, NULL, &out) == OTA_MISUSE);
  CHECK_MSG(ota_errmsg(db), "actor is NULL");
  CHECK(ota_fleet_import(db, "alice", NOW, NULL, len, NULL, NULL, &out) == OTA_MISUSE);
  CHECK_MSG(ota_errmsg(db), "snapshot is NULL");
  CHECK(ota_fleet_import(db, "", NOW, snap, len, NULL, NULL, &out) == OTA_BADINPUT);
  CHECK(ota_fleet_import(db, "alice", NOW, NULL, 0, NULL, NULL, &out) == OTA_BADINPUT);
  CHECK(ota_fleet_import(db, "alice", NOW, snap, (size_t)-1, NULL, NULL, &out) == OTA_BADINPUT);
  CHECK_MSG(ota_errmsg(db), "snapshot length 18446744073709551615 exceeds");
  CHECK(out.data == NULL && out.len == 0);
  CHECK(ota_fleet_export(NULL, NOW, &out) == OTA_MISUSE);
  CHECK(ota_fleet_export(db, NOW, NULL) == OTA_MISUSE);
  CHECK(ota_fleet_export(db, -1, &out) == OTA_BADINPUT);
  CHECK(ota_vehicle_get(NULL, "1M8GDM9AXKP042788", &out) == OTA_MISUSE);
  CHECK(ota_vehicle_get(db, NULL, &out) == OTA_MISUSE);
  CHECK_MSG(ota_errmsg(db), "vin is NULL");
  CHECK(ota_vehicle_get(db, "1M8GDM9AXKP042788", NULL) == OTA_MISUSE);
  CHECK(ota_vehicle_get(db, "1M8GDM9AXKP042788", &out) == OTA_NOTFOUND);
  CHECK_MSG(ota_errmsg(db), "no vehicle with VIN '1M8GDM9AXKP042788'");
  CHECK(out.data == NULL);
  ota_close(db);
}

static void test_import_export_get(void) {
  ota_db *db = open_store();
  uint8_t snap[128];
  size_t len = snapshot(snap, "1M8GDM9AXKP042788", "1.0");
  int calls = 0;
  /* summary may be NULL */
  CHECK(ota_fleet_import(db, "alice", NOW, snap, len, count_calls, &calls, NULL) == OTA_OK);
  CHECK(calls == 2); /* before writing, and at the end */
  ota_buf summary = {NULL, 0};
  len = snapshot(snap, "1M8GDM9AXKP042788", "1.1");
  CHECK(ota_fleet_import(db, "alice", NOW, snap, len, NULL, NULL, &summary) == OTA_OK);
  CHECK(summary.len > 0 && summary.data[0] == 0xaa); /* a map of 10 */
  ota_buf_free(&summary);
  ota_buf_free(&summary);

  ota_buf doc = {NULL, 0};
  CHECK(ota_vehicle_get(db, "1M8GDM9AXKP042788", &doc) == OTA_OK);
  CHECK(doc.len > 0 && doc.data[0] == 0xac); /* a map of 12 */
  ota_buf_free(&doc);
  CHECK(ota_fleet_export(db, NOW, &doc) == OTA_OK);
  CHECK(doc.len > 20 && doc.data[0] == 0xa4);
  ota_buf again = {NULL, 0};
  CHECK(ota_fleet_export(db, NOW, &again) == OTA_OK);
  CHECK(again.len == doc.len && memcmp(again.data, doc.data, doc.len) == 0);
  ota_buf_free(&again);
  ota_buf_free(&doc);
  ota_close(db);
}

static void test_bad_snapshots(void) {
  ota_db *db = open_store();
  uint8_t snap[128];
  size_t len = snapshot(snap, "1M8GDM9AXKP042788", "1.0");
  ota_buf out = {NULL, 0};
  /* truncated: the message names a byte offset */
  CHECK(ota_fleet_import(db, "alice", NOW, snap, len - 2, NULL, NULL, &out) == OTA_BADINPUT);
  CHECK_MSG(ota_errmsg(db), "byte");
  /* not a map */
  static const uint8_t array[] = {0x82, 0x01, 0x02};
  CHECK(ota_fleet_import(db, "alice", NOW, array, sizeof array, NULL, NULL, &out) == OTA_BADINPUT);
  CHECK_MSG(ota_errmsg(db), "byte");
  /* a reserved additional-information value in the middle */
  uint8_t bad[128];
  memcpy(bad, snap, len);
  bad[len - 4] = 0x1c; /* the head of the software version */
  CHECK(ota_fleet_import(db, "alice", NOW, bad, len, NULL, NULL, &out) == OTA_BADINPUT);
  CHECK_MSG(ota_errmsg(db), "byte");
  /* an I in the VIN: the vehicle is named */
  len = snapshot(snap, "1M8GDM9AXKP04278I", "1.0");
  CHECK(ota_fleet_import(db, "alice", NOW, snap, len, NULL, NULL, &out) == OTA_BADINPUT);
  CHECK_MSG(ota_errmsg(db), "vehicle 0");
  CHECK(out.data == NULL);
  CHECK(ota_vehicle_get(db, "1M8GDM9AXKP04278I", &out) == OTA_NOTFOUND);
  ota_close(db);
}

static void test_cancel_and_roles(void) {
  ota_db *db = open_store();
  uint8_t snap[128];
  size_t len = snapshot(snap, "1HGCM82633A004352", "1.0");
  ota_buf out = {NULL, 0};
  int calls = 0;
  CHECK(ota_fleet_import(db, "alice", NOW, snap, len, stop_at_first, &calls, &out) == OTA_CANCELLED);
  CHECK(calls == 1);
  CHECK_MSG(ota_errmsg(db), "nothing was changed");
  CHECK(out.data == NULL);
  CHECK(ota_vehicle_get(db, "1HGCM82633A004352", &out) == OTA_NOTFOUND);
  CHECK(ota_fleet_import(db, "mallory", NOW, snap, len, NULL, NULL, &out) == OTA_DENIED);
  CHECK_MSG(ota_errmsg(db), "engineer");
  int64_t entries = 0;
  CHECK(ota_audit_verify(db, &entries, NULL) == OTA_OK);
  CHECK(entries == 1); /* the bootstrap grant only */
  CHECK(ota_grant(db, "alice", NOW, "erin", "engineer") == OTA_OK);
  CHECK(ota_fleet_import(db, "erin", NOW, snap, len, NULL, NULL, NULL) == OTA_OK);
  CHECK(ota_vehicle_get(db, "1HGCM82633A004352", &out) == OTA_OK);
  ota_buf_free(&out);
  CHECK(ota_audit_verify(db, &entries, NULL) == OTA_OK);
  CHECK(entries == 3); /* bootstrap, grant, import */
  ota_close(db);
}

/* A store file with admin alice, and its path (removed by the caller). */
static ota_db *open_file(const char *path) {
  remove(path);
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.bootstrap_admin = "alice";
  ota_db *db = NULL;
  CHECK(ota_open_ex(path, &opts, &db) == OTA_OK);
  return db;
}

static void remove_store(const char *path) {
  char name[256];
  remove(path);
  snprintf(name, sizeof name, "%s-wal", path);
  remove(name);
  snprintf(name, sizeof name, "%s-shm", path);
  remove(name);
}

/* Another handle on the store grants a role while the import's check pass runs. */
struct writer { ota_db *other; int check_calls, granted; };
static int grant_while_checking(void *ctx, uint64_t done, uint64_t total) {
  struct writer *w = (struct writer *)ctx;
  (void)done;
  if (total == 0) {
    w->check_calls++;
    w->granted += ota_grant(w->other, "alice", NOW, "gwen", "gateway") == OTA_OK;
  }
  return 0;
}

static void test_check_pass_holds_no_lock(void) {
  const char *path = "test_fleet_lock.db";
  ota_db *db = open_file(path), *other = NULL;
  CHECK(ota_open(path, &other) == OTA_OK);
  cb_doc snap = fleet(10001, "1.0"); /* the check pass reports after 10,000 vehicles */
  struct writer w = {other, 0, 0};
  ota_buf summary = {NULL, 0};
  CHECK(ota_fleet_import(db, "alice", NOW, snap.data, snap.len, grant_while_checking, &w, &summary) == OTA_OK);
  CHECK(w.check_calls == 1 && w.granted == 1);
  CHECK(summary.len > 0);
  ota_buf_free(&summary);
  ota_buf doc = {NULL, 0};
  CHECK(ota_vehicle_get(other, "WLXFLEET0TS010000", &doc) == OTA_OK);
  ota_buf_free(&doc);
  cb_free(&snap);
  ota_close(other);
  ota_close(db);
  remove_store(path);
}

/* Between the two passes ("before writing": done 0 of a known total) the caller's buffer
 * changes: an inline software version. */
static int change_between_passes(void *ctx, uint64_t done, uint64_t total) {
  uint8_t *sw = (uint8_t *)ctx;
  if (done == 0 && total > 0) sw[2] = '9'; /* "1.0" -> "1.9" */
  return 0;
}

static void test_snapshot_changed_between_passes(void) {
  ota_db *db = open_store();
  uint8_t snap[128];
  size_t len = snapshot(snap, "1M8GDM9AXKP042788", "1.0");
  ota_buf summary = {NULL, 0};
  CHECK(ota_fleet_import(db, "alice", NOW, snap, len, change_between_passes, snap + len - 3, &summary) == OTA_ERROR);
  CHECK_MSG(ota_errmsg(db), "the snapshot changed between the import's two passes");
  CHECK(summary.data == NULL && summary.len == 0);
  ota_buf doc = {NULL, 0};
  CHECK(ota_vehicle_get(db, "1M8GDM9AXKP042788", &doc) == OTA_NOTFOUND);
  ota_close(db);
}

/* Raw SQL on the store file, as another tool would write it. */
static void tamper(const char *path, const char *sql) {
  sqlite3 *raw = NULL;
  CHECK(sqlite3_open(path, &raw) == SQLITE_OK);
  CHECK(sqlite3_exec(raw, sql, NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(raw);
}

static void test_tampered_store(void) {
  const char *path = "test_fleet_tampered.db";
  ota_db *db = open_file(path);
  uint8_t snap[128];
  size_t len = snapshot(snap, "1M8GDM9AXKP042788", "1.0");
  CHECK(ota_fleet_import(db, "alice", NOW, snap, len, NULL, NULL, NULL) == OTA_OK);
  ota_close(db);
  tamper(path, "UPDATE vehicles SET produced = -5");
  CHECK(ota_open(path, &db) == OTA_OK);
  uint8_t junk = 0;
  ota_buf out = {&junk, 1};
  CHECK(ota_fleet_export(db, NOW, &out) == OTA_CORRUPT);
  CHECK_MSG(ota_errmsg(db), "stored vehicle row 1 (VIN '1M8GDM9AXKP042788'): produced is -5");
  CHECK(out.data == NULL && out.len == 0);
  CHECK(ota_vehicle_get(db, "1M8GDM9AXKP042788", &out) == OTA_CORRUPT);
  CHECK_MSG(ota_errmsg(db), "produced is -5");
  CHECK(out.data == NULL && out.len == 0);
  ota_close(db);
  tamper(path, "UPDATE vehicles SET produced = 5, attributes = x'a1636b6579a0'"); /* {"key": {}} */
  CHECK(ota_open(path, &db) == OTA_OK);
  CHECK(ota_fleet_export(db, NOW, &out) == OTA_CORRUPT);
  CHECK_MSG(ota_errmsg(db), "attribute 'key' is a map");
  CHECK(ota_vehicle_get(db, "1M8GDM9AXKP042788", &out) == OTA_CORRUPT);
  ota_close(db);
  remove_store(path);
}

int main(void) {
  test_null_arguments();
  test_import_export_get();
  test_bad_snapshots();
  test_cancel_and_roles();
  test_check_pass_holds_no_lock();
  test_snapshot_changed_between_passes();
  test_tampered_store();
  return check_report("test_fleet");
}
