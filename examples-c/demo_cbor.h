/* demo_cbor.h: the documents of the quickstart are built with libcbor, as an OEM's own tools
 * would build them: items made with cbor_build_* and cbor_new_*, put into arrays and maps
 * with cbor_array_push / cbor_map_add (cbor_move hands each item to its container), and
 * serialized once with cbor_serialize_alloc. These few helpers only shorten that. */
#ifndef DEMO_CBOR_H
#define DEMO_CBOR_H

#include <cbor.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An encoded document, malloc'd: free(doc.data) when done. */
typedef struct demo_out {
  unsigned char *data;
  size_t len;
} demo_out;

static inline cbor_item_t *demo_need(cbor_item_t *item) {
  if (!item) { fprintf(stderr, "out of memory\n"); exit(1); }
  return item;
}

/* An unsigned integer in its shortest encoding (libcbor keeps the width it is built with). */
static inline cbor_item_t *demo_uint(uint64_t v) {
  if (v <= 0xff) return demo_need(cbor_build_uint8((uint8_t)v));
  if (v <= 0xffff) return demo_need(cbor_build_uint16((uint16_t)v));
  if (v <= 0xffffffffu) return demo_need(cbor_build_uint32((uint32_t)v));
  return demo_need(cbor_build_uint64(v));
}

static inline cbor_item_t *demo_text(const char *s) { return demo_need(cbor_build_string(s)); }

/* Appends item to array (which takes it over). */
static inline void demo_push(cbor_item_t *array, cbor_item_t *item) {
  if (!cbor_array_push(array, cbor_move(item))) { fprintf(stderr, "out of memory\n"); exit(1); }
}

/* Adds key => value to map (which takes both over). */
static inline void demo_add(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value) {
  struct cbor_pair p;
  p.key = cbor_move(key);
  p.value = cbor_move(value);
  if (!cbor_map_add(map, p)) { fprintf(stderr, "out of memory\n"); exit(1); }
}

static inline void demo_put(cbor_item_t *map, const char *key, cbor_item_t *value) { demo_add(map, demo_text(key), value); }

/* An array of n text strings. */
static inline cbor_item_t *demo_texts(const char *const *list, size_t n) {
  cbor_item_t *a = demo_need(cbor_new_definite_array(n));
  for (size_t i = 0; i < n; i++) demo_push(a, demo_text(list[i]));
  return a;
}

/* Serializes a document and releases its items. */
static inline demo_out demo_serialize(cbor_item_t *doc) {
  demo_out o = {NULL, 0};
  size_t cap = 0;
  o.len = cbor_serialize_alloc(doc, &o.data, &cap);
  cbor_decref(&doc);
  if (o.len == 0) { fprintf(stderr, "cannot serialize\n"); exit(1); }
  return o;
}

/* ISO 3779 / North-American VIN check digit (position 9), as the import verifies it. */
static inline char vin_check_digit(const char *vin) {
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
