/* The fleet inventory API from C: result codes for bad arguments, malformed snapshots
 * (with the byte offset in the message), cancelling through the progress callback, roles.
 * Compiled as C99 (-pedantic -Werror) and as C++, linked against the Embedded libota.a. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota.h"
#include "check.h"

#define T0 1780000000u
#define NOW 1790000000

/* A one-vehicle snapshot, written by hand:
 * {0: 1, 1: T0, 3: [[vin, "M", "V", "P", "DE", T0 - 1000, [["BCM", "H", sw]]]]} */
static size_t snapshot(uint8_t *out, const char *vin, const char *sw) {
  size_t n = 0;
  static const uint8_t top[] = {0xa3, 0x00, 0x01, 0x01, 0x1a};
  memcpy(out + n, top, sizeof top); n += sizeof top;
  out[n++] = (uint8_t)(T0 >> 24); out[n++] = (uint8_t)(T0 >> 16); out[n++] = (uint8_t)(T0 >> 8); out[n++] = (uint8_t)T0;
  out[n++] = 0x03; out[n++] = 0x81; out[n++] = 0x87;
  out[n++] = 0x71; memcpy(out + n, vin, 17); n += 17;
  static const uint8_t fields[] = {0x61, 'M', 0x61, 'V', 0x61, 'P', 0x62, 'D', 'E', 0x19, 0x03, 0xe8,
                                   0x81, 0x83, 0x63, 'B', 'C', 'M', 0x61, 'H'};
  memcpy(out + n, fields, sizeof fields); n += sizeof fields;
  size_t len = strlen(sw);
  out[n++] = (uint8_t)(0x60 + len); memcpy(out + n, sw, len); n += len;
  return n;
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

int main(void) {
  test_null_arguments();
  test_import_export_get();
  test_bad_snapshots();
  test_cancel_and_roles();
  return check_report("test_fleet");
}
