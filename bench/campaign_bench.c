/* campaign_bench: libota's side of the campaign and status figures (issues 9 and 10).
 *
 *   campaign_bench prepare FLEET.cbor STORE.db
 *       a fresh store: the fleet imported, the roles granted, the package (GW, every
 *       vehicle has one) registered, verified, validated, approved (signed) and released.
 *   campaign_bench campaign STORE.db SIZES.txt N   (N: the vehicles of the store)
 *       on a copy of a prepared store: create, validate and approve (freeze) a campaign of
 *       every vehicle in three waves (wave 0: 10,000 vehicles, or a tenth of a smaller
 *       fleet); start; the step that notifies wave 0 (the topics and payload sizes of its
 *       offers go to SIZES.txt for the baseline); IDLE steps with nothing due; STATS calls
 *       of ota_campaign_stats.
 *   campaign_bench notify-all STORE.db N
 *       on a copy of a prepared store: a one-wave campaign of every vehicle, stepped a
 *       minute apart (100,000 notifications a minute) until every target is notified, the
 *       outbox drained after each step. Untimed: it sets up the ingestion figures.
 *   campaign_bench ingest STORE.db
 *       on that store: one "accepted" report per target in frozen order, in batches of
 *       1,000 (ota_status_ingest_batch), then 1,000 single "downloading" reports
 *       (ota_status_ingest), both with the default synchronous commit.
 *
 * Each prints one line "NAME key=value ..."; campaign.mk puts them beside the baselines.
 * Only the library calls are timed; building inputs and checking outputs is not. */
#define _GNU_SOURCE
#include <cbor.h>
#include <sodium.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "campaign_common.h"
#include "ota.h"

#define IDLE 1000  /* idle steps timed */
#define STATS 200  /* ota_campaign_stats calls timed */

static const uint8_t SEED[32] = {42, 1, 2, 3};

static ota_db *open_store(const char *path, int fresh) {
    ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
    opts.bootstrap_admin = "bench";
    opts.flags = fresh ? 0 : OTA_OPEN_MUSTEXIST;
    ota_db *db = NULL;
    if (ota_open_ex(path, &opts, &db) != OTA_OK) die(path, ota_last_errmsg());
    if (ota_set_signing_key(db, SEED, "bench-signer") != OTA_OK) die("ota_set_signing_key", ota_errmsg(db));
    return db;
}

static void ok(ota_db *db, int rc, const char *what) {
    if (rc != OTA_OK) {
        fprintf(stderr, "campaign bench: %s: %s: %s\n", what, ota_code_name(rc), ota_errmsg(db));
        exit(1);
    }
}

/* ---- reading results (libcbor) ---- */
static cbor_item_t *load(const ota_buf *b) {
    struct cbor_load_result r;
    cbor_item_t *item = cbor_load(b->data, b->len, &r);
    if (!item) die("a result is not CBOR", NULL);
    return item;
}
static cbor_item_t *get(cbor_item_t *map, const char *key) {
    if (!map || !cbor_isa_map(map)) return NULL;
    struct cbor_pair *p = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++)
        if (cbor_isa_string(p[i].key) && cbor_string_length(p[i].key) == strlen(key) &&
            !memcmp(cbor_string_handle(p[i].key), key, strlen(key)))
            return p[i].value;
    return NULL;
}
static long long uint_of(cbor_item_t *item) { return item && cbor_isa_uint(item) ? (long long)cbor_get_int(item) : -1; }
static long long key_uint(const ota_buf *b, const char *key) {
    cbor_item_t *m = load(b);
    long long v = uint_of(get(m, key));
    cbor_decref(&m);
    return v;
}
static int text_is(cbor_item_t *item, const char *s) {
    return item && cbor_isa_string(item) && cbor_string_length(item) == strlen(s) &&
           !memcmp(cbor_string_handle(item), s, strlen(s));
}

/* Fetches and acknowledges the whole outbox; with sizes, writes "topic payload-size" of
 * every vehicle message to it. Returns the messages drained. */
