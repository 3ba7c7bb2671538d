// Sixteen bytes classified at once for the snapshot reader's hot paths: the check-only ECU
// path (Sources/OTACore/Fleet/ECUSkip.swift) and the VIN syntax (VINSyntax.swift). With
// SSE2 (x86-64) or NEON (AArch64) a compare and a mask per class, a handful of instructions
// with no branch; elsewhere a plain loop with the same result.
#ifndef OTA_BYTECLASS_H
#define OTA_BYTECLASS_H
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
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
#elif defined(__aarch64__)
  const uint8x16_t v = vld1q_u8(p);
  // a compare gives 0xff or 0 per byte; weights 1..128 per half, added across, make the mask
  static const uint8_t weights[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t w = vld1q_u8(weights);
#define OTA_MASK16(m) ((uint16_t)(vaddv_u8(vget_low_u8(vandq_u8((m), w))) | \
                                  (unsigned)vaddv_u8(vget_high_u8(vandq_u8((m), w))) << 8))
  c.two_byte = OTA_MASK16(vceqq_u8(v, vdupq_n_u8(0x18)));
  c.null = OTA_MASK16(vceqq_u8(v, vdupq_n_u8(0xf6)));
  c.index = OTA_MASK16(vcltq_u8(v, vdupq_n_u8(index_limit)));
  c.too_big = OTA_MASK16(vcgeq_u8(v, vdupq_n_u8(too_big_from))) & too_big_mask;
#undef OTA_MASK16
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

// Whether all of p[0..15] are VIN characters: 0-9 and A-Z but I, O, Q (ISO 3779).
static inline __attribute__((always_inline)) int ota_vin_chars16(const uint8_t *p) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
  // x - lo wraps above hi - lo when x is outside [lo, hi]: one unsigned compare (min) each
  const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0')), l = _mm_sub_epi8(v, _mm_set1_epi8('A'));
  const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
  const __m128i letter = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(25)), l);
  const __m128i ioq = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('I')), _mm_cmpeq_epi8(v, _mm_set1_epi8('O'))),
                                   _mm_cmpeq_epi8(v, _mm_set1_epi8('Q')));
  return _mm_movemask_epi8(_mm_or_si128(digit, _mm_andnot_si128(ioq, letter))) == 0xffff;
#elif defined(__aarch64__)
  const uint8x16_t v = vld1q_u8(p);
  const uint8x16_t digit = vcleq_u8(vsubq_u8(v, vdupq_n_u8('0')), vdupq_n_u8(9));
  const uint8x16_t letter = vcleq_u8(vsubq_u8(v, vdupq_n_u8('A')), vdupq_n_u8(25));
  const uint8x16_t ioq = vorrq_u8(vorrq_u8(vceqq_u8(v, vdupq_n_u8('I')), vceqq_u8(v, vdupq_n_u8('O'))),
                                  vceqq_u8(v, vdupq_n_u8('Q')));
  return vminvq_u8(vorrq_u8(digit, vbicq_u8(letter, ioq))) == 0xff;
#else
  for (int i = 0; i < 16; i++) {
    uint8_t c = p[i];
    int ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q');
    if (!ok) return 0;
  }
  return 1;
#endif
}

#endif
