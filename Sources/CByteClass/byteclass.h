// Sixteen bytes classified at once for the snapshot reader's check-only ECU path
// (Sources/OTACore/Fleet/ECUSkip.swift): with SSE2 a compare and a movemask per class, a
// handful of instructions with no branch; elsewhere a plain loop with the same result.
#ifndef OTA_BYTECLASS_H
#define OTA_BYTECLASS_H
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Bit i of each mask is for byte i.
typedef struct {
  uint16_t two_byte;   // 0x18: the head of a one-byte-argument unsigned integer
  uint16_t null;       // 0xf6
  uint16_t index;      // below index_limit: a table index in the head itself
  uint16_t too_big;    // at or above too_big_from: not an index into the table
} ota_byte_classes;

// Classifies p[0..15] (all readable). index_limit <= 24; too_big is masked with
// too_big_mask (zero when the table has 256 strings or more, so that no byte is too big).
static inline __attribute__((always_inline)) ota_byte_classes ota_classify16(
    const uint8_t *p, uint8_t index_limit, uint8_t too_big_from, uint16_t too_big_mask) {
  ota_byte_classes c;
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
  const __m128i zero = _mm_setzero_si128();
  c.two_byte = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x18)));
  c.null = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xf6)));
  // saturating subtraction: limit - v is 0 exactly when v >= limit
  c.index = (uint16_t)~_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_subs_epu8(_mm_set1_epi8((char)index_limit), v), zero));
  c.too_big = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_subs_epu8(_mm_set1_epi8((char)too_big_from), v), zero))
              & too_big_mask;
#else
  c.two_byte = c.null = c.index = c.too_big = 0;
  for (int i = 0; i < 16; i++) {
    uint16_t bit = (uint16_t)(1u << i);
    if (p[i] == 0x18) c.two_byte |= bit;
    if (p[i] == 0xf6) c.null |= bit;
    if (p[i] < index_limit) c.index |= bit;
    if (p[i] >= too_big_from) c.too_big |= bit;
  }
  c.too_big &= too_big_mask;
#endif
  return c;
}

#endif