static long drain(ota_db *db, FILE *sizes) {
    long total = 0;
    for (;;) {
        ota_buf out = {0};
        ok(db, ota_outbox_fetch(db, 10000, &out), "ota_outbox_fetch");
        cbor_item_t *a = load(&out);
        size_t n = cbor_array_size(a);
        int64_t *ids = malloc((n + 1) * sizeof *ids);
        cbor_item_t **msgs = cbor_array_handle(a);
        for (size_t i = 0; i < n; i++) {
            cbor_item_t **f = cbor_array_handle(msgs[i]);
            ids[i] = (int64_t)cbor_get_int(f[0]);
            if (sizes && cbor_string_length(f[1]) > 16 && !memcmp(cbor_string_handle(f[1]), "ota/v1/vehicles/", 16))
                fprintf(sizes, "%.*s %zu\n", (int)cbor_string_length(f[1]), (const char *)cbor_string_handle(f[1]),
                        cbor_bytestring_length(f[2]));
        }
        ok(db, ota_outbox_ack(db, ids, n), "ota_outbox_ack");
        free(ids);
        cbor_decref(&a);
        ota_buf_free(&out);
        total += (long)n;
        if (n == 0) return total; /* a fetch also stops at about 16 MiB */
    }
}

/* ---- prepare ---- */
static void manifest(enc *e, const uint8_t sha[32], size_t size) {
    e->n = 0;
    head(e, 5, 15);
    kv(e, "name", "GW-fw"); kv(e, "version", PKG_TO); kv(e, "ecu", PKG_ECU);
    kv(e, "category", "bugfix"); kv(e, "release-type", "routine");
    kv(e, "issue", "gateway routing table"); kv(e, "protocol", "Ethernet-DoIP");
    klist(e, "powertrains", PKG_POWERTRAINS, COUNT(PKG_POWERTRAINS));
    klist(e, "models", PKG_MODELS, COUNT(PKG_MODELS));
    klist(e, "hw", PKG_HW, COUNT(PKG_HW));
    klist(e, "from", PKG_FROM, COUNT(PKG_FROM));
    kv(e, "to", PKG_TO);
    txt(e, "files"); head(e, 4, 1); head(e, 5, 4);
    kv(e, "name", "gw.bin"); ku(e, "size", size);
    txt(e, "sha256"); head(e, 2, 32); put(e, sha, 32);
    kv(e, "uri", "s3://ota-bench/gw/2.0.0/gw.bin");
    kv(e, "release-notes", "Routing table update."); ku(e, "release-counter", 7);
}


static int prepare(const char *fleet, const char *store) {
    int fd = open(fleet, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) die(fleet, "cannot open");
    const uint8_t *buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (buf == MAP_FAILED) die(fleet, "cannot map");
    ota_db *db = open_store(store, 1);
    ota_buf summary = {0};
    ok(db, ota_fleet_import(db, "bench", T0 - 86400, buf, (size_t)st.st_size, NULL, NULL, &summary), "ota_fleet_import");
    long long vehicles = key_uint(&summary, "vehicles");
    ota_buf_free(&summary);
    munmap((void *)buf, (size_t)st.st_size);
    close(fd);
    ok(db, ota_grant(db, "bench", T0, "eve", "engineer"), "grant");
    ok(db, ota_grant(db, "bench", T0, "ann", "approver"), "grant");
    ok(db, ota_grant(db, "bench", T0, "cam", "campaign-manager"), "grant");
    ok(db, ota_grant(db, "bench", T0, "gw", "gateway"), "grant");

    static const char image[] = "GW image 2.0.0\n";
    char path[4096];
    snprintf(path, sizeof path, "%s.gw.bin", store);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(image, 1, sizeof image - 1, f) != sizeof image - 1 || fclose(f)) die(path, "cannot write");
    uint8_t sha[32];
    crypto_hash_sha256(sha, (const unsigned char *)image, sizeof image - 1);
    enc e = {0};
    manifest(&e, sha, sizeof image - 1);
    int64_t pkg = 0;
    ok(db, ota_package_register(db, "eve", T0, e.b, e.n, &pkg), "ota_package_register");
    ok(db, ota_package_verify_file(db, "eve", T0, pkg, "gw.bin", path), "ota_package_verify_file");
    remove(path);
    ok(db, ota_package_validate(db, "eve", T0, pkg), "ota_package_validate");
    ok(db, ota_package_approve(db, "ann", T0, pkg), "ota_package_approve");
    ok(db, ota_package_release(db, "ann", T0, pkg), "ota_package_release");
    ok(db, ota_close(db), "ota_close");
    free(e.b);
    printf("campaign-prepare vehicles=%lld package=%lld\n", vehicles, (long long)pkg);
    return 0;
}

