/* campaign_baseline: the same-run baselines of the campaign and status figures.
 *
 *   campaign_baseline freeze STORE.db
 *       what freezing a campaign of every vehicle needs at least: the store's export and its
 *       resolution with the package's rule (ota_fleet_export, ota_resolve: timed together),
 *       then a plain C loop that inserts one `targets` row and one `target_ecus` row per
 *       vehicle (the columns libota writes; ord 0, 1, ... over the vehicles in a seeded
 *       shuffle; the waves of wave_counts) with one prepared statement per table in one
 *       transaction (timed). STORE.db is a copy of a prepared store (the libota schema,
 *       indexes and foreign keys); the inventory rows the inserts need are read first,
 *       untimed.
 *   campaign_baseline notify SIZES.txt STORE.db
 *       for the step that notifies a wave: a plain C insert of one outbox row per line of
 *       SIZES.txt ("topic size": the step's own offers) with a payload of that size, in one
 *       transaction, and the bare Ed25519 signing (crypto_sign_detached) of as many payloads
 *       of those sizes. STORE.db: a fresh libota store (created here).
 *   campaign_baseline ingest STORE.db
 *       for ingestion: on a copy of the store libota ingests into (every target notified),
 *       the same reports (the same bytes, in frozen order) as plain SQL: per report one
 *       UPDATE of its target, found as libota finds it (campaign and VIN), and one INSERT of
 *       the report row, with prepared statements; in transactions of 1,000 reports, then
 *       1,000 one-report transactions; PRAGMA synchronous = FULL, as libota's durable
 *       ingestion commits.
 *
 * Connections set what libota's set: foreign_keys = ON, synchronous = NORMAL (WAL). */
#define _GNU_SOURCE
#include <sodium.h>
#include <sqlite3.h>

#include "campaign_common.h"
#include "ota.h"

