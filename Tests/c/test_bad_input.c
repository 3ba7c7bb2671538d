/* The bad-input suite: every kind of wrong input the C API can be handed, generated in loops,
 * and for each one the promise of ota.h: a result code other than OTA_OK (and other than
 * OTA_ERROR, which would be a bug), a non-empty message that is not "not an error", every
 * ota_buf out {NULL, 0} and every scalar out unchanged (or NULL) after the failure, and the
 * process still running. Kinds: NULL for every pointer argument; zero and huge lengths;
 * every prefix of a valid document; garbage bytes; every wrong type for every field of the
 * manifest, the target rule and the campaign spec (and, when the archive has status
 * ingestion, the batch); invalid UTF-8 and identities that break the identity rule; extreme
 * integers; 10,000 levels of nesting; maps of 100,000 keys; calls in the wrong state. Then
 * ota_buf_free twice and on a zeroed buffer. Prints "bad-input: N cases, all refused with a
 * code and a message". Built as C99 and as C++ by the Makefile.
 *
 * Calls of the campaign-run and status sections are referenced weakly, so this test builds
 * against an archive that does not have them yet and covers them once it does. */
#include <limits.h>
#include <math.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota.h"
#include "check.h"
#include "cbor_build.h"

#pragma weak ota_campaign_create
#pragma weak ota_campaign_validate
#pragma weak ota_campaign_approve
#pragma weak ota_campaign_get
#pragma weak ota_campaign_list
#pragma weak ota_campaign_start
#pragma weak ota_campaign_pause
#pragma weak ota_campaign_resume
#pragma weak ota_campaign_abort
#pragma weak ota_campaign_step
#pragma weak ota_campaign_stats
#pragma weak ota_campaign_vehicles
#pragma weak ota_outbox_fetch
#pragma weak ota_outbox_ack
#pragma weak ota_test_fleet_add
#pragma weak ota_test_fleet_remove
#pragma weak ota_vehicle_set_key
#pragma weak ota_status_ingest
#pragma weak ota_status_ingest_batch
#define HAVE(fn) ((uintptr_t)&fn != 0)

#define NOW 1780000000
#define VIN1 "WVWZZZ1KZAW000001"
#define VIN2 "WVWZZZ1KZAW000002"
#define FILE_NAME "test_bad_input.bin"

/* ---- the count ---------------------------------------------------------------------- */

static long cases, bad_cases, frees;
static int scalar_out_changed; /* set by a runner whose scalar out moved on a failure */
static uint8_t garbage[8] = {0xde, 0xad, 0xbe, 0xef};

/* An ota_buf as a caller might leave it: pointing at something. The call must clear it. */
static ota_buf dirty(void) {
  ota_buf b;
  b.data = garbage;
  b.len = 99;
  return b;
}

/* One case: refused with a code and a message, out cleared. */
static void refused(const char *what, long i, int rc, const char *msg, ota_buf *out) {
  int cleared = out == NULL || (out->data == NULL && out->len == 0);
  int ok = rc > OTA_OK && rc <= OTA_CANCELLED && rc != OTA_ERROR && msg != NULL && msg[0] != '\0' &&
           strcmp(msg, "not an error") != 0 && cleared && !scalar_out_changed;
  cases++;
  if (!ok) {
    bad_cases++;
    if (bad_cases <= 60)
      fprintf(stderr, "bad-input: %s [%ld]: %s: %s%s%s\n", what, i, ota_code_name(rc), msg ? msg : "(null)",
              cleared ? "" : " (out not cleared)", scalar_out_changed ? " (scalar out changed)" : "");
  }
  if (out && out->data == garbage) { out->data = NULL; out->len = 0; }
  if (out && rc == OTA_OK) ota_buf_free(out);
  scalar_out_changed = 0;
}

/* ---- documents -------------------------------------------------------------------------- */

static ota_db *db;
static const uint8_t content[] = "bad input image\n";
static cb_doc snap, rule;

static cbor_item_t *vehicle(const char *vin) {
  return cb_array(7, cb_text(vin), cb_text("Aster"), cb_text("sedan"), cb_text("petrol"), cb_text("DE"),
                  cb_uint(1700000000u), cb_array(1, cb_array(3, cb_text("BCM"), cb_text("BCM-A"), cb_text("1.0"))));
}

static cbor_item_t *snapshot_item(void) {
  return cb_map(3, cb_uint(0), cb_uint(1), cb_uint(1), cb_uint(NOW - 100), cb_uint(3),
                cb_array(2, vehicle(VIN1), vehicle(VIN2)));
}

static cbor_item_t *rule_item(void) {
  return cb_map(13, cb_text("ecu"), cb_text("BCM"), cb_text("hw"), cb_array(1, cb_text("BCM-A")),
                cb_text("from"), cb_array(1, cb_text("1.0")), cb_text("to"), cb_text("2.0"),
                cb_text("models"), cb_array(1, cb_text("Aster")), cb_text("variants"), cb_array(1, cb_text("sedan")),
                cb_text("powertrains"), cb_array(1, cb_text("petrol")), cb_text("markets"), cb_array(1, cb_text("DE")),
                cb_text("produced"), cb_array(2, cb_uint(0), cb_uint(2000000000u)),
                cb_text("vins"), cb_array(1, cb_text(VIN1)), cb_text("exclude-vins"), cb_array(1, cb_text(VIN2)),
                cb_text("attributes"), cb_map(1, cb_text("trim"), cb_text("sport")),
                cb_text("requires"), cb_array(1, cb_array(2, cb_text("BCM"), cb_array(1, cb_text("1.0")))));
}

static cbor_item_t *manifest_item(const char *version) {
  uint8_t sha[32];
  crypto_hash_sha256(sha, content, sizeof content - 1);
  cbor_item_t *file = cb_map(4, cb_text("name"), cb_text(FILE_NAME), cb_text("size"), cb_uint(sizeof content - 1),
                             cb_text("sha256"), cb_bytes(sha, 32), cb_text("uri"), cb_text("s3://ota/bad.bin"));
  return cb_map(16,
      cb_text("name"), cb_text("BCM-fw"), cb_text("version"), cb_text(version), cb_text("ecu"), cb_text("BCM"),
      cb_text("category"), cb_text("bugfix"), cb_text("release-type"), cb_text("routine"),
      cb_text("issue"), cb_text("door unlock"), cb_text("protocol"), cb_text("CAN"),
      cb_text("powertrains"), cb_array(1, cb_text("petrol")), cb_text("models"), cb_array(1, cb_text("Aster")),
      cb_text("hw"), cb_array(1, cb_text("BCM-A")), cb_text("from"), cb_array(1, cb_text("1.0")),
      cb_text("to"), cb_text(version), cb_text("files"), cb_array(1, file),
      cb_text("release-notes"), cb_text("Fixed."),
      cb_text("requires"), cb_array(1, cb_array(2, cb_text("GW"), cb_array(1, cb_text("3.1")))),
      cb_text("release-counter"), cb_uint(1));
}

/* A test campaign of package 1 (a valid spec as far as create goes). */
static cbor_item_t *spec_item(void) {
  cbor_item_t *wave = cb_map(3, cb_text("share"), cb_uint(100), cb_text("success-gate"), cb_uint(50),
                             cb_text("failure-threshold"), cb_uint(50));
  return cb_map(8, cb_text("name"), cb_text("BCM fix"), cb_text("category"), cb_text("bugfix"),
                cb_text("packages"), cb_array(1, cb_uint(1)), cb_text("test"), cb_bool(1),
                cb_text("urgency"), cb_text("immediate"), cb_text("end"), cb_uint(NOW + 90 * 86400),
                cb_text("waves"), cb_array(1, wave),
                cb_text("timeouts"), cb_map(2, cb_text("answer"), cb_uint(86400), cb_text("install"), cb_uint(86400)));
}

/* The pair of key in map (a definite map), or NULL. */
static struct cbor_pair *pair_of(cbor_item_t *map, const char *key) {
  struct cbor_pair *p = cbor_map_handle(map);
  size_t n = cbor_map_size(map), k = strlen(key);
  for (size_t i = 0; i < n; i++) {
    if (cbor_isa_string(p[i].key) && cbor_string_length(p[i].key) == k && memcmp(cbor_string_handle(p[i].key), key, k) == 0)
      return &p[i];
  }
  return NULL;
}

/* The map a path leads to: the document itself, or the value of key (its first element when
 * that value is an array, as files[0] and waves[0]). */
static cbor_item_t *map_at(cbor_item_t *doc, const char *key) {
  if (!key) return doc;
  struct cbor_pair *p = pair_of(doc, key);
  if (!p) return NULL;
  cbor_item_t *v = p->value;
  if (cbor_isa_array(v) && cbor_array_size(v) > 0) v = cbor_array_handle(v)[0];
  return cbor_isa_map(v) ? v : NULL;
}

/* doc (consumed) with outer.key's value replaced by value (consumed). */
static cb_doc with_value(cbor_item_t *doc, const char *outer, const char *key, cbor_item_t *value) {
  cbor_item_t *m = map_at(doc, outer);
  struct cbor_pair *p = m ? pair_of(m, key) : NULL;
  if (!p) { fprintf(stderr, "bad-input: no field %s.%s\n", outer ? outer : "", key); exit(2); }
  cbor_decref(&p->value);
  p->value = value;
  return cb_encode(doc);
}

/* doc (consumed) without outer.key. */
static cb_doc without(cbor_item_t *doc, const char *outer, const char *key) {
  cbor_item_t *m = map_at(doc, outer);
  if (!m) exit(2);
  cbor_item_t *copy = cb_map_of(cbor_map_size(m));
  struct cbor_pair *p = cbor_map_handle(m);
  for (size_t i = 0; i < cbor_map_size(m); i++) {
    struct cbor_pair q = p[i];
    if (cbor_isa_string(q.key) && cbor_string_length(q.key) == strlen(key) &&
        memcmp(cbor_string_handle(q.key), key, strlen(key)) == 0) continue;
    if (!cbor_map_add(copy, q)) exit(2); /* cbor_map_add takes its own references */
  }
  if (outer) {
    struct cbor_pair *op = pair_of(doc, outer);
    if (cbor_isa_array(op->value)) {
      cbor_item_t *arr = cb_array_of(cbor_array_size(op->value));
      cb_push(arr, copy);
      for (size_t i = 1; i < cbor_array_size(op->value); i++) cb_push(arr, cbor_incref(cbor_array_handle(op->value)[i]));
      copy = arr;
    }
    cbor_decref(&op->value);
    op->value = copy;
    return cb_encode(doc);
  }
  cbor_decref(&doc);
  return cb_encode(copy);
}

/* ---- wrong values by type --------------------------------------------------------------- */

enum { K_UINT, K_NEG, K_BYTES, K_TEXT, K_EMPTY_ARRAY, K_UINT_ARRAY, K_TEXT_ARRAY, K_EMPTY_MAP, K_TEXT_MAP,
       K_TRUE, K_NULL, K_FLOAT, K_TAG, K_UNDEF, K_COUNT };
static const char *const kind_names[K_COUNT] = {"7", "-1", "h'00'", "\"x\"", "[]", "[1]", "[\"x\"]", "{}",
                                                "{\"x\": \"x\"}", "true", "null", "1.5", "1(0)", "undefined"};

