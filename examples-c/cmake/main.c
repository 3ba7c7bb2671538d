/* The CMake example: a C program built against libota found by pkg-config. It opens a store
 * (the path given, or an in-memory one), names its admin, grants a role, and checks the
 * library's version against the header's and the audit trail. */
#include <inttypes.h>
#include <stdio.h>

#include "ota.h"

static int fail(const char *what, int rc, ota_db *db) {
  fprintf(stderr, "%s: %s: %s\n", what, ota_code_name(rc), db ? ota_errmsg(db) : ota_last_errmsg());
  ota_close(db);
  return 1;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : ":memory:";
  if (ota_libversion_number() != OTA_VERSION_NUMBER) {
    fprintf(stderr, "header %d and library %d differ\n", OTA_VERSION_NUMBER, ota_libversion_number());
    return 1;
  }
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.bootstrap_admin = "alice@oem.example";
  opts.now = 1767225600;
  ota_db *db = NULL;
  int rc = ota_open_ex(path, &opts, &db);
  if (rc != OTA_OK) return fail("ota_open_ex", rc, NULL);
  rc = ota_grant(db, "alice@oem.example", 1767225601, "erin@oem.example", "engineer");
  if (rc != OTA_OK) return fail("ota_grant", rc, db);
  int64_t schema = 0, entries = 0, first_bad = 0;
  if ((rc = ota_schema_version(db, &schema)) != OTA_OK) return fail("ota_schema_version", rc, db);
  if ((rc = ota_audit_verify(db, &entries, &first_bad)) != OTA_OK) return fail("ota_audit_verify", rc, db);
  printf("cmake example: libota %s, schema %" PRId64 ", audit trail of %" PRId64 " entries intact\n",
         OTA_VERSION, schema, entries);
  ota_close(db);
  return entries == 2 ? 0 : 1;
}
