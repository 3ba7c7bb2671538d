/* Concurrency under ThreadSanitizer (issue 12, docs/guarantees.md "Concurrency"): threads and
 * processes, each with its own handle, on one store file (WAL) at once -- status reports
 * ingested one by one and in batches, campaigns stepped at an advancing `now`, fleet
 * snapshots imported, statistics and pages read, the audit chain verified, the outbox
 * drained -- and threads resolving one shared read-only snapshot. Every call must return
 * OTA_OK or the documented contention error (OTA_STORE with ota_store_errcode SQLITE_BUSY
 * past the busy timeout), which is retried and counted. Afterwards the results are checked:
 * every report is stored exactly once, the counters equal a recount of the targets, the
 * inventory agrees with the targets, the audit chain verifies and counts one entry per
 * committed call, the outbox drained with every message signed and no id handed out twice,
 * PRAGMA integrity_check is ok, every resolution equals the single-threaded one.
 *
 * Built by `make test-tsan` with the toolchain's clang -fsanitize=thread against the archive
 * built with -sanitize=thread (build/tsan/libota.a); C11 for <stdatomic.h>. Runs in an empty
 * directory. `test_concurrency child N GO RESULT` is the child process (started by main). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ota.h"
#include "../c/check.h"
#include "../c/cbor_build.h"
#include "../c/campaign_fixture.h" /* NOW, VIN1, VIN2, content, snapshot(), manifest() */

#define STORE "concurrency.db"
#define SHARED "shared.bin"
#define FLEET_FILE "resolve.cbor"

/* The campaign's vehicles, split among the ingesting workers (VINs WVWZZZ1KZ00000000 + i). */
enum { N_CAMP = 300, SINGLE_THREADS = 2, BATCH_THREADS = 1, CHILDREN = 2 };
enum { WORKERS = SINGLE_THREADS + BATCH_THREADS + CHILDREN, PER_WORKER = N_CAMP / WORKERS };
enum { PASSES = 4, BATCH_CHUNK = 20 };
/* Imported by the import thread, ROUNDS times, each time with a new ABS version. */
enum { N_EXTRA = 150, IMPORT_CAMP = 60, ROUNDS = 5 };
/* The resolvers' snapshot and how often each resolver thread goes over every rule. */
enum { N_RESOLVE = 120, RESOLVERS = 3, RESOLVE_ROUNDS = 4, N_RULES = 4 };
enum { BUSY_TIMEOUT_MS = 150, MAX_BUSY_RETRIES = 2000, STEPS_AFTER = 12, DEADLINE_S = 240 };

static const uint8_t SEED[32] = {7, 1, 2, 3};

/* --- shared state and failures --------------------------------------------------------- */

/* Mapped from SHARED by the parent and the children: the store's clock and how many
 * ingesting workers are done. Lock-free atomics work across processes. */
typedef struct {
  _Atomic int64_t clock;
  atomic_int ingest_done;
} shared_t;
static shared_t *shared;

static atomic_int failures;
static atomic_int stop_readers;
static int64_t campaign_id;

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL [%d]: ", (int)getpid());
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  atomic_fetch_add(&failures, 1);
}

/* The documented contention error: SQLITE_BUSY (any extended form) past the busy timeout. */
static int is_busy(ota_db *db, int rc) {
  return rc == OTA_STORE && (ota_store_errcode(db) & 0xff) == SQLITE_BUSY;
}

static void pause_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

/* Counts per call kind (atomics: threads add to them; a child sends its own to main). */
enum kind { K_INGEST, K_BATCH, K_REPORTS, K_STEP, K_IMPORT, K_STATS, K_PAGES, K_READS,
            K_VERIFY, K_FETCH, K_ACK, K_MESSAGES, K_RESOLVE, K_BUSY, K_KINDS };
static const char *kind_names[K_KINDS] = {
  "ota_status_ingest", "ota_status_ingest_batch", "reports ingested", "ota_campaign_step",
  "ota_fleet_import", "ota_campaign_stats", "ota_campaign_vehicles pages",
  "other reads (get, list, vehicle, export, head, audit list)", "ota_audit_verify",
  "ota_outbox_fetch", "ota_outbox_ack", "messages acknowledged", "ota_resolve(_file)",
  "busy retries (OTA_STORE/SQLITE_BUSY)"};
static atomic_long counts[K_KINDS];
static void count(enum kind k, long n) { atomic_fetch_add(&counts[k], n); }

/* Sets rc to `call` (an expression using db), called again while it is the contention
 * error. Each retry is counted; too many is a failure (rc then stays the busy error). */