/* ---- specs ---- */
static void wave(enc *e, long long count) {
    head(e, 5, count > 0 ? 3 : 2);
    if (count > 0) ku(e, "count", (uint64_t)count);
    ku(e, "success-gate", 90);
    ku(e, "failure-threshold", 10);
}

/* Every vehicle, immediate, no windows, 100,000 notifications a minute. waves: the counts
 * of all waves but the last (which takes the rest); nwaves 1: one wave of every target. */
static void spec(enc *e, const char *name, const long long *counts, int nwaves) {
    e->n = 0;
    head(e, 5, 9);
    kv(e, "name", name);
    kv(e, "category", "bugfix");
    txt(e, "packages"); head(e, 4, 1); head(e, 0, 1);
    kv(e, "urgency", "immediate");
    ku(e, "end", T0 + 30 * 86400);
    txt(e, "waves"); head(e, 4, (uint64_t)nwaves);
    for (int i = 0; i < nwaves; i++) wave(e, i + 1 < nwaves ? counts[i] : 0);
    txt(e, "rate"); head(e, 5, 1); ku(e, "per-minute", 100000);
    txt(e, "timeouts"); head(e, 5, 2); ku(e, "answer", ANSWER_TIMEOUT); ku(e, "install", INSTALL_TIMEOUT);
    ku(e, "seed", 7);
}

/* Creates and approves a campaign (timed by the caller through the pointers). */
static int64_t define(ota_db *db, enc *e, long long *ns_create, long long *ns_validate, long long *ns_approve,
                      long long *targets) {
    int64_t id = 0;
    long long t0 = now_ns();
    ok(db, ota_campaign_create(db, "cam", T0, e->b, e->n, &id), "ota_campaign_create");
    long long t1 = now_ns();
    ota_buf v = {0};
    ok(db, ota_campaign_validate(db, id, &v), "ota_campaign_validate");
    long long t2 = now_ns();
    ok(db, ota_campaign_approve(db, "bench", T0, id), "ota_campaign_approve"); /* admin: no after-test */
    long long t3 = now_ns();
    *ns_create = t1 - t0; *ns_validate = t2 - t1; *ns_approve = t3 - t2;
    *targets = key_uint(&v, "targets");
    ota_buf_free(&v);
    return id;
}

