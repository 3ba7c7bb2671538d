/* campaign_common.h: what campaign_bench.c and campaign_baseline.c share, so both sides of
 * every figure work on the same inputs: a growable CBOR encoder, the clock, the fixed times,
 * the package (GW, an ECU every generated vehicle has, every hw and sw version gen_fleet
 * writes) and the status reports (the same bytes on both sides). */
#ifndef CAMPAIGN_COMMON_H
#define CAMPAIGN_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T0 1790000000LL          /* "now" of the whole run (after the snapshot's time) */
#define ANSWER_TIMEOUT 604800    /* a week: nothing times out while the bench runs */
#define INSTALL_TIMEOUT 604800
#define BATCH 1000               /* reports per ota_status_ingest_batch */
#define SINGLES 1000             /* single-report ingestions */

static inline long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static inline void die(const char *what, const char *detail) {
    fprintf(stderr, "campaign bench: %s: %s\n", what, detail ? detail : "");
    exit(1);
}

/* ---- a growable CBOR encoder (shortest heads, definite lengths) ---- */
typedef struct { uint8_t *b; size_t n, cap; } enc;
static inline void put(enc *e, const void *p, size_t n) {
    if (e->n + n > e->cap) {
        e->cap = (e->n + n) * 2 + 64;
        if (!(e->b = realloc(e->b, e->cap))) die("out of memory", NULL);
    }
    memcpy(e->b + e->n, p, n);
    e->n += n;
}
static inline void head(enc *e, unsigned major, uint64_t v) {
    uint8_t h[9], m = (uint8_t)(major << 5);
    size_t n;
    if (v < 24) { h[0] = (uint8_t)(m | v); n = 1; }
    else if (v < 0x100) { h[0] = m | 24; h[1] = (uint8_t)v; n = 2; }
    else if (v < 0x10000) { h[0] = m | 25; h[1] = (uint8_t)(v >> 8); h[2] = (uint8_t)v; n = 3; }
    else if (v < 0x100000000ull) { h[0] = m | 26; for (int i = 0; i < 4; i++) h[1 + i] = (uint8_t)(v >> (24 - 8 * i)); n = 5; }
    else { h[0] = m | 27; for (int i = 0; i < 8; i++) h[1 + i] = (uint8_t)(v >> (56 - 8 * i)); n = 9; }
    put(e, h, n);
}
static inline void txt(enc *e, const char *s) { head(e, 3, strlen(s)); put(e, s, strlen(s)); }
static inline void kv(enc *e, const char *k, const char *v) { txt(e, k); txt(e, v); }
static inline void ku(enc *e, const char *k, uint64_t v) { txt(e, k); head(e, 0, v); }
static inline void klist(enc *e, const char *k, const char *const *v, size_t n) {
    txt(e, k); head(e, 4, n);
    for (size_t i = 0; i < n; i++) txt(e, v[i]);
}

/* ---- the package: GW, which every generated vehicle has; every hw and sw gen_fleet writes
 * for it (node 0: part 8X0907468, revisions A-C; versions 1.(2s).(3s mod 10), s = 0..5) ---- */
static const char *const PKG_HW[] = {"8X0 907 468 A", "8X0 907 468 B", "8X0 907 468 C"};
static const char *const PKG_FROM[] = {"1.0.0", "1.2.3", "1.4.6", "1.6.9", "1.8.2", "1.10.5"};
static const char *const PKG_MODELS[] = {"Aster", "Borealis", "Cirrus", "Dune", "Ember", "Fjord", "Glacier", "Horizon"};
static const char *const PKG_POWERTRAINS[] = {"petrol", "diesel", "electric", "hybrid"};
#define PKG_ECU "GW"
#define PKG_TO "2.0.0"
#define COUNT(a) (sizeof a / sizeof *a)

/* The package's target rule: the manifest's ecu, hw, from, to, models, powertrains. */
static inline void package_rule(enc *e) {
    e->n = 0;
    head(e, 5, 6);
    kv(e, "ecu", PKG_ECU);
    klist(e, "hw", PKG_HW, COUNT(PKG_HW));
    klist(e, "from", PKG_FROM, COUNT(PKG_FROM));
    kv(e, "to", PKG_TO);
    klist(e, "models", PKG_MODELS, COUNT(PKG_MODELS));
    klist(e, "powertrains", PKG_POWERTRAINS, COUNT(PKG_POWERTRAINS));
}

/* The three waves of the campaign of every vehicle: wave 0 notifies 10,000 vehicles (a
 * tenth of a smaller fleet), wave 1 half of the rest, wave 2 the rest. */
static inline void wave_counts(long long n, long long counts[2]) {
    counts[0] = n >= 100000 ? 10000 : n / 10;
    counts[1] = (n - counts[0]) / 2;
}

/* ---- status reports: {"seq", "vin", "state", "campaign"} (canonical key order) ---- */
static inline void report(enc *e, const char *vin, int64_t campaign, uint64_t seq, const char *state) {
    e->n = 0;
    head(e, 5, 4);
    ku(e, "seq", seq);
    kv(e, "vin", vin);
    kv(e, "state", state);
    ku(e, "campaign", (uint64_t)campaign);
}
static inline void status_topic(char *out, size_t cap, const char *vin) {
    snprintf(out, cap, "ota/v1/vehicles/%s/status", vin);
}

#endif
