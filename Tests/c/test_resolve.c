/* ota_resolve from C (and, compiled as C++, from C++): results, ownership of out, error
 * codes and messages, and calls from several threads at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota.h"

static int passed, failed;
#define CHECK(cond)                                                              \
  do {                                                                           \
    if (cond) passed++;                                                          \
    else { failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
  } while (0)

/* ---- a minimal CBOR writer ---- */
typedef struct { uint8_t b[4096]; size_t n; } W;
static void head(W *w, int major, uint64_t v) {
  uint8_t mt = (uint8_t)(major << 5);
  if (v < 24) { w->b[w->n++] = (uint8_t)(mt | v); return; }
  if (v < 256) { w->b[w->n++] = mt | 24; w->b[w->n++] = (uint8_t)v; return; }
  w->b[w->n++] = mt | 26;
  for (int i = 3; i >= 0; i--) w->b[w->n++] = (uint8_t)(v >> (8 * i));
}
static void text(W *w, const char *s) {
  head(w, 3, strlen(s));
  memcpy(w->b + w->n, s, strlen(s));
  w->n += strlen(s);
}

static const char *VIN1 = "WLXEMFHX0TS598491", *VIN2 = "1LXBRFHX0TS598492";

/* Two vehicles: VIN1 (Aster, DE) with GW and two DCMs, VIN2 (Borealis, US) with one DCM.
 * Strings "GW" and "DCM" come from the string table. */
static void snapshot(W *w) {
  w->n = 0;
  head(w, 5, 4);
  head(w, 0, 0); head(w, 0, 1);
  head(w, 0, 1); head(w, 0, 1780272000u);
  head(w, 0, 2); head(w, 4, 2); text(w, "GW"); text(w, "DCM");
  head(w, 0, 3); head(w, 4, 2);
  head(w, 4, 7); text(w, VIN1); text(w, "Aster"); text(w, "sedan"); text(w, "petrol"); text(w, "DE");
  head(w, 0, 1700000000u); head(w, 4, 3);
  head(w, 4, 3); head(w, 0, 0); text(w, "G-1"); text(w, "1.0");
  head(w, 4, 5); head(w, 0, 1); text(w, "D-A"); text(w, "2.0"); w->b[w->n++] = 0xf6; text(w, "L");
  head(w, 4, 4); head(w, 0, 1); text(w, "D-A"); text(w, "1.0"); w->b[w->n++] = 0xf6;
  head(w, 4, 7); text(w, VIN2); text(w, "Borealis"); text(w, "suv"); text(w, "hybrid"); text(w, "US");
  head(w, 0, 1700000001u); head(w, 4, 1);
  head(w, 4, 3); head(w, 0, 1); text(w, "D-B"); text(w, "1.0");
}

static int contains(const ota_buf *b, const char *s) {
  size_t n = strlen(s);
  for (size_t i = 0; i + n <= b->len; i++)
    if (!memcmp(b->data + i, s, n)) return 1;
  return 0;
}

static void test_a_resolution(void) {
  W snap, rule;
  snapshot(&snap);
  rule.n = 0;
  head(&rule, 5, 2); text(&rule, "ecu"); text(&rule, "DCM"); text(&rule, "hw"); head(&rule, 4, 1); text(&rule, "D-A");
  ota_buf out = {NULL, 0};
  CHECK(ota_resolve(snap.b, snap.n, rule.b, rule.n, &out) == OTA_OK);
  CHECK(strcmp(ota_last_errmsg(), "not an error") == 0);
  /* {"scanned": 2, "targets": [[VIN1, "D-A", "2.0", "L"], [VIN1, "D-A", "1.0", null]], "excluded": {"hw": 1}} */
  W want;
  want.n = 0;
  head(&want, 5, 3);
  text(&want, "scanned"); head(&want, 0, 2);
  text(&want, "targets"); head(&want, 4, 2);
  head(&want, 4, 4); text(&want, VIN1); text(&want, "D-A"); text(&want, "2.0"); text(&want, "L");
  head(&want, 4, 4); text(&want, VIN1); text(&want, "D-A"); text(&want, "1.0"); want.b[want.n++] = 0xf6;
  text(&want, "excluded"); head(&want, 5, 1); text(&want, "hw"); head(&want, 0, 1);
  CHECK(out.len == want.n && memcmp(out.data, want.b, want.n) == 0);
  ota_buf_free(&out);
  CHECK(out.data == NULL && out.len == 0);
  ota_buf_free(&out); /* idempotent */
  ota_buf_free(NULL);
}

