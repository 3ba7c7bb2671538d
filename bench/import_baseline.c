/* import_baseline: the plain C baseline for ota_fleet_import. Inserts the rows an import of
 * a fresh store writes (vehicles, ecus, ecu_history: the same columns and values, attributes
 * as the same canonical CBOR map) with one prepared statement per table, reused for every
 * row, text bound SQLITE_STATIC, in one transaction.
 *
 *   import_baseline SNAPSHOT.cbor STORE.db    prints: import-baseline vehicles=N ecus=M ns=T
 *
 * STORE.db must be a fresh store created by libota (the very schema, indexes, triggers and
 * WAL mode the library uses); this program sets what libota's connection sets (foreign keys,
 * synchronous=NORMAL) and nothing else.
 *
 * Fairness: the snapshot is decoded first, into arrays of offsets into the mapped file, and
 * only the insert loop is timed (BEGIN to COMMIT), so the library's figure, which includes
 * reading, checking and matching the snapshot, is compared with the inserts alone. The
 * decoder reads what gen_fleet writes (definite lengths, table or inline strings) and stops
 * at anything else. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct { uint32_t off, len; } Str; /* a string in the file; len UINT32_MAX: NULL */
typedef struct {
    Str vin, model, variant, powertrain, market, engine, chassis;
    int64_t produced;
    uint32_t first_ecu, necu, attr_off, attr_len; /* attr_len 0: NULL */
} Vehicle;
typedef struct { Str node, hw, sw, cal, serial; int64_t slot; } Ecu;

static const uint8_t *buf;
static size_t len, pos;
static Str *table;
static uint64_t ntable;

static void die(const char *what) {
    fprintf(stderr, "import_baseline: %s at byte %zu\n", what, pos);
    exit(1);
}

static uint64_t head(int *major) {
    if (pos >= len) die("truncated");
    uint8_t ib = buf[pos++];
    *major = ib >> 5;
    uint8_t info = ib & 31;
    if (info < 24) return info;
    if (info > 27) die("indefinite length or reserved value");
    int n = 1 << (info - 24);
    if (len - pos < (size_t)n) die("truncated");
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | buf[pos++];
    return v;
}

static uint64_t expect(int major) {
    int m;
    uint64_t v = head(&m);
    if (m != major) die("unexpected type");
    return v;
}

static Str text_at(uint64_t n) {
    if (len - pos < n) die("truncated text");
    Str s = {(uint32_t)pos, (uint32_t)n};
    pos += n;
    return s;
}

/* str = tstr / uint index, optionally null */
static Str str(int nullable) {
    if (nullable && pos < len && buf[pos] == 0xf6) { pos++; return (Str){0, UINT32_MAX}; }
    int m;
    uint64_t v = head(&m);
    if (m == 3) return text_at(v);
    if (m == 0 && v < ntable) return table[v];
    die("expected a string or a table index");
    return (Str){0, 0};
}

static int same(Str a, Str b) { return a.len == b.len && !memcmp(buf + a.off, buf + b.off, a.len); }