static void check(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) die(what, sqlite3_errmsg(db));
}
static sqlite3 *open_db(const char *path) {
    sqlite3 *db;
    check(NULL, sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), path);
    check(db, sqlite3_exec(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;", 0, 0, 0), "pragmas");
    return db;
}
static sqlite3_stmt *prep(sqlite3 *db, const char *sql) {
    sqlite3_stmt *s;
    check(db, sqlite3_prepare_v2(db, sql, -1, &s, 0), sql);
    return s;
}
static void exec(sqlite3 *db, const char *sql) { check(db, sqlite3_exec(db, sql, 0, 0, 0), sql); }
static char *dup_col(sqlite3_stmt *s, int i) { return strdup((const char *)sqlite3_column_text(s, i)); }

/* ---- freeze ---- */
typedef struct { int64_t id, ecu, slot; char *vin, *market, *model, *variant, *hw, *sw; } Row;

static uint64_t rs = 7;
static uint64_t rnd(void) { /* splitmix64 */
    uint64_t z = (rs += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int freeze(const char *store) {
    /* export + resolve, through libota */
    ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
    opts.flags = OTA_OPEN_MUSTEXIST;
    ota_db *odb = NULL;
    if (ota_open_ex(store, &opts, &odb) != OTA_OK) die(store, ota_last_errmsg());
    enc rule = {0};
    package_rule(&rule);
    ota_buf snap = {0}, res = {0};
    long long t0 = now_ns();
    if (ota_fleet_export(odb, T0, &snap) != OTA_OK) die("ota_fleet_export", ota_errmsg(odb));
    long long t1 = now_ns();
    if (ota_resolve(snap.data, snap.len, rule.b, rule.n, &res) != OTA_OK) die("ota_resolve", ota_last_errmsg());
    long long t2 = now_ns();
    size_t snap_len = snap.len;
    ota_buf_free(&snap);
    ota_close(odb);
    /* {"scanned", "targets": [...], "excluded"}: the targets array's length */
    long long resolved = -1;
    for (size_t i = 0; i + 8 < res.len; i++)
        if (!memcmp(res.data + i, "\x67targets", 8)) {
            const uint8_t *p = res.data + i + 8;
            unsigned ai = p[0] & 31;
            resolved = ai < 24 ? ai : ai == 24 ? p[1] : ai == 25 ? (p[1] << 8 | p[2])
                     : ai == 26 ? ((long long)p[1] << 24 | p[2] << 16 | p[3] << 8 | p[4]) : -1;
            break;
        }
    ota_buf_free(&res);

    /* the rows the inserts need, untimed */
    sqlite3 *db = open_db(store);
    sqlite3_stmt *q = prep(db, "SELECT v.id, v.vin, v.market, v.model, v.variant, e.id, e.slot, e.hw, e.sw "
                               "FROM vehicles v JOIN ecus e ON e.vehicle_id = v.id AND e.node = 'GW' AND e.removed IS NULL "
                               "ORDER BY v.id, e.id");
    size_t n = 0, cap = 1 << 16;
    Row *rows = malloc(cap * sizeof *rows);
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (n == cap && !(rows = realloc(rows, (cap *= 2) * sizeof *rows))) die("out of memory", NULL);
        Row *r = &rows[n++];
        r->id = sqlite3_column_int64(q, 0); r->vin = dup_col(q, 1); r->market = dup_col(q, 2);
        r->model = dup_col(q, 3); r->variant = dup_col(q, 4); r->ecu = sqlite3_column_int64(q, 5);
        r->slot = sqlite3_column_int64(q, 6); r->hw = dup_col(q, 7); r->sw = dup_col(q, 8);
    }
    sqlite3_finalize(q);
    long long waves[2];
    wave_counts((long long)n, waves);
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates, seeded */
        size_t j = (size_t)(rnd() % i);
        Row t = rows[i - 1]; rows[i - 1] = rows[j]; rows[j] = t;
    }
    exec(db, "INSERT INTO campaigns(id, name, category, priority, spec, state, author, created_at, seed, end_at) "
             "VALUES(1000000, 'baseline', 'bugfix', 500, x'a0', 'draft', 'cam', 0, 7, 1)");
    sqlite3_stmt *it = prep(db, "INSERT INTO targets(campaign_id, vehicle_id, vin, ord, wave, market, model, variant, region, state) "
                                "VALUES(1000000, ?, ?, ?, ?, ?, ?, ?, NULL, 'pending')");
    sqlite3_stmt *ie = prep(db, "INSERT INTO target_ecus(target_id, position, ecu_id, node, slot, hw, from_sw, to_sw) "
                                "VALUES(?, 0, ?, 'GW', ?, ?, ?, '" PKG_TO "')");
    long long t3 = now_ns();
    exec(db, "BEGIN IMMEDIATE");
    for (size_t i = 0; i < n; i++) {
        Row *r = &rows[i];
        long long w = (long long)i < waves[0] ? 0 : (long long)i < waves[0] + waves[1] ? 1 : 2;
        sqlite3_bind_int64(it, 1, r->id);
        sqlite3_bind_text(it, 2, r->vin, -1, SQLITE_STATIC);
        sqlite3_bind_int64(it, 3, (int64_t)i);
        sqlite3_bind_int64(it, 4, w);
        sqlite3_bind_text(it, 5, r->market, -1, SQLITE_STATIC);
        sqlite3_bind_text(it, 6, r->model, -1, SQLITE_STATIC);
        sqlite3_bind_text(it, 7, r->variant, -1, SQLITE_STATIC);
        check(db, sqlite3_step(it), "insert target");
        sqlite3_reset(it);
        sqlite3_bind_int64(ie, 1, sqlite3_last_insert_rowid(db));
        sqlite3_bind_int64(ie, 2, r->ecu);
        sqlite3_bind_int64(ie, 3, r->slot);
        sqlite3_bind_text(ie, 4, r->hw, -1, SQLITE_STATIC);
        sqlite3_bind_text(ie, 5, r->sw, -1, SQLITE_STATIC);
        check(db, sqlite3_step(ie), "insert target ECU");
        sqlite3_reset(ie);
    }
    exec(db, "COMMIT");
    long long t4 = now_ns();
    sqlite3_finalize(it);
    sqlite3_finalize(ie);
    sqlite3_close(db);
    printf("campaign-define-baseline targets=%zu resolved=%lld export_bytes=%zu export_ns=%lld resolve_ns=%lld insert_ns=%lld\n",
           n, resolved, snap_len, t1 - t0, t2 - t1, t4 - t3);
    return 0;
}

/* ---- notify ---- */
static int notify(const char *sizes_path, const char *store) {
    ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
    opts.bootstrap_admin = "bench";
    ota_db *odb = NULL;
    if (ota_open_ex(store, &opts, &odb) != OTA_OK) die(store, ota_last_errmsg());
    ota_close(odb);
    FILE *f = fopen(sizes_path, "r");
    if (!f) die(sizes_path, "cannot read");
    size_t n = 0, cap = 1024, most = 0;
    char (*topics)[80] = malloc(cap * sizeof *topics);
    size_t *sizes = malloc(cap * sizeof *sizes);
    while (fscanf(f, "%79s %zu", topics[n], &sizes[n]) == 2) {
        if (sizes[n] > most) most = sizes[n];
        if (++n == cap) {
            cap *= 2;
            if (!(topics = realloc(topics, cap * sizeof *topics)) || !(sizes = realloc(sizes, cap * sizeof *sizes)))
                die("out of memory", NULL);
        }
    }
    fclose(f);
    if (sodium_init() < 0) die("sodium_init", NULL);
    unsigned char pk[32], sk[64], seed[32] = {42, 1, 2, 3};
    crypto_sign_seed_keypair(pk, sk, seed);
    uint8_t *payload = malloc(most + 1);
    for (size_t i = 0; i < most; i++) payload[i] = (uint8_t)rnd();
    uint8_t (*sigs)[64] = malloc((n + 1) * sizeof *sigs);

    long long t0 = now_ns();
    for (size_t i = 0; i < n; i++) {
        payload[0] = (uint8_t)i; /* a different message each time */
        crypto_sign_detached(sigs[i], NULL, payload, sizes[i], sk);
    }
    long long t1 = now_ns();

    sqlite3 *db = open_db(store);
    sqlite3_stmt *io = prep(db, "INSERT INTO outbox(campaign_id, vehicle_id, kind, topic, payload, retain, created_at) "
                                "VALUES(1, ?, 'offer', ?, ?, 1, ?)");
    long long t2 = now_ns();
    exec(db, "BEGIN IMMEDIATE");
    for (size_t i = 0; i < n; i++) {
        memcpy(payload + sizes[i] - 64, sigs[i], 64);
        sqlite3_bind_int64(io, 1, (int64_t)i + 1);
        sqlite3_bind_text(io, 2, topics[i], -1, SQLITE_STATIC);
        sqlite3_bind_blob(io, 3, payload, (int)sizes[i], SQLITE_STATIC);
        sqlite3_bind_int64(io, 4, T0);
        check(db, sqlite3_step(io), "insert outbox row");
        sqlite3_reset(io);
    }
    exec(db, "COMMIT");
    long long t3 = now_ns();
    sqlite3_finalize(io);
    sqlite3_close(db);
    printf("campaign-notify-baseline messages=%zu bytes=%zu sign_ns=%lld insert_ns=%lld\n", n, most, t1 - t0, t3 - t2);
    return 0;
}

/* ---- ingest ---- */
static int ingest(const char *store) {
    sqlite3 *db = open_db(store);
    const int64_t campaign = 1;
    sqlite3_stmt *q = prep(db, "SELECT vin FROM targets WHERE campaign_id = 1 ORDER BY ord");
    size_t n = 0, cap = 1 << 16;
    char (*vins)[18] = malloc(cap * sizeof *vins);
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (n == cap && !(vins = realloc(vins, (cap *= 2) * sizeof *vins))) die("out of memory", NULL);
        memcpy(vins[n], sqlite3_column_text(q, 0), 17);
        vins[n++][17] = 0;
    }
    sqlite3_finalize(q);
    /* the target moves as the report says; found by campaign and VIN, as libota finds it */
    sqlite3_stmt *up = prep(db, "UPDATE targets SET state = ?, final = 0, due = ?, report_seq = ?, reports = reports + 1, "
                                "accepted_at = coalesce(accepted_at, ?), last_report = ? "
                                "WHERE campaign_id = ? AND vehicle_id = (SELECT id FROM vehicles WHERE vin = ?) RETURNING id");
    sqlite3_stmt *ins = prep(db, "INSERT INTO status_reports(received_at, actor, topic, report, campaign_id, target_id, seq, result, reason) "
                                 "VALUES(?, 'gw', ?, ?, ?, ?, ?, 'applied', NULL)");
    exec(db, "PRAGMA synchronous = FULL");
    char topic[64];
    enc r = {0};
    long long applied = 0;
#define ONE(vin, seq, state, now)                                                              \
    do {                                                                                       \
        report(&r, vin, campaign, seq, state);                                                 \
        status_topic(topic, sizeof topic, vin);                                                \
        sqlite3_bind_text(up, 1, state, -1, SQLITE_STATIC);                                    \
        sqlite3_bind_int64(up, 2, (now) + INSTALL_TIMEOUT);                                    \
        sqlite3_bind_int64(up, 3, seq);                                                        \
        sqlite3_bind_int64(up, 4, now);                                                        \
        sqlite3_bind_int64(up, 5, now);                                                        \
        sqlite3_bind_int64(up, 6, campaign);                                                   \
        sqlite3_bind_text(up, 7, vin, 17, SQLITE_STATIC);                                      \
        if (sqlite3_step(up) != SQLITE_ROW) die("update target", sqlite3_errmsg(db));          \
        int64_t target = sqlite3_column_int64(up, 0);                                          \
        sqlite3_reset(up);                                                                     \
        sqlite3_bind_int64(ins, 1, now);                                                       \
        sqlite3_bind_text(ins, 2, topic, -1, SQLITE_STATIC);                                   \
        sqlite3_bind_blob(ins, 3, r.b, (int)r.n, SQLITE_STATIC);                               \
        sqlite3_bind_int64(ins, 4, campaign);                                                  \
        sqlite3_bind_int64(ins, 5, target);                                                    \
        sqlite3_bind_int64(ins, 6, seq);                                                       \
        check(db, sqlite3_step(ins), "insert report");                                         \
        sqlite3_reset(ins);                                                                    \
        applied++;                                                                             \
    } while (0)

    long long t0 = now_ns();
    for (size_t from = 0; from < n; from += BATCH) {
        exec(db, "BEGIN IMMEDIATE");
        for (size_t i = from; i < n && i < from + BATCH; i++) ONE(vins[i], 1, "accepted", T0 + 3600);
        exec(db, "COMMIT");
    }
    long long t1 = now_ns();
    printf("ingest-batch-baseline reports=%lld batch=%d ns=%lld\n", applied, BATCH, t1 - t0);

    size_t singles = n < SINGLES ? n : SINGLES;
    applied = 0;
    t0 = now_ns();
    for (size_t i = 0; i < singles; i++) {
        exec(db, "BEGIN IMMEDIATE");
        ONE(vins[i], 2, "downloading", T0 + 7200);
        exec(db, "COMMIT");
    }
    t1 = now_ns();
    printf("ingest-single-baseline reports=%lld ns=%lld\n", applied, t1 - t0);
    sqlite3_finalize(up);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    free(vins);
    free(r.b);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "freeze")) return freeze(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "notify")) return notify(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "ingest")) return ingest(argv[2]);
    fprintf(stderr, "usage: campaign_baseline freeze STORE | notify SIZES STORE | ingest STORE\n");
    return 2;
}
