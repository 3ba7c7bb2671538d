/* The C-boundary contract from C: every ota_buf out is {NULL, 0} after a failing call (even
 * with a NULL handle), one rule for identities, options read by version, files that are not
 * regular refused without blocking, a verify that stops past the declared size, the cut of
 * ota_last_errmsg. Built as C99 and as C++ by the Makefile. */
#define _POSIX_C_SOURCE 200809L /* mkfifo, alarm, access */
#include <cbor.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "ota.h"
#include "check.h"

static const int64_t now = 1700000000;

/* A sentinel the library must overwrite: never freed, never dereferenced. */
static uint8_t sentinel_byte;
static void poison(ota_buf *b) { b->data = &sentinel_byte; b->len = 77; }
static int cleared(const ota_buf *b) { return b->data == NULL && b->len == 0; }

/* Serializes a libcbor item (and releases it) into a malloc'd buffer. */
static uint8_t *encode(cbor_item_t *item, size_t *len) {
  uint8_t *buf = NULL;
  size_t cap = 0;
  *len = cbor_serialize_alloc(item, &buf, &cap);
  cbor_decref(&item);
  return buf;
}

static void put(cbor_item_t *map, const char *key, cbor_item_t *value) {
  struct cbor_pair p;
  p.key = cbor_move(cbor_build_string(key));
  p.value = cbor_move(value);
  (void)cbor_map_add(map, p);
}

static cbor_item_t *list1(const char *s) {
  cbor_item_t *a = cbor_new_definite_array(1);
  (void)cbor_array_push(a, cbor_move(cbor_build_string(s)));
  return a;
}

/* A valid manifest with one file "fw.bin" of `size` bytes. */
static uint8_t *manifest(uint64_t size, size_t *len) {
  uint8_t sha[32];
  memset(sha, 0x5a, sizeof sha);
  cbor_item_t *file = cbor_new_definite_map(4);
  put(file, "name", cbor_build_string("fw.bin"));
  put(file, "size", cbor_build_uint64(size));
  put(file, "sha256", cbor_build_bytestring(sha, sizeof sha));
  put(file, "uri", cbor_build_string("s3://ota/fw.bin"));
  cbor_item_t *files = cbor_new_definite_array(1);
  (void)cbor_array_push(files, cbor_move(file));
  cbor_item_t *m = cbor_new_definite_map(16);
  put(m, "name", cbor_build_string("BCM-fw"));
  put(m, "version", cbor_build_string("2.0"));
  put(m, "ecu", cbor_build_string("BCM"));
  put(m, "category", cbor_build_string("feature"));
  put(m, "release-type", cbor_build_string("routine"));
  put(m, "issue", cbor_build_string("Boundary test"));
  put(m, "protocol", cbor_build_string("CAN"));
  put(m, "powertrains", list1("ev"));
  put(m, "models", list1("Aurora"));
  put(m, "hw", list1("BCM-HW-1"));
  put(m, "from", list1("1.0"));
  put(m, "to", cbor_build_string("2.0"));
  put(m, "files", files);
  put(m, "release-notes", cbor_build_string("Notes."));
  put(m, "requires", cbor_new_definite_array(0));
  put(m, "release-counter", cbor_build_uint8(1));
  return encode(m, len);
}

static ota_db *open_store(void) {
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.bootstrap_admin = "root";
  opts.now = now;
  ota_db *db = NULL;
  if (ota_open_ex(":memory:", &opts, &db) != OTA_OK) {
    fprintf(stderr, "open: %s\n", ota_last_errmsg());
    exit(1);
  }
  return db;
}

