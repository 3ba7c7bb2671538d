/* demo_read.h: reading libota's CBOR documents with libcbor. Every result of libota is a CBOR
 * map with text keys; these helpers load one, find a key and read numbers and text. Items
 * found with demo_get are borrowed from their document: cbor_decref the document only.
 * Messages from the outbox are signed (COSE_Sign1): demo_cose_open checks and opens them. */
#ifndef DEMO_READ_H
#define DEMO_READ_H

#include <cbor.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_cbor.h"

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

/* Checks a COSE_Sign1 (len bytes: tag 18, EdDSA) with key: the signature covers the CBOR
 * array ["Signature1", protected, h'', payload] (RFC 9052 section 4.4). Returns the decoded
 * payload (the caller's to cbor_decref), or NULL if it does not verify. libcbor before 0.9
 * refuses tags it does not know, 18 among them: the tag's one byte (0xd2) is checked here
 * and the array after it decoded. */
static cbor_item_t *demo_cose_open(const uint8_t *data, size_t len, const uint8_t key[32]) {
  static const uint8_t none[1] = {0};
  if (len < 2 || data[0] != 0xd2) return NULL;
  cbor_item_t *parts = demo_load(data + 1, len - 1), *payload = NULL;
  if (cbor_isa_array(parts) && cbor_array_size(parts) == 4) {
    cbor_item_t **p = cbor_array_handle(parts);
    if (cbor_isa_bytestring(p[0]) && cbor_isa_bytestring(p[2]) && cbor_isa_bytestring(p[3]) &&
        cbor_bytestring_length(p[3]) == crypto_sign_BYTES) {
      cbor_item_t *tbs = demo_need(cbor_new_definite_array(4));
      demo_push(tbs, demo_text("Signature1"));
      demo_push(tbs, demo_need(cbor_build_bytestring(cbor_bytestring_handle(p[0]), cbor_bytestring_length(p[0]))));
      demo_push(tbs, demo_need(cbor_build_bytestring(none, 0)));
      demo_push(tbs, demo_need(cbor_build_bytestring(cbor_bytestring_handle(p[2]), cbor_bytestring_length(p[2]))));
      demo_out signed_bytes = demo_serialize(tbs);
      if (crypto_sign_verify_detached(cbor_bytestring_handle(p[3]), signed_bytes.data, signed_bytes.len, key) == 0)
        payload = demo_load(cbor_bytestring_handle(p[2]), cbor_bytestring_length(p[2]));
      free(signed_bytes.data);
    }
  }
  cbor_decref(&parts);
  return payload;
}

#endif
