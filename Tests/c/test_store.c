/* The store API from C: open/close, error codes and messages for bad arguments, the audit
 * trail. Compiled as C99 (-pedantic -Werror) and as C++, linked against the Embedded libota.a. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ota.h"
#include "check.h"

static void test_version(void) {
  CHECK(ota_libversion_number() == OTA_VERSION_NUMBER);
  CHECK(strcmp(ota_code_name(OTA_BADINPUT), "OTA_BADINPUT") == 0);
  CHECK(strcmp(ota_code_name(9999), "OTA_UNKNOWN") == 0);
}

static void test_bad_arguments(void) {
  ota_db *db = (ota_db *)&db; /* must be reset to NULL on failure */
  CHECK(ota_open(NULL, &db) == OTA_MISUSE);
  CHECK(db == NULL);
  CHECK_MSG(ota_last_errmsg(), "path is NULL");
  CHECK(ota_open(":memory:", NULL) == OTA_MISUSE);
  CHECK_MSG(ota_last_errmsg(), "out is NULL");
  CHECK(ota_open("/nonexistent-dir/x/store.db", &db) == OTA_STORE);
  CHECK(db == NULL);
  CHECK_MSG(ota_last_errmsg(), "cannot open store at '/nonexistent-dir/x/store.db'");
  CHECK(ota_open("\xff\xfe", &db) == OTA_BADINPUT);
  CHECK_MSG(ota_last_errmsg(), "UTF-8");

  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.version = 99;
  CHECK(ota_open_ex(":memory:", &opts, &db) == OTA_MISUSE);
  CHECK_MSG(ota_last_errmsg(), "version");
  opts.version = OTA_OPEN_OPTIONS_VERSION;
  opts.flags = 0x80;
  CHECK(ota_open_ex(":memory:", &opts, &db) == OTA_MISUSE);
  opts.flags = OTA_OPEN_MUSTEXIST;
  CHECK(ota_open_ex("does-not-exist.db", &opts, &db) == OTA_NOTFOUND);

  /* NULL-safe destructors and NULL handles. */
  CHECK(ota_close(NULL) == OTA_OK);
  ota_buf_free(NULL);
  ota_buf empty = {NULL, 0};
  ota_buf_free(&empty);
  ota_buf_free(&empty);
  CHECK(ota_errmsg(NULL) != NULL);
  CHECK(ota_errcode(NULL) == OTA_MISUSE);
  int64_t v = 0;
  CHECK(ota_schema_version(NULL, &v) == OTA_MISUSE);
  CHECK(ota_audit_verify(NULL, NULL, NULL) == OTA_MISUSE);
}

static void test_open_and_audit(void) {
  const char *path = "test_store_c.db";
  unlink(path);
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.bootstrap_admin = "alice";
  opts.now = 1700000000;
  ota_db *db = NULL;
  CHECK(ota_open_ex(path, &opts, &db) == OTA_OK);
  CHECK(db != NULL);
  CHECK(strcmp(ota_last_errmsg(), "not an error") == 0);

  int64_t version = 0;
  CHECK(ota_schema_version(db, &version) == OTA_OK && version >= 3);
  CHECK(ota_schema_version(db, NULL) == OTA_MISUSE);
  CHECK_MSG(ota_errmsg(db), "out is NULL");
  CHECK(ota_errcode(db) == OTA_MISUSE);

  int64_t entries = -1, bad = -1, seq = -1;
  uint8_t hash[32];
  CHECK(ota_audit_verify(db, &entries, &bad) == OTA_OK);
  CHECK(entries == 1 && bad == 0);
  CHECK(strcmp(ota_errmsg(db), "not an error") == 0);
  CHECK(ota_audit_head(db, &seq, hash) == OTA_OK && seq == 1);
  CHECK(ota_audit_head(db, &seq, NULL) == OTA_MISUSE);

  ota_buf list = {NULL, 0};
  CHECK(ota_audit_list(db, 0, 0, &list) == OTA_OK);
  CHECK(list.data != NULL && list.len > 40 && list.data[0] == 0x81); /* a one-entry array */
  ota_buf_free(&list);
  CHECK(list.data == NULL && list.len == 0);
  CHECK(ota_audit_list(db, 1, 0, &list) == OTA_OK && list.len == 1 && list.data[0] == 0x80);
  ota_buf_free(&list);
  CHECK(ota_close(db) == OTA_OK);

  /* Reopen: the same store, still intact; a second handle on the same file works too. */
  ota_db *a = NULL, *b = NULL;
  CHECK(ota_open(path, &a) == OTA_OK);
  CHECK(ota_open(path, &b) == OTA_OK);
  CHECK(ota_audit_verify(a, &entries, NULL) == OTA_OK && entries == 1);
  CHECK(ota_audit_verify(b, &entries, NULL) == OTA_OK && entries == 1);
  ota_close(a);
  ota_close(b);
  unlink(path);
}

int main(void) {
  test_version();
  test_bad_arguments();
  test_open_and_audit();
  return check_report("test_store");
}