/* Every function of ota.h with an ota_buf out, failing, with the out pre-filled. */
static void test_out_cleared_on_failure(void) {
  static const uint8_t garbage[] = { 0xff, 0x00 };
  ota_buf out;

  /* NULL handle: OTA_MISUSE, and still cleared. */
  poison(&out); CHECK(ota_audit_list(NULL, 0, 0, &out) == OTA_MISUSE); CHECK(cleared(&out));
  poison(&out); CHECK(ota_fleet_export(NULL, now, &out) == OTA_MISUSE); CHECK(cleared(&out));
  poison(&out); CHECK(ota_vehicle_get(NULL, "X", &out) == OTA_MISUSE); CHECK(cleared(&out));
  poison(&out); CHECK(ota_roles(NULL, "root", &out) == OTA_MISUSE); CHECK(cleared(&out));
  poison(&out); CHECK(ota_package_get(NULL, 1, &out) == OTA_MISUSE); CHECK(cleared(&out));
  poison(&out); CHECK(ota_package_list(NULL, NULL, 0, &out) == OTA_MISUSE); CHECK(cleared(&out));
  poison(&out); CHECK(ota_package_signature(NULL, 1, &out) == OTA_MISUSE); CHECK(cleared(&out));
  poison(&out);
  CHECK(ota_fleet_import(NULL, "root", now, garbage, sizeof garbage, NULL, NULL, &out) == OTA_MISUSE);
  CHECK(cleared(&out));

  /* Handle-free calls. */
  poison(&out);
  CHECK(ota_resolve(garbage, sizeof garbage, garbage, sizeof garbage, &out) == OTA_BADINPUT);
  CHECK(cleared(&out));
  poison(&out);
  CHECK(ota_resolve_file("/nonexistent/fleet.cbor", garbage, sizeof garbage, &out) == OTA_BADINPUT);
  CHECK(cleared(&out));
  poison(&out);
  CHECK(ota_resolve_file(NULL, NULL, 0, &out) == OTA_MISUSE);
  CHECK(cleared(&out));

  /* A real handle, each call failing for its own reason. */
  ota_db *db = open_store();
  poison(&out); CHECK(ota_vehicle_get(db, "WAUZZZ4G7EN000001", &out) == OTA_NOTFOUND); CHECK(cleared(&out));
  poison(&out); CHECK(ota_fleet_export(db, -1, &out) == OTA_BADINPUT); CHECK(cleared(&out));
  poison(&out); CHECK(ota_roles(db, "bad\n", &out) == OTA_BADINPUT); CHECK(cleared(&out));
  poison(&out); CHECK(ota_roles(db, NULL, &out) == OTA_MISUSE); CHECK(cleared(&out));
  poison(&out); CHECK(ota_package_get(db, 999, &out) == OTA_NOTFOUND); CHECK(cleared(&out));
  poison(&out); CHECK(ota_package_list(db, garbage, sizeof garbage, &out) == OTA_BADINPUT); CHECK(cleared(&out));
  poison(&out); CHECK(ota_package_signature(db, 999, &out) == OTA_NOTFOUND); CHECK(cleared(&out));
  poison(&out);
  CHECK(ota_fleet_import(db, "root", now, garbage, sizeof garbage, NULL, NULL, &out) == OTA_BADINPUT);
  CHECK(cleared(&out));
  poison(&out);
  CHECK(ota_fleet_import(db, "root\xc2\x85", now, garbage, sizeof garbage, NULL, NULL, &out) == OTA_BADINPUT);
  CHECK(cleared(&out));
  /* ota_audit_list fails only without a handle (above); a success gives a fresh buffer. */
  poison(&out);
  CHECK(ota_audit_list(db, 0, 0, &out) == OTA_OK);
  CHECK(out.data != NULL && out.data != &sentinel_byte);
  ota_buf_free(&out);
  ota_close(db);
}