#define RETRY(rc, db, call) do {                                                      \
    for (int try_ = 0;; try_++) {                                                     \
      (rc) = (call);                                                                  \
      if (!is_busy((db), (rc))) break;                                                \
      count(K_BUSY, 1);                                                               \
      if (try_ == MAX_BUSY_RETRIES) { fail("%s: busy %d times", #call, try_); break; } \
      pause_ms(1 + try_ % 5);                                                         \
    }                                                                                 \
  } while (0)

static void expect_ok(ota_db *db, int rc, const char *what) {
  if (rc != OTA_OK)
    fail("%s: %s (%s, store code %d)", what, ota_code_name(rc), db ? ota_errmsg(db) : ota_last_errmsg(),
         db ? ota_store_errcode(db) : 0);
}

/* A worker's handle: a short busy timeout, so that contention shows as the documented error
 * (and is retried) rather than only as waiting. Ingestion commits with OTA_OPEN_FAST_INGEST
 * (durability is the crash test's subject; an fsync per report would make this test wait on
 * the disk), but for the first ingesting thread, which keeps the default durable commits. */
static ota_db *open_worker_flags(unsigned flags) {
  ota_open_options o = OTA_OPEN_OPTIONS_INIT;
  o.busy_timeout_ms = BUSY_TIMEOUT_MS;
  o.flags = flags;
  ota_db *db = NULL;
  int rc = ota_open_ex(STORE, &o, &db);
  if (rc != OTA_OK) { fail("open: %s: %s", ota_code_name(rc), ota_last_errmsg()); return NULL; }
  expect_ok(db, ota_set_signing_key(db, SEED, "k1"), "ota_set_signing_key");
  return db;
}

static ota_db *open_worker(void) { return open_worker_flags(OTA_OPEN_FAST_INGEST); }

static double seconds_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int64_t now_read(void) { return atomic_load(&shared->clock); }
static int64_t now_advance(void) { return atomic_fetch_add(&shared->clock, 60) + 60; }

/* --- documents ------------------------------------------------------------------------- */

static void camp_vin(char out[18], int i) { snprintf(out, 18, "WVWZZZ1KZ%08d", i); }
static void extra_vin(char out[18], int i) { snprintf(out, 18, "WF0XXXGCD%08d", i); }
static const char *camp_market(int i) { static const char *m[] = {"DE", "FR", "IT", "ES"}; return m[i % 4]; }
static const char *camp_variant(int i) { return i % 3 ? "V" : "W"; }

/* A campaign vehicle exactly as the setup imports it: BCM H 1.0. */
static cbor_item_t *camp_vehicle(int i) {
  char vin[18];
  camp_vin(vin, i);
  return cb_array(7, cb_text(vin), cb_text("M"), cb_text(camp_variant(i)), cb_text("P"),
                  cb_text(camp_market(i)), cb_uint(NOW - 1000),
                  cb_array(1, cb_array(3, cb_text("BCM"), cb_text("H"), cb_text("1.0"))));
}

/* An extra vehicle (no campaign targets it): ABS A1 at version r<round>. */
static cbor_item_t *extra_vehicle(int i, int round) {
  char vin[18], sw[16];
  extra_vin(vin, i);
  snprintf(sw, sizeof sw, "r%d", round);
  return cb_array(7, cb_text(vin), cb_text("X"), cb_text("base"), cb_text("P"), cb_text("SE"),
                  cb_uint(NOW - 2000), cb_array(1, cb_array(3, cb_text("ABS"), cb_text("A1"), cb_text(sw))));
}

static cb_doc fleet(int64_t at, int camp, int extra, int round) {
  cbor_item_t *v = cb_array_of((size_t)(camp + extra));
  for (int i = 0; i < camp; i++) cb_push(v, camp_vehicle(i));
  for (int i = 0; i < extra; i++) cb_push(v, extra_vehicle(i, round));
  return cb_encode(cb_map(3, cb_uint(0), cb_uint(1), cb_uint(1), cb_uint((uint64_t)at), cb_uint(3), v));
}

/* A test campaign over the campaign vehicles: two waves, a rate limit (so steps keep
 * notifying), reminders, answer and install timeouts, retries. */
static size_t spec(enc *e, int64_t package) {
  e->n = 0;
  head(e, 5, 11);
  kv(e, "name", "BCM concurrency"); kv(e, "category", "bugfix");
  txt(e, "packages"); head(e, 4, 1); head(e, 0, (uint64_t)package);
  txt(e, "test"); head(e, 7, 21);
  kv(e, "urgency", "immediate"); ku(e, "end", NOW + 30 * 86400);
  txt(e, "waves"); head(e, 4, 2);
  head(e, 5, 3); ku(e, "share", 50); ku(e, "success-gate", 10); ku(e, "failure-threshold", 100);
  head(e, 5, 3); ku(e, "share", 50); ku(e, "success-gate", 100); ku(e, "failure-threshold", 100);
  txt(e, "rate"); head(e, 5, 1); ku(e, "per-minute", 60);
  txt(e, "notify"); head(e, 5, 1); ku(e, "reminder", 600);
  txt(e, "timeouts"); head(e, 5, 2); ku(e, "answer", 3600); ku(e, "install", 7200);
  txt(e, "retry"); head(e, 5, 3); ku(e, "max", 2); ku(e, "backoff", 300);
  txt(e, "reasons"); head(e, 4, 2); txt(e, "download"); txt(e, "timeout");
  return e->n;
}

/* The reports vehicle i sends, one per pass: the plan every check recomputes. */
static const char *const plans[4][PASSES] = {
  {"received", "accepted", "downloading", "installed"},
  {"received", "deferred", "accepted", "installed"},
  {"received", "accepted", "failed", NULL},
  {"received", "declined", NULL, NULL},
};
static const char *planned(int i, int pass) { return plans[i % 5 == 4 ? 0 : i % 5][pass]; }

static void status_topic(char out[64], int i) {
  char vin[18];
  camp_vin(vin, i);
  snprintf(out, 64, "ota/v1/vehicles/%s/status", vin);
}

/* Report `pass` of vehicle i (seq pass + 1); 0 when the plan has none. */
static size_t report(enc *e, int i, int pass) {
  const char *state = planned(i, pass);
  char vin[18];
  if (!state) return 0;
  camp_vin(vin, i);
  int failed = strcmp(state, "failed") == 0, installed = strcmp(state, "installed") == 0;
  e->n = 0;
  head(e, 5, 4 + (failed ? 2 : 0) + (installed ? 1 : 0));
  kv(e, "vin", vin); ku(e, "campaign", (uint64_t)campaign_id); ku(e, "seq", (uint64_t)pass + 1);
  kv(e, "state", state);
  if (failed) { kv(e, "reason", "download"); ku(e, "code", 17); }
  if (installed) {
    txt(e, "ecus"); head(e, 4, 1); head(e, 5, 4);
    kv(e, "node", "BCM"); ku(e, "slot", 0); kv(e, "hw", "H"); kv(e, "sw", "2.0");
  }
  return e->n;
}

/* --- reading CBOR results (libcbor) ---------------------------------------------------- */

static cbor_item_t *load(const ota_buf *b) {
  struct cbor_load_result r;
  cbor_item_t *item = cbor_load(b->data, b->len, &r);
  if (!item || r.error.code != CBOR_ERR_NONE || r.read != b->len) {
    if (item) cbor_decref(&item);
    return NULL;
  }
  return item;
}

static cbor_item_t *map_get(cbor_item_t *map, const char *key) {
  if (!map || !cbor_isa_map(map)) return NULL;
  struct cbor_pair *p = cbor_map_handle(map);
  size_t n = strlen(key);
  for (size_t i = 0; i < cbor_map_size(map); i++)
    if (cbor_isa_string(p[i].key) && cbor_string_length(p[i].key) == n &&
        memcmp(cbor_string_handle(p[i].key), key, n) == 0)
      return p[i].value;
  return NULL;
}

static int64_t uint_of(cbor_item_t *item) {
  return item && cbor_isa_uint(item) ? (int64_t)cbor_get_int(item) : -1;
}

/* The sum of a map's uint values (a state-counts map). */
static int64_t map_sum(cbor_item_t *map) {
  if (!map || !cbor_isa_map(map)) return -1;
  int64_t sum = 0;
  struct cbor_pair *p = cbor_map_handle(map);
  for (size_t i = 0; i < cbor_map_size(map); i++) sum += uint_of(p[i].value);
  return sum;
}

/* A tagged COSE_Sign1 (EdDSA) that verifies with pk: its Sig_structure rebuilt with
 * libcbor, checked with libsodium. The tag (one byte, 0xd2) is checked by hand: libcbor
 * 0.8's cbor_load refuses a document that starts with a tag. */
static int cose_verifies(cbor_item_t *payload_bytes, const uint8_t pk[32]) {
  const uint8_t *m = cbor_bytestring_handle(payload_bytes);
  size_t n = cbor_bytestring_length(payload_bytes);
  if (n < 2 || m[0] != 0xd2) return 0;
  struct cbor_load_result r;
  cbor_item_t *a = cbor_load(m + 1, n - 1, &r);
  int ok = 0;
  if (a && r.read == n - 1 && cbor_isa_array(a) && cbor_array_size(a) == 4) {
    cbor_item_t **f = cbor_array_handle(a);
    if (cbor_isa_bytestring(f[0]) && cbor_isa_bytestring(f[2]) && cbor_isa_bytestring(f[3]) &&
        cbor_bytestring_length(f[3]) == 64) {
      cb_doc tbs = cb_encode(cb_array(4, cb_text("Signature1"),
                                      cb_bytes(cbor_bytestring_handle(f[0]), cbor_bytestring_length(f[0])),
                                      cb_ok(cbor_new_definite_bytestring()), /* external_aad: empty */
                                      cb_bytes(cbor_bytestring_handle(f[2]), cbor_bytestring_length(f[2]))));
      ok = crypto_sign_verify_detached(cbor_bytestring_handle(f[3]), tbs.data, tbs.len, pk) == 0;
      cb_free(&tbs);
    }
  }
  if (a) cbor_decref(&a);
  return ok;
}

/* --- ingestion and stepping (threads and children) ------------------------------------- */

/* Vehicles [first, first + n): pass by pass, one call per report. */
static void ingest_single(ota_db *db, int first, int n) {
  enc e;
  char topic[64];
  for (int pass = 0; pass < PASSES; pass++) {
    for (int i = first; i < first + n; i++) {
      if (!report(&e, i, pass)) continue;
      status_topic(topic, i);
      ota_buf out = {NULL, 0};
      int rc;
      RETRY(rc, db, ota_status_ingest(db, "gw", now_read(), topic, e.b, e.n, &out));
      expect_ok(db, rc, "ota_status_ingest");
      if (rc == OTA_OK) {
        count(K_INGEST, 1);
        count(K_REPORTS, 1);
        if (out.len == 0 || out.data[0] < 0xa1 || out.data[0] > 0xa4) fail("ingest result is not a small map");
      }
      ota_buf_free(&out);
    }
    pause_ms(20); /* the steppers notify more targets meanwhile */
  }
}

/* The same, BATCH_CHUNK vehicles' reports per call. */
static void ingest_batches(ota_db *db, int first, int n) {
  enc e;
  char topic[64];
  for (int pass = 0; pass < PASSES; pass++) {
    for (int start = first; start < first + n; start += BATCH_CHUNK) {
      int end = start + BATCH_CHUNK < first + n ? start + BATCH_CHUNK : first + n, items = 0;
      cbor_item_t *batch = cb_array_of(BATCH_CHUNK);
      for (int i = start; i < end; i++) {
        if (!report(&e, i, pass)) continue;
        status_topic(topic, i);
        cb_push(batch, cb_array(2, cb_text(topic), cb_bytes(e.b, e.n)));
        items++;
      }
      cb_doc doc = cb_encode(batch);
      ota_buf out = {NULL, 0};
      int rc;
      RETRY(rc, db, ota_status_ingest_batch(db, "gw", now_read(), doc.data, doc.len, &out));
      expect_ok(db, rc, "ota_status_ingest_batch");
      if (rc == OTA_OK) {
        count(K_BATCH, 1);
        count(K_REPORTS, items);
        cbor_item_t *results = load(&out);
        if (!results || !cbor_isa_array(results) || (int)cbor_array_size(results) != items)
          fail("batch result: not an array of %d results", items);
        if (results) cbor_decref(&results);
      }
      ota_buf_free(&out);
      cb_free(&doc);
    }
    pause_ms(20);
  }
}

static void step_once(ota_db *db, int64_t id) {
  ota_buf out = {NULL, 0};
  int64_t now = now_advance();
  int rc;
  RETRY(rc, db, ota_campaign_step(db, "cam", now, id, &out));
  expect_ok(db, rc, "ota_campaign_step");
  if (rc == OTA_OK) {
    count(K_STEP, 1);
    cbor_item_t *r = load(&out);
    if (!r || uint_of(map_get(r, "notified")) < 0) fail("step result without \"notified\"");
    if (r) cbor_decref(&r);
  }
  ota_buf_free(&out);
}

typedef struct { int first, n, batch; } ingest_job;

static void *ingest_thread(void *arg) {
  const ingest_job *job = (const ingest_job *)arg;
  ota_db *db = open_worker_flags(job->first == 0 ? 0u : OTA_OPEN_FAST_INGEST);
  if (db) {
    if (job->batch) ingest_batches(db, job->first, job->n);
    else ingest_single(db, job->first, job->n);
  }
  atomic_fetch_add(&shared->ingest_done, 1);
  ota_close(db);
  return NULL;
}

/* Steps (campaign id and id 0 in turn) until every ingesting worker is done, then a few
 * more, an hour of simulated time apart at the end so retries and reminders fall due. */
static void *step_thread(void *arg) {
  (void)arg;
  ota_db *db = open_worker();
  if (!db) return NULL;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int i = 0;
  while (atomic_load(&shared->ingest_done) < WORKERS) {
    step_once(db, i++ % 2 ? 0 : campaign_id);
    pause_ms(15);
    if (seconds_since(&t0) > DEADLINE_S) { fail("the ingesting workers are not done after %d s", DEADLINE_S); break; }
  }
  for (int k = 0; k < STEPS_AFTER; k++) {
    atomic_fetch_add(&shared->clock, 600);
    step_once(db, k % 2 ? 0 : campaign_id);
  }
  ota_close(db);
  return NULL;
}

/* The child process: its own handle, ingestion (half one by one, half in batches) with a
 * step after each chunk, started when the parent closes the GO pipe. */
typedef struct { long counts[K_KINDS]; int failures; } child_result;

static int child_main(int index, int go_fd, int result_fd) {
  int fd = open(SHARED, O_RDWR);
  shared = fd < 0 ? NULL : (shared_t *)mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (!shared || shared == MAP_FAILED) { perror("child: " SHARED); return 2; }
  close(fd);
  ota_db *db = open_worker();
  char c;
  while (read(go_fd, &c, 1) < 0 && errno == EINTR) {}
  close(go_fd);
  int first = (SINGLE_THREADS + BATCH_THREADS + index) * PER_WORKER, half = PER_WORKER / 2;
  if (db) {
    ingest_single(db, first, half);
    step_once(db, campaign_id);
    ingest_batches(db, first + half, PER_WORKER - half);
    step_once(db, 0);
  }
  atomic_fetch_add(&shared->ingest_done, 1);
  ota_close(db);
  child_result r;
  memset(&r, 0, sizeof r);
  for (int k = 0; k < K_KINDS; k++) r.counts[k] = atomic_load(&counts[k]);
  r.failures = atomic_load(&failures);
  if (write(result_fd, &r, sizeof r) != (ssize_t)sizeof r) return 2;
  return r.failures ? 1 : 0;
}

/* --- the import thread ----------------------------------------------------------------- */

static int progress(void *ctx, uint64_t done, uint64_t total) {
  (void)done; (void)total;
  atomic_fetch_add((atomic_long *)ctx, 1);
  return 0;
}
static atomic_long progress_calls;
static atomic_int imports_ok;

static void *import_thread(void *arg) {
  (void)arg;
  ota_db *db = open_worker();
  if (!db) return NULL;
  for (int round = 0; round < ROUNDS; round++) {
    cb_doc snap = fleet(NOW - 90 + round, IMPORT_CAMP, N_EXTRA, round);
    ota_buf summary = {NULL, 0};
    int rc;
    RETRY(rc, db, ota_fleet_import(db, "eve", now_read(), snap.data, snap.len, progress, &progress_calls, &summary));
    expect_ok(db, rc, "ota_fleet_import");
    if (rc == OTA_OK) {
      count(K_IMPORT, 1);
      atomic_fetch_add(&imports_ok, 1);
      cbor_item_t *s = load(&summary);
      int64_t added = uint_of(map_get(s, "added")), changed = uint_of(map_get(s, "changed")),
              unchanged = uint_of(map_get(s, "unchanged")), stale = uint_of(map_get(s, "stale"));
      /* the extra vehicles are new or changed; the campaign vehicles are unchanged, or
       * stale once an install report moved their seen time past the snapshot's */
      if (uint_of(map_get(s, "vehicles")) != IMPORT_CAMP + N_EXTRA || added + changed != N_EXTRA ||
          unchanged + stale != IMPORT_CAMP || (round == 0 && added != N_EXTRA))
        fail("import round %d: summary added %lld changed %lld unchanged %lld stale %lld", round,
             (long long)added, (long long)changed, (long long)unchanged, (long long)stale);
      if (s) cbor_decref(&s);
    }
    ota_buf_free(&summary);
    cb_free(&snap);
    pause_ms(30);
  }
  ota_close(db);
  return NULL;
}

/* --- readers: statistics, the audit chain, the outbox ---------------------------------- */

static void read_stats(ota_db *db) {
  ota_buf out = {NULL, 0};
  int rc = ota_campaign_stats(db, campaign_id, now_read(), &out);
  expect_ok(db, rc, "ota_campaign_stats");
  count(K_STATS, 1);
  cbor_item_t *s = load(&out);
  int64_t targets = uint_of(map_get(s, "targets"));
  /* one read transaction: the counters of one commit, never half of one */
  if (targets != N_CAMP || map_sum(map_get(s, "by-state")) != targets || uint_of(map_get(s, "final")) > targets)
    fail("stats: targets %lld, by-state adds up to %lld", (long long)targets, (long long)map_sum(map_get(s, "by-state")));
  cbor_item_t *waves = map_get(s, "waves");
  int64_t wave_total = 0;
  for (size_t w = 0; waves && cbor_isa_array(waves) && w < cbor_array_size(waves); w++) {
    cbor_item_t *wave = cbor_array_handle(waves)[w];
    int64_t wt = uint_of(map_get(wave, "targets")), opened_sum = map_sum(map_get(wave, "by-state"));
    wave_total += wt;
    if (opened_sum != wt) fail("stats: wave %zu has %lld targets, by-state adds up to %lld", w, (long long)wt, (long long)opened_sum);
  }
  if (wave_total != N_CAMP) fail("stats: waves hold %lld targets", (long long)wave_total);
  if (s) cbor_decref(&s);
  ota_buf_free(&out);
}

/* Every page of the campaign's targets: the frozen list, whatever the states. */
static void read_pages(ota_db *db) {
  int64_t after = -1, rows = 0;
  for (int page = 0; page < 100; page++) {
    cbor_item_t *filter = after < 0 ? cb_map(1, cb_text("limit"), cb_uint(150))
                                    : cb_map(2, cb_text("limit"), cb_uint(150), cb_text("after"), cb_uint((uint64_t)after));
    cb_doc f = cb_encode(filter);
    ota_buf out = {NULL, 0};
    int rc = ota_campaign_vehicles(db, campaign_id, f.data, f.len, &out);
    cb_free(&f);
    expect_ok(db, rc, "ota_campaign_vehicles");
    count(K_PAGES, 1);
    cbor_item_t *doc = load(&out);
    ota_buf_free(&out);
    cbor_item_t *r = map_get(doc, "rows"), *next = map_get(doc, "next");
    rows += r && cbor_isa_array(r) ? (int64_t)cbor_array_size(r) : 0;
    after = uint_of(next);
    if (doc) cbor_decref(&doc);
    if (rc != OTA_OK || after < 0) break;
  }
  if (rows != N_CAMP) fail("campaign vehicles: %lld rows over the pages, not %d", (long long)rows, N_CAMP);
}

static void *stats_thread(void *arg) {
  (void)arg;
  ota_db *db = open_worker();
  if (!db) return NULL;
  char vin[18];
  for (int i = 0; i == 0 || !atomic_load(&stop_readers); i++) {
    read_stats(db);
    if (i % 3 == 0) read_pages(db);
    ota_buf out = {NULL, 0};
    expect_ok(db, ota_campaign_get(db, campaign_id, &out), "ota_campaign_get");
    ota_buf_free(&out);
    expect_ok(db, ota_campaign_list(db, NULL, 0, &out), "ota_campaign_list");
    ota_buf_free(&out);
    camp_vin(vin, (i * 37) % N_CAMP);
    expect_ok(db, ota_vehicle_get(db, vin, &out), "ota_vehicle_get");
    ota_buf_free(&out);
    count(K_READS, 3);
    if (i % 10 == 5) {
      expect_ok(db, ota_fleet_export(db, now_read(), &out), "ota_fleet_export");
      ota_buf_free(&out);
      count(K_READS, 1);
    }
    pause_ms(200);
  }
  ota_close(db);
  return NULL;
}

static void *audit_thread(void *arg) {
  (void)arg;
  ota_db *db = open_worker();
  if (!db) return NULL;
  int64_t last = 0;
  for (int i = 0; i == 0 || !atomic_load(&stop_readers); i++) {
    int64_t entries = -1, bad = -1, seq = 0;
    int rc = ota_audit_verify(db, &entries, &bad);
    expect_ok(db, rc, "ota_audit_verify");
    count(K_VERIFY, 1);
    if (rc == OTA_OK && (bad != 0 || entries < last)) fail("audit: %lld entries after %lld, first bad %lld", (long long)entries, (long long)last, (long long)bad);
    last = entries;
    uint8_t hash[32];
    expect_ok(db, ota_audit_head(db, &seq, hash), "ota_audit_head");
    if (seq < entries) fail("audit head %lld behind %lld verified entries", (long long)seq, (long long)entries);
    ota_buf out = {NULL, 0};
    expect_ok(db, ota_audit_list(db, seq > 5 ? seq - 5 : 0, 5, &out), "ota_audit_list");
    ota_buf_free(&out);
    count(K_READS, 2);
    pause_ms(200);
  }
  ota_close(db);
  return NULL;
}

/* The drainer: every fetched message is checked (a COSE_Sign1 by the signing key, or an
 * empty retained clear); acknowledged ids are remembered, and an id fetched again after its
 * acknowledgement is a failure (it would be a lost message for a host that acknowledges
 * twice, which ota.h calls harmless). */
typedef struct { uint8_t *acked; size_t cap; long offers, events, clears; } drain_state;

static int drain_once(ota_db *db, drain_state *d, const uint8_t pk[32]) {
  ota_buf out = {NULL, 0};
  int rc = ota_outbox_fetch(db, 100, &out);
  expect_ok(db, rc, "ota_outbox_fetch");
  count(K_FETCH, 1);
  cbor_item_t *list = load(&out);
  ota_buf_free(&out);
  if (!list || !cbor_isa_array(list)) { if (list) cbor_decref(&list); if (rc == OTA_OK) fail("outbox fetch: not an array"); return 0; }
  size_t n = cbor_array_size(list);
  int64_t ids[100];
  for (size_t i = 0; i < n && i < 100; i++) {
    cbor_item_t *m = cbor_array_handle(list)[i];
    cbor_item_t **f = cbor_isa_array(m) && cbor_array_size(m) == 4 ? cbor_array_handle(m) : NULL;
    if (!f || !cbor_isa_uint(f[0]) || !cbor_isa_string(f[1]) || !cbor_isa_bytestring(f[2])) { fail("outbox: malformed message"); ids[i] = 0; continue; }
    int64_t id = (int64_t)cbor_get_int(f[0]);
    ids[i] = id;
    if ((size_t)id >= d->cap) {
      size_t cap = d->cap ? d->cap : 1024;
      while (cap <= (size_t)id) cap *= 2;
      d->acked = (uint8_t *)realloc(d->acked, cap);
      memset(d->acked + d->cap, 0, cap - d->cap);
      d->cap = cap;
    }
    if (d->acked[id]) fail("outbox: message id %lld fetched again after it was acknowledged (ids are reused)", (long long)id);
    int retain = cbor_isa_float_ctrl(f[3]) && cbor_get_bool(f[3]);
    if (cbor_bytestring_length(f[2]) == 0) {
      d->clears++;
      if (!retain) fail("outbox: empty message %lld not retained", (long long)id);
    } else if (!cose_verifies(f[2], pk)) {
      fail("outbox: message %lld does not verify", (long long)id);
    } else if (cbor_string_length(f[1]) > 16 && memcmp(cbor_string_handle(f[1]), "ota/v1/vehicles/", 16) == 0) {
      d->offers++;
    } else {
      d->events++;
    }
  }
  cbor_decref(&list);
  if (n == 0) return 0;
  RETRY(rc, db, ota_outbox_ack(db, ids, n));
  expect_ok(db, rc, "ota_outbox_ack");
  if (rc == OTA_OK) {
    for (size_t i = 0; i < n; i++) d->acked[ids[i]] = 1;
    count(K_ACK, 1);
    count(K_MESSAGES, (long)n);
  }
  return (int)n;
}

static drain_state drained;
static uint8_t signing_pk[32];

static void *drain_thread(void *arg) {
  (void)arg;
  ota_db *db = open_worker();
  if (!db) return NULL;
  for (int i = 0; i == 0 || !atomic_load(&stop_readers); i++)
    if (drain_once(db, &drained, signing_pk) == 0) pause_ms(15);
  ota_close(db);
  return NULL;
}

/* --- resolvers ------------------------------------------------------------------------- */

static cb_doc resolve_snapshot;
static cb_doc rules[N_RULES];
static ota_buf references[N_RULES];

static const char *const table[] = {"A", "B", "C", "base", "sport", "petrol", "electric", "DE", "FR", "SE",
                                    "BCM", "TCU", "DCM", "H1", "H2", "T1", "D1", "1.0", "1.1", "2.0", "3.0", "3.1"};
enum { S_A, S_B, S_C, S_BASE, S_SPORT, S_PETROL, S_ELECTRIC, S_DE, S_FR, S_SE, S_BCM, S_TCU, S_DCM,
       S_H1, S_H2, S_T1, S_D1, S_10, S_11, S_20, S_30, S_31, S_TABLE };

static void resolve_vin(char out[18], int i) { snprintf(out, 18, "WDD2050%010d", i); }

static cbor_item_t *ecu(int node, int hw, int sw) { return cb_array(3, cb_uint(node), cb_uint(hw), cb_uint(sw)); }

/* N_RESOLVE vehicles over the string table: models, markets, ECUs and attributes vary. */
static cb_doc build_resolve_snapshot(void) {
  cbor_item_t *t = cb_array_of(S_TABLE), *v = cb_array_of(N_RESOLVE);
  for (int i = 0; i < S_TABLE; i++) cb_push(t, cb_text(table[i]));
  for (int i = 0; i < N_RESOLVE; i++) {
    char vin[18];
    resolve_vin(vin, i);
    int doors = i % 4 == 0 ? 2 : 1;
    cbor_item_t *ecus = cb_array_of((size_t)(2 + doors));
    cb_push(ecus, ecu(S_BCM, i % 3 ? S_H1 : S_H2, i % 5 == 0 ? S_20 : i % 2 ? S_10 : S_11));
    cb_push(ecus, ecu(S_TCU, S_T1, i % 7 ? S_30 : S_31));
    for (int d = 0; d < doors; d++) cb_push(ecus, ecu(S_DCM, S_D1, S_10));
    cbor_item_t *attrs = cb_map(2, cb_text("tow"), cb_bool(i % 3 == 0), cb_text("year"), cb_uint(2018 + (uint64_t)(i % 6)));
    cb_push(v, cb_array(10, cb_text(vin), cb_uint(S_A + (uint64_t)(i % 3)), cb_uint(i % 2 ? S_BASE : S_SPORT),
                        cb_uint(i % 4 ? S_PETROL : S_ELECTRIC), cb_uint(S_DE + (uint64_t)(i % 3)),
                        cb_uint(1600000000u + (uint64_t)i * 86400u), ecus, cb_null(), cb_null(), attrs));
  }
  return cb_encode(cb_map(4, cb_uint(0), cb_uint(1), cb_uint(1), cb_uint(NOW), cb_uint(2), t, cb_uint(3), v));
}

static void build_rules(void) {
  rules[0] = cb_encode(cb_map(4, cb_text("ecu"), cb_text("BCM"), cb_text("hw"), cb_array(1, cb_text("H1")),
                              cb_text("from"), cb_array(2, cb_text("1.0"), cb_text("1.1")), cb_text("to"), cb_text("2.0")));
  rules[1] = cb_encode(cb_map(4, cb_text("ecu"), cb_text("TCU"), cb_text("models"), cb_array(2, cb_text("A"), cb_text("B")),
                              cb_text("markets"), cb_array(1, cb_text("DE")),
                              cb_text("requires"), cb_array(1, cb_array(2, cb_text("BCM"), cb_array(1, cb_text("1.0"))))));
  rules[2] = cb_encode(cb_map(3, cb_text("ecu"), cb_text("DCM"), cb_text("attributes"), cb_map(1, cb_text("tow"), cb_bool(1)),
                              cb_text("produced"), cb_array(2, cb_uint(1600000000u), cb_uint(1600000000u + 900u * 86400u))));
  char v1[18], v2[18], v3[18];
  resolve_vin(v1, 10); resolve_vin(v2, 11); resolve_vin(v3, 12);
  rules[3] = cb_encode(cb_map(3, cb_text("ecu"), cb_text("BCM"), cb_text("vins"), cb_array(3, cb_text(v1), cb_text(v2), cb_text(v3)),
                              cb_text("exclude-vins"), cb_array(1, cb_text(v2))));
}

static void *resolve_thread(void *arg) {
  int index = (int)(intptr_t)arg;
  static const uint8_t bad_rule[] = {0xa1, 0x63, 'e', 'c', 'u', 0x01}; /* {"ecu": 1} */
  for (int round = 0; round < RESOLVE_ROUNDS || !atomic_load(&stop_readers); round++) {
    for (int r = 0; r < N_RULES; r++) {
      ota_buf out = {NULL, 0};
      int by_file = (round + r + index) % 2;
      int rc = by_file ? ota_resolve_file(FLEET_FILE, rules[r].data, rules[r].len, &out)
                       : ota_resolve(resolve_snapshot.data, resolve_snapshot.len, rules[r].data, rules[r].len, &out);
      expect_ok(NULL, rc, by_file ? "ota_resolve_file" : "ota_resolve");
      count(K_RESOLVE, 1);
      if (rc == OTA_OK && (out.len != references[r].len || memcmp(out.data, references[r].data, out.len) != 0))
        fail("resolver %d, rule %d (%s): result differs from the single-threaded one", index, r, by_file ? "file" : "buffer");
      ota_buf_free(&out);
    }
    /* the thread's own message, whatever the other threads fail with meanwhile */
    ota_buf out = {NULL, 0};
    int rc = ota_resolve(resolve_snapshot.data, resolve_snapshot.len, bad_rule, sizeof bad_rule, &out);
    if (rc != OTA_BADINPUT || !strstr(ota_last_errmsg(), "ecu")) fail("resolver %d: bad rule gave %s: %s", index, ota_code_name(rc), ota_last_errmsg());
    count(K_RESOLVE, 1);
    if (round > 1000) break;
    pause_ms(300);
  }
  return NULL;
}

/* --- setup and the checks afterwards --------------------------------------------------- */

static void setup(void) {
  unlink(STORE); unlink(STORE "-wal"); unlink(STORE "-shm");
  ota_open_options o = OTA_OPEN_OPTIONS_INIT;
  o.bootstrap_admin = "root";
  o.now = NOW - 200;
  ota_db *db = NULL;
  CHECK(ota_open_ex(STORE, &o, &db) == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "eve", "engineer") == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "ann", "approver") == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "cam", "campaign-manager") == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "gw", "gateway") == OTA_OK);
  CHECK(ota_set_signing_key(db, SEED, "k1") == OTA_OK);
  CHECK(ota_signing_public_key(db, signing_pk) == OTA_OK);

  enc e;
  ota_buf out = {NULL, 0};
  CHECK(ota_fleet_import(db, "eve", NOW, e.b, snapshot(&e), NULL, NULL, NULL) == OTA_OK); /* VIN1, VIN2 */
  cb_doc snap = fleet(NOW - 100, N_CAMP, 0, 0);
  CHECK(ota_fleet_import(db, "eve", NOW, snap.data, snap.len, NULL, NULL, &out) == OTA_OK);
  ota_buf_free(&out);
  cb_free(&snap);

  int64_t package = release_package(db, &e, "bcm.bin");
  CHECK(package > 0);

  cbor_item_t *vins = cb_array_of(N_CAMP);
  char vin[18];
  for (int i = 0; i < N_CAMP; i++) { camp_vin(vin, i); cb_push(vins, cb_text(vin)); }
  cb_doc v = cb_encode(vins);
  CHECK(ota_test_fleet_add(db, "eve", NOW, v.data, v.len) == OTA_OK);
  cb_free(&v);

  CHECK(ota_campaign_create(db, "cam", NOW, e.b, spec(&e, package), &campaign_id) == OTA_OK);
  CHECK(ota_campaign_approve(db, "ann", NOW, campaign_id) == OTA_OK);
  CHECK(ota_campaign_start(db, "cam", NOW, campaign_id) == OTA_OK);
  CHECK(ota_campaign_step(db, "cam", NOW, campaign_id, &out) == OTA_OK);
  ota_buf_free(&out);
  CHECK(ota_close(db) == OTA_OK);
}

