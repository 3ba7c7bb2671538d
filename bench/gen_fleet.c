/* gen_fleet: writes a realistic, deterministic fleet snapshot (format version 1,
 * docs/schemas/fleet-snapshot.cddl) for benchmarks and tests.
 *
 *   gen_fleet N OUT.cbor [--inline] [--seed S] [--shards K]
 *
 * Default: deterministic encoding with a string table (keys 0,1,2,3), the table
 * holding only the strings the file uses, in order of first use. --inline writes
 * every string inline (no key 2). --shards K writes OUT.0.cbor .. OUT.(K-1).cbor,
 * each complete with its own table, splitting the vehicles in order. Vehicle i
 * depends only on (seed, i), so the shards hold exactly the unsharded vehicles.
 * Same arguments => byte-identical files. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG: splitmix64, one stream per vehicle ---- */
static uint64_t rs;
static uint64_t rnd(void) {
    uint64_t z = (rs += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t below(uint32_t n) { return (uint32_t)(((rnd() >> 32) * n) >> 32); }
static int chance(uint32_t permille) { return below(1000) < permille; }
static int pick(const uint8_t *w, int n) { /* weighted choice; weights sum > 0 */
    uint32_t sum = 0, r;
    for (int i = 0; i < n; i++) sum += w[i];
    r = below(sum);
    for (int i = 0; i < n; i++) { if (r < w[i]) return i; r -= w[i]; }
    return n - 1;
}

/* ---- catalogue strings: interned, so the table never holds duplicates ---- */
#define MAXCAT 1024
static char *cat[MAXCAT];
static int ncat;
static int intern(const char *s) {
    for (int i = 0; i < ncat; i++) if (!strcmp(cat[i], s)) return i;
    if (ncat == MAXCAT) { fprintf(stderr, "catalogue full\n"); exit(1); }
    cat[ncat] = strdup(s);
    return ncat++;
}

enum { PETROL, DIESEL, ELECTRIC, HYBRID };
static const char *pt_names[4] = {"petrol", "diesel", "electric", "hybrid"};
static const char *variants[] = {"sedan", "hatchback", "estate", "suv", "suv-lwb",
                                 "crossover", "pickup", "van", "coupe", "convertible"};
static const struct { const char *name, *code; uint8_t w, y0, y1, pt[4], var[4], nvar; }
models[8] = { /* weight, production years 2019+y0 .. 2019+y1, powertrain weights */
    {"Aster",    "AS", 18, 0, 4, {60, 30, 0, 10},  {0, 1, 2}, 3},
    {"Borealis", "BR", 20, 0, 7, {45, 35, 0, 20},  {3, 4}, 2},
    {"Cirrus",   "CR", 15, 1, 7, {0, 0, 100, 0},   {0, 5}, 2},
    {"Dune",     "DN", 8,  0, 7, {30, 70, 0, 0},   {6, 7}, 2},
    {"Ember",    "EM", 14, 2, 7, {40, 0, 0, 60},   {1, 5}, 2},
    {"Fjord",    "FJ", 10, 3, 7, {0, 0, 80, 20},   {3, 4, 5}, 3},
    {"Glacier",  "GL", 5,  0, 5, {70, 30, 0, 0},   {8, 9}, 2},
    {"Horizon",  "HZ", 10, 5, 7, {0, 0, 100, 0},   {0, 2, 5}, 3},
};
/* ISO 3166-1 alpha-2; region 0 = North America, 1 = China, 2 = rest (WMI choice) */
static const char *markets[30] = {"US", "CN", "DE", "GB", "FR", "IT", "ES", "CA", "MX", "JP",
    "KR", "AU", "NL", "BE", "SE", "NO", "PL", "AT", "CH", "DK", "PT", "IE", "BR", "AR",
    "ZA", "AE", "SA", "IN", "TR", "NZ"};
static const uint8_t market_w[30] = {36, 32, 18, 12, 10, 8, 6, 8, 6, 6, 4, 4, 4, 3, 3, 3,
    3, 2, 2, 2, 2, 2, 4, 2, 2, 2, 2, 4, 2, 2};
static const char *wmi[3] = {"1LX", "LLX", "WLX"};

/* ECU nodes: hw variants, sw versions, calibration ids (0 = none), serial permille */
enum { GW, BCM, ABS, ESP, EPS, SRS, CLUSTER, HVAC, IVI, TCU, ADAS, ECM, TCM, BMS, OBC, DCM, NNODES };
static const struct { const char *name, *part; uint8_t nhw, nsw, ncal; uint16_t serial; }
nodes[NNODES] = {
    {"GW", "8X0907468", 3, 6, 0, 950},  {"BCM", "5Q0937084", 4, 7, 0, 300},
    {"ABS", "3C0614109", 3, 5, 4, 100}, {"ESP", "3C0614517", 3, 5, 3, 100},
    {"EPS", "1K1909144", 2, 4, 3, 100}, {"SRS", "5Q0959655", 3, 4, 0, 500},
    {"CLUSTER", "5G1920740", 4, 6, 0, 400}, {"HVAC", "5G0907044", 3, 4, 0, 100},
    {"IVI", "3G0035864", 4, 8, 0, 950}, {"TCU", "3Q0035284", 3, 7, 0, 990},
    {"ADAS", "2Q0980654", 3, 8, 5, 950}, {"ECM", "06L906259", 4, 7, 6, 900},
    {"TCM", "0GC927711", 3, 5, 4, 300}, {"BMS", "1EA915234", 3, 6, 4, 950},
    {"OBC", "1EA915682", 2, 4, 0, 600}, {"DCM", "5Q4959393", 2, 4, 0, 100},
};
static int node_id[NNODES], hw_id[NNODES][4], sw_id[NNODES][8], cal_id[NNODES][6];
static int model_id[8], variant_id[10], pt_id[4], market_id[30];
static int k_trim, k_tow, k_kwh;
static const char *trims[5] = {"base", "comfort", "sport", "premium", "launch-edition"};

static void build_catalogue(void) {
    char b[64];
    for (int n = 0; n < NNODES; n++) {
        node_id[n] = intern(nodes[n].name);
        for (int h = 0; h < nodes[n].nhw; h++) { /* "5Q0 937 084 B": later revisions */
            const char *p = nodes[n].part;
            snprintf(b, sizeof b, "%.3s %.3s %.3s %c", p, p + 3, p + 6, 'A' + h);
            hw_id[n][h] = intern(b);
        }
        for (int s = 0; s < nodes[n].nsw; s++) { /* oldest first */
            snprintf(b, sizeof b, "%d.%d.%d", 1 + n % 5, s * 2 + (n & 1), (n * 7 + s * 3) % 10);
            sw_id[n][s] = intern(b);
        }
        for (int c = 0; c < nodes[n].ncal; c++) {
            snprintf(b, sizeof b, "CAL-%s-%04d", nodes[n].name, 1100 + n * 37 + c * 113);
            cal_id[n][c] = intern(b);
        }
    }
    for (int i = 0; i < 8; i++) model_id[i] = intern(models[i].name);
    for (int i = 0; i < 10; i++) variant_id[i] = intern(variants[i]);
    for (int i = 0; i < 4; i++) pt_id[i] = intern(pt_names[i]);
    for (int i = 0; i < 30; i++) market_id[i] = intern(markets[i]);
    k_trim = intern("trim"); k_tow = intern("tow-hitch"); k_kwh = intern("battery-kwh");
}

/* ---- one vehicle, as ids into the catalogue plus its inline strings ---- */
typedef struct { int node, hw, sw, cal; char serial[12]; uint8_t form; } Ecu;
typedef struct {
    char vin[18], engine[16], chassis[16];
    int model, variant, pt, market, necu, nattr, akey[2], aint[2];
    const char *astr[2]; /* attribute value: tstr if non-NULL, else int (or bool for tow) */
    uint64_t produced;
    Ecu ecu[24];
} Vehicle;

#define SNAPSHOT_TIME 1780272000ull /* 2026-06-01T00:00:00Z */
#define T2019 1546300800ull
#define VINCHARS "0123456789ABCDEFGHJKLMNPRSTUVWXYZ" /* 33: no I, O, Q */
#define VIN_TAILS (33ull * 33 * 100000) /* unique positions 11..17 */

static uint64_t year_start(int y) { /* Unix time of Jan 1, 2019 <= y <= 2027 */
    uint64_t t = T2019;
    for (int i = 2019; i < y; i++) t += (i % 4 == 0 ? 366 : 365) * 86400ull;
    return t;
}
static int year_of(uint64_t t) { int y = 2019; while (year_start(y + 1) <= t) y++; return y; }

static int vin_value(char c) { /* ISO 3779 transliteration */
    static const char *tab = "ABCDEFGHJKLMNPRSTUVWXYZ";
    static const int val[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
    if (c >= '0' && c <= '9') return c - '0';
    return val[strchr(tab, c) - tab];
}
static void vin_check(char *vin) {
    static const int wt[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++) if (i != 8) sum += vin_value(vin[i]) * wt[i];
    vin[8] = sum % 11 == 10 ? 'X' : (char)('0' + sum % 11);
}

static uint64_t seed;
static void gen_vehicle(uint64_t idx, Vehicle *v) {
    rs = seed * 0xd1342543de82ef95ull ^ (idx + 1) * 0x9e3779b97f4a7c15ull;
    uint8_t w[8];
    for (int i = 0; i < 8; i++) w[i] = models[i].w;
    int m = pick(w, 8);
    v->model = m;
    v->pt = pick(models[m].pt, 4);
    v->variant = models[m].var[below(models[m].nvar)];
    v->market = pick(market_w, 30);
    uint64_t t0 = year_start(2019 + models[m].y0), t1 = year_start(2020 + models[m].y1);
    if (t1 > SNAPSHOT_TIME - 86400) t1 = SNAPSHOT_TIME - 86400;
    uint64_t day = t0 + below((uint32_t)((t1 - t0) / 86400)) * 86400ull;
    v->produced = day + 6 * 3600 + below(16 * 3600); /* two shifts, 06:00-22:00 */
    /* era 0..1000 over 2019..2026 drives hw revisions and factory sw */
    uint32_t era = (uint32_t)((v->produced - T2019) * 1000 / (SNAPSHOT_TIME - T2019));

    /* VIN: WMI by region, VDS from model/variant/powertrain, check digit, model year,
     * then a tail that is a bijection of the index (unique for idx < VIN_TAILS) */
    int region = v->market == 0 || v->market == 7 || v->market == 8 ? 0 : v->market == 1 ? 1 : 2;
    int y = year_of(v->produced);
    if (v->produced - year_start(y) > 182 * 86400ull) y++;
    uint64_t tail = (idx * 1000003ull + seed * 0x9e3779b97f4a7c15ull % VIN_TAILS) % VIN_TAILS;
    snprintf(v->vin, sizeof v->vin, "%s%s%c%c%c0%c%c%c%05u", wmi[region], models[m].code,
             VINCHARS[10 + v->variant], "PDEH"[v->pt], VINCHARS[below(33)],
             "KLMNPRSTV"[y - 2019], VINCHARS[tail / 3300000], VINCHARS[tail / 100000 % 33],
             (unsigned)(tail % 100000));
    vin_check(v->vin);

    /* ECUs: ~13 per vehicle; electric ones have BMS/OBC and no ECM/TCM */
    static const int base[] = {GW, BCM, ABS, ESP, EPS, SRS, CLUSTER, IVI, TCU};
    int list[24], n = 0;
    for (unsigned i = 0; i < sizeof base / sizeof *base; i++) list[n++] = base[i];
    if (chance(750)) list[n++] = HVAC;
    if (chance(era / 2 + 350)) list[n++] = ADAS;
    if (v->pt != ELECTRIC) { list[n++] = ECM; list[n++] = TCM; }
    if (v->pt == ELECTRIC || v->pt == HYBRID) list[n++] = BMS;
    if (v->pt == ELECTRIC || (v->pt == HYBRID && chance(500))) list[n++] = OBC;
    int doors = (int)below(10); /* door modules: none, one, or left and right */
    if (doors >= 4) list[n++] = DCM;
    if (doors >= 7) list[n++] = DCM;
    v->necu = n;
    for (int i = 0; i < n; i++) {
        Ecu *e = &v->ecu[i];
        int nd = list[i], nhw = nodes[nd].nhw, nsw = nodes[nd].nsw;
        int hw = (int)(era * nhw / 1001); /* revision of the production era, or older */
        if (hw > 0 && chance(250)) hw--;
        if (chance(40)) hw = (int)below(nhw);
        int sw = (int)(era * (nsw - 2) / 1001); /* factory version, then OTA updates */
        int r = (int)below(100);
        if (r < 45) sw = nsw - 2;            /* the common current version */
        else if (r < 50) sw = nsw - 1;       /* rare: a rollout in progress */
        e->node = node_id[nd]; e->hw = hw_id[nd][hw]; e->sw = sw_id[nd][sw];
        e->cal = -1; /* no calibration */
        if (nodes[nd].ncal) {
            uint8_t cw[6] = {40, 25, 15, 10, 6, 4};
            e->cal = chance(100) ? -2 : cal_id[nd][pick(cw, nodes[nd].ncal)]; /* -2: unknown */
        }
        e->serial[0] = 0;
        if (chance(nodes[nd].serial)) {
            uint64_t s = rnd();
            e->serial[0] = "SVTK"[s & 3];
            for (int c = 1; c < 11; c++, s >>= 5) e->serial[c] = VINCHARS[(s >> 2) % 33];
            e->serial[11] = 0;
        }
        e->form = (uint8_t)below(100); /* omit or null the optional trailing fields */
    }

    if (v->pt == ELECTRIC && chance(600)) v->engine[0] = 0; /* null: no engine number */
    else snprintf(v->engine, sizeof v->engine, "%s%c%07u", v->pt == ELECTRIC ? "EM" : "EA",
                  'A' + v->pt, (unsigned)below(10000000));
    snprintf(v->chassis, sizeof v->chassis, "%s%08u", models[m].code, (unsigned)below(100000000));

    /* attributes: one or two of trim (tstr), tow-hitch (bool), battery-kwh (int) */
    v->nattr = 0;
    if (v->pt != ELECTRIC || chance(500)) {
        uint8_t tw[5] = {30, 30, 15, 20, 5};
        v->akey[v->nattr] = k_trim; v->astr[v->nattr++] = trims[pick(tw, 5)];
    }
    if (v->pt == ELECTRIC || (v->pt == HYBRID && chance(400))) {
        static const int kwh[] = {58, 77, 82, 100, 13, 18};
        v->akey[v->nattr] = k_kwh; v->astr[v->nattr] = NULL;
        v->aint[v->nattr++] = kwh[v->pt == HYBRID ? 4 + (int)below(2) : (int)below(4)];
    } else if (chance(400)) {
        v->akey[v->nattr] = k_tow; v->astr[v->nattr] = NULL; v->aint[v->nattr++] = (int)below(2);
    }
}

/* ---- output: big buffer, hand-written minimal-length CBOR heads ---- */
static unsigned char obuf[1 << 20];
static size_t olen;
static FILE *out;
static void flush(void) {
    if (olen && fwrite(obuf, 1, olen, out) != olen) { perror("write"); exit(1); }
    olen = 0;
}
static void head(int major, uint64_t v) {
    unsigned char *p = obuf + olen, mt = (unsigned char)(major << 5);
    if (v < 24) { *p = mt | (unsigned char)v; olen += 1; }
    else if (v < 0x100) { p[0] = mt | 24; p[1] = (unsigned char)v; olen += 2; }
    else if (v < 0x10000) { p[0] = mt | 25; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)v; olen += 3; }
    else if (v < 0x100000000ull) {
        p[0] = mt | 26;
        for (int i = 0; i < 4; i++) p[1 + i] = (unsigned char)(v >> (24 - 8 * i));
        olen += 5;
    } else {
        p[0] = mt | 27;
        for (int i = 0; i < 8; i++) p[1 + i] = (unsigned char)(v >> (56 - 8 * i));
        olen += 9;
    }
}
static void tstr(const char *s) {
    size_t n = strlen(s);
    head(3, n); memcpy(obuf + olen, s, n); olen += n;
}
static void null(void) { obuf[olen++] = 0xf6; }

static int inline_mode;
static int tab_index[MAXCAT], tab_order[MAXCAT], ntab; /* catalogue id <-> table index */
static void str(int id) { if (inline_mode) tstr(cat[id]); else head(0, (uint64_t)tab_index[id]); }
static void use(int id) { if (id >= 0 && tab_index[id] < 0) { tab_index[id] = ntab; tab_order[ntab++] = id; } }
static void mark(const Vehicle *v) { /* table pass: same order as emit() */
    use(model_id[v->model]); use(variant_id[v->variant]); use(pt_id[v->pt]); use(market_id[v->market]);
    for (int i = 0; i < v->necu; i++) {
        use(v->ecu[i].node); use(v->ecu[i].hw); use(v->ecu[i].sw); use(v->ecu[i].cal);
    }
    for (int i = 0; i < v->nattr; i++) use(v->akey[i]);
}

static void emit(const Vehicle *v) {
    if (olen > sizeof obuf - 4096) flush(); /* a vehicle is well under 4 KiB */
    head(4, 10);
    tstr(v->vin); str(model_id[v->model]); str(variant_id[v->variant]);
    str(pt_id[v->pt]); str(market_id[v->market]); head(0, v->produced);
    head(4, (uint64_t)v->necu);
    for (int i = 0; i < v->necu; i++) {
        const Ecu *e = &v->ecu[i];
        int has_cal = e->cal >= 0, has_ser = e->serial[0] != 0;
        /* fields after sw: up to the last present one, plus sometimes explicit nulls */
        int n = has_ser ? 5 : has_cal ? (e->form < 70 ? 4 : 5)
              : e->form < 60 ? 3 : e->form < 75 ? 4 : 5;
        head(4, (uint64_t)n);
        str(e->node); str(e->hw); str(e->sw);
        if (n > 3) { if (has_cal) str(e->cal); else null(); }
        if (n > 4) { if (has_ser) tstr(e->serial); else null(); }
    }
    if (v->engine[0]) tstr(v->engine); else null();
    tstr(v->chassis);
    /* attribute map: deterministic encoding sorts keys by their encoded bytes */
    unsigned char kb[2][16];
    size_t kl[2];
    for (int i = 0; i < v->nattr; i++) {
        size_t at = olen;
        str(v->akey[i]);
        kl[i] = olen - at; memcpy(kb[i], obuf + at, kl[i]); olen = at;
    }
    int first = v->nattr == 2 && (kl[0] > kl[1] || (kl[0] == kl[1] && memcmp(kb[0], kb[1], kl[0]) > 0));
    head(5, (uint64_t)v->nattr);
    for (int j = 0; j < v->nattr; j++) {
        int i = j ^ first;
        memcpy(obuf + olen, kb[i], kl[i]); olen += kl[i];
        if (v->astr[i]) tstr(v->astr[i]);
        else if (v->akey[i] == k_tow) obuf[olen++] = v->aint[i] ? 0xf5 : 0xf4;
        else head(0, (uint64_t)v->aint[i]);
    }
}

static void write_snapshot(const char *path, uint64_t from, uint64_t to) {
    Vehicle v;
    if (!(out = fopen(path, "wb"))) { perror(path); exit(1); }
    ntab = 0;
    for (int i = 0; i < ncat; i++) tab_index[i] = -1;
    if (!inline_mode) for (uint64_t i = from; i < to; i++) { gen_vehicle(i, &v); mark(&v); }
    head(5, inline_mode ? 3 : 4);
    head(0, 0); head(0, 1);
    head(0, 1); head(0, SNAPSHOT_TIME);
    if (!inline_mode) {
        head(0, 2); head(4, (uint64_t)ntab);
        for (int i = 0; i < ntab; i++) { tstr(cat[tab_order[i]]); if (olen > sizeof obuf - 256) flush(); }
    }
    head(0, 3); head(4, to - from);
    for (uint64_t i = from; i < to; i++) { gen_vehicle(i, &v); emit(&v); }
    flush();
    if (fclose(out)) { perror(path); exit(1); }
}

int main(int argc, char **argv) {
    const char *n_arg = NULL, *path = NULL;
    long long shards = 0; /* 0: one file */
    seed = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--inline")) inline_mode = 1;
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--shards") && i + 1 < argc) {
            if ((shards = strtoll(argv[++i], NULL, 10)) < 1 || shards > 100000) goto usage;
        }
        else if (!n_arg) n_arg = argv[i];
        else if (!path) path = argv[i];
        else n_arg = NULL, i = argc;
    }
    char *end = NULL;
    unsigned long long n = n_arg ? strtoull(n_arg, &end, 10) : 0;
    if (!n_arg || *end || !path) goto usage;
    if (n > VIN_TAILS) { fprintf(stderr, "at most %llu vehicles\n", VIN_TAILS); return 1; }
    build_catalogue();
    if (!shards) { write_snapshot(path, 0, n); return 0; }
    size_t pl = strlen(path), stem = pl > 5 && !strcmp(path + pl - 5, ".cbor") ? pl - 5 : pl;
    char *name = malloc(pl + 32);
    for (unsigned long long k = 0; k < (unsigned long long)shards; k++) {
        sprintf(name, "%.*s.%llu%s", (int)stem, path, k, path + stem);
        write_snapshot(name, n * k / shards, n * (k + 1) / shards);
    }
    free(name);
    return 0;
usage:
    fprintf(stderr, "usage: gen_fleet N OUT.cbor [--inline] [--seed S] [--shards K]\n");
    return 2;
}