static cbor_item_t *value_of_kind(int k) {
  switch (k) {
    case K_UINT: return cb_uint(7);
    case K_NEG: return cb_int(-1);
    case K_BYTES: { static const uint8_t z[1] = {0}; return cb_bytes(z, 1); }
    case K_TEXT: return cb_text("x");
    case K_EMPTY_ARRAY: return cb_array_of(0);
    case K_UINT_ARRAY: return cb_array(1, cb_uint(1));
    case K_TEXT_ARRAY: return cb_array(1, cb_text("x"));
    case K_EMPTY_MAP: return cb_map_of(0);
    case K_TEXT_MAP: return cb_map(1, cb_text("x"), cb_text("x"));
    case K_TRUE: return cb_bool(1);
    case K_NULL: return cb_null();
    case K_FLOAT: return cb_ok(cbor_build_float8(1.5));
    case K_TAG: return cb_ok(cbor_build_tag(1, cbor_move(cb_uint(0))));
    default: return cb_ok(cbor_new_undef());
  }
}

/* What a field accepts, as far as these kinds go: the kinds that are NOT wrong for it. */
enum { F_IDENT, F_ENUM, F_TEXT_LIST, F_UINT, F_TIME, F_SHA, F_OPT_MAP, F_REQ_MAP, F_MAP_LIST, F_BOOL,
       F_UINT_LIST, F_REQS0, F_REQS, F_PRODUCED, F_ATTRS, F_PERCENT, F_NONZERO_UINT };

static int accepts(int field, int k) {
  switch (field) {
    case F_IDENT: return k == K_TEXT;
    case F_TEXT_LIST: return k == K_TEXT_ARRAY;
    case F_UINT: return k == K_UINT;
    case F_TIME: return k == K_UINT || k == K_TAG;
    case F_OPT_MAP: return k == K_EMPTY_MAP;
    case F_BOOL: return k == K_TRUE;
    case F_UINT_LIST: return k == K_UINT_ARRAY;
    case F_REQS0: return k == K_EMPTY_ARRAY;
    case F_ATTRS: return k == K_TEXT_MAP;
    case F_PERCENT: return k == K_UINT || k == K_FLOAT;
    default: return 0; /* F_ENUM ("x" is no member), F_SHA, F_REQ_MAP, F_MAP_LIST, F_REQS, ... */
  }
}

typedef struct { const char *outer, *key; int field; } field_t;

static const field_t manifest_fields[] = {
  {NULL, "name", F_IDENT}, {NULL, "version", F_IDENT}, {NULL, "ecu", F_IDENT}, {NULL, "category", F_ENUM},
  {NULL, "release-type", F_ENUM}, {NULL, "issue", F_IDENT}, {NULL, "protocol", F_ENUM},
  {NULL, "powertrains", F_TEXT_LIST}, {NULL, "models", F_TEXT_LIST}, {NULL, "hw", F_TEXT_LIST},
  {NULL, "from", F_TEXT_LIST}, {NULL, "to", F_IDENT}, {NULL, "files", F_MAP_LIST}, {NULL, "release-notes", F_IDENT},
  {NULL, "requires", F_REQS0}, {NULL, "release-counter", F_NONZERO_UINT},
  {"files", "name", F_IDENT}, {"files", "size", F_NONZERO_UINT}, {"files", "sha256", F_SHA}, {"files", "uri", F_ENUM},
};
/* release-counter 7 is fine, size 7 is a mismatch only at verification: both accept uints */
static int manifest_accepts(const field_t *f, int k) {
  if (f->field == F_NONZERO_UINT) return k == K_UINT;
  return accepts(f->field, k);
}

static const field_t rule_fields[] = {
  {NULL, "ecu", F_IDENT}, {NULL, "hw", F_TEXT_LIST}, {NULL, "from", F_TEXT_LIST}, {NULL, "to", F_IDENT},
  {NULL, "models", F_TEXT_LIST}, {NULL, "variants", F_TEXT_LIST}, {NULL, "powertrains", F_TEXT_LIST},
  {NULL, "markets", F_TEXT_LIST}, {NULL, "produced", F_PRODUCED}, {NULL, "vins", F_ENUM /* "x" is no VIN */},
  {NULL, "exclude-vins", F_ENUM}, {NULL, "attributes", F_ATTRS}, {NULL, "requires", F_REQS},
};

static const field_t spec_fields[] = {
  {NULL, "name", F_IDENT}, {NULL, "category", F_ENUM}, {NULL, "priority", F_UINT}, {NULL, "packages", F_UINT_LIST},
  {NULL, "rule", F_OPT_MAP}, {NULL, "regions", F_REQ_MAP}, {NULL, "test", F_BOOL}, {NULL, "after-test", F_UINT},
  {NULL, "urgency", F_ENUM}, {NULL, "start", F_TIME}, {NULL, "end", F_TIME}, {NULL, "waves", F_MAP_LIST},
  {NULL, "rate", F_REQ_MAP}, {NULL, "windows", F_MAP_LIST}, {NULL, "notify", F_OPT_MAP}, {NULL, "timeouts", F_REQ_MAP},
  {NULL, "retry", F_OPT_MAP}, {NULL, "seed", F_UINT}, {NULL, "contacts", F_OPT_MAP},
  {"waves", "share", F_PERCENT}, {"waves", "success-gate", F_PERCENT}, {"waves", "failure-threshold", F_PERCENT},
  {"waves", "count", F_UINT}, {"waves", "min-final", F_UINT}, {"waves", "soak", F_UINT}, {"waves", "advance", F_ENUM},
  {"timeouts", "answer", F_UINT}, {"timeouts", "install", F_UINT},
};

/* Adds key (absent from the valid document) with a valid-looking value, so that with_value can
 * then give it a wrong one: the optional keys the valid documents leave out. */
static cbor_item_t *with_key(cbor_item_t *doc, const char *outer, const char *key) {
  cbor_item_t *m = map_at(doc, outer);
  if (pair_of(m, key)) return doc;
  /* a definite map has a fixed capacity: rebuild it one larger */
  cbor_item_t *bigger = cb_map_of(cbor_map_size(m) + 1);
  struct cbor_pair *p = cbor_map_handle(m);
  for (size_t i = 0; i < cbor_map_size(m); i++) {
    if (!cbor_map_add(bigger, p[i])) exit(2); /* cbor_map_add takes its own references */
  }
  cb_put(bigger, key, cb_null());
  if (!outer) { cbor_decref(&doc); return bigger; }
  struct cbor_pair *op = pair_of(doc, outer);
  if (cbor_isa_array(op->value)) {
    cbor_item_t *arr = cb_array_of(cbor_array_size(op->value));
    cb_push(arr, bigger);
    for (size_t i = 1; i < cbor_array_size(op->value); i++) cb_push(arr, cbor_incref(cbor_array_handle(op->value)[i]));
    bigger = arr;
  }
  cbor_decref(&op->value);
  op->value = bigger;
  return doc;
}

/* ---- runners: one call that takes a document ------------------------------------------ */

typedef int (*doc_fn)(const uint8_t *d, size_t n, const char **msg, ota_buf *out);

static int run_snapshot(const uint8_t *d, size_t n, const char **msg, ota_buf *out) {
  int rc = ota_resolve(d, n, rule.data, rule.len, out);
  *msg = ota_last_errmsg();
  return rc;
}
static int run_rule(const uint8_t *d, size_t n, const char **msg, ota_buf *out) {
  int rc = ota_resolve(snap.data, snap.len, d, n, out);
  *msg = ota_last_errmsg();
  return rc;
}
static int run_import(const uint8_t *d, size_t n, const char **msg, ota_buf *out) {
  int rc = ota_fleet_import(db, "eve", NOW, d, n, NULL, NULL, out);
  *msg = ota_errmsg(db);
  return rc;
}
static int run_register(const uint8_t *d, size_t n, const char **msg, ota_buf *out) {
  int64_t id = -7;
  int rc = ota_package_register(db, "eve", NOW, d, n, &id);
  *msg = ota_errmsg(db);
  if (rc != OTA_OK && id != -7) scalar_out_changed = 1;
  out->data = NULL; /* no ota_buf out: nothing to clear */
  out->len = 0;
  return rc;
}
static int run_package_filter(const uint8_t *d, size_t n, const char **msg, ota_buf *out) {
  int rc = ota_package_list(db, d, n, out);
  *msg = ota_errmsg(db);
  return rc;
}
static int run_spec(const uint8_t *d, size_t n, const char **msg, ota_buf *out) {
  int64_t id = -7;
  int rc = ota_campaign_create(db, "cam", NOW, d, n, &id);
  *msg = ota_errmsg(db);
  if (rc != OTA_OK && id != -7) scalar_out_changed = 1;
  out->data = NULL; /* no ota_buf out: nothing to clear */
  out->len = 0;
  return rc;
}
static int run_campaign_filter(const uint8_t *d, size_t n, const char **msg, ota_buf *out) {
  int rc = ota_campaign_list(db, d, n, out);
  *msg = ota_errmsg(db);
  return rc;
}
static int run_fleet_add(const uint8_t *d, size_t n, const char **msg, ota_buf *out) {
  int rc = ota_test_fleet_add(db, "eve", NOW, d, n);
  *msg = ota_errmsg(db);
  out->data = NULL; /* no ota_buf out: nothing to clear */
  out->len = 0;
  return rc;
}
static int run_fleet_remove(const uint8_t *d, size_t n, const char **msg, ota_buf *out) {
  int rc = ota_test_fleet_remove(db, "eve", NOW, d, n);
  *msg = ota_errmsg(db);
  out->data = NULL; /* no ota_buf out: nothing to clear */
  out->len = 0;
  return rc;
}
static int run_vehicles_filter(const uint8_t *d, size_t n, const char **msg, ota_buf *out) {
  int rc = ota_campaign_vehicles(db, 1, d, n, out);
  *msg = ota_errmsg(db);
  return rc;
}
static int run_batch(const uint8_t *d, size_t n, const char **msg, ota_buf *out) {
  int rc = ota_status_ingest_batch(db, "gw", NOW, d, n, out);
  *msg = ota_errmsg(db);
  return rc;
}

typedef struct { const char *name; doc_fn run; int present; int empty_filter_ok; } runner_t;
static runner_t runners[11];
static size_t nrunners;

static void add_runner(const char *name, doc_fn run, int present, int empty_filter_ok) {
  if (!present) return;
  runners[nrunners].name = name;
  runners[nrunners].run = run;
  runners[nrunners].present = 1;
  runners[nrunners].empty_filter_ok = empty_filter_ok;
  nrunners++;
}

static void doc_case(const runner_t *r, const char *what, long i, const uint8_t *d, size_t n) {
  char label[160];
  const char *msg = NULL;
  ota_buf out = dirty();
  int rc = r->run(d, n, &msg, &out);
  snprintf(label, sizeof label, "%s: %s", r->name, what);
  refused(label, i, rc, msg, &out);
}

/* The same bytes to every runner. */
static void every_runner(const char *what, long i, const uint8_t *d, size_t n) {
  for (size_t r = 0; r < nrunners; r++) doc_case(&runners[r], what, i, d, n);
}

/* ---- generated inputs ------------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next_random(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

/* n levels of arrays (or maps with key "a"), definite or indefinite, around a 0. */
static cb_doc nested(size_t levels, int maps, int indefinite) {
  cb_doc d;
  d.len = 0;
  d.data = (uint8_t *)malloc(levels * 4 + 2);
  if (!d.data) exit(2);
  for (size_t i = 0; i < levels; i++) {
    if (maps) { d.data[d.len++] = indefinite ? 0xbf : 0xa1; d.data[d.len++] = 0x61; d.data[d.len++] = 'a'; }
    else d.data[d.len++] = indefinite ? 0x9f : 0x81;
  }
  d.data[d.len++] = 0x00;
  if (indefinite) for (size_t i = 0; i < levels; i++) d.data[d.len++] = 0xff;
  return d;
}