static int campaign(const char *store, const char *sizes_path, long long n) {
    ota_db *db = open_store(store, 0);
    long long counts[2];
    wave_counts(n, counts);
    enc e = {0};
    spec(&e, "GW routing, three waves", counts, 3);
    long long c, v, a, targets;
    int64_t id = define(db, &e, &c, &v, &a, &targets);
    if (targets != n) die("the campaign does not target every vehicle", NULL);
    printf("campaign-define targets=%lld create_ns=%lld validate_ns=%lld approve_ns=%lld\n", targets, c, v, a);

    ok(db, ota_campaign_start(db, "cam", T0, id), "ota_campaign_start");
    drain(db, NULL);
    ota_buf out = {0};
    long long t0 = now_ns();
    ok(db, ota_campaign_step(db, "cam", T0, id, &out), "ota_campaign_step");
    long long step_ns = now_ns() - t0;
    long long notified = key_uint(&out, "notified"), next_due = key_uint(&out, "next-due");
    ota_buf_free(&out);
    if (notified != counts[0]) die("the step did not notify wave 0", NULL);
    FILE *sizes = fopen(sizes_path, "w");
    if (!sizes) die(sizes_path, "cannot write");
    long messages = drain(db, sizes);
    fclose(sizes);
    printf("campaign-notify notified=%lld messages=%ld step_ns=%lld next_due=%lld\n", notified, messages, step_ns,
           next_due - T0);

    /* idle: nothing is due until the answer timeout */
    long long idle_ns = 0;
    for (int i = 1; i <= IDLE; i++) {
        t0 = now_ns();
        ok(db, ota_campaign_step(db, "cam", T0 + i, id, &out), "ota_campaign_step (idle)");
        idle_ns += now_ns() - t0;
        if (i == 1 && key_uint(&out, "notified") != 0) die("an idle step notified someone", NULL);
        ota_buf_free(&out);
    }
    if (drain(db, NULL) != 0) die("an idle step wrote messages", NULL);
    printf("campaign-idle targets=%lld steps=%d ns=%lld per_step_ns=%lld\n", targets, IDLE, idle_ns, idle_ns / IDLE);

    long long stats_ns = 0;
    size_t stats_len = 0;
    for (int i = 0; i < STATS; i++) {
        t0 = now_ns();
        ok(db, ota_campaign_stats(db, id, T0 + IDLE + 1, &out), "ota_campaign_stats");
        stats_ns += now_ns() - t0;
        stats_len = out.len;
        ota_buf_free(&out);
    }
    printf("campaign-stats targets=%lld calls=%d ns=%lld per_call_ns=%lld bytes=%zu\n", targets, STATS, stats_ns,
           stats_ns / STATS, stats_len);
    ok(db, ota_close(db), "ota_close");
    free(e.b);
    return 0;
}

/* ---- notify-all and ingest ---- */
static int notify_all(const char *store, long long n) {
    ota_db *db = open_store(store, 0);
    enc e = {0};
    spec(&e, "GW routing, one wave", NULL, 1);
    long long c, v, a, targets;
    int64_t id = define(db, &e, &c, &v, &a, &targets);
    if (targets != n) die("the campaign does not target every vehicle", NULL);
    ok(db, ota_campaign_start(db, "cam", T0, id), "ota_campaign_start");
    long long notified = 0;
    for (int minute = 0; notified < targets; minute++) {
        if (minute > targets / 100000 + 2) die("stepping does not notify every target", NULL);
        ota_buf out = {0};
        ok(db, ota_campaign_step(db, "cam", T0 + 60LL * minute, id, &out), "ota_campaign_step");
        notified += key_uint(&out, "notified");
        ota_buf_free(&out);
        drain(db, NULL);
    }
    ok(db, ota_close(db), "ota_close");
    free(e.b);
    printf("campaign-notify-all campaign=%lld notified=%lld\n", (long long)id, notified);
    return 0;
}

/* The campaign's VINs in frozen order (ota_campaign_vehicles pages). */
static char (*vins_of(ota_db *db, int64_t id, long long *count))[18] {
    size_t cap = 1024, n = 0;
    char (*vins)[18] = malloc(cap * sizeof *vins);
    enc f = {0};
    long long after = -1;
    for (;;) {
        f.n = 0;
        head(&f, 5, after >= 0 ? 2 : 1);
        ku(&f, "limit", 10000);
        if (after >= 0) ku(&f, "after", (uint64_t)after);
        ota_buf out = {0};
        ok(db, ota_campaign_vehicles(db, id, f.b, f.n, &out), "ota_campaign_vehicles");
        cbor_item_t *m = load(&out);
        cbor_item_t *rows = get(m, "rows");
        for (size_t i = 0; i < cbor_array_size(rows); i++) {
            cbor_item_t *vin = get(cbor_array_handle(rows)[i], "vin");
            if (n == cap && !(vins = realloc(vins, (cap *= 2) * sizeof *vins))) die("out of memory", NULL);
            memcpy(vins[n], cbor_string_handle(vin), 17);
            vins[n++][17] = 0;
        }
        after = uint_of(get(m, "next"));
        cbor_decref(&m);
        ota_buf_free(&out);
        if (after < 0) break;
    }
    free(f.b);
    *count = (long long)n;
    return vins;
}