/* Attributes as libota stores them: a CBOR map, text keys sorted shorter first, then bytewise. */
static uint8_t *arena;
static size_t arena_len, arena_cap;
static void put(const void *p, size_t n) {
    if (arena_len + n > arena_cap) {
        arena_cap = (arena_cap + n) * 2;
        if (!(arena = realloc(arena, arena_cap))) die("out of memory");
    }
    memcpy(arena + arena_len, p, n);
    arena_len += n;
}
static void put_head(int major, uint64_t v) {
    uint8_t h[9];
    int n;
    if (v < 24) { h[0] = (uint8_t)(major << 5 | v); n = 1; }
    else if (v < 0x100) { h[0] = (uint8_t)(major << 5 | 24); h[1] = (uint8_t)v; n = 2; }
    else if (v < 0x10000) { h[0] = (uint8_t)(major << 5 | 25); h[1] = (uint8_t)(v >> 8); h[2] = (uint8_t)v; n = 3; }
    else if (v < 0x100000000ull) { h[0] = (uint8_t)(major << 5 | 26); for (int i = 0; i < 4; i++) h[1 + i] = (uint8_t)(v >> (24 - 8 * i)); n = 5; }
    else { h[0] = (uint8_t)(major << 5 | 27); for (int i = 0; i < 8; i++) h[1 + i] = (uint8_t)(v >> (56 - 8 * i)); n = 9; }
    put(h, (size_t)n);
}
static int key_before(Str a, Str b) {
    if (a.len != b.len) return a.len < b.len;
    return memcmp(buf + a.off, buf + b.off, a.len) < 0;
}
static void attributes(Vehicle *v) {
    uint64_t n = expect(5);
    if (n == 0) { v->attr_len = 0; return; }
    if (n > 8) die("too many attributes for this baseline");
    Str key[8];
    size_t vstart[8], vlen[8];
    for (uint64_t i = 0; i < n; i++) {
        key[i] = str(0);
        vstart[i] = pos;
        int m;
        uint64_t a = head(&m);
        if (m == 3) pos += a;
        else if (m != 0 && m != 1 && m != 7) die("unexpected attribute value");
        vlen[i] = pos - vstart[i];
    }
    int order[8];
    for (uint64_t i = 0; i < n; i++) order[i] = (int)i;
    for (uint64_t i = 1; i < n; i++) /* insertion sort of at most 8 */
        for (uint64_t j = i; j > 0 && key_before(key[order[j]], key[order[j - 1]]); j--) {
            int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
        }
    v->attr_off = (uint32_t)arena_len;
    put_head(5, n);
    for (uint64_t i = 0; i < n; i++) {
        put_head(3, key[order[i]].len);
        put(buf + key[order[i]].off, key[order[i]].len);
        put(buf + vstart[order[i]], vlen[order[i]]);
    }
    v->attr_len = (uint32_t)(arena_len - v->attr_off);
}

static void bind_str(sqlite3_stmt *s, int i, Str x) {
    if (x.len == UINT32_MAX) sqlite3_bind_null(s, i);
    else sqlite3_bind_text(s, i, (const char *)buf + x.off, (int)x.len, SQLITE_STATIC);
}

