/* demo_cbor.h: the documents of the quickstart, built with libcbor's encoders as an OEM's own
 * tools would build them: a small fleet snapshot, a package manifest and a target rule. */
#ifndef DEMO_CBOR_H
#define DEMO_CBOR_H

#include <cbor.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing output buffer fed by libcbor's cbor_encode_* functions. */
typedef struct demo_out {
  unsigned char *data;
  size_t len, cap;
} demo_out;

static void out_room(demo_out *o, size_t n) {
  if (o->len + n <= o->cap) return;
  size_t cap = o->cap ? o->cap * 2 : 4096;
  while (cap < o->len + n) cap *= 2;
  unsigned char *p = (unsigned char *)realloc(o->data, cap);
  if (!p) { fprintf(stderr, "out of memory\n"); exit(1); }
  o->data = p;
  o->cap = cap;
}

#define OUT_HEAD(o, call) do { out_room((o), 9); (o)->len += (call); } while (0)

static void out_uint(demo_out *o, uint64_t v) { OUT_HEAD(o, cbor_encode_uint(v, o->data + o->len, 9)); }
static void out_array(demo_out *o, size_t n) { OUT_HEAD(o, cbor_encode_array_start(n, o->data + o->len, 9)); }
static void out_map(demo_out *o, size_t n) { OUT_HEAD(o, cbor_encode_map_start(n, o->data + o->len, 9)); }
static void out_null(demo_out *o) { OUT_HEAD(o, cbor_encode_null(o->data + o->len, 9)); }
static void out_bool(demo_out *o, int b) { OUT_HEAD(o, cbor_encode_bool(b != 0, o->data + o->len, 9)); }

static void out_text(demo_out *o, const char *s) {
  size_t n = strlen(s);
  OUT_HEAD(o, cbor_encode_string_start(n, o->data + o->len, 9));
  out_room(o, n);
  memcpy(o->data + o->len, s, n);
  o->len += n;
}

static void out_bytes(demo_out *o, const uint8_t *b, size_t n) {
  OUT_HEAD(o, cbor_encode_bytestring_start(n, o->data + o->len, 9));
  out_room(o, n);
  memcpy(o->data + o->len, b, n);
  o->len += n;
}

static void out_texts(demo_out *o, const char *const *list, size_t n) {
  out_array(o, n);
  for (size_t i = 0; i < n; i++) out_text(o, list[i]);
}

/* ISO 3779 / North-American VIN check digit (position 9), as the import verifies it. */
static char vin_check_digit(const char *vin) {
  static const int weights[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
  static const char *letters = "ABCDEFGHJKLMNPRSTUVWXYZ";
  static const int values[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
  int sum = 0;
  for (int i = 0; i < 17; i++) {
    char c = vin[i];
    int v = 0;
    if (c >= '0' && c <= '9') v = c - '0';
    else { const char *p = strchr(letters, c); v = p ? values[p - letters] : 0; }
    sum += v * weights[i];
  }
  return sum % 11 == 10 ? 'X' : (char)('0' + sum % 11);
}

#endif