/* Counts results whose "result" is "applied". */
static long applied(const ota_buf *b, int batch) {
    cbor_item_t *r = load(b);
    long n = 0;
    if (batch) {
        for (size_t i = 0; i < cbor_array_size(r); i++) n += text_is(get(cbor_array_handle(r)[i], "result"), "applied");
    } else {
        n = text_is(get(r, "result"), "applied");
    }
    cbor_decref(&r);
    return n;
}

static int ingest(const char *store) {
    ota_db *db = open_store(store, 0);
    const int64_t id = 1;
    long long n;
    char (*vins)[18] = vins_of(db, id, &n);
    char topic[64];
    enc r = {0};

    /* the batches, built before the clock starts */
    size_t nbatches = (size_t)((n + BATCH - 1) / BATCH);
    enc *batches = calloc(nbatches, sizeof *batches);
    for (size_t b = 0; b < nbatches; b++) {
        long long from = (long long)b * BATCH, to = from + BATCH < n ? from + BATCH : n;
        head(&batches[b], 4, (uint64_t)(to - from));
        for (long long i = from; i < to; i++) {
            report(&r, vins[i], id, 1, "accepted");
            status_topic(topic, sizeof topic, vins[i]);
            head(&batches[b], 4, 2);
            txt(&batches[b], topic);
            head(&batches[b], 2, r.n);
            put(&batches[b], r.b, r.n);
        }
    }
    long long batch_ns = 0, ok_reports = 0;
    for (size_t b = 0; b < nbatches; b++) {
        ota_buf out = {0};
        long long t0 = now_ns();
        ok(db, ota_status_ingest_batch(db, "gw", T0 + 3600, batches[b].b, batches[b].n, &out), "ota_status_ingest_batch");
        batch_ns += now_ns() - t0;
        ok_reports += applied(&out, 1);
        ota_buf_free(&out);
        free(batches[b].b);
    }
    free(batches);
    if (ok_reports != n) die("not every batched report was applied", NULL);
    printf("ingest-batch-libota reports=%lld batch=%d ns=%lld\n", n, BATCH, batch_ns);

    long long singles = n < SINGLES ? n : SINGLES, single_ns = 0;
    ok_reports = 0;
    for (long long i = 0; i < singles; i++) {
        report(&r, vins[i], id, 2, "downloading");
        status_topic(topic, sizeof topic, vins[i]);
        ota_buf out = {0};
        long long t0 = now_ns();
        ok(db, ota_status_ingest(db, "gw", T0 + 7200, topic, r.b, r.n, &out), "ota_status_ingest");
        single_ns += now_ns() - t0;
        ok_reports += applied(&out, 0);
        ota_buf_free(&out);
    }
    if (ok_reports != singles) die("not every single report was applied", NULL);
    printf("ingest-single-libota reports=%lld ns=%lld\n", singles, single_ns);
    ok(db, ota_close(db), "ota_close");
    free(r.b);
    free(vins);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "prepare")) return prepare(argv[2], argv[3]);
    if (argc == 5 && !strcmp(argv[1], "campaign")) return campaign(argv[2], argv[3], atoll(argv[4]));
    if (argc == 4 && !strcmp(argv[1], "notify-all")) return notify_all(argv[2], atoll(argv[3]));
    if (argc == 3 && !strcmp(argv[1], "ingest")) return ingest(argv[2]);
    fprintf(stderr, "usage: campaign_bench prepare FLEET STORE | campaign STORE SIZES N | notify-all STORE N | ingest STORE\n");
    return 2;
}
