/* The small fleet and BCM package that the campaign C tests share (NOW, VIN1 and VIN2 are
 * defined by the test before including this). */
#ifndef OTA_TEST_CAMPAIGN_FIXTURE_H
#define OTA_TEST_CAMPAIGN_FIXTURE_H

#include <sodium.h>
#include <stdio.h>
#include "ota.h"
#include "cbor_stream.h"

#define NOW 1700000000
#define VIN1 "1M8GDM9AXKP042788"
#define VIN2 "1HGCM82633A004352"


static const uint8_t content[] = "BCM image\n";

static void vehicle(enc *e, const char *vin) {
  head(e, 4, 7);
  txt(e, vin); txt(e, "M"); txt(e, "V"); txt(e, "P"); txt(e, "DE"); head(e, 0, 1000);
  head(e, 4, 1); head(e, 4, 3); txt(e, "BCM"); txt(e, "H"); txt(e, "1.0");
}

static size_t snapshot(enc *e) {
  e->n = 0;
  head(e, 5, 3);
  head(e, 0, 0); head(e, 0, 1);
  head(e, 0, 1); head(e, 0, NOW - 100);
  head(e, 0, 3); head(e, 4, 2); vehicle(e, VIN1); vehicle(e, VIN2);
  return e->n;
}

static size_t manifest(enc *e) {
  uint8_t sha[32];
  crypto_hash_sha256(sha, content, sizeof content - 1);
  e->n = 0;
  head(e, 5, 15);
  kv(e, "name", "BCM-fw"); kv(e, "version", "2.0"); kv(e, "ecu", "BCM");
  kv(e, "category", "bugfix"); kv(e, "release-type", "routine");
  kv(e, "issue", "door unlock"); kv(e, "protocol", "CAN");
  list1(e, "powertrains", "P"); list1(e, "models", "M"); list1(e, "hw", "H");
  list1(e, "from", "1.0"); kv(e, "to", "2.0");
  txt(e, "files"); head(e, 4, 1); head(e, 5, 4);
  kv(e, "name", "bcm.bin"); ku(e, "size", sizeof content - 1);
  txt(e, "sha256"); head(e, 2, 32); memcpy(e->b + e->n, sha, 32); e->n += 32;
  kv(e, "uri", "s3://ota/bcm.bin");
  kv(e, "release-notes", "Fixed."); ku(e, "release-counter", 1);
  return e->n;
}

/* Registers manifest() as eve, verifies its file (written to `file` and removed again),
 * validates it and has ann approve it: the released package's id, or 0 when a step fails
 * (then ota_errmsg(db) says which). */
static int64_t release_package(ota_db *db, enc *e, const char *file) {
  int64_t package = 0;
  FILE *f = fopen(file, "wb");
  if (f == NULL) return 0;
  size_t wrote = fwrite(content, 1, sizeof content - 1, f);
  fclose(f);
  int ok = wrote == sizeof content - 1 &&
           ota_package_register(db, "eve", NOW, e->b, manifest(e), &package) == OTA_OK &&
           ota_package_verify_file(db, "eve", NOW, package, "bcm.bin", file) == OTA_OK &&
           ota_package_validate(db, "eve", NOW, package) == OTA_OK &&
           ota_package_approve(db, "ann", NOW, package) == OTA_OK;
  remove(file);
  return ok ? package : 0;
}

#endif