static int64_t sql_int(sqlite3 *s, const char *sql) {
  sqlite3_stmt *st = NULL;
  int64_t v = -1;
  if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) != SQLITE_OK) { fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(s)); return -1; }
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* The counters the statistics read, recounted from the target rows (as
 * CampaignCounters.recount does in the Swift tests); the time-to-success buckets as a total,
 * which counts every success (one without an offer as 0 s). */
static const char recount_sql[] =
  "WITH t AS (SELECT * FROM targets WHERE campaign_id = ?1),"
  " r(dim, key, sub, n) AS ("
  "  SELECT 'state', '', state, count(*) FROM t GROUP BY state"
  "  UNION ALL SELECT 'final', '', '', count(*) FROM t WHERE final <> 0 GROUP BY campaign_id"
  "  UNION ALL SELECT 'wave-final', CAST(wave AS TEXT), state, count(*) FROM t WHERE final <> 0 GROUP BY wave, state"
  "  UNION ALL SELECT 'wave', CAST(wave AS TEXT), state, count(*) FROM t GROUP BY wave, state"
  "  UNION ALL SELECT 'market', market, state, count(*) FROM t GROUP BY market, state"
  "  UNION ALL SELECT 'region', region, state, count(*) FROM t WHERE region IS NOT NULL GROUP BY region, state"
  "  UNION ALL SELECT 'model', model || '/' || variant, state, count(*) FROM t GROUP BY model, variant, state"
  "  UNION ALL SELECT 'failure', coalesce(reason, 'other'), coalesce(CAST(code AS TEXT), ''), count(*) FROM t"
  "    WHERE state = 'failed' GROUP BY 2, 3"
  "  UNION ALL SELECT 'tts-total', '', '', count(*) FROM t WHERE state = 'succeeded' GROUP BY campaign_id),"
  " s(dim, key, sub, n) AS ("
  "  SELECT dim, key, sub, n FROM campaign_counts WHERE campaign_id = ?1 AND n <> 0 AND dim <> 'tts'"
  "  UNION ALL SELECT 'tts-total', '', '', sum(n) FROM campaign_counts WHERE campaign_id = ?1 AND dim = 'tts'"
  "    GROUP BY campaign_id HAVING sum(n) <> 0)"
  " SELECT 'stored', * FROM (SELECT * FROM s EXCEPT SELECT * FROM r)"
  " UNION ALL SELECT 'recount', * FROM (SELECT * FROM r EXCEPT SELECT * FROM s)";

