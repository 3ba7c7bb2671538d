/* ota_resolve from C (and, compiled as C++, from C++): results, ownership of out, error
 * codes and messages, and calls from several threads at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota.h"
#include "check.h"
#include "cbor_build.h"

static const char *VIN1 = "WLXEMFHX0TS598491", *VIN2 = "1LXBRFHX0TS598492";

/* Two vehicles: VIN1 (Aster, DE) with GW and two DCMs, VIN2 (Borealis, US) with one DCM.
 * Strings "GW" and "DCM" come from the string table (indices 0 and 1). */
static cb_doc snapshot(void) {
  cbor_item_t *v1 = cb_array(7, cb_text(VIN1), cb_text("Aster"), cb_text("sedan"), cb_text("petrol"), cb_text("DE"),
                             cb_uint(1700000000u),
                             cb_array(3, cb_array(3, cb_uint(0), cb_text("G-1"), cb_text("1.0")),
                                      cb_array(5, cb_uint(1), cb_text("D-A"), cb_text("2.0"), cb_null(), cb_text("L")),
                                      cb_array(4, cb_uint(1), cb_text("D-A"), cb_text("1.0"), cb_null())));
  cbor_item_t *v2 = cb_array(7, cb_text(VIN2), cb_text("Borealis"), cb_text("suv"), cb_text("hybrid"), cb_text("US"),
                             cb_uint(1700000001u), cb_array(1, cb_array(3, cb_uint(1), cb_text("D-B"), cb_text("1.0"))));
  return cb_encode(cb_map(4, cb_uint(0), cb_uint(1), cb_uint(1), cb_uint(1780272000u),
                          cb_uint(2), cb_array(2, cb_text("GW"), cb_text("DCM")), cb_uint(3), cb_array(2, v1, v2)));
}

/* {"ecu": ecu} */
static cb_doc ecu_rule(const char *ecu) { return cb_encode(cb_map(1, cb_text("ecu"), cb_text(ecu))); }

static int contains(const ota_buf *b, const char *s) {
  size_t n = strlen(s);
  for (size_t i = 0; i + n <= b->len; i++)
    if (!memcmp(b->data + i, s, n)) return 1;
  return 0;
}

static void test_a_resolution(void) {
  cb_doc snap = snapshot();
  cb_doc rule = cb_encode(cb_map(2, cb_text("ecu"), cb_text("DCM"), cb_text("hw"), cb_array(1, cb_text("D-A"))));
  ota_buf out = {NULL, 0};
  CHECK(ota_resolve(snap.data, snap.len, rule.data, rule.len, &out) == OTA_OK);
  CHECK(strcmp(ota_last_errmsg(), "not an error") == 0);
  /* {"scanned": 2, "targets": [[VIN1, "D-A", "2.0", "L"], [VIN1, "D-A", "1.0", null]], "excluded": {"hw": 1}} */
  cb_doc want = cb_encode(cb_map(3, cb_text("scanned"), cb_uint(2),
      cb_text("targets"), cb_array(2, cb_array(4, cb_text(VIN1), cb_text("D-A"), cb_text("2.0"), cb_text("L")),
                                   cb_array(4, cb_text(VIN1), cb_text("D-A"), cb_text("1.0"), cb_null())),
      cb_text("excluded"), cb_map(1, cb_text("hw"), cb_uint(1))));
  CHECK(out.len == want.len && memcmp(out.data, want.data, want.len) == 0);
  cb_free(&want);
  cb_free(&snap);
  cb_free(&rule);
  ota_buf_free(&out);
  CHECK(out.data == NULL && out.len == 0);
  ota_buf_free(&out); /* idempotent */
  ota_buf_free(NULL);
}

static void test_errors(void) {
  cb_doc snap = snapshot(), rule = ecu_rule("GW");
  ota_buf out = {NULL, 0};

  CHECK(ota_resolve(snap.data, snap.len, rule.data, rule.len, NULL) == OTA_MISUSE);
  CHECK(strcmp(ota_last_errmsg(), "out is NULL") == 0);
  CHECK(ota_resolve(NULL, 5, rule.data, rule.len, &out) == OTA_MISUSE);
  CHECK(strstr(ota_last_errmsg(), "snapshot is NULL") != NULL);

  /* a truncated snapshot: an error with its offset, and out left empty */
  uint8_t junk = 0;
  out.data = &junk;
  out.len = 1;
  CHECK(ota_resolve(snap.data, snap.len - 3, rule.data, rule.len, &out) == OTA_BADINPUT);
  CHECK(out.data == NULL && out.len == 0);
  CHECK(strstr(ota_last_errmsg(), "vehicle 1") != NULL && strstr(ota_last_errmsg(), "truncated CBOR at byte") != NULL);

  /* a malformed rule */
  cb_doc bad = cb_encode(cb_map(2, cb_text("ecu"), cb_text("GW"), cb_text("markets"), cb_array(0)));
  CHECK(ota_resolve(snap.data, snap.len, bad.data, bad.len, &out) == OTA_BADINPUT);
  cb_free(&bad);
  CHECK(strcmp(ota_last_errmsg(), "rule: \"markets\": the list is empty; leave the key out to match everything") == 0);
  CHECK(strcmp(ota_code_name(OTA_BADINPUT), "OTA_BADINPUT") == 0);
  cb_free(&snap);
  cb_free(&rule);
}

