/* resolve_bench: times ota_resolve (linked from libota.a) over one snapshot file with a few
 * realistic rules. Same method as walk_cbor and libcbor_stream, so the lines compare: the
 * file is mapped with MAP_POPULATE and only the call is timed (best of REPEAT runs).
 *
 *   resolve_bench SNAPSHOT [REPEAT]
 *   resolve_bench --file SNAPSHOT   (ota_resolve_file with the selective rule, once, in a
 *                                    process of its own; prints its peak RSS)
 *   RESOLVE_ONLY=selective resolve_bench SNAPSHOT [REPEAT]   (that rule only, for tuning)
 *
 * prints one line per rule (best wall time, and best thread CPU time, which a busy machine
 * disturbs less):
 *   resolve rule=NAME scanned=N targets=T out_bytes=B ns=BEST cpu_ns=CPU ns_per_vehicle=X
 * Rules (catalogue of gen_fleet.c):
 *   gw-all        {"ecu": "GW"}: every vehicle a target, the largest output
 *   selective     the selective rule: IVI on two hardware parts, from three versions
 *                 to a fourth, two models, seven markets: a typical campaign
 *   bms-requires  BMS of electric/hybrid cars with a 77 kWh battery whose gateway is on
 *                 one of two versions: attributes and requires
 *   recall-100k   ABS of 100,000 listed VINs (every 10th vehicle), as a recall does */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ota.h"

/* ---- a tiny CBOR writer for the rules ---- */
typedef struct { uint8_t *p; size_t len, cap; } W;
static void put(W *w, const void *b, size_t n) {
    if (w->len + n > w->cap) {
        w->cap = (w->len + n) * 2;
        if (!(w->p = realloc(w->p, w->cap))) { perror("realloc"); exit(1); }
    }
    memcpy(w->p + w->len, b, n);
    w->len += n;
}
static void head(W *w, int major, uint64_t v) {
    uint8_t b[9], mt = (uint8_t)(major << 5);
    if (v < 24) { b[0] = mt | (uint8_t)v; put(w, b, 1); }
    else if (v < 0x100) { b[0] = mt | 24; b[1] = (uint8_t)v; put(w, b, 2); }
    else if (v < 0x10000) { b[0] = mt | 25; b[1] = (uint8_t)(v >> 8); b[2] = (uint8_t)v; put(w, b, 3); }
    else { b[0] = mt | 26; for (int i = 0; i < 4; i++) b[1 + i] = (uint8_t)(v >> (24 - 8 * i)); put(w, b, 5); }
}
static void tstr(W *w, const char *s) { head(w, 3, strlen(s)); put(w, s, strlen(s)); }
static void list(W *w, const char *key, const char **items, int n) {
    tstr(w, key); head(w, 4, (uint64_t)n);
    for (int i = 0; i < n; i++) tstr(w, items[i]);
}

/* One node, two hardware parts, three from-versions, two models, seven markets. */
static void selective_rule(W *w) {
    const char *hw[] = {"3G0 035 864 C", "3G0 035 864 D"}, *from[] = {"4.6.5", "4.8.8", "4.10.1"};
    const char *models[] = {"Aster", "Borealis"}, *markets[] = {"DE", "FR", "IT", "ES", "GB", "NL", "AT"};
    head(w, 5, 6);
    tstr(w, "ecu"); tstr(w, "IVI");
    list(w, "hw", hw, 2); list(w, "from", from, 3);
    tstr(w, "to"); tstr(w, "4.12.4");
    list(w, "models", models, 2); list(w, "markets", markets, 7);
}

/* Peak memory of resolving from the file, in a process that maps nothing itself. */
static int file_mode(const char *path) {
    W rule = {0};
    selective_rule(&rule);
    ota_buf out = {NULL, 0};
    int rc = ota_resolve_file(path, rule.p, rule.len, &out);
    if (rc != OTA_OK) { fprintf(stderr, "%s: %s\n", ota_code_name(rc), ota_last_errmsg()); return 1; }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct stat st;
    stat(path, &st);
    printf("resolve-file file_bytes=%lld peak_rss_bytes=%lld out_bytes=%zu\n", (long long)st.st_size,
           (long long)ru.ru_maxrss * 1024, out.len);
    ota_buf_free(&out);
    free(rule.p);
    return 0;
}

