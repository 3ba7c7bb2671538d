/* rule_keys_bench: parsing a 1 MiB CBOR map of short keys through a public entry point, the
 * rule parse of ota_resolve (the CBOR reader builds the tree and checks that the keys are
 * unique; the rule check then stops at the first unknown key). The duplicate-key check was
 * quadratic: 40,000 keys took 15 s. Compare with walk_cbor over the same file.
 *
 *   rule_keys_bench FILE [RUNS]   writes the rule to FILE, then prints
 *                                 parse bytes=B keys=K ns=T (best of RUNS, default 5)
 *
 * Keys are "k" + a number in a shuffled order (so they do not arrive sorted), each value 0. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ota.h"

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: rule_keys_bench FILE [RUNS]\n"); return 2; }
  int runs = argc > 2 ? atoi(argv[2]) : 5;
  const size_t target = 1 << 20;
  /* Keys of 7 bytes ("k" + 6 digits) with their head and a one-byte value: 9 bytes a pair. */
  size_t keys = (target - 16) / 9;
  uint32_t *order = malloc(keys * sizeof *order);
  uint8_t *rule = malloc(target + 64);
  if (!order || !rule) return 1;
  for (size_t i = 0; i < keys; i++) order[i] = (uint32_t)i;
  uint64_t seed = 8;
  for (size_t i = keys - 1; i > 0; i--) {
    size_t j = (size_t)(splitmix(&seed) % (i + 1));
    uint32_t t = order[i]; order[i] = order[j]; order[j] = t;
  }
  size_t n = 0;
  uint32_t pairs = (uint32_t)(keys + 1);
  rule[n++] = 0xba; /* map, 4-byte count */
  rule[n++] = (uint8_t)(pairs >> 24); rule[n++] = (uint8_t)(pairs >> 16);
  rule[n++] = (uint8_t)(pairs >> 8); rule[n++] = (uint8_t)pairs;
  memcpy(rule + n, "\x63" "ecu" "\x63" "BCM", 8); n += 8;
  for (size_t i = 0; i < keys; i++) {
    char key[8];
    snprintf(key, sizeof key, "k%06u", (unsigned)order[i]);
    rule[n++] = 0x67;
    memcpy(rule + n, key, 7); n += 7;
    rule[n++] = 0x00;
  }
  FILE *f = fopen(argv[1], "wb");
  if (!f || fwrite(rule, 1, n, f) != n || fclose(f)) { perror(argv[1]); return 1; }

  static const uint8_t snapshot[] = { 0xa0 };
  long long best = -1;
  for (int r = 0; r < runs; r++) {
    ota_buf out = { NULL, 0 };
    long long t0 = now_ns();
    int rc = ota_resolve(snapshot, sizeof snapshot, rule, n, &out);
    long long t = now_ns() - t0;
    /* Expected: the map parses (keys unique), then the rule check refuses the unknown key. */
    if (rc != OTA_BADINPUT || !strstr(ota_last_errmsg(), "unknown key")) {
      fprintf(stderr, "unexpected: %s: %s\n", ota_code_name(rc), ota_last_errmsg());
      return 1;
    }
    ota_buf_free(&out);
    if (best < 0 || t < best) best = t;
  }
  printf("parse bytes=%zu keys=%zu ns=%lld\n", n, keys + 1, best);
  free(rule);
  free(order);
  return 0;
}