/* A map of n text keys ("k000000", ... or the same key n times) to 0. */
static cb_doc many_keys(uint32_t n, int same) {
  cb_doc d;
  d.len = 0;
  d.data = (uint8_t *)malloc(5 + (size_t)n * 9);
  if (!d.data) exit(2);
  d.data[d.len++] = 0xba;
  d.data[d.len++] = (uint8_t)(n >> 24); d.data[d.len++] = (uint8_t)(n >> 16);
  d.data[d.len++] = (uint8_t)(n >> 8); d.data[d.len++] = (uint8_t)n;
  for (uint32_t i = 0; i < n; i++) {
    char key[12];
    snprintf(key, sizeof key, "k%06u", same ? 0u : (unsigned)i);
    d.data[d.len++] = 0x67;
    memcpy(d.data + d.len, key, 7);
    d.len += 7;
    d.data[d.len++] = 0x00;
  }
  return d;
}

static const char *const bad_utf8[] = {
  "\xff", "a\xc3\x28", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
};
#define N_BAD_UTF8 (sizeof bad_utf8 / sizeof bad_utf8[0])

/* Text of raw bytes (libcbor does not check UTF-8). */
static cbor_item_t *raw_text(const char *s) { return cb_ok(cbor_build_stringn(s, strlen(s))); }

/* Identities that break the rule of ota.h (plus invalid UTF-8). */
static char long_identity[300];
static const char *bad_identities[] = {
  "", "root\n", " root", "root ", "root\xc2\xa0", "a\x7f", "a\xc2\x85", "a\tb", long_identity,
  "\xff", "a\xc3\x28", "\xed\xa0\x80",
};
#define N_BAD_IDENTITIES (sizeof bad_identities / sizeof bad_identities[0])

/* ---- the store -------------------------------------------------------------------------- */

static int64_t pkg_approved, pkg_draft, pkg_withdrawn;

static void prepare(void) {
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  ota_buf out = {NULL, 0};
  uint8_t seed[32] = {9};
  opts.bootstrap_admin = "root";
  if (ota_open_ex(":memory:", &opts, &db) != OTA_OK) { fprintf(stderr, "open: %s\n", ota_last_errmsg()); exit(1); }
  CHECK(ota_grant(db, "root", NOW, "eve", "engineer") == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "ann", "approver") == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "cam", "campaign-manager") == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "gw", "gateway") == OTA_OK);
  CHECK(ota_fleet_import(db, "eve", NOW, snap.data, snap.len, NULL, NULL, &out) == OTA_OK);
  ota_buf_free(&out);
  CHECK(ota_set_signing_key(db, seed, "k1") == OTA_OK);
  FILE *f = fopen(FILE_NAME, "wb");
  if (!f) exit(1);
  fwrite(content, 1, sizeof content - 1, f);
  fclose(f);
  const char *versions[3] = {"2.0", "2.1", "2.2"};
  int64_t ids[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    cb_doc m = cb_encode(manifest_item(versions[i]));
    CHECK(ota_package_register(db, "eve", NOW, m.data, m.len, &ids[i]) == OTA_OK);
    cb_free(&m);
  }
  pkg_approved = ids[0]; pkg_draft = ids[1]; pkg_withdrawn = ids[2];
  CHECK(ota_package_verify_file(db, "eve", NOW, pkg_approved, FILE_NAME, FILE_NAME) == OTA_OK);
  CHECK(ota_package_validate(db, "eve", NOW, pkg_approved) == OTA_OK);
  CHECK(ota_package_approve(db, "ann", NOW, pkg_approved) == OTA_OK);
  CHECK(ota_package_withdraw(db, "ann", NOW, pkg_withdrawn, "superseded") == OTA_OK);
  if (HAVE(ota_campaign_create)) {
    cb_doc s = cb_encode(spec_item());
    int64_t id = 0;
    CHECK(ota_campaign_create(db, "cam", NOW, s.data, s.len, &id) == OTA_OK && id == 1);
    cb_free(&s);
  }
}

/* ---- the kinds of cases ----------------------------------------------------------------- */

#define REFUSED(what, call, msg, outp) do { int rc_ = (call); refused((what), __LINE__, rc_, (msg), (outp)); } while (0)

