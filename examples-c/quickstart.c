/* quickstart: the main job of libota from C, on an embedded SQLite store.
 *
 *   cc -std=c99 -I include -o quickstart examples-c/quickstart.c build/libota.a \
 *      -lsqlite3 -lcbor -lsodium -lm -lpthread
 *   ./quickstart demo.db
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ota.h"

/* Prints the failing call and the library's message, then stops. */
static void must(int rc, ota_db *db, const char *what) {
  if (rc == OTA_OK) return;
  fprintf(stderr, "%s failed: %s: %s\n", what, ota_code_name(rc),
          db ? ota_errmsg(db) : ota_last_errmsg());
  exit(1);
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "demo.db";
  const int64_t now = 1767225600; /* 2026-01-01T00:00:00Z: the caller owns the clock */

  printf("libota %d (header %d)\n", ota_libversion_number(), OTA_VERSION_NUMBER);

  /* 1. Open (create) the store, naming its first administrator. */
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.bootstrap_admin = "alice@oem.example";
  opts.now = now;
  ota_db *db = NULL;
  must(ota_open_ex(path, &opts, &db), NULL, "ota_open_ex");
  int64_t version = 0;
  must(ota_schema_version(db, &version), db, "ota_schema_version");
  printf("store %s: schema version %" PRId64 "\n", path, version);

  /* 2. The audit trail: every change, chained by SHA-256. */
  int64_t entries = 0, first_bad = 0, seq = 0;
  uint8_t head[32];
  must(ota_audit_verify(db, &entries, &first_bad), db, "ota_audit_verify");
  must(ota_audit_head(db, &seq, head), db, "ota_audit_head");
  printf("audit trail: %" PRId64 " entries verified, head %02x%02x%02x%02x...\n",
         entries, head[0], head[1], head[2], head[3]);

  ota_close(db);
  return 0;
}
