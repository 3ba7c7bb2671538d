/* cbor_build.h: the one way the C tests build CBOR documents: libcbor items (cbor_build_*,
 * cbor_new_*), serialized with cbor_serialize_alloc. Integers get their shortest head, so the
 * bytes are what a deterministic encoder writes. Items passed to cb_array, cb_map, cb_push and
 * cb_put are moved in (the container owns them). Allocation failure ends the test. */
#ifndef OTA_TEST_CBOR_BUILD_H
#define OTA_TEST_CBOR_BUILD_H
#include <cbor.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline cbor_item_t *cb_ok(cbor_item_t *item) {
  if (!item) { fprintf(stderr, "cbor_build: out of memory\n"); exit(2); }
  return item;
}

static inline cbor_item_t *cb_text(const char *s) { return cb_ok(cbor_build_stringn(s, strlen(s))); }
static inline cbor_item_t *cb_bytes(const uint8_t *p, size_t n) { return cb_ok(cbor_build_bytestring(p, n)); }
static inline cbor_item_t *cb_null(void) { return cb_ok(cbor_new_null()); }
static inline cbor_item_t *cb_bool(int b) { return cb_ok(cbor_build_bool(b != 0)); }

static inline cbor_item_t *cb_uint(uint64_t v) {
  if (v <= 0xff) return cb_ok(cbor_build_uint8((uint8_t)v));
  if (v <= 0xffff) return cb_ok(cbor_build_uint16((uint16_t)v));
  if (v <= 0xffffffffu) return cb_ok(cbor_build_uint32((uint32_t)v));
  return cb_ok(cbor_build_uint64(v));
}

static inline cbor_item_t *cb_int(int64_t v) {
  if (v >= 0) return cb_uint((uint64_t)v);
  uint64_t m = (uint64_t)(-(v + 1)); /* CBOR stores -1 - n */
  if (m <= 0xff) return cb_ok(cbor_build_negint8((uint8_t)m));
  if (m <= 0xffff) return cb_ok(cbor_build_negint16((uint16_t)m));
  if (m <= 0xffffffffu) return cb_ok(cbor_build_negint32((uint32_t)m));
  return cb_ok(cbor_build_negint64(m));
}

/* Appends item to a definite array made with cb_array_of. */
static inline void cb_push(cbor_item_t *array, cbor_item_t *item) {
  if (!cbor_array_push(array, cbor_move(item))) { fprintf(stderr, "cbor_build: array full\n"); exit(2); }
}

/* Adds key (text) => value to a definite map made with cb_map_of. */
static inline void cb_put(cbor_item_t *map, const char *key, cbor_item_t *value) {
  struct cbor_pair p;
  p.key = cbor_move(cb_text(key));
  p.value = cbor_move(value);
  if (!cbor_map_add(map, p)) { fprintf(stderr, "cbor_build: map full\n"); exit(2); }
}

/* An empty definite array or map with room for n items or pairs, filled by cb_push / cb_put. */
static inline cbor_item_t *cb_array_of(size_t n) { return cb_ok(cbor_new_definite_array(n)); }
static inline cbor_item_t *cb_map_of(size_t n) { return cb_ok(cbor_new_definite_map(n)); }

/* An array of its n items. */
static inline cbor_item_t *cb_array(size_t n, ...) {
  cbor_item_t *a = cb_array_of(n);
  va_list ap;
  va_start(ap, n);
  for (size_t i = 0; i < n; i++) cb_push(a, va_arg(ap, cbor_item_t *));
  va_end(ap);
  return a;
}

/* A map of n pairs, given as key item, value item, ... (keys of any type, in this order). */
static inline cbor_item_t *cb_map(size_t n, ...) {
  cbor_item_t *m = cb_map_of(n);
  va_list ap;
  va_start(ap, n);
  for (size_t i = 0; i < n; i++) {
    struct cbor_pair p;
    p.key = cbor_move(va_arg(ap, cbor_item_t *));
    p.value = cbor_move(va_arg(ap, cbor_item_t *));
    if (!cbor_map_add(m, p)) { fprintf(stderr, "cbor_build: map full\n"); exit(2); }
  }
  va_end(ap);
  return m;
}

/* An encoded document: the caller's to free(). */
typedef struct { uint8_t *data; size_t len; } cb_doc;

/* Serializes item and releases it. */
static inline cb_doc cb_encode(cbor_item_t *item) {
  cb_doc d;
  unsigned char *p = NULL;
  size_t cap = 0;
  d.len = cbor_serialize_alloc(item, &p, &cap);
  cbor_decref(&item);
  if (d.len == 0) { fprintf(stderr, "cbor_build: cannot serialize\n"); exit(2); }
  d.data = (uint8_t *)p;
  return d;
}

static inline void cb_free(cb_doc *d) {
  free(d->data);
  d->data = NULL;
  d->len = 0;
}
#endif