static void null_arguments(void) {
  ota_buf out = dirty();
  ota_db *h = (ota_db *)(void *)garbage;
  int64_t v = -7, e = 0;
  uint8_t hash[32], pub[32] = {1};
  const uint8_t *d = rule.data;
  size_t n = rule.len;
  static const uint8_t seed[32] = {1};

  REFUSED("ota_open_options_init(NULL)", ota_open_options_init(NULL, OTA_OPEN_OPTIONS_VERSION), ota_last_errmsg(), NULL);
  REFUSED("ota_open(NULL path)", ota_open(NULL, &h), ota_last_errmsg(), NULL);
  CHECK(h == NULL);
  REFUSED("ota_open(NULL out)", ota_open(":memory:", NULL), ota_last_errmsg(), NULL);
  h = (ota_db *)(void *)garbage;
  REFUSED("ota_open_ex(NULL path)", ota_open_ex(NULL, NULL, &h), ota_last_errmsg(), NULL);
  CHECK(h == NULL);
  REFUSED("ota_open_ex(NULL out)", ota_open_ex(":memory:", NULL, NULL), ota_last_errmsg(), NULL);
  REFUSED("ota_schema_version(NULL db)", ota_schema_version(NULL, &v), ota_errmsg(NULL), NULL);
  REFUSED("ota_schema_version(NULL out)", ota_schema_version(db, NULL), ota_errmsg(db), NULL);
  REFUSED("ota_audit_verify(NULL db)", ota_audit_verify(NULL, &e, &v), ota_errmsg(NULL), NULL);
  REFUSED("ota_audit_head(NULL db)", ota_audit_head(NULL, &v, hash), ota_errmsg(NULL), NULL);
  REFUSED("ota_audit_head(NULL hash)", ota_audit_head(db, &v, NULL), ota_errmsg(db), NULL);
  out = dirty(); REFUSED("ota_audit_list(NULL db)", ota_audit_list(NULL, 0, 0, &out), ota_errmsg(NULL), &out);
  REFUSED("ota_audit_list(NULL out)", ota_audit_list(db, 0, 0, NULL), ota_errmsg(db), NULL);
  out = dirty(); REFUSED("ota_resolve(NULL snapshot)", ota_resolve(NULL, 5, d, n, &out), ota_last_errmsg(), &out);
  out = dirty(); REFUSED("ota_resolve(NULL rule)", ota_resolve(snap.data, snap.len, NULL, 5, &out), ota_last_errmsg(), &out);
  REFUSED("ota_resolve(NULL out)", ota_resolve(snap.data, snap.len, d, n, NULL), ota_last_errmsg(), NULL);
  out = dirty(); REFUSED("ota_resolve_file(NULL path)", ota_resolve_file(NULL, d, n, &out), ota_last_errmsg(), &out);
  out = dirty(); REFUSED("ota_resolve_file(NULL rule)", ota_resolve_file(FILE_NAME, NULL, 5, &out), ota_last_errmsg(), &out);
  REFUSED("ota_resolve_file(NULL out)", ota_resolve_file(FILE_NAME, d, n, NULL), ota_last_errmsg(), NULL);
  out = dirty(); REFUSED("ota_fleet_import(NULL db)", ota_fleet_import(NULL, "eve", NOW, snap.data, snap.len, NULL, NULL, &out), ota_errmsg(NULL), &out);
  out = dirty(); REFUSED("ota_fleet_import(NULL actor)", ota_fleet_import(db, NULL, NOW, snap.data, snap.len, NULL, NULL, &out), ota_errmsg(db), &out);
  out = dirty(); REFUSED("ota_fleet_import(NULL snapshot)", ota_fleet_import(db, "eve", NOW, NULL, 9, NULL, NULL, &out), ota_errmsg(db), &out);
  out = dirty(); REFUSED("ota_fleet_export(NULL db)", ota_fleet_export(NULL, NOW, &out), ota_errmsg(NULL), &out);
  REFUSED("ota_fleet_export(NULL out)", ota_fleet_export(db, NOW, NULL), ota_errmsg(db), NULL);
  out = dirty(); REFUSED("ota_vehicle_get(NULL db)", ota_vehicle_get(NULL, VIN1, &out), ota_errmsg(NULL), &out);
  out = dirty(); REFUSED("ota_vehicle_get(NULL vin)", ota_vehicle_get(db, NULL, &out), ota_errmsg(db), &out);
  REFUSED("ota_vehicle_get(NULL out)", ota_vehicle_get(db, VIN1, NULL), ota_errmsg(db), NULL);
  REFUSED("ota_grant(NULL db)", ota_grant(NULL, "root", NOW, "x", "engineer"), ota_errmsg(NULL), NULL);
  REFUSED("ota_grant(NULL actor)", ota_grant(db, NULL, NOW, "x", "engineer"), ota_errmsg(db), NULL);
  REFUSED("ota_grant(NULL who)", ota_grant(db, "root", NOW, NULL, "engineer"), ota_errmsg(db), NULL);
  REFUSED("ota_grant(NULL role)", ota_grant(db, "root", NOW, "x", NULL), ota_errmsg(db), NULL);
  REFUSED("ota_revoke(NULL db)", ota_revoke(NULL, "root", NOW, "eve", "engineer"), ota_errmsg(NULL), NULL);
  REFUSED("ota_revoke(NULL actor)", ota_revoke(db, NULL, NOW, "eve", "engineer"), ota_errmsg(db), NULL);
  REFUSED("ota_revoke(NULL who)", ota_revoke(db, "root", NOW, NULL, "engineer"), ota_errmsg(db), NULL);
  REFUSED("ota_revoke(NULL role)", ota_revoke(db, "root", NOW, "eve", NULL), ota_errmsg(db), NULL);
  out = dirty(); REFUSED("ota_roles(NULL db)", ota_roles(NULL, "eve", &out), ota_errmsg(NULL), &out);
  out = dirty(); REFUSED("ota_roles(NULL who)", ota_roles(db, NULL, &out), ota_errmsg(db), &out);
  REFUSED("ota_roles(NULL out)", ota_roles(db, "eve", NULL), ota_errmsg(db), NULL);
  v = -7;
  REFUSED("ota_package_register(NULL db)", ota_package_register(NULL, "eve", NOW, d, n, &v), ota_errmsg(NULL), NULL);
  REFUSED("ota_package_register(NULL actor)", ota_package_register(db, NULL, NOW, d, n, &v), ota_errmsg(db), NULL);
  REFUSED("ota_package_register(NULL manifest)", ota_package_register(db, "eve", NOW, NULL, 9, &v), ota_errmsg(db), NULL);
  REFUSED("ota_package_register(NULL id)", ota_package_register(db, "eve", NOW, d, n, NULL), ota_errmsg(db), NULL);
  CHECK(v == -7);
  out = dirty(); REFUSED("ota_package_get(NULL db)", ota_package_get(NULL, pkg_approved, &out), ota_errmsg(NULL), &out);
  REFUSED("ota_package_get(NULL out)", ota_package_get(db, pkg_approved, NULL), ota_errmsg(db), NULL);
  out = dirty(); REFUSED("ota_package_list(NULL db)", ota_package_list(NULL, NULL, 0, &out), ota_errmsg(NULL), &out);
  out = dirty(); REFUSED("ota_package_list(NULL filter)", ota_package_list(db, NULL, 3, &out), ota_errmsg(db), &out);
  REFUSED("ota_package_list(NULL out)", ota_package_list(db, NULL, 0, NULL), ota_errmsg(db), NULL);
  REFUSED("ota_package_verify_file(NULL db)", ota_package_verify_file(NULL, "eve", NOW, pkg_draft, FILE_NAME, FILE_NAME), ota_errmsg(NULL), NULL);
  REFUSED("ota_package_verify_file(NULL actor)", ota_package_verify_file(db, NULL, NOW, pkg_draft, FILE_NAME, FILE_NAME), ota_errmsg(db), NULL);
  REFUSED("ota_package_verify_file(NULL name)", ota_package_verify_file(db, "eve", NOW, pkg_draft, NULL, FILE_NAME), ota_errmsg(db), NULL);
  REFUSED("ota_package_verify_file(NULL path)", ota_package_verify_file(db, "eve", NOW, pkg_draft, FILE_NAME, NULL), ota_errmsg(db), NULL);
  REFUSED("ota_package_validate(NULL db)", ota_package_validate(NULL, "eve", NOW, pkg_draft), ota_errmsg(NULL), NULL);
  REFUSED("ota_package_validate(NULL actor)", ota_package_validate(db, NULL, NOW, pkg_draft), ota_errmsg(db), NULL);
  REFUSED("ota_package_approve(NULL db)", ota_package_approve(NULL, "ann", NOW, pkg_draft), ota_errmsg(NULL), NULL);
  REFUSED("ota_package_approve(NULL actor)", ota_package_approve(db, NULL, NOW, pkg_draft), ota_errmsg(db), NULL);
  REFUSED("ota_package_release(NULL db)", ota_package_release(NULL, "ann", NOW, pkg_approved), ota_errmsg(NULL), NULL);
  REFUSED("ota_package_release(NULL actor)", ota_package_release(db, NULL, NOW, pkg_approved), ota_errmsg(db), NULL);
  REFUSED("ota_package_withdraw(NULL db)", ota_package_withdraw(NULL, "ann", NOW, pkg_draft, "r"), ota_errmsg(NULL), NULL);
  REFUSED("ota_package_withdraw(NULL actor)", ota_package_withdraw(db, NULL, NOW, pkg_draft, "r"), ota_errmsg(db), NULL);
  REFUSED("ota_package_withdraw(NULL reason)", ota_package_withdraw(db, "ann", NOW, pkg_draft, NULL), ota_errmsg(db), NULL);
  out = dirty(); REFUSED("ota_package_signature(NULL db)", ota_package_signature(NULL, pkg_approved, &out), ota_errmsg(NULL), &out);
  REFUSED("ota_package_signature(NULL out)", ota_package_signature(db, pkg_approved, NULL), ota_errmsg(db), NULL);
  REFUSED("ota_set_signing_key(NULL db)", ota_set_signing_key(NULL, seed, "k1"), ota_errmsg(NULL), NULL);
  REFUSED("ota_set_signing_key(NULL seed)", ota_set_signing_key(db, NULL, "k1"), ota_errmsg(db), NULL);
  REFUSED("ota_set_signing_key(NULL kid)", ota_set_signing_key(db, seed, NULL), ota_errmsg(db), NULL);
  REFUSED("ota_set_signer(NULL db)", ota_set_signer(NULL, NULL, NULL, pub, "k"), ota_errmsg(NULL), NULL);
  REFUSED("ota_signing_public_key(NULL db)", ota_signing_public_key(NULL, pub), ota_errmsg(NULL), NULL);
  REFUSED("ota_signing_public_key(NULL out)", ota_signing_public_key(db, NULL), ota_errmsg(db), NULL);
  REFUSED("ota_schema_version(NULL db, NULL out)", ota_schema_version(NULL, NULL), ota_errmsg(NULL), NULL);

  if (HAVE(ota_campaign_create)) {
    v = -7;
    REFUSED("ota_campaign_create(NULL db)", ota_campaign_create(NULL, "cam", NOW, d, n, &v), ota_errmsg(NULL), NULL);
    REFUSED("ota_campaign_create(NULL actor)", ota_campaign_create(db, NULL, NOW, d, n, &v), ota_errmsg(db), NULL);
    REFUSED("ota_campaign_create(NULL spec)", ota_campaign_create(db, "cam", NOW, NULL, 4, &v), ota_errmsg(db), NULL);
    REFUSED("ota_campaign_create(NULL id)", ota_campaign_create(db, "cam", NOW, d, n, NULL), ota_errmsg(db), NULL);
    CHECK(v == -7);
  }
  if (HAVE(ota_campaign_validate)) {
    out = dirty(); REFUSED("ota_campaign_validate(NULL db)", ota_campaign_validate(NULL, 1, &out), ota_errmsg(NULL), &out);
    REFUSED("ota_campaign_validate(NULL out)", ota_campaign_validate(db, 1, NULL), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_campaign_approve)) {
    REFUSED("ota_campaign_approve(NULL db)", ota_campaign_approve(NULL, "ann", NOW, 1), ota_errmsg(NULL), NULL);
    REFUSED("ota_campaign_approve(NULL actor)", ota_campaign_approve(db, NULL, NOW, 1), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_campaign_get)) {
    out = dirty(); REFUSED("ota_campaign_get(NULL db)", ota_campaign_get(NULL, 1, &out), ota_errmsg(NULL), &out);
    REFUSED("ota_campaign_get(NULL out)", ota_campaign_get(db, 1, NULL), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_campaign_list)) {
    out = dirty(); REFUSED("ota_campaign_list(NULL db)", ota_campaign_list(NULL, NULL, 0, &out), ota_errmsg(NULL), &out);
    out = dirty(); REFUSED("ota_campaign_list(NULL filter)", ota_campaign_list(db, NULL, 3, &out), ota_errmsg(db), &out);
    REFUSED("ota_campaign_list(NULL out)", ota_campaign_list(db, NULL, 0, NULL), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_test_fleet_add)) {
    REFUSED("ota_test_fleet_add(NULL db)", ota_test_fleet_add(NULL, "eve", NOW, d, n), ota_errmsg(NULL), NULL);
    REFUSED("ota_test_fleet_add(NULL actor)", ota_test_fleet_add(db, NULL, NOW, d, n), ota_errmsg(db), NULL);
    REFUSED("ota_test_fleet_add(NULL vins)", ota_test_fleet_add(db, "eve", NOW, NULL, 5), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_test_fleet_remove)) {
    REFUSED("ota_test_fleet_remove(NULL db)", ota_test_fleet_remove(NULL, "eve", NOW, d, n), ota_errmsg(NULL), NULL);
    REFUSED("ota_test_fleet_remove(NULL actor)", ota_test_fleet_remove(db, NULL, NOW, d, n), ota_errmsg(db), NULL);
    REFUSED("ota_test_fleet_remove(NULL vins)", ota_test_fleet_remove(db, "eve", NOW, NULL, 5), ota_errmsg(db), NULL);
  }
  {
    typedef int (*transition_fn)(ota_db *, const char *, int64_t, int64_t);
    struct { const char *name; transition_fn fn; int present; } t[3] = {
      {"ota_campaign_start", HAVE(ota_campaign_start) ? ota_campaign_start : NULL, 0},
      {"ota_campaign_pause", HAVE(ota_campaign_pause) ? ota_campaign_pause : NULL, 0},
      {"ota_campaign_resume", HAVE(ota_campaign_resume) ? ota_campaign_resume : NULL, 0}};
    for (int i = 0; i < 3; i++) {
      char label[96];
      if (!t[i].fn) continue;
      snprintf(label, sizeof label, "%s(NULL db)", t[i].name);
      REFUSED(label, t[i].fn(NULL, "cam", NOW, 1), ota_errmsg(NULL), NULL);
      snprintf(label, sizeof label, "%s(NULL actor)", t[i].name);
      REFUSED(label, t[i].fn(db, NULL, NOW, 1), ota_errmsg(db), NULL);
    }
  }
  if (HAVE(ota_campaign_abort)) {
    REFUSED("ota_campaign_abort(NULL db)", ota_campaign_abort(NULL, "cam", NOW, 1, "r"), ota_errmsg(NULL), NULL);
    REFUSED("ota_campaign_abort(NULL actor)", ota_campaign_abort(db, NULL, NOW, 1, "r"), ota_errmsg(db), NULL);
    REFUSED("ota_campaign_abort(NULL reason)", ota_campaign_abort(db, "cam", NOW, 1, NULL), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_campaign_step)) {
    out = dirty(); REFUSED("ota_campaign_step(NULL db)", ota_campaign_step(NULL, "cam", NOW, 1, &out), ota_errmsg(NULL), &out);
    out = dirty(); REFUSED("ota_campaign_step(NULL actor)", ota_campaign_step(db, NULL, NOW, 1, &out), ota_errmsg(db), &out);
    REFUSED("ota_campaign_step(NULL out)", ota_campaign_step(db, "cam", NOW, 1, NULL), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_campaign_stats)) {
    out = dirty(); REFUSED("ota_campaign_stats(NULL db)", ota_campaign_stats(NULL, 1, NOW, &out), ota_errmsg(NULL), &out);
    REFUSED("ota_campaign_stats(NULL out)", ota_campaign_stats(db, 1, NOW, NULL), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_campaign_vehicles)) {
    out = dirty(); REFUSED("ota_campaign_vehicles(NULL db)", ota_campaign_vehicles(NULL, 1, NULL, 0, &out), ota_errmsg(NULL), &out);
    out = dirty(); REFUSED("ota_campaign_vehicles(NULL filter)", ota_campaign_vehicles(db, 1, NULL, 3, &out), ota_errmsg(db), &out);
    REFUSED("ota_campaign_vehicles(NULL out)", ota_campaign_vehicles(db, 1, NULL, 0, NULL), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_outbox_fetch)) {
    out = dirty(); REFUSED("ota_outbox_fetch(NULL db)", ota_outbox_fetch(NULL, 10, &out), ota_errmsg(NULL), &out);
    REFUSED("ota_outbox_fetch(NULL out)", ota_outbox_fetch(db, 10, NULL), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_outbox_ack)) {
    int64_t ids[1] = {1};
    REFUSED("ota_outbox_ack(NULL db)", ota_outbox_ack(NULL, ids, 1), ota_errmsg(NULL), NULL);
    REFUSED("ota_outbox_ack(NULL ids)", ota_outbox_ack(db, NULL, 1), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_vehicle_set_key)) {
    REFUSED("ota_vehicle_set_key(NULL db)", ota_vehicle_set_key(NULL, "eve", NOW, VIN1, pub), ota_errmsg(NULL), NULL);
    REFUSED("ota_vehicle_set_key(NULL actor)", ota_vehicle_set_key(db, NULL, NOW, VIN1, pub), ota_errmsg(db), NULL);
    REFUSED("ota_vehicle_set_key(NULL vin)", ota_vehicle_set_key(db, "eve", NOW, NULL, pub), ota_errmsg(db), NULL);
    REFUSED("ota_vehicle_set_key(NULL pub)", ota_vehicle_set_key(db, "eve", NOW, VIN1, NULL), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_status_ingest)) {
    const char *topic = "ota/v1/vehicles/" VIN1 "/status";
    out = dirty(); REFUSED("ota_status_ingest(NULL db)", ota_status_ingest(NULL, "gw", NOW, topic, d, n, &out), ota_errmsg(NULL), &out);
    out = dirty(); REFUSED("ota_status_ingest(NULL actor)", ota_status_ingest(db, NULL, NOW, topic, d, n, &out), ota_errmsg(db), &out);
    out = dirty(); REFUSED("ota_status_ingest(NULL topic)", ota_status_ingest(db, "gw", NOW, NULL, d, n, &out), ota_errmsg(db), &out);
    out = dirty(); REFUSED("ota_status_ingest(NULL report)", ota_status_ingest(db, "gw", NOW, topic, NULL, 5, &out), ota_errmsg(db), &out);
  }
  if (HAVE(ota_status_ingest_batch)) {
    out = dirty(); REFUSED("ota_status_ingest_batch(NULL db)", ota_status_ingest_batch(NULL, "gw", NOW, d, n, &out), ota_errmsg(NULL), &out);
    out = dirty(); REFUSED("ota_status_ingest_batch(NULL actor)", ota_status_ingest_batch(db, NULL, NOW, d, n, &out), ota_errmsg(db), &out);
    out = dirty(); REFUSED("ota_status_ingest_batch(NULL batch)", ota_status_ingest_batch(db, "gw", NOW, NULL, 5, &out), ota_errmsg(db), &out);
  }
}