/* ---- ota_resolve_file: the same bytes out as ota_resolve over the file's contents ---- */
static void test_file(void) {
  cb_doc snap = snapshot(), rule = ecu_rule("DCM");
  const char *path = "test_resolve_file.cbor";
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL && fwrite(snap.data, 1, snap.len, f) == snap.len);
  if (f) fclose(f);

  ota_buf mem = {NULL, 0}, file = {NULL, 0};
  CHECK(ota_resolve(snap.data, snap.len, rule.data, rule.len, &mem) == OTA_OK);
  CHECK(ota_resolve_file(path, rule.data, rule.len, &file) == OTA_OK);
  CHECK(file.len == mem.len && file.len > 0 && memcmp(file.data, mem.data, mem.len) == 0);
  CHECK(contains(&file, VIN2));
  ota_buf_free(&mem);
  ota_buf_free(&file);

  CHECK(ota_resolve_file(NULL, rule.data, rule.len, &file) == OTA_MISUSE);
  CHECK(strstr(ota_last_errmsg(), "path is NULL") != NULL);
  CHECK(ota_resolve_file("no-such-snapshot.cbor", rule.data, rule.len, &file) == OTA_IO);
  CHECK(strstr(ota_last_errmsg(), "cannot open snapshot file 'no-such-snapshot.cbor': No such file") != NULL);
  CHECK(ota_resolve_file(".", rule.data, rule.len, &file) == OTA_IO);
  CHECK(strstr(ota_last_errmsg(), "not a regular file") != NULL);
  CHECK(file.data == NULL && file.len == 0);

  /* a truncated file is a snapshot error, as in memory; an empty one says it is empty */
  f = fopen(path, "wb");
  CHECK(f != NULL && fwrite(snap.data, 1, snap.len - 5, f) == snap.len - 5);
  if (f) fclose(f);
  CHECK(ota_resolve_file(path, rule.data, rule.len, &file) == OTA_BADINPUT);
  CHECK(strstr(ota_last_errmsg(), "truncated CBOR") != NULL);
  f = fopen(path, "wb");
  if (f) fclose(f);
  CHECK(ota_resolve_file(path, rule.data, rule.len, &file) == OTA_BADINPUT);
  CHECK(strstr(ota_last_errmsg(), "is empty") != NULL);
  remove(path);
  cb_free(&snap);
  cb_free(&rule);
}

/* ---- threads: each resolves and fails in turn, and sees only its own messages ---- */
struct job { int id; int ok; };

static void *work(void *arg) {
  struct job *j = (struct job *)arg;
  char key[32], want[64];
  cb_doc snap = snapshot(), rule = ecu_rule("DCM");
  snprintf(key, sizeof key, "thread-%d", j->id);
  snprintf(want, sizeof want, "rule: unknown key \"%s\"", key);
  cb_doc bad = cb_encode(cb_map(2, cb_text("ecu"), cb_text("GW"), cb_text(key), cb_uint(1)));
  j->ok = 1;
  for (int i = 0; i < 300; i++) {
    ota_buf out = {NULL, 0};
    if (i % 2) {
      j->ok &= ota_resolve(snap.data, snap.len, rule.data, rule.len, &out) == OTA_OK;
      j->ok &= contains(&out, VIN2) && strcmp(ota_last_errmsg(), "not an error") == 0;
      ota_buf_free(&out);
    } else {
      j->ok &= ota_resolve(snap.data, snap.len, bad.data, bad.len, &out) == OTA_BADINPUT;
      j->ok &= strncmp(ota_last_errmsg(), want, strlen(want)) == 0;
    }
  }
  cb_free(&snap);
  cb_free(&rule);
  cb_free(&bad);
  return NULL;
}

static void test_threads(void) {
  pthread_t t[4];
  struct job jobs[4];
  for (int i = 0; i < 4; i++) {
    jobs[i].id = i;
    jobs[i].ok = 0;
    CHECK(pthread_create(&t[i], NULL, work, &jobs[i]) == 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    CHECK(jobs[i].ok);
  }
}

int main(void) {
  test_a_resolution();
  test_errors();
  test_file();
  test_threads();
  return check_report("test_resolve");
}
