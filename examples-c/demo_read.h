/* demo_read.h: reading libota's CBOR documents with libcbor. Every result of libota is a CBOR
 * map with text keys; these helpers load one, find a key and read numbers and text. Items
 * found with demo_get are borrowed from their document: cbor_decref the document only. */
#ifndef DEMO_READ_H
#define DEMO_READ_H

#include <cbor.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes a whole document (exits on malformed input: libota's output is never malformed). */
static inline cbor_item_t *demo_load(const uint8_t *data, size_t len) {
  struct cbor_load_result r;
  cbor_item_t *item = cbor_load(data, len, &r);
  if (!item) { fprintf(stderr, "cannot decode a %zu-byte CBOR document\n", len); exit(1); }
  return item;
}

/* Whether item is the text s. */
static inline int demo_is(const cbor_item_t *item, const char *s) {
  size_t n = strlen(s);
  return item && cbor_isa_string(item) && cbor_string_length(item) == n &&
         memcmp(cbor_string_handle(item), s, n) == 0;
}

/* The value of key in map, borrowed; NULL if absent (or map is no map). */
static inline cbor_item_t *demo_get(const cbor_item_t *map, const char *key) {
  if (!map || !cbor_isa_map(map)) return NULL;
  struct cbor_pair *pairs = cbor_map_handle(map);
  for (size_t i = 0; i < cbor_map_size(map); i++)
    if (demo_is(pairs[i].key, key)) return pairs[i].value;
  return NULL;
}

/* Whether item is null or absent. */
static inline int demo_null(const cbor_item_t *item) { return !item || cbor_is_null(item); }

/* An integer item's value; 0 for anything else (null, absent). */
static inline int64_t demo_int(const cbor_item_t *item) {
  if (!item) return 0;
  if (cbor_isa_uint(item)) return (int64_t)cbor_get_int(item);
  if (cbor_isa_negint(item)) return -1 - (int64_t)cbor_get_int(item);
  return 0;
}

static inline int64_t demo_int_at(const cbor_item_t *map, const char *key) { return demo_int(demo_get(map, key)); }

/* A text item copied into out (NUL-terminated, cut to fit); "" for anything else. */
static inline const char *demo_str(const cbor_item_t *item, char *out, size_t cap) {
  size_t n = 0;
  if (item && cbor_isa_string(item) && cbor_string_handle(item)) {
    n = cbor_string_length(item);
    if (n >= cap) n = cap - 1;
    memcpy(out, cbor_string_handle(item), n);
  }
  out[n] = '\0';
  return out;
}

/* The sum of a {name => uint} map's values (a state-counts map). */
static inline int64_t demo_sum(const cbor_item_t *map) {
  int64_t sum = 0;
  if (!map || !cbor_isa_map(map)) return 0;
  for (size_t i = 0; i < cbor_map_size(map); i++) sum += demo_int(cbor_map_handle(map)[i].value);
  return sum;
}

#endif
