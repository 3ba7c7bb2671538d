/* Campaigns through the header: create, validate, approve (two-person rule), get, list and
 * the test fleet, with their error codes. Built as C99 and as C++ by the Makefile. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ota.h"
#include "check.h"
#include "cbor_stream.h"

#include "campaign_fixture.h"

/* {name, category, packages: [id], test: true, urgency: immediate, end, waves: [{success-gate:
 *  100, failure-threshold: 0.25}], timeouts: {answer, install}} */
static size_t spec(enc *e, int64_t package, int bad_share) {
  e->n = 0;
  head(e, 5, 8);
  kv(e, "name", "BCM fix"); kv(e, "category", "bugfix");
  txt(e, "packages"); head(e, 4, 1); head(e, 0, (uint64_t)package);
  txt(e, "test"); head(e, 7, 21);
  kv(e, "urgency", "immediate"); ku(e, "end", NOW + 86400);
  txt(e, "waves"); head(e, 4, 1); head(e, 5, bad_share ? 3 : 2);
  ku(e, "success-gate", 100);
  txt(e, "failure-threshold"); half(e, 0.25f);
  if (bad_share) ku(e, "share", 101);
  txt(e, "timeouts"); head(e, 5, 2); ku(e, "answer", 3600); ku(e, "install", 7200);
  return e->n;
}

/* The value of a top-level text key in a CBOR map, found by scanning for the key's bytes
 * (enough for small documents whose keys are unique strings). */
static const uint8_t *after_key(const ota_buf *b, const char *key) {
  size_t k = strlen(key);
  for (size_t i = 0; i + k + 1 < b->len; i++) {
    if (b->data[i] == 0x60 + k && memcmp(b->data + i + 1, key, k) == 0) return b->data + i + 1 + k;
  }
  return NULL;
}