/* Zero, huge and garbage lengths, garbage bytes, nesting and wide maps, to every runner. */
static void lengths_and_shapes(void) {
  static const uint8_t small[4] = {0xa1, 0x61, 'a', 0x00};
  static const size_t huge[] = {SIZE_MAX, SIZE_MAX / 2, (size_t)1 << 31, ((size_t)1 << 30) + 1, (size_t)INT64_MAX + 1u};
  for (size_t r = 0; r < nrunners; r++) {
    const runner_t *run = &runners[r];
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) doc_case(run, "huge length", (long)i, small, huge[i]);
    if (run->empty_filter_ok) continue; /* an empty filter is no filter */
    doc_case(run, "zero length, non-NULL", 0, small, 0);
    doc_case(run, "NULL, zero length", 0, NULL, 0);
  }
  /* garbage: xorshift bytes of 1 to 64 bytes; a first byte that starts a complete empty map
   * or array would make a valid filter, so those are nudged */
  for (long i = 0; i < 60; i++) {
    uint8_t buf[64];
    size_t n = 1 + (size_t)(next_random() % sizeof buf);
    for (size_t j = 0; j < n; j++) buf[j] = (uint8_t)next_random();
    if (buf[0] == 0xa0 || buf[0] == 0x80 || buf[0] == 0xbf || buf[0] == 0x9f) buf[0] = 0xff;
    every_runner("garbage bytes", i, buf, n);
  }
  for (int maps = 0; maps < 2; maps++) {
    for (int ind = 0; ind < 2; ind++) {
      cb_doc d = nested(10000, maps, ind);
      every_runner(maps ? (ind ? "10,000 nested indefinite maps" : "10,000 nested maps")
                        : (ind ? "10,000 nested indefinite arrays" : "10,000 nested arrays"), 0, d.data, d.len);
      cb_free(&d);
    }
  }
  {
    cb_doc d = many_keys(100000, 0);
    every_runner("map of 100,000 keys", 0, d.data, d.len);
    cb_free(&d);
    d = many_keys(100000, 1);
    every_runner("map of 100,000 equal keys", 0, d.data, d.len);
    cb_free(&d);
  }
}

/* NULL with a length that is not zero is the caller's mistake whatever the length: OTA_MISUSE
 * before any check of the length. */
static void null_with_any_length(void) {
  static const size_t lengths[] = {1, SIZE_MAX, (size_t)INT64_MAX + 1u};
  for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
    ota_buf out = dirty();
    int rc = ota_resolve(NULL, lengths[i], rule.data, rule.len, &out);
    CHECK(rc == OTA_MISUSE);
    refused("ota_resolve(NULL snapshot, length)", (long)i, rc, ota_last_errmsg(), &out);
    out = dirty();
    rc = ota_fleet_import(db, "eve", NOW, NULL, lengths[i], NULL, NULL, &out);
    CHECK(rc == OTA_MISUSE);
    refused("ota_fleet_import(NULL snapshot, length)", (long)i, rc, ota_errmsg(db), &out);
    if (HAVE(ota_status_ingest_batch)) {
      out = dirty();
      rc = ota_status_ingest_batch(db, "gw", NOW, NULL, lengths[i], &out);
      CHECK(rc == OTA_MISUSE);
      refused("ota_status_ingest_batch(NULL batch, length)", (long)i, rc, ota_errmsg(db), &out);
    }
    if (HAVE(ota_outbox_ack)) { /* ids NULL with a count above 2^24 was OTA_BADINPUT */
      rc = ota_outbox_ack(db, NULL, lengths[i]);
      CHECK(rc == OTA_MISUSE);
      refused("ota_outbox_ack(NULL ids, count)", (long)i, rc, ota_errmsg(db), NULL);
    }
  }
}

/* Every prefix (shorter than the whole) of a valid document, to its runner. */
static void prefixes(const char *name, const cb_doc *d) {
  for (size_t r = 0; r < nrunners; r++) {
    if (strcmp(runners[r].name, name) != 0) continue;
    for (size_t n = runners[r].empty_filter_ok ? 1 : 0; n < d->len; n++) { /* an empty filter is no filter */
      uint8_t *copy = (uint8_t *)malloc(n ? n : 1); /* exactly n bytes: a read past them is a bug */
      if (!copy) exit(2);
      memcpy(copy, d->data, n);
      doc_case(&runners[r], "truncated", (long)n, copy, n);
      free(copy);
    }
  }
}

static const runner_t *runner_named(const char *name) {
  for (size_t r = 0; r < nrunners; r++) if (strcmp(runners[r].name, name) == 0) return &runners[r];
  return NULL;
}

/* Every wrong kind of value for every field, and every field left out that is required. */
typedef cbor_item_t *(*doc_builder)(void);
static cbor_item_t *manifest_2_9(void) { return manifest_item("2.9"); }

static void wrong_types(const char *runner, doc_builder build, const field_t *fields, size_t nfields,
                        int (*ok)(const field_t *, int)) {
  const runner_t *r = runner_named(runner);
  char what[160];
  if (!r) return;
  for (size_t f = 0; f < nfields; f++) {
    for (int k = 0; k < K_COUNT; k++) {
      if (ok(&fields[f], k)) continue;
      cbor_item_t *doc = with_key(build(), fields[f].outer, fields[f].key);
      cb_doc d = with_value(doc, fields[f].outer, fields[f].key, value_of_kind(k));
      snprintf(what, sizeof what, "%s%s%s = %s", fields[f].outer ? fields[f].outer : "", fields[f].outer ? "[0]." : "",
               fields[f].key, kind_names[k]);
      doc_case(r, what, k, d.data, d.len);
      cb_free(&d);
    }
  }
}

static int generic_accepts(const field_t *f, int k) { return accepts(f->field, k); }

/* Required fields of each document, left out one at a time. */
static void missing_fields(void) {
  static const char *manifest_required[] = {"name", "version", "ecu", "category", "release-type", "issue", "protocol",
                                            "powertrains", "models", "hw", "from", "to", "files", "release-notes",
                                            "release-counter"};
  static const char *file_required[] = {"name", "size", "sha256", "uri"};
  static const char *spec_required[] = {"name", "category", "packages", "urgency", "end", "waves", "timeouts"};
  const runner_t *r = runner_named("register");
  for (size_t i = 0; r && i < sizeof manifest_required / sizeof manifest_required[0]; i++) {
    cb_doc d = without(manifest_item("2.8"), NULL, manifest_required[i]);
    doc_case(r, "manifest without a required field", (long)i, d.data, d.len);
    cb_free(&d);
  }
  for (size_t i = 0; r && i < sizeof file_required / sizeof file_required[0]; i++) {
    cb_doc d = without(manifest_item("2.8"), "files", file_required[i]);
    doc_case(r, "manifest files[0] without a required field", (long)i, d.data, d.len);
    cb_free(&d);
  }
  r = runner_named("rule");
  {
    cb_doc d = without(rule_item(), NULL, "ecu");
    doc_case(r, "rule without ecu", 0, d.data, d.len);
    cb_free(&d);
  }
  r = runner_named("campaign spec");
  for (size_t i = 0; r && i < sizeof spec_required / sizeof spec_required[0]; i++) {
    cb_doc d = without(spec_item(), NULL, spec_required[i]);
    doc_case(r, "spec without a required field", (long)i, d.data, d.len);
    cb_free(&d);
  }
  for (size_t i = 0; r && i < 2; i++) {
    cb_doc d = without(spec_item(), "waves", i ? "failure-threshold" : "success-gate");
    doc_case(r, "spec waves[0] without a required field", (long)i, d.data, d.len);
    cb_free(&d);
  }
}

/* Invalid UTF-8 in text fields of every document. */
static void invalid_utf8(void) {
  for (size_t i = 0; i < N_BAD_UTF8; i++) {
    const runner_t *r;
    cb_doc d;
    static const char *manifest_text[] = {"name", "version", "ecu", "issue", "to", "release-notes"};
    if ((r = runner_named("register")))
      for (size_t f = 0; f < sizeof manifest_text / sizeof manifest_text[0]; f++) {
        d = with_value(manifest_item("2.7"), NULL, manifest_text[f], raw_text(bad_utf8[i]));
        doc_case(r, "manifest text not UTF-8", (long)i, d.data, d.len);
        cb_free(&d);
      }
    if ((r = runner_named("register"))) {
      d = with_value(manifest_item("2.7"), NULL, "models", cb_array(1, raw_text(bad_utf8[i])));
      doc_case(r, "manifest models[0] not UTF-8", (long)i, d.data, d.len);
      cb_free(&d);
    }
    if ((r = runner_named("rule"))) {
      d = with_value(rule_item(), NULL, "ecu", raw_text(bad_utf8[i]));
      doc_case(r, "rule ecu not UTF-8", (long)i, d.data, d.len);
      cb_free(&d);
      d = with_value(rule_item(), NULL, "attributes", cb_map(1, raw_text(bad_utf8[i]), cb_text("x")));
      doc_case(r, "rule attribute key not UTF-8", (long)i, d.data, d.len);
      cb_free(&d);
    }
    {
      cbor_item_t *s = snapshot_item();
      cbor_item_t *v = cbor_array_handle(cbor_map_handle(s)[2].value)[0]; /* vehicles[0] */
      cbor_decref(&cbor_array_handle(v)[1]);
      cbor_array_handle(v)[1] = raw_text(bad_utf8[i]);
      d = cb_encode(s);
      if ((r = runner_named("snapshot"))) doc_case(r, "snapshot model not UTF-8", (long)i, d.data, d.len);
      if ((r = runner_named("import"))) doc_case(r, "snapshot model not UTF-8", (long)i, d.data, d.len);
      cb_free(&d);
    }
    if ((r = runner_named("campaign spec"))) {
      d = with_value(spec_item(), NULL, "name", raw_text(bad_utf8[i]));
      doc_case(r, "spec name not UTF-8", (long)i, d.data, d.len);
      cb_free(&d);
    }
    if ((r = runner_named("package filter"))) {
      d = cb_encode(cb_map(1, cb_text("ecu"), raw_text(bad_utf8[i])));
      doc_case(r, "filter ecu not UTF-8", (long)i, d.data, d.len);
      cb_free(&d);
    }
    if ((r = runner_named("test fleet add"))) {
      d = cb_encode(cb_array(1, raw_text(bad_utf8[i])));
      doc_case(r, "VIN not UTF-8", (long)i, d.data, d.len);
      cb_free(&d);
    }
    ota_buf out = dirty();
    REFUSED("ota_vehicle_get(vin not UTF-8)", ota_vehicle_get(db, bad_utf8[i], &out), ota_errmsg(db), &out);
    REFUSED("ota_package_withdraw(reason not UTF-8)", ota_package_withdraw(db, "ann", NOW, pkg_draft, bad_utf8[i]), ota_errmsg(db), NULL);
    REFUSED("ota_package_verify_file(name not UTF-8)", ota_package_verify_file(db, "eve", NOW, pkg_draft, bad_utf8[i], FILE_NAME), ota_errmsg(db), NULL);
    if (HAVE(ota_campaign_abort))
      REFUSED("ota_campaign_abort(reason not UTF-8)", ota_campaign_abort(db, "cam", NOW, 1, bad_utf8[i]), ota_errmsg(db), NULL);
    if (HAVE(ota_status_ingest)) {
      out = dirty();
      REFUSED("ota_status_ingest(topic not UTF-8)", ota_status_ingest(db, "gw", NOW, bad_utf8[i], rule.data, rule.len, &out), ota_errmsg(db), &out);
    }
  }
}

