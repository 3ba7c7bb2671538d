/* CBOR written item by item through libcbor's encoders (cbor_encode_*), for the C tests that
 * spell a document head by head (campaign specs, status reports). Tests/c/cbor_build.h builds
 * documents as libcbor items; this writes the same encoding without building a tree. */
#ifndef OTA_TEST_CBOR_STREAM_H
#define OTA_TEST_CBOR_STREAM_H

#include <cbor.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint8_t b[8192]; size_t n; } enc;

static inline void enc_grew(enc *e, size_t written) {
  if (written == 0) { fprintf(stderr, "cbor_stream: document larger than %zu bytes\n", sizeof e->b); abort(); }
  e->n += written;
}

/* The head of an item of major type `major` (0 uint, 1 negative, 2 bytes, 3 text, 4 array,
 * 5 map, 6 tag, 7 simple value) with argument v, in its shortest form. */
static inline void head(enc *e, unsigned major, uint64_t v) {
  unsigned char *p = e->b + e->n;
  size_t room = sizeof e->b - e->n, w = 0;
  switch (major) {
  case 0: w = cbor_encode_uint(v, p, room); break;
  case 1: w = cbor_encode_negint(v, p, room); break;
  case 2: w = cbor_encode_bytestring_start((size_t)v, p, room); break;
  case 3: w = cbor_encode_string_start((size_t)v, p, room); break;
  case 4: w = cbor_encode_array_start((size_t)v, p, room); break;
  case 5: w = cbor_encode_map_start((size_t)v, p, room); break;
  case 6: w = cbor_encode_tag(v, p, room); break;
  default: w = v < 24 ? cbor_encode_ctrl((uint8_t)v, p, room) : 0; break;
  }
  enc_grew(e, w);
}

static inline void raw(enc *e, const void *p, size_t n) {
  if (n > sizeof e->b - e->n) enc_grew(e, 0);
  memcpy(e->b + e->n, p, n);
  e->n += n;
}

static inline void txt(enc *e, const char *s) { head(e, 3, strlen(s)); raw(e, s, strlen(s)); }
static inline void bin(enc *e, const uint8_t *p, size_t n) { head(e, 2, n); raw(e, p, n); }
static inline void half(enc *e, float f) { enc_grew(e, cbor_encode_half(f, e->b + e->n, sizeof e->b - e->n)); }
static inline void kv(enc *e, const char *k, const char *v) { txt(e, k); txt(e, v); }
static inline void kt(enc *e, const char *k, const char *v) { txt(e, k); txt(e, v); }
static inline void ku(enc *e, const char *k, uint64_t v) { txt(e, k); head(e, 0, v); }
static inline void list1(enc *e, const char *k, const char *v) { txt(e, k); head(e, 4, 1); txt(e, v); }

#endif
