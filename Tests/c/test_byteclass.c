/* The plain (no-SIMD) paths of Sources/CByteClass/byteclass.h, which targets without SSE2 or
 * NEON use, against the definition of each class and of a VIN character, byte by byte. (The SSE2 path is checked
 * from Swift, Tests/OTACoreTests/ECUSkipTests.swift.) */
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#undef __SSE2__
#undef __aarch64__
#include "../../Sources/CByteClass/byteclass.h"

static uint16_t expected(const uint8_t *p, int (*test)(uint8_t, int), int arg) {
  uint16_t m = 0;
  for (int i = 0; i < 16; i++) if (test(p[i], arg)) m = (uint16_t)(m | 1u << i);
  return m;
}
static int is(uint8_t b, int c) { return b == c; }
static int vin_char(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q');
}
static int below(uint8_t b, int n) { return b < n; }
static int at_least(uint8_t b, int n) { return b >= n; }

int main(void) {
  srand(11);
  int wrong = 0;
  for (int round = 0; round < 20000; round++) {
    uint8_t p[16];
    for (int i = 0; i < 16; i++) p[i] = (uint8_t)(round < 256 ? (round + i * 17) : rand());
    int limit = rand() % 25, from = rand() % 256, big = rand() % 2;
    ota_byte_classes c = ota_classify16(p, (uint8_t)limit, (uint8_t)from, big ? 0xffff : 0);
    if (c.two_byte != expected(p, is, 0x18) || c.null != expected(p, is, 0xf6)
        || c.index != expected(p, below, limit)
        || c.too_big != (big ? expected(p, at_least, from) : 0)) wrong++;
  }
  CHECK(wrong == 0);

  /* VIN characters: every byte value at every position of a valid run */
  wrong = 0;
  for (int at = 0; at < 16; at++) {
    for (int b = 0; b < 256; b++) {
      uint8_t p[16];
      memcpy(p, "WLXEMFHX0TS59849", 16);
      p[at] = (uint8_t)b;
      if ((ota_vin_chars16(p) != 0) != vin_char((uint8_t)b)) wrong++;
    }
  }
  CHECK(wrong == 0);
  return check_report("test_byteclass");
}
