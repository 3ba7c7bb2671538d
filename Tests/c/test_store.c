/* The store API from C: open/close, error codes and messages for bad arguments, the audit
 * trail, and stores changed behind libota's back (raw SQLite, deleted files, a second
 * handle writing). Compiled as C99 (-pedantic -Werror) and as C++, linked against the
 * Embedded libota.a (and libsqlite3, used here as a tamperer would). */
#include <pthread.h>
#include <sqlite3.h>
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

/* Raw SQL on a store file, as another tool or an attacker would run it. */
static int tamper(const char *path, const char *sql) {
  sqlite3 *raw = NULL;
  int rc = sqlite3_open(path, &raw);
  if (rc == SQLITE_OK) rc = sqlite3_exec(raw, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK) fprintf(stderr, "tamper: %s\n", sqlite3_errmsg(raw));
  sqlite3_close(raw);
  return rc;
}

/* The whole file, malloc'd (the caller frees it), or NULL. */
static unsigned char *slurp(const char *path, long *len) {
  FILE *f = fopen(path, "rb");
  unsigned char *data = NULL;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (*len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    data = (unsigned char *)malloc((size_t)*len + 1);
    if (data && fread(data, 1, (size_t)*len, f) != (size_t)*len) { free(data); data = NULL; }
  }
  fclose(f);
  return data;
}

static void remove_store(const char *path) {
  char side[512];
  unlink(path);
  snprintf(side, sizeof side, "%s-wal", path);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", path);
  unlink(side);
}

/* A new store at path with alice as its admin; returns the open handle. */
static ota_db *new_store(const char *path) {
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  ota_db *db = NULL;
  remove_store(path);
  opts.bootstrap_admin = "alice";
  opts.now = 1700000000;
  CHECK(ota_open_ex(path, &opts, &db) == OTA_OK);
  return db;
}

/* A negative or huge PRAGMA user_version: a code and a message, never a crash, and the
 * file is left exactly as it was. */
static void test_tampered_schema_version(void) {
  const char *path = "test_store_version.db";
  ota_db *db = new_store(path);
  long before_len = 0, after_len = 0;
  unsigned char *before, *after;
  ota_close(db);

  CHECK(tamper(path, "PRAGMA user_version = -1") == SQLITE_OK);
  before = slurp(path, &before_len);
  db = (ota_db *)&db;
  CHECK(ota_open(path, &db) == OTA_CORRUPT);
  CHECK(db == NULL);
  CHECK_MSG(ota_last_errmsg(), "schema version -1");
  after = slurp(path, &after_len);
  CHECK(before && after && before_len == after_len && memcmp(before, after, (size_t)before_len) == 0);
  free(before);
  free(after);

  CHECK(tamper(path, "PRAGMA user_version = 2147483647") == SQLITE_OK);
  before = slurp(path, &before_len);
  CHECK(ota_open(path, &db) == OTA_TOONEW);
  CHECK(db == NULL);
  CHECK_MSG(ota_last_errmsg(), "2147483647");
  after = slurp(path, &after_len);
  CHECK(before && after && before_len == after_len && memcmp(before, after, (size_t)before_len) == 0);
  free(before);
  free(after);
  remove_store(path);
}

/* OTA_OPEN_READONLY: refused at open for a store of an older schema (it cannot be
 * migrated), working for one of this library's schema. */
static void test_readonly_open(void) {
  const char *path = "test_store_readonly.db";
  ota_open_options ro = OTA_OPEN_OPTIONS_INIT;
  ota_db *db = new_store(path);
  int64_t version = 0, entries = 0;
  ota_buf roles = {NULL, 0};
  ro.flags = OTA_OPEN_READONLY;
  CHECK(ota_schema_version(db, &version) == OTA_OK && version > 1);
  ota_close(db);

  db = NULL;
  CHECK(ota_open_ex(path, &ro, &db) == OTA_OK);
  CHECK(ota_audit_verify(db, &entries, NULL) == OTA_OK && entries == 1);
  CHECK(ota_roles(db, "alice", &roles) == OTA_OK && roles.len > 0 && roles.data[0] == 0x81);
  ota_buf_free(&roles);
  CHECK(ota_grant(db, "alice", 1, "bob", "engineer") == OTA_STORE);
  ota_close(db);

  /* An older store: only the version matters for the refusal. */
  remove_store(path);
  CHECK(tamper(path, "CREATE TABLE meta(key TEXT PRIMARY KEY, value ANY); PRAGMA user_version = 1") == SQLITE_OK);
  db = (ota_db *)&db;
  CHECK(ota_open_ex(path, &ro, &db) == OTA_CONFLICT);
  CHECK(db == NULL);
  CHECK_MSG(ota_last_errmsg(), "schema version 1");
  CHECK_MSG(ota_last_errmsg(), "read-only");
  remove_store(path);
}

