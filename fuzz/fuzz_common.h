/* fuzz_common.h: what every libFuzzer target of libota shares: the contract checks that turn a
 * broken promise of ota.h into a crash libFuzzer reports, and the prepared stores (a fleet, a
 * package, a campaign) the store targets run against. Built with the Swift toolchain's clang
 * (-fsanitize=fuzzer,address,undefined) over build/fuzz/libota.a (the Embedded archive with
 * coverage and AddressSanitizer); see the Makefile's `fuzz` target. */
#ifndef OTA_FUZZ_COMMON_H
#define OTA_FUZZ_COMMON_H
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#endif
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ota.h"
#include "cbor_build.h"

#define FZ_NOW 1780000000
#define FZ_VIN1 "WVWZZZ1KZAW000001"
#define FZ_VIN2 "WVWZZZ1KZAW000002"
#define FZ_VIN3 "1M8GDM9AXKP042788"

/* A broken contract: say which and abort, so libFuzzer keeps the input. */
#define FZ_REQUIRE(cond, what) do { if (!(cond)) { \
    fprintf(stderr, "fuzz contract broken: %s (%s) at %s:%d\n", what, #cond, __FILE__, __LINE__); abort(); } } while (0)

/* A result code ota.h declares, and on failure the message ota.h promises. */
static inline void fz_check_rc(int rc, const char *msg, const char *call) {
  FZ_REQUIRE(rc >= OTA_OK && rc <= OTA_CANCELLED, call);
  FZ_REQUIRE(rc != OTA_ERROR, call); /* OTA_ERROR is a bug in libota by its own definition */
  if (rc != OTA_OK) {
    FZ_REQUIRE(msg != NULL && msg[0] != '\0', call);
    FZ_REQUIRE(strcmp(msg, "not an error") != 0, call);
  }
}

/* An ota_buf out after a call: {NULL, 0} on failure, bytes on success (then freed). */
static inline void fz_check_out(int rc, ota_buf *out, const char *call) {
  if (rc != OTA_OK) FZ_REQUIRE(out->data == NULL && out->len == 0, call);
  else FZ_REQUIRE(out->data != NULL && out->len > 0, call);
}

/* Bytes out are one well-formed CBOR item. */
static inline void fz_check_cbor(const ota_buf *out, const char *call) {
  struct cbor_load_result res;
  cbor_item_t *item = cbor_load(out->data, out->len, &res);
  FZ_REQUIRE(item != NULL && res.error.code == CBOR_ERR_NONE && res.read == out->len, call);
  cbor_decref(&item);
}

/* Closes a store after its audit chain has verified (every change the inputs made is audited
 * and chained). NULL-safe. */
static inline void fz_close_verified(ota_db *db) {
  if (db == NULL) return;
  int64_t entries = 0, first_bad = -1;
  int rc = ota_audit_verify(db, &entries, &first_bad);
  if (rc != OTA_OK) fprintf(stderr, "fuzz: audit: %s\n", ota_errmsg(db));
  FZ_REQUIRE(rc == OTA_OK && first_bad == 0, "the audit chain verifies");
  ota_close(db);
}

/* The fixed documents the store targets are prepared with. */
static const uint8_t fz_content[] = "BCM image\n";

static inline cbor_item_t *fz_vehicle(const char *vin, const char *market, const char *sw) {
  return cb_array(7, cb_text(vin), cb_text("Aster"), cb_text("sedan"), cb_text("petrol"), cb_text(market),
                  cb_uint(1700000000u),
                  cb_array(2, cb_array(3, cb_text("BCM"), cb_text("BCM-A"), cb_text(sw)),
                           cb_array(3, cb_text("GW"), cb_text("GW-1"), cb_text("3.1"))));
}

static inline cb_doc fz_snapshot(void) {
  return cb_encode(cb_map(3, cb_uint(0), cb_uint(1), cb_uint(1), cb_uint(FZ_NOW - 100),
                          cb_uint(3), cb_array(3, fz_vehicle(FZ_VIN1, "DE", "1.0"), fz_vehicle(FZ_VIN2, "FR", "1.0"),
                                               fz_vehicle(FZ_VIN3, "US", "1.0"))));
}

static inline cb_doc fz_manifest(const char *ecu, const char *version, uint64_t counter) {
  uint8_t sha[32];
  crypto_hash_sha256(sha, fz_content, sizeof fz_content - 1);
  cbor_item_t *file = cb_map(4, cb_text("name"), cb_text("bcm.bin"), cb_text("size"), cb_uint(sizeof fz_content - 1),
                             cb_text("sha256"), cb_bytes(sha, 32), cb_text("uri"), cb_text("s3://ota/bcm.bin"));
  return cb_encode(cb_map(15,
      cb_text("name"), cb_text(ecu), cb_text("version"), cb_text(version), cb_text("ecu"), cb_text(ecu),
      cb_text("category"), cb_text("bugfix"), cb_text("release-type"), cb_text("routine"),
      cb_text("issue"), cb_text("door unlock"), cb_text("protocol"), cb_text("CAN"),
      cb_text("powertrains"), cb_array(1, cb_text("petrol")), cb_text("models"), cb_array(1, cb_text("Aster")),
      cb_text("hw"), cb_array(1, cb_text(strcmp(ecu, "GW") == 0 ? "GW-1" : "BCM-A")),
      cb_text("from"), cb_array(1, cb_text(strcmp(ecu, "GW") == 0 ? "3.1" : "1.0")),
      cb_text("to"), cb_text(version), cb_text("files"), cb_array(1, file),
      cb_text("release-notes"), cb_text("Fixed."), cb_text("release-counter"), cb_uint(counter)));
}

/* A store in memory with a bootstrap admin "root" and one actor per role. NULL on failure. */
static inline ota_db *fz_open_store(void) {
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  ota_db *db = NULL;
  opts.bootstrap_admin = "root";
  if (ota_open_ex(":memory:", &opts, &db) != OTA_OK) {
    fprintf(stderr, "fuzz: open: %s\n", ota_last_errmsg());
    return NULL;
  }
  static const char *grants[][2] = {{"eve", "engineer"}, {"ann", "approver"}, {"cam", "campaign-manager"}, {"gw", "gateway"}};
  for (size_t i = 0; i < sizeof grants / sizeof grants[0]; i++) {
    if (ota_grant(db, "root", FZ_NOW, grants[i][0], grants[i][1]) != OTA_OK) {
      fprintf(stderr, "fuzz: grant: %s\n", ota_errmsg(db));
      ota_close(db);
      return NULL;
    }
  }
  return db;
}

/* Adds the fleet and two approved packages (ids 1: BCM 2.0, 2: GW 3.2). 0 on success. */
static inline int fz_prepare_packages(ota_db *db) {
  uint8_t seed[32] = {7};
  ota_buf out = {NULL, 0};
  cb_doc d = fz_snapshot();
  int rc = ota_fleet_import(db, "eve", FZ_NOW, d.data, d.len, NULL, NULL, &out);
  cb_free(&d);
  ota_buf_free(&out);
  if (rc != OTA_OK || ota_set_signing_key(db, seed, "k1") != OTA_OK) goto fail;
  char path[] = "/tmp/ota-fuzz-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) goto fail;
  if (write(fd, fz_content, sizeof fz_content - 1) != (ssize_t)(sizeof fz_content - 1)) { close(fd); unlink(path); goto fail; }
  close(fd);
  static const char *pkgs[][2] = {{"BCM", "2.0"}, {"GW", "3.2"}};
  for (int64_t i = 0; i < 2; i++) {
    int64_t id = 0;
    d = fz_manifest(pkgs[i][0], pkgs[i][1], 1);
    rc = ota_package_register(db, "eve", FZ_NOW, d.data, d.len, &id);
    cb_free(&d);
    if (rc != OTA_OK || ota_package_verify_file(db, "eve", FZ_NOW, id, "bcm.bin", path) != OTA_OK ||
        ota_package_validate(db, "eve", FZ_NOW, id) != OTA_OK || ota_package_approve(db, "ann", FZ_NOW, id) != OTA_OK) {
      unlink(path);
      goto fail;
    }
  }
  unlink(path);
  return 0;
fail:
  fprintf(stderr, "fuzz: prepare: %s\n", ota_errmsg(db));
  return 1;
}

/* A test campaign of package 1 (BCM 2.0) over the test fleet {VIN1, VIN2}: spec only. */
static inline cb_doc fz_campaign_spec(void) {
  cbor_item_t *wave = cb_map(3, cb_text("share"), cb_uint(100), cb_text("success-gate"), cb_uint(50),
                             cb_text("failure-threshold"), cb_uint(50));
  return cb_encode(cb_map(8, cb_text("name"), cb_text("BCM fix"), cb_text("category"), cb_text("bugfix"),
                          cb_text("packages"), cb_array(1, cb_uint(1)), cb_text("test"), cb_bool(1),
                          cb_text("urgency"), cb_text("immediate"), cb_text("end"), cb_uint(FZ_NOW + 90 * 86400),
                          cb_text("waves"), cb_array(1, wave),
                          cb_text("timeouts"), cb_map(2, cb_text("answer"), cb_uint(86400), cb_text("install"), cb_uint(86400))));
}

#ifdef OTA_FUZZ_STATUS
/* The fleet and packages, and the campaign of fz_campaign_spec approved, started and stepped
 * so that its targets are notified and take status reports. Best effort: what fails is said
 * once and the target fuzzes on (reports are then rejected, which exercises the reader too). */
static inline void fz_prepare_running_campaign(ota_db *db) {
  static int told;
  int64_t id = 0;
  ota_buf out = {NULL, 0};
  cb_doc d;
  if (fz_prepare_packages(db) != 0) return;
  d = cb_encode(cb_array(2, cb_text(FZ_VIN1), cb_text(FZ_VIN2)));
  int rc = ota_test_fleet_add(db, "eve", FZ_NOW, d.data, d.len);
  cb_free(&d);
  if (rc == OTA_OK) {
    d = fz_campaign_spec();
    rc = ota_campaign_create(db, "cam", FZ_NOW, d.data, d.len, &id);
    cb_free(&d);
  }
  if (rc == OTA_OK) rc = ota_campaign_approve(db, "ann", FZ_NOW, id);
  if (rc == OTA_OK) rc = ota_campaign_start(db, "cam", FZ_NOW, id);
  if (rc == OTA_OK) rc = ota_campaign_step(db, "cam", FZ_NOW + 60, id, &out);
  ota_buf_free(&out);
  if (rc != OTA_OK && !told++) fprintf(stderr, "fuzz: campaign not running (%s): %s\n", ota_code_name(rc), ota_errmsg(db));
}
#endif
#endif