/* Identities that break the rule, in every identity argument. */
static void bad_identity_arguments(void) {
  ota_buf out;
  static const uint8_t seed[32] = {3};
  memset(long_identity, 'a', 257);
  long_identity[257] = '\0';
  for (size_t i = 0; i < N_BAD_IDENTITIES; i++) {
    const char *id = bad_identities[i];
    int64_t v = -7;
    ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
    ota_db *h = (ota_db *)(void *)garbage;
    opts.bootstrap_admin = id;
    REFUSED("ota_open_ex(bootstrap_admin)", ota_open_ex(":memory:", &opts, &h), ota_last_errmsg(), NULL);
    CHECK(h == NULL);
    REFUSED("ota_grant(actor)", ota_grant(db, id, NOW, "x", "engineer"), ota_errmsg(db), NULL);
    REFUSED("ota_grant(who)", ota_grant(db, "root", NOW, id, "engineer"), ota_errmsg(db), NULL);
    REFUSED("ota_grant(role)", ota_grant(db, "root", NOW, "x", id), ota_errmsg(db), NULL);
    REFUSED("ota_revoke(actor)", ota_revoke(db, id, NOW, "eve", "engineer"), ota_errmsg(db), NULL);
    REFUSED("ota_revoke(who)", ota_revoke(db, "root", NOW, id, "engineer"), ota_errmsg(db), NULL);
    out = dirty(); REFUSED("ota_roles(who)", ota_roles(db, id, &out), ota_errmsg(db), &out);
    out = dirty(); REFUSED("ota_fleet_import(actor)", ota_fleet_import(db, id, NOW, snap.data, snap.len, NULL, NULL, &out), ota_errmsg(db), &out);
    REFUSED("ota_package_register(actor)", ota_package_register(db, id, NOW, snap.data, snap.len, &v), ota_errmsg(db), NULL);
    CHECK(v == -7);
    REFUSED("ota_package_verify_file(actor)", ota_package_verify_file(db, id, NOW, pkg_draft, FILE_NAME, FILE_NAME), ota_errmsg(db), NULL);
    REFUSED("ota_package_validate(actor)", ota_package_validate(db, id, NOW, pkg_draft), ota_errmsg(db), NULL);
    REFUSED("ota_package_approve(actor)", ota_package_approve(db, id, NOW, pkg_draft), ota_errmsg(db), NULL);
    REFUSED("ota_package_release(actor)", ota_package_release(db, id, NOW, pkg_approved), ota_errmsg(db), NULL);
    REFUSED("ota_package_withdraw(actor)", ota_package_withdraw(db, id, NOW, pkg_draft, "r"), ota_errmsg(db), NULL);
    REFUSED("ota_set_signing_key(kid)", ota_set_signing_key(db, seed, id), ota_errmsg(db), NULL);
    if (HAVE(ota_campaign_create)) {
      cb_doc s = cb_encode(spec_item());
      v = -7;
      REFUSED("ota_campaign_create(actor)", ota_campaign_create(db, id, NOW, s.data, s.len, &v), ota_errmsg(db), NULL);
      CHECK(v == -7);
      cb_free(&s);
    }
    if (HAVE(ota_campaign_approve)) REFUSED("ota_campaign_approve(actor)", ota_campaign_approve(db, id, NOW, 1), ota_errmsg(db), NULL);
    if (HAVE(ota_test_fleet_add)) {
      cb_doc s = cb_encode(cb_array(1, cb_text(VIN1)));
      REFUSED("ota_test_fleet_add(actor)", ota_test_fleet_add(db, id, NOW, s.data, s.len), ota_errmsg(db), NULL);
      cb_free(&s);
    }
    if (HAVE(ota_campaign_step)) {
      out = dirty(); REFUSED("ota_campaign_step(actor)", ota_campaign_step(db, id, NOW, 1, &out), ota_errmsg(db), &out);
    }
    if (HAVE(ota_status_ingest_batch)) {
      cb_doc s = cb_encode(cb_array_of(0));
      out = dirty(); REFUSED("ota_status_ingest_batch(actor)", ota_status_ingest_batch(db, id, NOW, s.data, s.len, &out), ota_errmsg(db), &out);
      cb_free(&s);
    }
  }
  /* the signing key was never replaced: every kid was refused */
  uint8_t pub[32];
  CHECK(ota_signing_public_key(db, pub) == OTA_OK);
}

static void times_out_of_range(void);
static cbor_item_t *neg_big(void) { return cb_ok(cbor_build_negint64(UINT64_MAX)); } /* -2^64 */
static cbor_item_t *float_of(double x) { return cb_ok(cbor_build_float8(x)); }

/* Integers and numbers at the edges, in documents and as arguments. */
static void extreme_numbers(void) {
  const runner_t *r;
  cb_doc d;
  long i = 0;
  if ((r = runner_named("register"))) {
    cbor_item_t *counters[] = {cb_uint((uint64_t)INT64_MAX + 1u), cb_uint(UINT64_MAX), cb_int(-1), cb_int(INT64_MIN), neg_big()};
    for (size_t k = 0; k < sizeof counters / sizeof counters[0]; k++) {
      d = with_value(manifest_item("2.6"), NULL, "release-counter", counters[k]);
      doc_case(r, "release-counter at an edge", i++, d.data, d.len);
      cb_free(&d);
    }
    cbor_item_t *sizes[] = {cb_uint(0), cb_int(INT64_MIN), neg_big(), float_of(1e308)};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
      d = with_value(manifest_item("2.6"), "files", "size", sizes[k]);
      doc_case(r, "files[0].size at an edge", i++, d.data, d.len);
      cb_free(&d);
    }
  }
  if ((r = runner_named("rule"))) {
    cbor_item_t *windows[] = {cb_array(2, cb_uint((uint64_t)INT64_MAX), cb_uint(0)), cb_array(2, cb_int(-1), cb_uint(5)),
                              cb_array(2, cb_int(INT64_MIN), cb_uint(5)), cb_array(2, cb_uint(UINT64_MAX), cb_uint(0)),
                              cb_array(3, cb_uint(0), cb_uint(1), cb_uint(2)), cb_array(2, neg_big(), neg_big())};
    for (size_t k = 0; k < sizeof windows / sizeof windows[0]; k++) {
      d = with_value(rule_item(), NULL, "produced", windows[k]);
      doc_case(r, "produced at an edge", i++, d.data, d.len);
      cb_free(&d);
    }
  }
  if ((r = runner_named("snapshot"))) {
    cbor_item_t *versions[] = {cb_uint(UINT64_MAX), cb_int(INT64_MIN), cb_uint(0), cb_uint(2)};
    for (size_t k = 0; k < sizeof versions / sizeof versions[0]; k++) {
      cbor_item_t *s = snapshot_item();
      cbor_decref(&cbor_map_handle(s)[0].value);
      cbor_map_handle(s)[0].value = versions[k];
      d = cb_encode(s);
      doc_case(r, "format version at an edge", i++, d.data, d.len);
      cb_free(&d);
    }
    cbor_item_t *times[] = {cb_int(-1), cb_int(INT64_MIN), neg_big()};
    for (size_t k = 0; k < sizeof times / sizeof times[0]; k++) {
      cbor_item_t *s = snapshot_item();
      cbor_decref(&cbor_map_handle(s)[1].value);
      cbor_map_handle(s)[1].value = times[k];
      d = cb_encode(s);
      doc_case(r, "snapshot time at an edge", i++, d.data, d.len);
      cb_free(&d);
    }
  }
  if ((r = runner_named("campaign spec"))) {
    cbor_item_t *priorities[] = {cb_uint(1001), cb_uint(UINT64_MAX), cb_int(-1), cb_int(INT64_MIN), neg_big(), float_of(500.5)};
    for (size_t k = 0; k < sizeof priorities / sizeof priorities[0]; k++) {
      cbor_item_t *doc = with_key(spec_item(), NULL, "priority");
      d = with_value(doc, NULL, "priority", priorities[k]);
      doc_case(r, "priority at an edge", i++, d.data, d.len);
      cb_free(&d);
    }
    cbor_item_t *percents[] = {cb_uint(101), cb_uint(UINT64_MAX), cb_int(-1), cb_int(INT64_MIN), neg_big(), float_of(1e308),
                               float_of(-0.01), float_of(0.125), float_of(100.01),
                               float_of(INFINITY), float_of(-INFINITY), float_of(NAN)};
    static const char *percent_keys[] = {"share", "success-gate", "failure-threshold"};
    for (size_t p = 0; p < 3; p++) {
      for (size_t k = 0; k < sizeof percents / sizeof percents[0]; k++) {
        d = with_value(spec_item(), "waves", percent_keys[p], cbor_copy(percents[k]));
        doc_case(r, "percent at an edge", i++, d.data, d.len);
        cb_free(&d);
      }
    }
    for (size_t k = 0; k < sizeof percents / sizeof percents[0]; k++) cbor_decref(&percents[k]);
    cbor_item_t *seconds[] = {cb_uint(0), cb_uint(31622401), cb_uint(UINT64_MAX), cb_int(-1), neg_big()};
    for (size_t k = 0; k < sizeof seconds / sizeof seconds[0]; k++) {
      d = with_value(spec_item(), "timeouts", "answer", seconds[k]);
      doc_case(r, "timeouts.answer at an edge", i++, d.data, d.len);
      cb_free(&d);
    }
    cbor_item_t *ends[] = {cb_int(-1), cb_int(INT64_MIN), neg_big(), float_of(1.5e9), cb_uint(253402300800u),
                           cb_uint((uint64_t)INT64_MAX), cb_ok(cbor_build_tag(1, cbor_move(cb_uint((uint64_t)INT64_MAX))))};
    for (size_t k = 0; k < sizeof ends / sizeof ends[0]; k++) {
      d = with_value(spec_item(), NULL, "end", ends[k]);
      doc_case(r, "end at an edge", i++, d.data, d.len);
      cb_free(&d);
    }
    cbor_item_t *packages[] = {cb_array(1, cb_uint(0)), cb_array(1, cb_uint(UINT64_MAX)), cb_array(1, cb_int(INT64_MIN)),
                               cb_array(1, cb_uint((uint64_t)INT64_MAX)), cb_array(2, cb_uint(1), cb_uint(1))};
    for (size_t k = 0; k < sizeof packages / sizeof packages[0]; k++) {
      d = with_value(spec_item(), NULL, "packages", packages[k]);
      doc_case(r, "packages at an edge", i++, d.data, d.len);
      cb_free(&d);
    }
  }
  /* ids and times as arguments */
  static const int64_t ids[] = {INT64_MIN, -1, 0, INT64_MAX};
  for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
    ota_buf out = dirty();
    REFUSED("ota_package_get(id at an edge)", ota_package_get(db, ids[k], &out), ota_errmsg(db), &out);
    out = dirty();
    REFUSED("ota_package_signature(id at an edge)", ota_package_signature(db, ids[k], &out), ota_errmsg(db), &out);
    REFUSED("ota_package_validate(id at an edge)", ota_package_validate(db, "eve", NOW, ids[k]), ota_errmsg(db), NULL);
    REFUSED("ota_package_approve(id at an edge)", ota_package_approve(db, "ann", NOW, ids[k]), ota_errmsg(db), NULL);
    REFUSED("ota_package_release(id at an edge)", ota_package_release(db, "ann", NOW, ids[k]), ota_errmsg(db), NULL);
    REFUSED("ota_package_withdraw(id at an edge)", ota_package_withdraw(db, "ann", NOW, ids[k], "r"), ota_errmsg(db), NULL);
    REFUSED("ota_package_verify_file(id at an edge)", ota_package_verify_file(db, "eve", NOW, ids[k], FILE_NAME, FILE_NAME), ota_errmsg(db), NULL);
    if (HAVE(ota_campaign_get)) {
      out = dirty();
      REFUSED("ota_campaign_get(id at an edge)", ota_campaign_get(db, ids[k], &out), ota_errmsg(db), &out);
    }
    if (HAVE(ota_campaign_validate)) {
      out = dirty();
      REFUSED("ota_campaign_validate(id at an edge)", ota_campaign_validate(db, ids[k], &out), ota_errmsg(db), &out);
    }
    if (HAVE(ota_campaign_approve))
      REFUSED("ota_campaign_approve(id at an edge)", ota_campaign_approve(db, "ann", NOW, ids[k]), ota_errmsg(db), NULL);
    if (HAVE(ota_campaign_stats) && ids[k] != 0) {
      out = dirty();
      REFUSED("ota_campaign_stats(id at an edge)", ota_campaign_stats(db, ids[k], NOW, &out), ota_errmsg(db), &out);
    }
  }
  times_out_of_range();
  {
    ota_open_options o;
    static const unsigned versions[] = {0u, 2u, UINT_MAX};
    for (size_t k = 0; k < sizeof versions / sizeof versions[0]; k++) {
      REFUSED("ota_open_options_init(version)", ota_open_options_init(&o, versions[k]), ota_last_errmsg(), NULL);
      ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
      ota_db *h = (ota_db *)(void *)garbage;
      opts.version = versions[k];
      REFUSED("ota_open_ex(opts.version)", ota_open_ex(":memory:", &opts, &h), ota_last_errmsg(), NULL);
      CHECK(h == NULL);
    }
    static const unsigned flags[] = {0x8u, 0x80000000u, UINT_MAX};  /* 0x1-0x4 are OTA_OPEN_* flags */
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
      ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
      ota_db *h = NULL;
      opts.flags = flags[k];
      REFUSED("ota_open_ex(opts.flags)", ota_open_ex(":memory:", &opts, &h), ota_last_errmsg(), NULL);
    }
    static const int timeouts[] = {-1, INT_MIN};
    for (size_t k = 0; k < 2; k++) {
      ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
      ota_db *h = NULL;
      opts.busy_timeout_ms = timeouts[k];
      REFUSED("ota_open_ex(busy_timeout_ms < 0)", ota_open_ex(":memory:", &opts, &h), ota_last_errmsg(), NULL);
    }
  }
}