static void test_errors(void) {
  W snap, rule;
  snapshot(&snap);
  rule.n = 0;
  head(&rule, 5, 1); text(&rule, "ecu"); text(&rule, "GW");
  ota_buf out = {NULL, 0};

  CHECK(ota_resolve(snap.b, snap.n, rule.b, rule.n, NULL) == OTA_MISUSE);
  CHECK(strcmp(ota_last_errmsg(), "out is NULL") == 0);
  CHECK(ota_resolve(NULL, 5, rule.b, rule.n, &out) == OTA_MISUSE);
  CHECK(strstr(ota_last_errmsg(), "snapshot is NULL") != NULL);

  /* a truncated snapshot: an error with its offset, and out left empty */
  uint8_t junk = 0;
  out.data = &junk;
  out.len = 1;
  CHECK(ota_resolve(snap.b, snap.n - 3, rule.b, rule.n, &out) == OTA_BADINPUT);
  CHECK(out.data == NULL && out.len == 0);
  CHECK(strstr(ota_last_errmsg(), "vehicle 1") != NULL && strstr(ota_last_errmsg(), "truncated CBOR at byte") != NULL);

  /* a malformed rule */
  W bad;
  bad.n = 0;
  head(&bad, 5, 2); text(&bad, "ecu"); text(&bad, "GW"); text(&bad, "markets"); head(&bad, 4, 0);
  CHECK(ota_resolve(snap.b, snap.n, bad.b, bad.n, &out) == OTA_BADINPUT);
  CHECK(strcmp(ota_last_errmsg(), "rule: \"markets\": the list is empty; leave the key out to match everything") == 0);
  CHECK(strcmp(ota_code_name(OTA_BADINPUT), "OTA_BADINPUT") == 0);
}

/* ---- ota_resolve_file: the same bytes out as ota_resolve over the file's contents ---- */
static void test_file(void) {
  W snap, rule;
  snapshot(&snap);
  rule.n = 0;
  head(&rule, 5, 1); text(&rule, "ecu"); text(&rule, "DCM");
  const char *path = "test_resolve_file.cbor";
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL && fwrite(snap.b, 1, snap.n, f) == snap.n);
  if (f) fclose(f);

  ota_buf mem = {NULL, 0}, file = {NULL, 0};
  CHECK(ota_resolve(snap.b, snap.n, rule.b, rule.n, &mem) == OTA_OK);
  CHECK(ota_resolve_file(path, rule.b, rule.n, &file) == OTA_OK);
  CHECK(file.len == mem.len && file.len > 0 && memcmp(file.data, mem.data, mem.len) == 0);
  CHECK(contains(&file, VIN2));
  ota_buf_free(&mem);
  ota_buf_free(&file);

  CHECK(ota_resolve_file(NULL, rule.b, rule.n, &file) == OTA_MISUSE);
  CHECK(strstr(ota_last_errmsg(), "path is NULL") != NULL);
  CHECK(ota_resolve_file("no-such-snapshot.cbor", rule.b, rule.n, &file) == OTA_IO);
  CHECK(strstr(ota_last_errmsg(), "cannot open snapshot file 'no-such-snapshot.cbor': No such file") != NULL);
  CHECK(ota_resolve_file(".", rule.b, rule.n, &file) == OTA_IO);
  CHECK(strstr(ota_last_errmsg(), "not a regular file") != NULL);
  CHECK(file.data == NULL && file.len == 0);

  /* a truncated file is a snapshot error, as in memory; an empty one says it is empty */
  f = fopen(path, "wb");
  CHECK(f != NULL && fwrite(snap.b, 1, snap.n - 5, f) == snap.n - 5);
  if (f) fclose(f);
  CHECK(ota_resolve_file(path, rule.b, rule.n, &file) == OTA_BADINPUT);
  CHECK(strstr(ota_last_errmsg(), "truncated CBOR") != NULL);
  f = fopen(path, "wb");
  if (f) fclose(f);
  CHECK(ota_resolve_file(path, rule.b, rule.n, &file) == OTA_BADINPUT);
  CHECK(strstr(ota_last_errmsg(), "is empty") != NULL);
  remove(path);
}

/* ---- threads: each resolves and fails in turn, and sees only its own messages ---- */
struct job { int id; int ok; };

static void *work(void *arg) {
  struct job *j = (struct job *)arg;
  W snap, rule, bad;
  char key[32], want[64];
  snapshot(&snap);
  rule.n = 0;
  head(&rule, 5, 1); text(&rule, "ecu"); text(&rule, "DCM");
  snprintf(key, sizeof key, "thread-%d", j->id);
  snprintf(want, sizeof want, "rule: unknown key \"%s\"", key);
  bad.n = 0;
  head(&bad, 5, 2); text(&bad, "ecu"); text(&bad, "GW"); text(&bad, key); head(&bad, 0, 1);
  j->ok = 1;
  for (int i = 0; i < 300; i++) {
    ota_buf out = {NULL, 0};
    if (i % 2) {
      j->ok &= ota_resolve(snap.b, snap.n, rule.b, rule.n, &out) == OTA_OK;
      j->ok &= contains(&out, VIN2) && strcmp(ota_last_errmsg(), "not an error") == 0;
      ota_buf_free(&out);
    } else {
      j->ok &= ota_resolve(snap.b, snap.n, bad.b, bad.n, &out) == OTA_BADINPUT;
      j->ok &= strncmp(ota_last_errmsg(), want, strlen(want)) == 0;
    }
  }
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
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