static void check_counters(sqlite3 *s) {
  sqlite3_stmt *st = NULL;
  CHECK(sqlite3_prepare_v2(s, recount_sql, -1, &st, NULL) == SQLITE_OK);
  sqlite3_bind_int64(st, 1, campaign_id);
  int mismatches = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    fprintf(stderr, "counter only in %s: %s/%s/%s = %lld\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
            sqlite3_column_text(st, 2), sqlite3_column_text(st, 3), (long long)sqlite3_column_int64(st, 4));
    mismatches++;
  }
  sqlite3_finalize(st);
  CHECK(mismatches == 0);
}

/* Every planned report (threads and children retry until it is taken) is stored exactly
 * once, byte for byte, and nothing else is. */
static void check_reports(sqlite3 *s, long planned_total) {
  CHECK(sqlite3_exec(s, "CREATE TEMP TABLE expected(topic TEXT, report BLOB, PRIMARY KEY(topic, report))", NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_stmt *st = NULL;
  CHECK(sqlite3_prepare_v2(s, "INSERT INTO expected VALUES(?, ?)", -1, &st, NULL) == SQLITE_OK);
  enc e;
  char topic[64];
  long n = 0;
  for (int i = 0; i < N_CAMP; i++)
    for (int pass = 0; pass < PASSES; pass++) {
      if (!report(&e, i, pass)) continue;
      status_topic(topic, i);
      sqlite3_bind_text(st, 1, topic, -1, SQLITE_TRANSIENT);
      sqlite3_bind_blob(st, 2, e.b, (int)e.n, SQLITE_TRANSIENT);
      CHECK(sqlite3_step(st) == SQLITE_DONE);
      sqlite3_reset(st);
      n++;
    }
  sqlite3_finalize(st);
  CHECK(n == planned_total);
  CHECK(sql_int(s, "SELECT count(*) FROM status_reports") == n);
  CHECK(sql_int(s, "SELECT count(*) FROM status_reports JOIN expected USING(topic, report)") == n);
  CHECK(sql_int(s, "SELECT count(*) FROM (SELECT 1 FROM status_reports GROUP BY topic, report HAVING count(*) > 1)") == 0);
}

static void print_outcomes(sqlite3 *s) {
  sqlite3_stmt *st = NULL;
  printf("  report outcomes:");
  if (sqlite3_prepare_v2(s, "SELECT result || coalesce('/' || reason, ''), count(*) FROM status_reports GROUP BY 1 ORDER BY 1", -1, &st, NULL) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW) printf(" %s %lld", sqlite3_column_text(st, 0), (long long)sqlite3_column_int64(st, 1));
  sqlite3_finalize(st);
  printf("\n  target states:");
  if (sqlite3_prepare_v2(s, "SELECT state, count(*) FROM targets GROUP BY 1 ORDER BY 1", -1, &st, NULL) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW) printf(" %s %lld", sqlite3_column_text(st, 0), (long long)sqlite3_column_int64(st, 1));
  sqlite3_finalize(st);
  printf("\n");
}

static void check_store(long ingest_calls, long planned_total) {
  sqlite3 *s = NULL;
  CHECK(sqlite3_open_v2(STORE, &s, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
  sqlite3_stmt *st = NULL;
  CHECK(sqlite3_prepare_v2(s, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK);
  CHECK(sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0);
  sqlite3_finalize(st);
  check_reports(s, planned_total);
  check_counters(s);
  /* one audit entry per committed ingestion call and import; none from a call that failed */
  CHECK(sql_int(s, "SELECT count(*) FROM audit WHERE action = 'status.ingest'") == ingest_calls);
  CHECK(sql_int(s, "SELECT count(*) FROM audit WHERE action = 'fleet.import'") == 2 + atomic_load(&imports_ok));
  /* the inventory agrees with the targets: BCM 2.0 exactly where an install was verified */
  CHECK(sql_int(s, "SELECT count(*) FROM targets t JOIN target_ecus te ON te.target_id = t.id JOIN ecus e ON e.id = te.ecu_id"
                   " WHERE (t.state = 'succeeded') <> (e.sw = '2.0')") == 0);
  CHECK(sql_int(s, "SELECT count(*) FROM targets WHERE state = 'succeeded'") > 0);
  /* every extra vehicle's ABS has one history row per import round */
  CHECK(sql_int(s, "SELECT count(*) FROM vehicles") == 2 + N_CAMP + N_EXTRA);
  CHECK(atomic_load(&imports_ok) == ROUNDS);
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT e.id FROM ecus e JOIN ecu_history h ON h.ecu_id = e.id"
                            " WHERE e.node = 'ABS' GROUP BY e.id HAVING count(*) = %d)", ROUNDS);
  CHECK(sql_int(s, sql) == N_EXTRA);
  CHECK(sql_int(s, "SELECT count(*) FROM outbox") == 0);
  print_outcomes(s);
  sqlite3_close(s);
}

static long planned_reports(void) {
  long n = 0;
  for (int i = 0; i < N_CAMP; i++)
    for (int pass = 0; pass < PASSES; pass++) n += planned(i, pass) != NULL;
  return n;
}

int main(int argc, char **argv) {
  if (sodium_init() < 0) return 2;
  if (argc == 5 && strcmp(argv[1], "child") == 0) {
    campaign_id = 1;
    return child_main(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);

  setup();
  if (check_failed) return check_report("test_concurrency");
  if (campaign_id != 1) { fprintf(stderr, "the children assume campaign 1, not %lld\n", (long long)campaign_id); return 1; }
  int fd = open(SHARED, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CHECK(fd >= 0 && ftruncate(fd, sizeof *shared) == 0);
  shared = (shared_t *)mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(shared != MAP_FAILED);
  if (shared == MAP_FAILED) return 1;
  close(fd);
  atomic_store(&shared->clock, NOW);
  atomic_store(&shared->ingest_done, 0);

  /* the resolvers' snapshot (in memory and as a file) and the single-threaded references */
  resolve_snapshot = build_resolve_snapshot();
  build_rules();
  for (int r = 0; r < N_RULES; r++)
    CHECK(ota_resolve(resolve_snapshot.data, resolve_snapshot.len, rules[r].data, rules[r].len, &references[r]) == OTA_OK);
  FILE *ff = fopen(FLEET_FILE, "wb");
  CHECK(ff && fwrite(resolve_snapshot.data, 1, resolve_snapshot.len, ff) == resolve_snapshot.len);
  if (ff) fclose(ff);

  /* children first, while this process has one thread; they wait for the GO pipe to close */
  int go[2], results[CHILDREN][2];
  pid_t pids[CHILDREN];
  CHECK(pipe(go) == 0);
  for (int c = 0; c < CHILDREN; c++) {
    CHECK(pipe(results[c]) == 0);
    pids[c] = fork();
    if (pids[c] == 0) {
      char index[16], gofd[16], resfd[16];
      snprintf(index, sizeof index, "%d", c);
      snprintf(gofd, sizeof gofd, "%d", go[0]);
      snprintf(resfd, sizeof resfd, "%d", results[c][1]);
      close(go[1]);
      char *args[] = {argv[0], (char *)"child", index, gofd, resfd, NULL};
      execv("/proc/self/exe", args);
      _exit(127);
    }
    close(results[c][1]);
  }
  close(go[0]);

  pthread_t threads[32];
  int nthreads = 0;
  ingest_job jobs[SINGLE_THREADS + BATCH_THREADS];
  for (int j = 0; j < SINGLE_THREADS + BATCH_THREADS; j++) {
    jobs[j].first = j * PER_WORKER;
    jobs[j].n = PER_WORKER;
    jobs[j].batch = j >= SINGLE_THREADS;
    pthread_create(&threads[nthreads++], NULL, ingest_thread, &jobs[j]);
  }
  pthread_create(&threads[nthreads++], NULL, step_thread, NULL);
  pthread_create(&threads[nthreads++], NULL, import_thread, NULL);
  pthread_t readers[8 + RESOLVERS];
  int nreaders = 0;
  pthread_create(&readers[nreaders++], NULL, stats_thread, NULL);
  pthread_create(&readers[nreaders++], NULL, audit_thread, NULL);
  pthread_create(&readers[nreaders++], NULL, drain_thread, NULL);
  for (int r = 0; r < RESOLVERS; r++) pthread_create(&readers[nreaders++], NULL, resolve_thread, (void *)(intptr_t)r);
  close(go[1]); /* the children start */

  child_result child[CHILDREN];
  for (int c = 0; c < CHILDREN; c++) {
    memset(&child[c], 0, sizeof child[c]);
    ssize_t got = read(results[c][0], &child[c], sizeof child[c]);
    close(results[c][0]);
    int status = 0;
    CHECK(waitpid(pids[c], &status, 0) == pids[c]);
    if (got != (ssize_t)sizeof child[c] || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "child %d: exit status %d, %zd bytes of results\n", c, WIFEXITED(status) ? WEXITSTATUS(status) : -1, got);
      CHECK(0);
    }
  }
  for (int t = 0; t < nthreads; t++) pthread_join(threads[t], NULL);
  atomic_store(&stop_readers, 1);
  for (int t = 0; t < nreaders; t++) pthread_join(readers[t], NULL);
  double concurrent = seconds_since(&t0);

  /* what is left in the outbox, then the audit chain */
  ota_db *db = open_worker();
  CHECK(db != NULL);
  while (db && drain_once(db, &drained, signing_pk) > 0) {}
  int64_t entries = 0, bad = -1;
  CHECK(db && ota_audit_verify(db, &entries, &bad) == OTA_OK && bad == 0);
  ota_close(db);
  free(drained.acked);

  long total[K_KINDS];
  for (int k = 0; k < K_KINDS; k++) {
    total[k] = atomic_load(&counts[k]);
    for (int c = 0; c < CHILDREN; c++) total[k] += child[c].counts[k];
  }
  CHECK(total[K_REPORTS] == planned_reports());
  check_store(total[K_INGEST] + total[K_BATCH], planned_reports());
  CHECK(atomic_load(&failures) == 0);

  printf("test_concurrency: %d threads and %d processes with their own handles on one store, %.1f s\n",
         nthreads + nreaders + 1, CHILDREN, concurrent);
  for (int k = 0; k < K_KINDS; k++) {
    long in_children = 0;
    for (int c = 0; c < CHILDREN; c++) in_children += child[c].counts[k];
    printf("  %-58s %7ld%s", kind_names[k], total[k], in_children ? "" : "\n");
    if (in_children) printf("  (%ld in the child processes)\n", in_children);
  }
  printf("  import progress callbacks %ld; messages: %ld offers/reminders/cancels, %ld events, %ld clears; audit entries %lld\n",
         atomic_load(&progress_calls), drained.offers, drained.events, drained.clears, (long long)entries);
  for (int r = 0; r < N_RULES; r++) ota_buf_free(&references[r]);
  for (int r = 0; r < N_RULES; r++) cb_free(&rules[r]);
  cb_free(&resolve_snapshot);
  return check_report("test_concurrency");
}
