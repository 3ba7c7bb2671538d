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
  uint16_t too_big;    // at or above table_count: not an index into the table
} ota_byte_classes;

// Classifies p[0..15] (all readable). index_limit <= 24; table_count <= 256 (256: no byte is
// too big).
static inline __attribute__((always_inline)) ota_byte_classes ota_classify16(const uint8_t *p, uint8_t index_limit, uint16_t table_count) {
  ota_byte_classes c;
#if defined(__SSE2__)
  __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
  c.two_byte = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x18)));
  c.null = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xf6)));
  // v < limit <=> min(v, limit - 1) == v; v >= count <=> max(v, count) == v
  uint16_t below = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8((char)(index_limit - 1))), v));
  uint16_t above = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8((char)table_count)), v));
  c.index = index_limit ? below : 0;
  c.too_big = table_count < 256 ? above : 0;
#else
  c.two_byte = c.null = c.index = c.too_big = 0;
  for (int i = 0; i < 16; i++) {
    uint16_t bit = (uint16_t)(1u << i);
    if (p[i] == 0x18) c.two_byte |= bit;
    if (p[i] == 0xf6) c.null |= bit;
    if (p[i] < index_limit) c.index |= bit;
    if (p[i] >= table_count) c.too_big |= bit;
  }
#endif
  return c;
}

#endif