/* now outside 0...253402300799 (1970 to the end of 9999), to every call that takes one: each
 * is OTA_BADINPUT naming now, and nothing else is looked at (the other arguments are valid). */
static void times_out_of_range(void) {
  static const int64_t times[] = {INT64_MIN, -1, 253402300800, INT64_MAX};
  cb_doc m = cb_encode(manifest_item("2.7")), s = cb_encode(spec_item());
  cb_doc vins = cb_encode(cb_array(1, cb_text(VIN1)));
  cb_doc report = cb_encode(cb_map(4, cb_text("vin"), cb_text(VIN1), cb_text("campaign"), cb_uint(1),
                                   cb_text("seq"), cb_uint(1), cb_text("state"), cb_text("accepted")));
  cb_doc batch = cb_encode(cb_array(0));
  uint8_t pub[32] = {1};
  for (size_t k = 0; k < sizeof times / sizeof times[0]; k++) {
    const int64_t t = times[k];
    int64_t id = 77;
    ota_buf out = dirty();
#define NOW_REFUSED(what, call, outp) do { int rc_ = (call); \
      if (rc_ != OTA_BADINPUT || strstr(ota_errmsg(db), "now") == NULL) scalar_out_changed = 1; \
      refused((what), (long)k, rc_, ota_errmsg(db), (outp)); scalar_out_changed = 0; } while (0)
    NOW_REFUSED("ota_fleet_export(now)", ota_fleet_export(db, t, &out), &out);
    out = dirty();
    NOW_REFUSED("ota_fleet_import(now)", ota_fleet_import(db, "eve", t, snap.data, snap.len, NULL, NULL, &out), &out);
    NOW_REFUSED("ota_grant(now)", ota_grant(db, "root", t, "zed", "engineer"), NULL);
    NOW_REFUSED("ota_revoke(now)", ota_revoke(db, "root", t, "eve", "engineer"), NULL);
    NOW_REFUSED("ota_package_register(now)", ota_package_register(db, "eve", t, m.data, m.len, &id), NULL);
    CHECK(id == 77);
    NOW_REFUSED("ota_package_verify_file(now)", ota_package_verify_file(db, "eve", t, pkg_draft, FILE_NAME, FILE_NAME), NULL);
    NOW_REFUSED("ota_package_validate(now)", ota_package_validate(db, "eve", t, pkg_draft), NULL);
    NOW_REFUSED("ota_package_approve(now)", ota_package_approve(db, "ann", t, pkg_approved), NULL);
    NOW_REFUSED("ota_package_release(now)", ota_package_release(db, "ann", t, pkg_approved), NULL);
    NOW_REFUSED("ota_package_withdraw(now)", ota_package_withdraw(db, "ann", t, pkg_draft, "r"), NULL);
    if (HAVE(ota_campaign_create)) {
      NOW_REFUSED("ota_campaign_create(now)", ota_campaign_create(db, "cam", t, s.data, s.len, &id), NULL);
      CHECK(id == 77);
      NOW_REFUSED("ota_campaign_approve(now)", ota_campaign_approve(db, "ann", t, 1), NULL);
      NOW_REFUSED("ota_test_fleet_add(now)", ota_test_fleet_add(db, "eve", t, vins.data, vins.len), NULL);
      NOW_REFUSED("ota_test_fleet_remove(now)", ota_test_fleet_remove(db, "eve", t, vins.data, vins.len), NULL);
    }
    if (HAVE(ota_campaign_step)) {
      NOW_REFUSED("ota_campaign_start(now)", ota_campaign_start(db, "cam", t, 1), NULL);
      NOW_REFUSED("ota_campaign_pause(now)", ota_campaign_pause(db, "cam", t, 1), NULL);
      NOW_REFUSED("ota_campaign_resume(now)", ota_campaign_resume(db, "cam", t, 1), NULL);
      NOW_REFUSED("ota_campaign_abort(now)", ota_campaign_abort(db, "cam", t, 1, "r"), NULL);
      out = dirty();
      NOW_REFUSED("ota_campaign_step(now)", ota_campaign_step(db, "cam", t, 0, &out), &out);
      out = dirty();
      NOW_REFUSED("ota_campaign_stats(now)", ota_campaign_stats(db, 1, t, &out), &out);
    }
    if (HAVE(ota_status_ingest)) {
      NOW_REFUSED("ota_vehicle_set_key(now)", ota_vehicle_set_key(db, "eve", t, VIN1, pub), NULL);
      out = dirty();
      NOW_REFUSED("ota_status_ingest(now)", ota_status_ingest(db, "gw", t, "ota/v1/vehicles/" VIN1 "/status",
                                                               report.data, report.len, &out), &out);
      out = dirty();
      NOW_REFUSED("ota_status_ingest_batch(now)", ota_status_ingest_batch(db, "gw", t, batch.data, batch.len, &out), &out);
    }
#undef NOW_REFUSED
    ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
    ota_db *h = NULL;
    opts.bootstrap_admin = "root";
    opts.now = t;
    REFUSED("ota_open_ex(opts.now)", ota_open_ex(":memory:", &opts, &h), ota_last_errmsg(), NULL);
    CHECK(h == NULL);
  }
  cb_free(&m); cb_free(&s); cb_free(&vins); cb_free(&report); cb_free(&batch);
}

static int never_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]) {
  (void)ctx; (void)msg; (void)len; (void)sig;
  return 1;
}