static double now_ns(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static const uint8_t *snap;
static size_t snap_len;
static int repeat = 3;

/* Runs one rule (unless RESOLVE_ONLY names another; recall needs gw-all's result); keeps
 * the last result in *keep if non-NULL. */
static void run(const char *name, W *rule, ota_buf *keep) {
    const char *only = getenv("RESOLVE_ONLY");
    if (only && *only && strncmp(name, only, strlen(only)) != 0
        && !(keep && strncmp(only, "recall", 6) == 0)) return;
    double best = 0, best_cpu = 0;
    ota_buf out = {NULL, 0};
    for (int r = 0; r < repeat; r++) {
        ota_buf_free(&out);
        double t0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        int rc = ota_resolve(snap, snap_len, rule->p, rule->len, &out);
        double t = now_ns(CLOCK_MONOTONIC) - t0, c = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
        if (rc != OTA_OK) { fprintf(stderr, "%s: %s: %s\n", name, ota_code_name(rc), ota_last_errmsg()); exit(1); }
        if (r == 0 || t < best) best = t;
        if (r == 0 || c < best_cpu) best_cpu = c;
    }
    /* out: map(3) "scanned" uint "targets" array ... : read the two counts back */
    size_t i = 1 + 8;
    uint64_t v[2];
    for (int k = 0; k < 2; k++) {
        uint8_t ai = out.data[i] & 31;
        int n = ai < 24 ? 0 : 1 << (ai - 24);
        v[k] = ai < 24 ? ai : 0;
        for (int j = 1; j <= n; j++) v[k] = v[k] << 8 | out.data[i + j];
        i += 1 + (size_t)n + 8;
    }
    printf("resolve rule=%s scanned=%llu targets=%llu out_bytes=%zu ns=%.0f cpu_ns=%.0f ns_per_vehicle=%.1f\n",
           name, (unsigned long long)v[0], (unsigned long long)v[1], out.len, best, best_cpu,
           v[0] ? best / (double)v[0] : 0);
    if (keep) *keep = out; else ota_buf_free(&out);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--file") == 0) return file_mode(argv[2]);
    if (argc < 2 || argc > 3) { fprintf(stderr, "usage: resolve_bench SNAPSHOT [REPEAT] | --file SNAPSHOT\n"); return 2; }
    if (argc == 3) repeat = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) { perror(argv[1]); return 1; }
    snap_len = (size_t)st.st_size;
    snap = mmap(NULL, snap_len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (snap == MAP_FAILED) { perror("mmap"); return 1; }

    W all = {0};
    head(&all, 5, 1); tstr(&all, "ecu"); tstr(&all, "GW");
    ota_buf every = {NULL, 0};
    run("gw-all", &all, &every);

    W sel = {0};
    selective_rule(&sel);
    run("selective", &sel, NULL);

    W bms = {0};
    const char *pts[] = {"electric", "hybrid"}, *gw[] = {"1.8.2", "1.10.5"};
    head(&bms, 5, 4);
    tstr(&bms, "ecu"); tstr(&bms, "BMS");
    list(&bms, "powertrains", pts, 2);
    tstr(&bms, "attributes"); head(&bms, 5, 1); tstr(&bms, "battery-kwh"); head(&bms, 0, 77);
    tstr(&bms, "requires"); head(&bms, 4, 1); head(&bms, 4, 2); tstr(&bms, "GW"); head(&bms, 4, 2);
    tstr(&bms, gw[0]); tstr(&bms, gw[1]);
    run("bms-requires", &bms, NULL);

    /* every 10th VIN of the gw-all result: its targets are [vin(17), ...], one per vehicle */
    W recall = {0};
    const char *vins[100000];
    static char vinbuf[100000][18];
    int nv = 0;
    size_t i = 0, n = every.len;
    while (i + 19 < n && nv < 100000) { /* find "\x71" + 17 VIN chars preceded by array(4) */
        if (every.data[i] == 0x84 && every.data[i + 1] == 0x71) {
            static int k = 0;
            if (k++ % 10 == 0) { memcpy(vinbuf[nv], every.data + i + 2, 17); vinbuf[nv][17] = 0; vins[nv] = vinbuf[nv]; nv++; }
            i += 19;
        } else i++;
    }
    ota_buf_free(&every);
    head(&recall, 5, 2);
    tstr(&recall, "ecu"); tstr(&recall, "ABS");
    list(&recall, "vins", vins, nv);
    char name[32];
    snprintf(name, sizeof name, "recall-%dk", nv / 1000);
    run(name, &recall, NULL);

    free(all.p); free(sel.p); free(bms.p); free(recall.p);
    munmap((void *)snap, snap_len);
    close(fd);
    return 0;
}
