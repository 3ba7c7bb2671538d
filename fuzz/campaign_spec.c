/* Fuzz target: the campaign spec. The input is created as a draft (ota_campaign_create, as a
 * campaign manager) on a store prepared once with a fleet and two approved packages (ids 1
 * and 2), reopened and prepared again every 2048 inputs. A created campaign is validated
 * (ota_campaign_validate) and read back (ota_campaign_get). Contract: declared codes with a
 * message; *id unchanged on failure; a created spec validates and reads back (OTA_OK, one
 * CBOR item each). Built only when the archive has ota_campaign_create (see the Makefile). */
#include "fuzz_common.h"

static ota_db *db;
static unsigned runs;

static void reopen(void) {
  fz_close_verified(db);
  db = fz_open_store();
  FZ_REQUIRE(db != NULL, "open the store");
  FZ_REQUIRE(fz_prepare_packages(db) == 0, "prepare the packages");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (db == NULL || ++runs % 2048 == 0) reopen();
  int64_t id = -7;
  int rc = ota_campaign_create(db, "cam", FZ_NOW, data, size, &id);
  fz_check_rc(rc, ota_errmsg(db), "ota_campaign_create");
  if (rc != OTA_OK) {
    FZ_REQUIRE(id == -7, "*id unchanged on failure");
    return 0;
  }
  ota_buf out = {(uint8_t *)1, 7};
  rc = ota_campaign_validate(db, id, &out);
  fz_check_rc(rc, ota_errmsg(db), "ota_campaign_validate");
  FZ_REQUIRE(rc == OTA_OK, "a created campaign validates");
  fz_check_out(rc, &out, "ota_campaign_validate");
  fz_check_cbor(&out, "ota_campaign_validate result");
  ota_buf_free(&out);
  out.data = (uint8_t *)1;
  rc = ota_campaign_get(db, id, &out);
  fz_check_rc(rc, ota_errmsg(db), "ota_campaign_get");
  FZ_REQUIRE(rc == OTA_OK, "a created campaign reads back");
  fz_check_cbor(&out, "ota_campaign_get result");
  ota_buf_free(&out);
  return 0;
}