static void test_identities(void) {
  const char *path = "test_boundary_identity.db";
  static const char *const refused[] = {
    "root\n", "\nroot", "root ", " root", "ro\x01ot", "root\x7f", "root\xc2\x85",
    "\xc2\x85root", "ro\xc2\x9fot", "root\xc2\xa0", "\xe2\x80\x83root", "", NULL
  };
  ota_db *db = (ota_db *)&db;
  for (int i = 0; refused[i]; i++) {
    unlink(path);
    ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
    opts.bootstrap_admin = refused[i];
    db = (ota_db *)&db;
    CHECK(ota_open_ex(path, &opts, &db) == OTA_BADINPUT);
    CHECK(db == NULL);
    CHECK_MSG(ota_last_errmsg(), "bootstrap_admin");
    CHECK(access(path, F_OK) != 0); /* refused before the file is created */
  }
  char long_name[258];
  memset(long_name, 'a', 257);
  long_name[257] = 0;
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.bootstrap_admin = long_name;
  CHECK(ota_open_ex(":memory:", &opts, &db) == OTA_BADINPUT);
  CHECK_MSG(ota_last_errmsg(), "1 to 256 bytes");
  long_name[256] = 0; /* 256 bytes: allowed */
  CHECK(ota_open_ex(":memory:", &opts, &db) == OTA_OK);
  ota_close(db);

  db = open_store();
  CHECK(ota_grant(db, "root", now, "eve\xc2\x85", "engineer") == OTA_BADINPUT);
  CHECK_MSG(ota_errmsg(db), "who contains a control character (U+0085");
  CHECK(ota_grant(db, "root", now, "eve ", "engineer") == OTA_BADINPUT);
  CHECK_MSG(ota_errmsg(db), "who ends with whitespace");
  CHECK(ota_grant(db, "root", now, "eve", "engineer\n") == OTA_BADINPUT);
  CHECK(ota_grant(db, "root\xc2\x85", now, "eve", "engineer") == OTA_BADINPUT);
  CHECK_MSG(ota_errmsg(db), "actor");
  CHECK(ota_revoke(db, "root", now, "\xc2\x85", "admin") == OTA_BADINPUT);
  CHECK(ota_grant(db, "root", now, "Zo\xc3\xab M\xc3\xbcller", "engineer") == OTA_OK); /* non-ASCII is fine */
  static const uint8_t seed[32] = { 1 };
  CHECK(ota_set_signing_key(db, seed, "kid\xc2\x85") == OTA_BADINPUT);
  CHECK_MSG(ota_errmsg(db), "kid");
  CHECK(ota_set_signing_key(db, seed, " kid") == OTA_BADINPUT);
  CHECK(ota_set_signing_key(db, seed, "kid-1") == OTA_OK);
  uint8_t pub[32];
  CHECK(ota_signing_public_key(db, pub) == OTA_OK);
  ota_close(db);
  unlink(path);
}

static void test_options_init(void) {
  ota_open_options o;
  memset(&o, 0xab, sizeof o);
  CHECK(ota_open_options_init(&o, OTA_OPEN_OPTIONS_VERSION) == OTA_OK);
  CHECK(o.version == OTA_OPEN_OPTIONS_VERSION);
  CHECK(o.flags == 0 && o.busy_timeout_ms == 0 && o.bootstrap_admin == NULL && o.now == 0);
  ota_db *db = NULL;
  CHECK(ota_open_ex(":memory:", &o, &db) == OTA_OK);
  ota_close(db);

  memset(&o, 0xab, sizeof o);
  CHECK(ota_open_options_init(&o, 0) == OTA_MISUSE);
  CHECK_MSG(ota_last_errmsg(), "version is 0");
  CHECK(o.version == 0xabababab); /* left as it was */
  CHECK(ota_open_options_init(&o, OTA_OPEN_OPTIONS_VERSION + 1) == OTA_MISUSE);
  CHECK(ota_open_options_init(NULL, OTA_OPEN_OPTIONS_VERSION) == OTA_MISUSE);

  ota_open_options zero;
  memset(&zero, 0, sizeof zero); /* version 0: not initialised */
  CHECK(ota_open_ex(":memory:", &zero, &db) == OTA_MISUSE);
  CHECK(db == NULL);
  CHECK_MSG(ota_last_errmsg(), "ota_open_options.version is 0");
}

/* Registers the test manifest as eve (engineer); returns the package id. */
static int64_t register_package(ota_db *db, uint64_t size) {
  CHECK(ota_grant(db, "root", now, "eve", "engineer") == OTA_OK);
  size_t len = 0;
  uint8_t *m = manifest(size, &len);
  int64_t id = -1;
  CHECK(ota_package_register(db, "eve", now, m, len, &id) == OTA_OK);
  if (id < 0) fprintf(stderr, "register: %s\n", ota_errmsg(db));
  free(m);
  return id;
}

