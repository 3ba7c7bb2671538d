/* Fuzz target: the package manifest. The input is registered (ota_package_register, as an
 * engineer) on an in-memory store opened once and reopened every 4096 inputs (so that what
 * earlier inputs registered neither fills memory nor hides later registrations behind a
 * name + version conflict for long). Contract: a declared code with a message, *id unchanged
 * on failure; a registered manifest reads back (ota_package_get: OK and one CBOR item) and
 * registering it again is OTA_CONFLICT. */
#include "fuzz_common.h"

static ota_db *db;
static unsigned runs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (db == NULL || ++runs % 4096 == 0) {
    fz_close_verified(db);
    db = fz_open_store();
    FZ_REQUIRE(db != NULL, "open the store");
  }
  int64_t id = -7;
  int rc = ota_package_register(db, "eve", FZ_NOW, data, size, &id);
  fz_check_rc(rc, ota_errmsg(db), "ota_package_register");
  FZ_REQUIRE(ota_errcode(db) == rc, "ota_errcode");
  if (rc != OTA_OK) {
    FZ_REQUIRE(id == -7, "*id unchanged on failure");
    return 0;
  }
  FZ_REQUIRE(id >= 1, "a new id");
  ota_buf out = {(uint8_t *)1, 7};
  rc = ota_package_get(db, id, &out);
  fz_check_rc(rc, ota_errmsg(db), "ota_package_get");
  FZ_REQUIRE(rc == OTA_OK, "a registered package reads back");
  fz_check_out(rc, &out, "ota_package_get");
  fz_check_cbor(&out, "ota_package_get result");
  ota_buf_free(&out);
  int64_t again = -7;
  rc = ota_package_register(db, "eve", FZ_NOW, data, size, &again);
  fz_check_rc(rc, ota_errmsg(db), "ota_package_register again");
  FZ_REQUIRE(rc == OTA_CONFLICT && again == -7, "name + version registered once");
  return 0;
}