static void check(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
        fprintf(stderr, "import_baseline: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: import_baseline SNAPSHOT.cbor STORE.db\n"); return 2; }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) { perror(argv[1]); return 1; }
    len = (size_t)st.st_size;
    buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (buf == MAP_FAILED) { perror("mmap"); return 1; }

    /* ---- decode: {0: 1, 1: time, ? 2: table, 3: vehicles} ---- */
    uint64_t keys = expect(5), taken = 0, nveh = 0;
    for (uint64_t k = 0; k < keys; k++) {
        uint64_t key = expect(0);
        if (key == 0) { if (expect(0) != 1) die("format version"); }
        else if (key == 1) taken = expect(0);
        else if (key == 2) {
            ntable = expect(4);
            table = malloc(ntable * sizeof *table + 1);
            for (uint64_t i = 0; i < ntable; i++) table[i] = text_at(expect(3));
        } else if (key == 3) { nveh = expect(4); break; }
        else die("unknown key");
    }
    Vehicle *veh = malloc(nveh * sizeof *veh + 1);
    size_t ecu_cap = nveh * 14 + 16, necu = 0;
    Ecu *ecu = malloc(ecu_cap * sizeof *ecu);
    if (!veh || !ecu) die("out of memory");
    for (uint64_t i = 0; i < nveh; i++) {
        Vehicle *v = &veh[i];
        uint64_t fields = expect(4);
        if (fields < 7) die("short vehicle");
        v->vin = text_at(expect(3));
        v->model = str(0); v->variant = str(0); v->powertrain = str(0); v->market = str(0);
        v->produced = (int64_t)expect(0);
        v->necu = (uint32_t)expect(4);
        v->first_ecu = (uint32_t)necu;
        for (uint32_t j = 0; j < v->necu; j++) {
            if (necu == ecu_cap) {
                ecu_cap *= 2;
                if (!(ecu = realloc(ecu, ecu_cap * sizeof *ecu))) die("out of memory");
            }
            Ecu *e = &ecu[necu++];
            uint64_t n = expect(4);
            if (n < 3 || n > 5) die("ECU field count");
            e->node = str(0); e->hw = str(0); e->sw = str(0);
            e->cal = n > 3 ? str(1) : (Str){0, UINT32_MAX};
            e->serial = n > 4 ? str(1) : (Str){0, UINT32_MAX};
            e->slot = 0;
            for (uint32_t k = v->first_ecu; k < necu - 1; k++) if (same(ecu[k].node, e->node)) e->slot++;
        }
        v->engine = fields > 7 ? str(1) : (Str){0, UINT32_MAX};
        v->chassis = fields > 8 ? str(1) : (Str){0, UINT32_MAX};
        v->attr_len = 0;
        if (fields > 9) attributes(v);
        if (fields > 10) die("unexpected vehicle fields");
    }

    /* ---- insert: the timed part ---- */
    sqlite3 *db;
    check(NULL, sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE, NULL), "open");
    check(db, sqlite3_exec(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;", 0, 0, 0), "pragmas");
    sqlite3_stmt *iv, *ie, *ih;
    check(db, sqlite3_prepare_v2(db, "INSERT INTO vehicles(vin, model, variant, powertrain, market, produced, "
          "engine_no, chassis_no, attributes, updated, seen) VALUES(?,?,?,?,?,?,?,?,?,?,?)", -1, &iv, 0), "prepare");
    check(db, sqlite3_prepare_v2(db, "INSERT INTO ecus(vehicle_id, node, slot, hw, sw, calibration, serial) "
          "VALUES(?,?,?,?,?,?,?)", -1, &ie, 0), "prepare");
    check(db, sqlite3_prepare_v2(db, "INSERT INTO ecu_history(ecu_id, at, hw, sw, calibration, serial, source) "
          "VALUES(?,?,?,?,?,?,'snapshot')", -1, &ih, 0), "prepare");

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    check(db, sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0), "begin");
    for (uint64_t i = 0; i < nveh; i++) {
        Vehicle *v = &veh[i];
        bind_str(iv, 1, v->vin); bind_str(iv, 2, v->model); bind_str(iv, 3, v->variant);
        bind_str(iv, 4, v->powertrain); bind_str(iv, 5, v->market);
        sqlite3_bind_int64(iv, 6, v->produced);
        bind_str(iv, 7, v->engine); bind_str(iv, 8, v->chassis);
        if (v->attr_len) sqlite3_bind_blob(iv, 9, arena + v->attr_off, (int)v->attr_len, SQLITE_STATIC);
        else sqlite3_bind_null(iv, 9);
        sqlite3_bind_int64(iv, 10, (int64_t)taken);
        sqlite3_bind_int64(iv, 11, (int64_t)taken);
        check(db, sqlite3_step(iv), "insert vehicle");
        sqlite3_reset(iv);
        int64_t vid = sqlite3_last_insert_rowid(db);
        for (uint32_t j = 0; j < v->necu; j++) {
            Ecu *e = &ecu[v->first_ecu + j];
            sqlite3_bind_int64(ie, 1, vid); bind_str(ie, 2, e->node); sqlite3_bind_int64(ie, 3, e->slot);
            bind_str(ie, 4, e->hw); bind_str(ie, 5, e->sw); bind_str(ie, 6, e->cal); bind_str(ie, 7, e->serial);
            check(db, sqlite3_step(ie), "insert ecu");
            sqlite3_reset(ie);
            sqlite3_bind_int64(ih, 1, sqlite3_last_insert_rowid(db)); sqlite3_bind_int64(ih, 2, (int64_t)taken);
            bind_str(ih, 3, e->hw); bind_str(ih, 4, e->sw); bind_str(ih, 5, e->cal); bind_str(ih, 6, e->serial);
            check(db, sqlite3_step(ih), "insert history");
            sqlite3_reset(ih);
        }
    }
    check(db, sqlite3_exec(db, "COMMIT", 0, 0, 0), "commit");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    sqlite3_finalize(iv); sqlite3_finalize(ie); sqlite3_finalize(ih);
    sqlite3_close(db);
    printf("import-baseline vehicles=%llu ecus=%zu ns=%lld\n", (unsigned long long)nveh, necu, ns);
    return 0;
}