int main(void) {
  if (sodium_init() < 0) return 2;
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.bootstrap_admin = "root";
  ota_db *db = NULL;
  CHECK(ota_open_ex(":memory:", &opts, &db) == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "eve", "engineer") == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "ann", "approver") == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "cam", "campaign-manager") == OTA_OK);
  uint8_t seed[32] = {7};
  CHECK(ota_set_signing_key(db, seed, "k1") == OTA_OK);

  enc e;
  ota_buf out = {NULL, 0};
  CHECK(ota_fleet_import(db, "eve", NOW, e.b, snapshot(&e), NULL, NULL, &out) == OTA_OK);
  ota_buf_free(&out);

  int64_t package = release_package(db, &e, "test_campaigns_bcm.bin");
  CHECK(package > 0);

  /* create: argument and spec errors */
  int64_t id = -1;
  CHECK(ota_campaign_create(db, "cam", NOW, e.b, spec(&e, package, 1), &id) == OTA_BADINPUT);
  CHECK_MSG(ota_errmsg(db), "waves[0].share: 101 is outside 0-100 %");
  CHECK(id == -1);
  CHECK(ota_campaign_create(db, "cam", NOW, NULL, 4, &id) == OTA_MISUSE);
  CHECK(ota_campaign_create(db, "cam", NOW, e.b, spec(&e, package, 0), NULL) == OTA_MISUSE);
  CHECK(ota_campaign_create(db, "ann", NOW, e.b, spec(&e, package, 0), &id) == OTA_DENIED);
  CHECK_MSG(ota_errmsg(db), "campaign-manager");
  CHECK(ota_campaign_create(db, "cam", NOW, e.b, spec(&e, package + 9, 0), &id) == OTA_NOTFOUND);
  CHECK(ota_campaign_create(db, "cam", NOW, e.b, spec(&e, package, 0), &id) == OTA_OK);
  CHECK(id == 1);

  /* validate: nobody is in the test fleet yet */
  CHECK(ota_campaign_validate(db, id, &out) == OTA_OK);
  CHECK(out.data != NULL && after_key(&out, "test-fleet") != NULL);
  CHECK(after_key(&out, "targets") != NULL && *after_key(&out, "targets") == 0x00);
  ota_buf_free(&out);
  CHECK(ota_campaign_validate(db, 99, &out) == OTA_NOTFOUND);
  CHECK(out.data == NULL);

  /* the test fleet */
  e.n = 0; head(&e, 4, 2); txt(&e, VIN1); txt(&e, "1M8GDM9AXKP042789");
  CHECK(ota_test_fleet_add(db, "eve", NOW, e.b, e.n) == OTA_NOTFOUND);
  CHECK_MSG(ota_errmsg(db), "1M8GDM9AXKP042789");
  e.n = 0; head(&e, 4, 2); txt(&e, VIN1); txt(&e, VIN2);
  CHECK(ota_test_fleet_add(db, "cam", NOW, e.b, e.n) == OTA_DENIED);
  CHECK(ota_test_fleet_add(db, "eve", NOW, e.b, e.n) == OTA_OK);
  e.n = 0; head(&e, 4, 1); txt(&e, VIN2);
  CHECK(ota_test_fleet_remove(db, "eve", NOW, e.b, e.n) == OTA_OK);
  e.n = 0; head(&e, 4, 0);
  CHECK(ota_test_fleet_add(db, "eve", NOW, e.b, e.n) == OTA_BADINPUT);

  CHECK(ota_campaign_validate(db, id, &out) == OTA_OK);
  CHECK(after_key(&out, "targets") != NULL && *after_key(&out, "targets") == 0x01);
  CHECK(after_key(&out, "problems") != NULL && *after_key(&out, "problems") == 0x80);
  ota_buf_free(&out);

  /* approve: never by the author, only by an approver */
  CHECK(ota_grant(db, "root", NOW, "cam", "approver") == OTA_OK);
  CHECK(ota_campaign_approve(db, "cam", NOW, id) == OTA_DENIED);
  CHECK_MSG(ota_errmsg(db), "two-person rule");
  CHECK(ota_campaign_approve(db, "eve", NOW, id) == OTA_DENIED);
  CHECK(ota_campaign_approve(db, NULL, NOW, id) == OTA_MISUSE);
  CHECK(ota_campaign_approve(db, "ann", NOW, id) == OTA_OK);
  CHECK(ota_campaign_approve(db, "ann", NOW, id) == OTA_CONFLICT);
  CHECK_MSG(ota_errmsg(db), "it is approved");

  /* get and list */
  CHECK(ota_campaign_get(db, id, &out) == OTA_OK);
  CHECK(after_key(&out, "state") != NULL && memcmp(after_key(&out, "state"), "\x68" "approved", 9) == 0);
  CHECK(after_key(&out, "approved-by") != NULL && memcmp(after_key(&out, "approved-by"), "\x63" "ann", 4) == 0);
  CHECK(after_key(&out, "history") != NULL && *after_key(&out, "history") == 0x82);
  ota_buf_free(&out);
  CHECK(ota_campaign_get(db, 5, &out) == OTA_NOTFOUND);
  CHECK(ota_campaign_get(db, id, NULL) == OTA_MISUSE);

  CHECK(ota_campaign_list(db, NULL, 0, &out) == OTA_OK);
  CHECK(out.len > 0 && out.data[0] == 0x81);
  ota_buf_free(&out);
  e.n = 0; head(&e, 5, 1); kv(&e, "state", "draft");
  CHECK(ota_campaign_list(db, e.b, e.n, &out) == OTA_OK);
  CHECK(out.len == 1 && out.data[0] == 0x80);
  ota_buf_free(&out);
  e.n = 0; head(&e, 5, 1); kv(&e, "state", "asleep");
  CHECK(ota_campaign_list(db, e.b, e.n, &out) == OTA_BADINPUT);
  CHECK(ota_campaign_list(db, NULL, 3, &out) == OTA_MISUSE);

  /* an approved campaign holds its targets: a second one of the same node finds VIN1 busy
   * until the first is aborted (its targets cancelled) */
  int64_t second = -1;
  CHECK(ota_campaign_create(db, "cam", NOW, e.b, spec(&e, package, 0), &second) == OTA_OK);
  CHECK(ota_campaign_validate(db, second, &out) == OTA_OK);
  CHECK(after_key(&out, "targets") != NULL && *after_key(&out, "targets") == 0x00);
  CHECK(after_key(&out, "busy") != NULL && *after_key(&out, "busy") == 0x01);
  ota_buf_free(&out);
  CHECK(ota_campaign_abort(db, "cam", NOW, id, "superseded") == OTA_OK);

  /* approval after a validation honours what changed in between: VIN2 joins the test
   * fleet, and an import puts VIN1 on the package's version (up to date) */
  CHECK(ota_campaign_create(db, "cam", NOW, e.b, spec(&e, package, 0), &second) == OTA_OK);
  CHECK(ota_campaign_validate(db, second, &out) == OTA_OK);
  CHECK(after_key(&out, "targets") != NULL && *after_key(&out, "targets") == 0x01);  /* VIN1 */
  ota_buf_free(&out);
  e.n = 0; head(&e, 4, 1); txt(&e, VIN2);
  CHECK(ota_test_fleet_add(db, "eve", NOW, e.b, e.n) == OTA_OK);
  e.n = 0;
  head(&e, 5, 3);
  head(&e, 0, 0); head(&e, 0, 1);
  head(&e, 0, 1); head(&e, 0, NOW - 50);
  head(&e, 0, 3); head(&e, 4, 2);
  head(&e, 4, 7); txt(&e, VIN1); txt(&e, "M"); txt(&e, "V"); txt(&e, "P"); txt(&e, "DE"); head(&e, 0, 1000);
  head(&e, 4, 1); head(&e, 4, 3); txt(&e, "BCM"); txt(&e, "H"); txt(&e, "2.0");
  vehicle(&e, VIN2);
  CHECK(ota_fleet_import(db, "eve", NOW, e.b, e.n, NULL, NULL, &out) == OTA_OK);
  ota_buf_free(&out);
  CHECK(ota_campaign_approve(db, "ann", NOW, second) == OTA_OK);
  CHECK(ota_campaign_get(db, second, &out) == OTA_OK);
  CHECK(after_key(&out, "targets") != NULL && *after_key(&out, "targets") == 0x01);  /* VIN2 */
  CHECK(after_key(&out, "up-to-date") != NULL && *after_key(&out, "up-to-date") == 0x01);
  ota_buf_free(&out);

  ota_close(db);
  return check_report("test_campaigns");
}