/* A stored head hash longer than 32 bytes is OTA_CORRUPT, and not one byte of the caller's
 * memory is written (before the fix it was copied whole into the 32-byte buffer). */
static void test_audit_head_hash_of_the_wrong_length(void) {
  const char *path = "test_store_head.db";
  ota_db *db = new_store(path);
  uint8_t buf[64];
  int64_t seq = -7;
  size_t i, untouched = 0;
  CHECK(tamper(path, "DROP TRIGGER audit_no_update; UPDATE audit SET hash = zeroblob(64) WHERE seq = 1") == SQLITE_OK);
  memset(buf, 0xAA, sizeof buf);
  CHECK(ota_audit_head(db, &seq, buf) == OTA_CORRUPT);
  CHECK_MSG(ota_errmsg(db), "audit entry 1");
  CHECK_MSG(ota_errmsg(db), "64 bytes");
  for (i = 0; i < sizeof buf; i++) untouched += buf[i] == 0xAA;
  CHECK(untouched == sizeof buf);
  CHECK(seq == -7);
  ota_close(db);
  remove_store(path);
}

/* A deleted entry: *first_bad is the missing entry's seq, as documented. */
static void test_verify_names_the_missing_entry(void) {
  const char *path = "test_store_missing.db";
  ota_db *db = new_store(path);
  int64_t entries = -1, bad = -1;
  CHECK(ota_grant(db, "alice", 2, "bob", "engineer") == OTA_OK);
  CHECK(ota_grant(db, "alice", 3, "carol", "approver") == OTA_OK);
  CHECK(tamper(path, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 2") == SQLITE_OK);
  CHECK(ota_audit_verify(db, &entries, &bad) == OTA_CORRUPT);
  CHECK(bad == 2 && entries == 1);
  CHECK_MSG(ota_errmsg(db), "entry 2 is missing");
  ota_close(db);
  remove_store(path);
}

/* After a real OTA_CORRUPT the handle holds no old snapshot: it sees another handle's later
 * changes and can write (before the fix: SQLITE_BUSY_SNAPSHOT). */
static void test_after_corruption_the_handle_moves_on(void) {
  const char *path = "test_store_after.db";
  ota_db *a = new_store(path), *b = NULL;
  ota_buf roles = {NULL, 0};
  int64_t bad = 0;
  CHECK(ota_open(path, &b) == OTA_OK);
  CHECK(ota_grant(a, "alice", 2, "bob", "engineer") == OTA_OK);
  CHECK(ota_grant(a, "alice", 3, "carol", "engineer") == OTA_OK);
  CHECK(tamper(path, "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'mallory' WHERE seq = 2") == SQLITE_OK);
  CHECK(ota_audit_verify(b, NULL, &bad) == OTA_CORRUPT && bad == 2);
  CHECK(ota_grant(a, "alice", 4, "late", "approver") == OTA_OK);
  CHECK(ota_roles(b, "late", &roles) == OTA_OK && roles.len > 0 && roles.data[0] == 0x81);
  ota_buf_free(&roles);
  CHECK(ota_grant(b, "alice", 5, "later", "approver") == OTA_OK);
  CHECK(ota_store_errcode(b) == 0);
  ota_close(a);
  ota_close(b);
  remove_store(path);
}

struct writer_ctx {
  const char *path;
  int failures;
  int done; /* under lock */
  pthread_mutex_t lock;
};

static int writer_done(struct writer_ctx *ctx) {
  int done;
  pthread_mutex_lock(&ctx->lock);
  done = ctx->done;
  pthread_mutex_unlock(&ctx->lock);
  return done;
}

static void writer_finish(struct writer_ctx *ctx) {
  pthread_mutex_lock(&ctx->lock);
  ctx->done = 1;
  pthread_mutex_unlock(&ctx->lock);
}

static void *writer_main(void *arg) {
  struct writer_ctx *ctx = (struct writer_ctx *)arg;
  ota_db *db = NULL;
  char who[32];
  int i;
  if (ota_open(ctx->path, &db) != OTA_OK) { ctx->failures++; writer_finish(ctx); return NULL; }
  for (i = 0; i < 400; i++) {
    snprintf(who, sizeof who, "user%d", i);
    if (ota_grant(db, "alice", 10 + i, who, "gateway") != OTA_OK) ctx->failures++;
  }
  ota_close(db);
  writer_finish(ctx);
  return NULL;
}

/* Another handle, on another thread, writes while this one verifies: never a false
 * OTA_CORRUPT (before the fix the walk and the recorded head were two snapshots). */
static void test_verify_while_another_handle_writes(void) {
  const char *path = "test_store_concurrent.db";
  ota_db *db = new_store(path);
  struct writer_ctx ctx;
  pthread_t writer;
  int verifies = 0, false_corrupt = 0, rc;
  int64_t entries = 0, bad = 0;
  ctx.path = path;
  ctx.failures = 0;
  ctx.done = 0;
  pthread_mutex_init(&ctx.lock, NULL);
  CHECK(pthread_create(&writer, NULL, writer_main, &ctx) == 0);
  while (!writer_done(&ctx) || verifies < 2000) {
    rc = ota_audit_verify(db, &entries, &bad);
    if (rc != OTA_OK) {
      if (false_corrupt++ == 0) fprintf(stderr, "verify %d: %s\n", verifies, ota_errmsg(db));
    }
    verifies++;
  }
  pthread_join(writer, NULL);
  pthread_mutex_destroy(&ctx.lock);
  CHECK(false_corrupt == 0);
  CHECK(ctx.failures == 0);
  CHECK(ota_audit_verify(db, &entries, &bad) == OTA_OK && entries == 401 && bad == 0);
  ota_close(db);
  remove_store(path);
}

/* The -wal and -shm files deleted under an open handle: writes are refused instead of going
 * to unlinked files and vanishing at close. */
static void test_writes_refused_once_the_wal_is_deleted(void) {
  const char *path = "test_store_wal.db";
  ota_db *db = new_store(path);
  int64_t entries = 0;
  CHECK(ota_grant(db, "alice", 2, "bob", "engineer") == OTA_OK);
  CHECK(unlink("test_store_wal.db-wal") == 0);
  CHECK(unlink("test_store_wal.db-shm") == 0);
  CHECK(ota_grant(db, "alice", 3, "carol", "engineer") == OTA_STORE);
  CHECK(ota_store_errcode(db) == SQLITE_READONLY_DBMOVED);
  CHECK_MSG(ota_errmsg(db), "-wal");
  ota_close(db);
  remove_store(path);

  /* The store file renamed under the handle. */
  db = new_store(path);
  CHECK(rename(path, "test_store_wal.moved") == 0);
  CHECK(ota_grant(db, "alice", 3, "carol", "engineer") == OTA_STORE);
  CHECK(ota_store_errcode(db) == SQLITE_READONLY_DBMOVED);
  CHECK_MSG(ota_errmsg(db), "moved");
  CHECK(ota_audit_verify(db, &entries, NULL) == OTA_OK); /* reading still works */
  ota_close(db);
  remove_store("test_store_wal.moved");
  remove_store(path);
}

int main(void) {
  test_version();
  test_bad_arguments();
  test_open_and_audit();
  test_tampered_schema_version();
  test_readonly_open();
  test_audit_head_hash_of_the_wrong_length();
  test_verify_names_the_missing_entry();
  test_after_corruption_the_handle_moves_on();
  test_verify_while_another_handle_writes();
  test_writes_refused_once_the_wal_is_deleted();
  return check_report("test_store");
}