static void test_files(void) {
  /* A FIFO that nobody writes to: open(2) would block forever without O_NONBLOCK. The alarm
   * turns a hang into a failure. */
  const char *fifo = "test_boundary.fifo";
  unlink(fifo);
  CHECK(mkfifo(fifo, 0600) == 0);
  alarm(20);
  static const uint8_t rule[] = { 0xa1, 0x63, 'e', 'c', 'u', 0x63, 'B', 'C', 'M' }; /* {"ecu": "BCM"} */
  ota_buf out;
  poison(&out);
  CHECK(ota_resolve_file(fifo, rule, sizeof rule, &out) == OTA_IO);
  CHECK_MSG(ota_last_errmsg(), "is not a regular file");
  CHECK(cleared(&out));
  CHECK(ota_resolve_file(".", rule, sizeof rule, &out) == OTA_IO); /* a directory */

  ota_db *db = open_store();
  int64_t id = register_package(db, 1000);
  CHECK(ota_package_verify_file(db, "eve", now, id, "fw.bin", fifo) == OTA_IO);
  CHECK_MSG(ota_errmsg(db), "is not a regular file or a device");
  CHECK(ota_package_verify_file(db, "eve", now, id, "fw.bin", ".") == OTA_IO);
  CHECK(ota_package_verify_file(db, "eve", now, id, "fw.bin", "/nonexistent/fw.bin") == OTA_IO);
  CHECK_MSG(ota_errmsg(db), "No such file");

  /* /dev/zero never ends: reading stops one byte past the declared 1000, a mismatch. */
  CHECK(ota_package_verify_file(db, "eve", now, id, "fw.bin", "/dev/zero") == OTA_CORRUPT);
  CHECK_MSG(ota_errmsg(db), "size more than 1000 (expected 1000)");
  alarm(0);
  unlink(fifo);

  /* A regular file longer than declared: reading stops past 1000 bytes, a mismatch. */
  const char *big = "test_boundary_big.bin";
  FILE *f = fopen(big, "wb");
  CHECK(f != NULL);
  if (f) {
    static uint8_t block[65536];
    for (int i = 0; i < 64; i++) fwrite(block, 1, sizeof block, f); /* 4 MiB */
    fclose(f);
  }
  CHECK(ota_package_verify_file(db, "eve", now, id, "fw.bin", big) == OTA_CORRUPT);
  CHECK_MSG(ota_errmsg(db), "size more than 1000 (expected 1000)");
  unlink(big);
  ota_close(db);
}

/* ota_last_errmsg is cut at 1023 bytes, at a character boundary. */
static void test_message_cut(void) {
  /* A rule whose only key is 3000 bytes of "é": the message quotes it. */
  size_t n = 3000;
  char *key = (char *)malloc(n + 1);
  for (size_t i = 0; i < n; i += 2) { key[i] = (char)0xc3; key[i + 1] = (char)0xa9; }
  key[n] = 0;
  cbor_item_t *m = cbor_new_definite_map(1);
  put(m, key, cbor_build_string("x"));
  size_t len = 0;
  uint8_t *rule = encode(m, &len);
  static const uint8_t snapshot[] = { 0xa0 };
  ota_buf out;
  poison(&out);
  CHECK(ota_resolve(snapshot, sizeof snapshot, rule, len, &out) == OTA_BADINPUT);
  CHECK(cleared(&out));
  const char *msg = ota_last_errmsg();
  size_t mlen = strlen(msg);
  CHECK(mlen <= 1023 && mlen > 900);
  CHECK(((unsigned char)msg[mlen - 1] & 0xc0) != 0xc0); /* never ends in a lead byte */
  free(rule);
  free(key);
}

int main(void) {
  test_out_cleared_on_failure();
  test_identities();
  test_options_init();
  test_files();
  test_message_cut();
  return check_report("test_boundary");
}