/* Calls the state of the store does not allow. */
static void wrong_state(void) {
  ota_buf out;
  uint8_t pub[32];
  int64_t v = -7;
  cb_doc m = cb_encode(manifest_item("2.0"));
  REFUSED("register a name + version again", ota_package_register(db, "eve", NOW, m.data, m.len, &v), ota_errmsg(db), NULL);
  CHECK(v == -7);
  cb_free(&m);
  REFUSED("validate an approved package", ota_package_validate(db, "eve", NOW, pkg_approved), ota_errmsg(db), NULL);
  REFUSED("validate a draft with an unverified file", ota_package_validate(db, "eve", NOW, pkg_draft), ota_errmsg(db), NULL);
  REFUSED("approve a draft", ota_package_approve(db, "ann", NOW, pkg_draft), ota_errmsg(db), NULL);
  REFUSED("approve an approved package", ota_package_approve(db, "ann", NOW, pkg_approved), ota_errmsg(db), NULL);
  REFUSED("release a draft", ota_package_release(db, "ann", NOW, pkg_draft), ota_errmsg(db), NULL);
  REFUSED("release a withdrawn package", ota_package_release(db, "ann", NOW, pkg_withdrawn), ota_errmsg(db), NULL);
  REFUSED("withdraw a withdrawn package", ota_package_withdraw(db, "ann", NOW, pkg_withdrawn, "again"), ota_errmsg(db), NULL);
  REFUSED("withdraw with an empty reason", ota_package_withdraw(db, "ann", NOW, pkg_draft, ""), ota_errmsg(db), NULL);
  REFUSED("verify a file of an approved package", ota_package_verify_file(db, "eve", NOW, pkg_approved, FILE_NAME, FILE_NAME), ota_errmsg(db), NULL);
  REFUSED("verify a file the package does not have", ota_package_verify_file(db, "eve", NOW, pkg_draft, "other.bin", FILE_NAME), ota_errmsg(db), NULL);
  REFUSED("verify a missing file", ota_package_verify_file(db, "eve", NOW, pkg_draft, FILE_NAME, "no/such/file"), ota_errmsg(db), NULL);
  REFUSED("verify a directory", ota_package_verify_file(db, "eve", NOW, pkg_draft, FILE_NAME, "."), ota_errmsg(db), NULL);
  out = dirty(); REFUSED("the signature of a draft", ota_package_signature(db, pkg_draft, &out), ota_errmsg(db), &out);
  REFUSED("grant a role held", ota_grant(db, "root", NOW, "eve", "engineer"), ota_errmsg(db), NULL);
  REFUSED("grant an unknown role", ota_grant(db, "root", NOW, "eve", "pilot"), ota_errmsg(db), NULL);
  REFUSED("revoke a role not held", ota_revoke(db, "root", NOW, "eve", "approver"), ota_errmsg(db), NULL);
  REFUSED("revoke the last admin", ota_revoke(db, "root", NOW, "root", "admin"), ota_errmsg(db), NULL);
  /* roles: every state-changing call as an actor without the role */
  REFUSED("grant as a non-admin", ota_grant(db, "eve", NOW, "x", "engineer"), ota_errmsg(db), NULL);
  REFUSED("revoke as a non-admin", ota_revoke(db, "eve", NOW, "ann", "approver"), ota_errmsg(db), NULL);
  out = dirty(); REFUSED("import as a non-engineer", ota_fleet_import(db, "ann", NOW, snap.data, snap.len, NULL, NULL, &out), ota_errmsg(db), &out);
  m = cb_encode(manifest_item("3.0"));
  REFUSED("register as a non-engineer", ota_package_register(db, "ann", NOW, m.data, m.len, &v), ota_errmsg(db), NULL);
  cb_free(&m);
  REFUSED("validate as a non-engineer", ota_package_validate(db, "ann", NOW, pkg_draft), ota_errmsg(db), NULL);
  REFUSED("verify as a non-engineer", ota_package_verify_file(db, "ann", NOW, pkg_draft, FILE_NAME, FILE_NAME), ota_errmsg(db), NULL);
  REFUSED("approve as a non-approver", ota_package_approve(db, "eve", NOW, pkg_draft), ota_errmsg(db), NULL);
  REFUSED("release as an engineer", ota_package_release(db, "eve", NOW, pkg_approved), ota_errmsg(db), NULL);
  REFUSED("withdraw as an engineer", ota_package_withdraw(db, "eve", NOW, pkg_draft, "r"), ota_errmsg(db), NULL);
  /* signing */
  memset(pub, 1, sizeof pub);
  REFUSED("a signer without its public key", ota_set_signer(db, never_sign, NULL, NULL, "k"), ota_errmsg(db), NULL);
  REFUSED("a signer without its kid", ota_set_signer(db, never_sign, NULL, pub, NULL), ota_errmsg(db), NULL);
  for (size_t i = 0; i < N_BAD_IDENTITIES; i++)
    REFUSED("a signer with a bad kid", ota_set_signer(db, never_sign, NULL, pub, bad_identities[i]), ota_errmsg(db), NULL);
  CHECK(ota_set_signing_key(db, NULL, NULL) == OTA_OK);
  REFUSED("the public key with no key set", ota_signing_public_key(db, pub), ota_errmsg(db), NULL);
  {
    /* approving without a key: a package of its own, validated */
    int64_t id = -7;
    m = cb_encode(manifest_item("2.5"));
    CHECK(ota_package_register(db, "root", NOW, m.data, m.len, &id) == OTA_OK);
    cb_free(&m);
    CHECK(ota_package_verify_file(db, "root", NOW, id, FILE_NAME, FILE_NAME) == OTA_OK);
    CHECK(ota_package_validate(db, "root", NOW, id) == OTA_OK);
    REFUSED("approve with no signing key", ota_package_approve(db, "ann", NOW, id), ota_errmsg(db), NULL);
    static const uint8_t seed[32] = {9};
    CHECK(ota_set_signing_key(db, seed, "k1") == OTA_OK);
    REFUSED("approve one's own package (an admin too)", ota_package_approve(db, "root", NOW, id), ota_errmsg(db), NULL);
  }
  /* the store */
  {
    ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
    ota_db *h = (ota_db *)(void *)garbage;
    opts.flags = OTA_OPEN_MUSTEXIST;
    REFUSED("open a missing store with MUSTEXIST", ota_open_ex("no-such-store.db", &opts, &h), ota_last_errmsg(), NULL);
    CHECK(h == NULL);
    h = (ota_db *)(void *)garbage;
    REFUSED("open a directory", ota_open(".", &h), ota_last_errmsg(), NULL);
    CHECK(h == NULL);
    h = (ota_db *)(void *)garbage;
    REFUSED("open a file that is no database", ota_open(FILE_NAME, &h), ota_last_errmsg(), NULL);
    CHECK(h == NULL);
    out = dirty(); REFUSED("resolve a missing file", ota_resolve_file("no/such/file", rule.data, rule.len, &out), ota_last_errmsg(), &out);
    out = dirty(); REFUSED("resolve a directory", ota_resolve_file(".", rule.data, rule.len, &out), ota_last_errmsg(), &out);
    out = dirty(); REFUSED("resolve a file that is no snapshot", ota_resolve_file(FILE_NAME, rule.data, rule.len, &out), ota_last_errmsg(), &out);
    FILE *f = fopen("test_bad_input_empty.cbor", "wb");
    if (f) fclose(f);
    out = dirty(); REFUSED("resolve an empty file", ota_resolve_file("test_bad_input_empty.cbor", rule.data, rule.len, &out), ota_last_errmsg(), &out);
    remove("test_bad_input_empty.cbor");
    out = dirty(); REFUSED("a vehicle that is not there", ota_vehicle_get(db, "WVWZZZ1KZAW999999", &out), ota_errmsg(db), &out);
  }
  if (HAVE(ota_campaign_approve)) {
    REFUSED("approve one's own campaign", ota_campaign_approve(db, "cam", NOW, 1), ota_errmsg(db), NULL);
    REFUSED("approve a campaign as a non-approver", ota_campaign_approve(db, "eve", NOW, 1), ota_errmsg(db), NULL);
    REFUSED("approve a campaign that is not there", ota_campaign_approve(db, "ann", NOW, 99), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_campaign_create)) {
    cb_doc s = cb_encode(spec_item());
    v = -7;
    REFUSED("create a campaign as a non-manager", ota_campaign_create(db, "eve", NOW, s.data, s.len, &v), ota_errmsg(db), NULL);
    cb_free(&s);
    s = with_value(spec_item(), NULL, "packages", cb_array(1, cb_uint(99)));
    REFUSED("create a campaign of a package that is not there", ota_campaign_create(db, "cam", NOW, s.data, s.len, &v), ota_errmsg(db), NULL);
    cb_free(&s);
    CHECK(v == -7);
  }
  if (HAVE(ota_test_fleet_add)) {
    cb_doc s = cb_encode(cb_array(1, cb_text("WVWZZZ1KZAW999999")));
    REFUSED("add a vehicle that is not there to the test fleet", ota_test_fleet_add(db, "eve", NOW, s.data, s.len), ota_errmsg(db), NULL);
    REFUSED("add to the test fleet as a non-engineer", ota_test_fleet_add(db, "ann", NOW, s.data, s.len), ota_errmsg(db), NULL);
    cb_free(&s);
  }
  if (HAVE(ota_campaign_start)) {
    REFUSED("start a draft campaign", ota_campaign_start(db, "cam", NOW, 1), ota_errmsg(db), NULL);
    REFUSED("start a campaign as a non-manager", ota_campaign_start(db, "eve", NOW, 1), ota_errmsg(db), NULL);
  }
  if (HAVE(ota_campaign_pause)) REFUSED("pause a draft campaign", ota_campaign_pause(db, "cam", NOW, 1), ota_errmsg(db), NULL);
  if (HAVE(ota_campaign_resume)) REFUSED("resume a draft campaign", ota_campaign_resume(db, "cam", NOW, 1), ota_errmsg(db), NULL);
  if (HAVE(ota_campaign_abort)) REFUSED("abort with an empty reason", ota_campaign_abort(db, "cam", NOW, 1, ""), ota_errmsg(db), NULL);
  if (HAVE(ota_campaign_step)) {
    out = dirty(); REFUSED("step as a non-manager", ota_campaign_step(db, "eve", NOW, 0, &out), ota_errmsg(db), &out);
  }
  if (HAVE(ota_status_ingest_batch)) {
    cb_doc s = cb_encode(cb_array_of(0));
    out = dirty(); REFUSED("ingest as a non-gateway", ota_status_ingest_batch(db, "eve", NOW, s.data, s.len, &out), ota_errmsg(db), &out);
    cb_free(&s);
  }
}

/* ota_buf_free: twice, on a zeroed buffer, on NULL. Survived = a case. */
static void double_frees(void) {
  ota_buf out = {NULL, 0};
  CHECK(ota_resolve(snap.data, snap.len, rule.data, rule.len, &out) == OTA_OK);
  ota_buf_free(&out);
  CHECK(out.data == NULL && out.len == 0);
  ota_buf_free(&out);
  ota_buf_free(&out);
  CHECK(out.data == NULL && out.len == 0);
  ota_buf_free(NULL);
  ota_buf zero = {NULL, 0};
  ota_buf_free(&zero);
  CHECK(ota_fleet_export(db, NOW, &out) == OTA_OK);
  ota_buf_free(&out);
  ota_buf_free(&out);
  frees += 6;
}

/* Prints how many cases the section that just ended had. */
static void section(const char *name) {
  static long before;
  if (name) printf("  %-58s %5ld\n", name, cases - before);
  before = cases;
}

int main(void) {
  if (sodium_init() < 0) return 2;
  snap = cb_encode(snapshot_item());
  rule = cb_encode(rule_item());
  prepare();

  add_runner("snapshot", run_snapshot, 1, 0);
  add_runner("rule", run_rule, 1, 0);
  add_runner("import", run_import, 1, 0);
  add_runner("register", run_register, 1, 0);
  add_runner("package filter", run_package_filter, 1, 1);
  add_runner("campaign spec", run_spec, HAVE(ota_campaign_create), 0);
  add_runner("campaign filter", run_campaign_filter, HAVE(ota_campaign_list), 1);
  add_runner("test fleet add", run_fleet_add, HAVE(ota_test_fleet_add), 0);
  add_runner("test fleet remove", run_fleet_remove, HAVE(ota_test_fleet_remove), 0);
  add_runner("vehicles filter", run_vehicles_filter, HAVE(ota_campaign_vehicles), 1);
  add_runner("ingestion batch", run_batch, HAVE(ota_status_ingest_batch), 0);

  section(NULL);
  null_arguments();
  section("NULL arguments");
  lengths_and_shapes();
  null_with_any_length();
  section("zero, huge lengths; garbage; 10,000 levels; 100,000 keys");
  {
    cb_doc m = cb_encode(manifest_item("2.4")), s;
    prefixes("snapshot", &snap);
    prefixes("import", &snap);
    prefixes("rule", &rule);
    prefixes("register", &m);
    cb_free(&m);
    if (HAVE(ota_campaign_create)) {
      s = cb_encode(spec_item());
      prefixes("campaign spec", &s);
      cb_free(&s);
    }
    s = cb_encode(cb_map(2, cb_text("ecu"), cb_text("BCM"), cb_text("state"), cb_text("draft")));
    prefixes("package filter", &s);
    cb_free(&s);
    s = cb_encode(cb_array(2, cb_text(VIN1), cb_text(VIN2)));
    prefixes("test fleet add", &s);
    prefixes("test fleet remove", &s);
    cb_free(&s);
  }
  section("truncated documents (every prefix)");
  wrong_types("register", manifest_2_9, manifest_fields, sizeof manifest_fields / sizeof manifest_fields[0], manifest_accepts);
  wrong_types("rule", rule_item, rule_fields, sizeof rule_fields / sizeof rule_fields[0], generic_accepts);
  wrong_types("campaign spec", spec_item, spec_fields, sizeof spec_fields / sizeof spec_fields[0], generic_accepts);
  missing_fields();
  section("wrong types and missing fields");
  invalid_utf8();
  section("invalid UTF-8");
  bad_identity_arguments();
  section("identities that break the rule");
  extreme_numbers();
  section("extreme integers and numbers");
  wrong_state();
  section("calls in the wrong state or role");
  double_frees();

  /* the store survived all of it: its audit chain verifies */
  int64_t entries = 0, first_bad = -1;
  CHECK(ota_audit_verify(db, &entries, &first_bad) == OTA_OK && first_bad == 0);
  ota_close(db);
  remove(FILE_NAME);
  cb_free(&snap);
  cb_free(&rule);

  CHECK(bad_cases == 0);
  if (bad_cases == 0)
    printf("bad-input: %ld cases, all refused with a code and a message (and %ld ota_buf_free calls on freed or "
           "empty buffers survived)\n", cases, frees);
  else
    printf("bad-input: %ld cases, %ld not refused as ota.h promises\n", cases, bad_cases);
  return check_report("test_bad_input");
}
