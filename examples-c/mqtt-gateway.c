/* mqtt-gateway: connects a libota store to vehicles over an MQTT 5 broker (docs/gateway.md).
 *
 *   mqtt-gateway --broker HOST:PORT --db FILE --actor NAME --signing-seed FILE [--kid KID]
 *                [--client-id ID] [--batch N] [--step-interval S] [options, see usage()]
 *
 * - Outbox -> MQTT: what ota_outbox_fetch returns is published with QoS 1 (retained on the
 *   vehicles' campaign topics, an empty payload retained clears), and ota_outbox_ack is called
 *   for a message only once the broker has acknowledged it (PUBACK, on_publish).
 * - MQTT -> store: `$share/<group>/ota/v1/vehicles/+/status` (a shared subscription: several
 *   gateways split the reports) is ingested in batches with ota_status_ingest_batch. A
 *   report's PUBACK leaves this process only after the batch holding it is committed (see
 *   "Acknowledging reports" below), so a gateway killed at any moment loses no report.
 * - Campaigns are stepped (ota_campaign_step, id 0) at the step's `next-due`, and at least
 *   every --step-interval seconds. One gateway per store does the outbox and the steps: the
 *   holder of an exclusive lock on FILE.gateway-lock (the others take over when it dies).
 * - Reconnects with exponential backoff, each time with a fresh libmosquitto client (nothing of
 *   the previous connection is sent again); SIGTERM/SIGINT stop it cleanly. A store error that
 *   retrying cannot cure (the gateway role revoked, a corrupt store) stops it with exit code 3,
 *   without acknowledging the reports it holds.
 *
 * Time: `now` is the wall clock, time(NULL). C99, libmosquitto 2.x, libcbor, libota. */
#define _POSIX_C_SOURCE 200809L

#include <cbor.h>
#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ota.h"

#define STATUS_FILTER "ota/v1/vehicles/+/status"
#define CAMPAIGN_TOPIC_PREFIX "ota/v1/vehicles/"

/* ------------------------------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------------------------- */

typedef struct options {
  char host[256];
  int port;
  const char *db, *actor, *seed_file, *kid, *client_id, *group;
  long batch, batch_ms, step_interval, inflight, keepalive, session_expiry, outbox_ms;
  int verbose;
} options;

static void usage(FILE *f) {
  fputs("usage: mqtt-gateway --broker HOST:PORT --db FILE --actor NAME --signing-seed FILE\n"
        "                    [--kid KID] [--client-id ID] [--batch N] [--step-interval S]\n"
        "                    [--batch-ms MS] [--inflight N] [--outbox-ms MS] [--keepalive S]\n"
        "                    [--session-expiry S] [--share-group NAME] [--verbose]\n"
        "  --broker          the MQTT 5 broker (HOST may be [v6-address])\n"
        "  --db              the libota store (must exist)\n"
        "  --actor           the identity this gateway acts as (role gateway and\n"
        "                    campaign-manager: it ingests, drains the outbox and steps)\n"
        "  --signing-seed    file with the 32-byte Ed25519 seed that signs messages\n"
        "                    (raw, or as 64 hex digits)\n"
        "  --kid             key id in the COSE_Sign1 headers (default: gateway)\n"
        "  --client-id       MQTT client id: unique per gateway, stable across restarts\n"
        "                    (its broker session keeps its share of reports while it is\n"
        "                    down); default: libota-gw-HOSTNAME\n"
        "  --batch           reports per ingestion batch (default 100)\n"
        "  --batch-ms        longest a report waits for its batch (default 50)\n"
        "  --step-interval   step at least every S seconds (default 10)\n"
        "  --inflight        outbox messages published and not yet acknowledged (default 100)\n"
        "  --outbox-ms       how often the outbox is polled (default 200)\n"
        "  --keepalive       MQTT keepalive seconds (default 30)\n"
        "  --session-expiry  seconds the broker keeps this gateway's session while it is\n"
        "                    disconnected (default 86400; a clean stop ends it at once)\n"
        "  --share-group     shared subscription group (default libota)\n",
        f);
}

static bool parse_long(const char *s, long lo, long hi, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) return false;
  *out = v;
  return true;
}

static bool parse_broker(const char *s, options *o) {
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s) return false;
  const char *h = s, *he = colon;
  if (*h == '[') { /* [::1]:1883 */
    if (he[-1] != ']') return false;
    h++, he--;
  }
  size_t n = (size_t)(he - h);
  if (n == 0 || n >= sizeof o->host) return false;
  memcpy(o->host, h, n);
  o->host[n] = 0;
  long port;
  if (!parse_long(colon + 1, 1, 65535, &port)) return false;
  o->port = (int)port;
  return true;
}

static int parse_options(int argc, char **argv, options *o) {
  static char default_id[300];
  memset(o, 0, sizeof *o);
  o->kid = "gateway";
  o->group = "libota";
  o->batch = 100, o->batch_ms = 50, o->step_interval = 10, o->inflight = 100;
  o->keepalive = 30, o->session_expiry = 86400, o->outbox_ms = 200;
  bool broker = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); exit(0); }
    if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) { o->verbose = 1; continue; }
    if (i + 1 >= argc) { fprintf(stderr, "mqtt-gateway: %s needs a value\n", a); return 2; }
    const char *v = argv[++i];
    bool ok = true;
    if (!strcmp(a, "--broker")) ok = broker = parse_broker(v, o);
    else if (!strcmp(a, "--db")) o->db = v;
    else if (!strcmp(a, "--actor")) o->actor = v;
    else if (!strcmp(a, "--signing-seed")) o->seed_file = v;
    else if (!strcmp(a, "--kid")) o->kid = v;
    else if (!strcmp(a, "--client-id")) o->client_id = v;
    else if (!strcmp(a, "--share-group")) o->group = v;
    else if (!strcmp(a, "--batch")) ok = parse_long(v, 1, 10000, &o->batch);
    else if (!strcmp(a, "--batch-ms")) ok = parse_long(v, 1, 60000, &o->batch_ms);
    else if (!strcmp(a, "--step-interval")) ok = parse_long(v, 1, 86400, &o->step_interval);
    else if (!strcmp(a, "--inflight")) ok = parse_long(v, 1, 10000, &o->inflight);
    else if (!strcmp(a, "--outbox-ms")) ok = parse_long(v, 10, 60000, &o->outbox_ms);
    else if (!strcmp(a, "--keepalive")) ok = parse_long(v, 5, 65535, &o->keepalive);
    else if (!strcmp(a, "--session-expiry")) ok = parse_long(v, 0, 0x7fffffffL, &o->session_expiry);
    else { fprintf(stderr, "mqtt-gateway: unknown option %s (see --help)\n", a); return 2; }
    if (!ok) { fprintf(stderr, "mqtt-gateway: bad value for %s: %s\n", a, v); return 2; }
  }
  if (!broker || !o->db || !o->actor || !o->seed_file) {
    fputs("mqtt-gateway: --broker, --db, --actor and --signing-seed are required\n", stderr);
    usage(stderr);
    return 2;
  }
  if (!o->client_id) {
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(default_id, sizeof default_id, "libota-gw-%s", host);
    o->client_id = default_id;
  }
  return 0;
}

/* ------------------------------------------------------------------------------------------
 * Logging, clocks, signals
 * ---------------------------------------------------------------------------------------- */

static const char *g_id = "mqtt-gateway";
static int g_verbose;

static void logf_(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "[%s %lld] ", g_id, (long long)time(NULL));
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}
#define VLOG(...) do { if (g_verbose) logf_(__VA_ARGS__); } while (0)

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

static void install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

/* ------------------------------------------------------------------------------------------
 * CBOR helpers: a growing buffer for libcbor's encoders, and map lookups
 * ---------------------------------------------------------------------------------------- */

typedef struct bytes {
  unsigned char *data;
  size_t len, cap;
} bytes;

static bool bytes_room(bytes *b, size_t n) {
  if (b->len + n <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + n) cap *= 2;
  unsigned char *p = realloc(b->data, cap);
  if (!p) return false;
  b->data = p, b->cap = cap;
  return true;
}

static bool bytes_put(bytes *b, const void *p, size_t n) {
  if (!bytes_room(b, n)) return false;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  return true;
}

/* The head of a CBOR array, text or byte string (9 bytes at most), then the content. */
static bool cbor_head_array(bytes *b, size_t n) {
  if (!bytes_room(b, 9)) return false;
  b->len += cbor_encode_array_start(n, b->data + b->len, 9);
  return true;
}
static bool cbor_text(bytes *b, const char *s, size_t n) {
  if (!bytes_room(b, 9)) return false;
  b->len += cbor_encode_string_start(n, b->data + b->len, 9);
  return bytes_put(b, s, n);
}
static bool cbor_bstr(bytes *b, const void *p, size_t n) {
  if (!bytes_room(b, 9)) return false;
  b->len += cbor_encode_bytestring_start(n, b->data + b->len, 9);
  return bytes_put(b, p, n);
}

/* The value under a text key of a CBOR map, or NULL (borrowed from the map). */
static cbor_item_t *map_get(const cbor_item_t *map, const char *key) {
  if (!map || !cbor_isa_map(map)) return NULL;
  size_t n = cbor_map_size(map), kl = strlen(key);
  struct cbor_pair *pairs = cbor_map_handle(map);
  for (size_t i = 0; i < n; i++) {
    cbor_item_t *k = pairs[i].key;
    if (cbor_isa_string(k) && cbor_string_is_definite(k) && cbor_string_length(k) == kl &&
        !memcmp(cbor_string_handle(k), key, kl))
      return pairs[i].value;
  }
  return NULL;
}

/* An integer item as int64 (false if it is not one or does not fit). */
static bool item_int(const cbor_item_t *it, int64_t *out) {
  if (!it) return false;
  if (cbor_isa_uint(it)) {
    uint64_t v = cbor_get_int(it);
    if (v > INT64_MAX) return false;
    *out = (int64_t)v;
    return true;
  }
  if (cbor_isa_negint(it)) {
    uint64_t v = cbor_get_int(it);
    if (v > INT64_MAX) return false;
    *out = -1 - (int64_t)v;
    return true;
  }
  return false;
}

static bool item_is_null(const cbor_item_t *it) { return it && cbor_is_null(it); }

/* A definite text item as a malloc'ed NUL-terminated string (NULL if not text). */
static char *item_text(const cbor_item_t *it) {
  if (!it || !cbor_isa_string(it) || !cbor_string_is_definite(it)) return NULL;
  size_t n = cbor_string_length(it);
  char *s = malloc(n + 1);
  if (!s) return NULL;
  memcpy(s, cbor_string_handle(it), n);
  s[n] = 0;
  if (strlen(s) != n) { free(s); return NULL; } /* an embedded NUL is no MQTT topic */
  return s;
}

static cbor_item_t *cbor_parse(const ota_buf *b) {
  struct cbor_load_result res;
  if (!b->data || !b->len) return NULL;
  cbor_item_t *it = cbor_load(b->data, b->len, &res);
  if (it && res.read != b->len) { cbor_decref(&it); return NULL; }
  return it;
}

/* ------------------------------------------------------------------------------------------
 * The gateway's state
 * ---------------------------------------------------------------------------------------- */

typedef struct report {
  char *topic;
  unsigned char *payload;
  size_t len;
  bool in_session; /* the broker's session still has it: a resumed session sends it again */
} report;

typedef struct inflight {
  int mid;       /* MQTT message id of the publish */
  int64_t id;    /* outbox id */
} inflight;

typedef struct gateway {
  options opt;
  ota_db *db;
  struct mosquitto *mosq;

  /* connection */
  bool connected, subscribed, socket_open;
  int64_t next_connect_ms, backoff_ms;
  int unsub_mid;
  bool unsubscribed;

  /* reports received and not yet committed; `holding`: this connection has queued the PUBACK
   * of one of them, so nothing more is written to it until the batch is committed (see the
   * loop) */
  report *batch;
  size_t batch_n, batch_cap;
  int64_t batch_first_ms, ingest_retry_ms;
  bool holding;
  int fatal; /* an ota_* error that retrying cannot cure: stop at once (exit 3) */

  /* outbox messages published and not yet acknowledged by the broker */
  inflight *fl;
  size_t fl_n;
  int64_t *acks; /* acknowledged by the broker, not yet by ota_outbox_ack */
  size_t acks_n, acks_cap;
  int64_t next_fetch_ms;

  /* the lease: whoever holds it drains the outbox and steps */
  int lease_fd;
  bool leader;
  int64_t next_lease_ms;

  /* stepping */
  int64_t next_step_s; /* wall clock */
  int64_t step_retry_ms;

  /* counters for the exit line */
  long long published, outbox_acked, received, applied, duplicate, stale, rejected, steps;
} gateway;

static int64_t wall_now(void) { return (int64_t)time(NULL); }

/* ------------------------------------------------------------------------------------------
 * The lease (FILE.gateway-lock): one outbox drainer and stepper per store
 * ---------------------------------------------------------------------------------------- */

static void lease_try(gateway *g) {
  if (g->leader || g->lease_fd < 0) return;
  if (flock(g->lease_fd, LOCK_EX | LOCK_NB) == 0) {
    g->leader = true;
    g->next_step_s = 0; /* step at once: the previous holder may have died before its step */
    logf_("took the lease: draining the outbox and stepping campaigns");
  }
}

static void lease_release(gateway *g) {
  if (!g->leader) return;
  flock(g->lease_fd, LOCK_UN);
  g->leader = false;
  logf_("released the lease");
}

/* ------------------------------------------------------------------------------------------
 * Ingestion
 * ---------------------------------------------------------------------------------------- */

static void batch_clear(gateway *g) {
  for (size_t i = 0; i < g->batch_n; i++) {
    free(g->batch[i].topic);
    free(g->batch[i].payload);
  }
  g->batch_n = 0;
}

static bool batch_add(gateway *g, const char *topic, const void *payload, size_t len) {
  if (g->batch_n == g->batch_cap) {
    size_t cap = g->batch_cap ? g->batch_cap * 2 : 64;
    report *p = realloc(g->batch, cap * sizeof *p);
    if (!p) return false;
    g->batch = p, g->batch_cap = cap;
  }
  report *r = &g->batch[g->batch_n];
  r->topic = strdup(topic);
  r->payload = malloc(len ? len : 1);
  if (!r->topic || !r->payload) { free(r->topic); free(r->payload); return false; }
  if (len) memcpy(r->payload, payload, len);
  r->len = len;
  r->in_session = true;
  if (g->batch_n++ == 0) g->batch_first_ms = mono_ms();
  g->received++;
  return true;
}

static void count_results(gateway *g, const ota_buf *out, size_t expected) {
  cbor_item_t *doc = cbor_parse(out);
  if (!doc || !cbor_isa_array(doc) || cbor_array_size(doc) != expected) {
    logf_("ingest: unexpected result document (%zu bytes) for %zu reports", out->len, expected);
    if (doc) cbor_decref(&doc);
    return;
  }
  for (size_t i = 0; i < expected; i++) {
    cbor_item_t *r = cbor_array_get(doc, i);
    char *result = item_text(map_get(r, "result"));
    char *reason = item_text(map_get(r, "reason"));
    if (result && !strcmp(result, "applied")) g->applied++;
    else if (result && !strcmp(result, "duplicate")) g->duplicate++;
    else if (result && !strcmp(result, "stale")) g->stale++;
    else {
      g->rejected++;
      VLOG("ingest: %s rejected: %s", g->batch[i].topic, reason ? reason : "?");
    }
    free(result);
    free(reason);
    cbor_decref(&r);
  }
  cbor_decref(&doc);
}

/* Errors that pass: a busy or locked store (another writer), a full disk, out of memory. Any
 * other is permanent (OTA_DENIED: the role was revoked; OTA_CORRUPT; ...). */
static bool transient(const gateway *g, int rc) {
  if (rc == OTA_NOMEM) return true;
  if (rc != OTA_STORE) return false;
  int e = ota_store_errcode(g->db) & 0xff; /* SQLite's primary code */
  return e == 5 /* BUSY */ || e == 6 /* LOCKED */ || e == 7 /* NOMEM */ || e == 13 /* FULL */;
}

/* Ingests the batch's first n reports in one transaction and drops them from the batch. */
static int ingest_first(gateway *g, size_t n) {
  bytes doc = {0};
  bool ok = cbor_head_array(&doc, n);
  for (size_t i = 0; ok && i < n; i++)
    ok = cbor_head_array(&doc, 2) && cbor_text(&doc, g->batch[i].topic, strlen(g->batch[i].topic)) &&
         cbor_bstr(&doc, g->batch[i].payload, g->batch[i].len);
  if (!ok) {
    free(doc.data);
    return OTA_NOMEM;
  }
  ota_buf out = {0};
  int rc = ota_status_ingest_batch(g->db, g->opt.actor, wall_now(), doc.data, doc.len, &out);
  free(doc.data);
  if (rc == OTA_OK) {
    count_results(g, &out, n);
    VLOG("ingest: %zu reports committed", n);
    for (size_t i = 0; i < n; i++) {
      free(g->batch[i].topic);
      free(g->batch[i].payload);
    }
    g->batch_n -= n;
    memmove(g->batch, g->batch + n, g->batch_n * sizeof *g->batch);
  }
  ota_buf_free(&out);
  return rc;
}

/* Commits the batch, --batch reports per transaction at most. A transient failure keeps the
 * rest with its PUBACKs held and is retried: the broker sends no more than our receive
 * maximum meanwhile. OTA_BADINPUT for several reports is a batch too big for one call: it is
 * split. Any other failure is fatal (g->fatal): the reports stay unacknowledged, so the
 * broker delivers them again to this session, to a gateway that can store them. */
static void ingest_flush(gateway *g) {
  size_t chunk = (size_t)g->opt.batch;
  while (g->batch_n) {
    size_t n = g->batch_n < chunk ? g->batch_n : chunk;
    int rc = ingest_first(g, n);
    if (rc == OTA_OK) continue;
    if (rc == OTA_BADINPUT && n > 1) {
      logf_("ingest: %s for %zu reports: %s (trying %zu at a time)", ota_code_name(rc), n, ota_errmsg(g->db), n / 2);
      chunk = n / 2;
      continue;
    }
    if (transient(g, rc)) {
      logf_("ingest: %s: %s (%zu reports kept, retrying)", ota_code_name(rc),
            rc == OTA_NOMEM ? "out of memory" : ota_errmsg(g->db), g->batch_n);
      g->ingest_retry_ms = mono_ms() + 500;
      return;
    }
    logf_("ingest: %s: %s: not retried; stopping, %zu reports held stay unacknowledged (the broker "
          "keeps them for this client id)", ota_code_name(rc), ota_errmsg(g->db), g->batch_n);
    g->fatal = rc;
    return;
  }
  g->holding = false;
  g->ingest_retry_ms = 0;
}

static bool ingest_due(const gateway *g, int64_t now_ms) {
  if (!g->batch_n || g->fatal || now_ms < g->ingest_retry_ms) return false;
  return g->batch_n >= (size_t)g->opt.batch || now_ms - g->batch_first_ms >= g->opt.batch_ms || g_stop;
}

/* ------------------------------------------------------------------------------------------
 * The outbox
 * ---------------------------------------------------------------------------------------- */

/* Published and not yet deleted from the outbox: waiting for the broker's PUBACK, or
 * acknowledged by the broker and not yet by ota_outbox_ack (which failed, or comes later). */
static bool in_flight(const gateway *g, int64_t id) {
  for (size_t i = 0; i < g->fl_n; i++)
    if (g->fl[i].id == id) return true;
  for (size_t i = 0; i < g->acks_n; i++)
    if (g->acks[i] == id) return true;
  return false;
}

static void on_publish(struct mosquitto *m, void *ud, int mid, int reason, const mosquitto_property *p) {
  gateway *g = ud;
  (void)m, (void)p;
  for (size_t i = 0; i < g->fl_n; i++) {
    if (g->fl[i].mid != mid) continue;
    int64_t id = g->fl[i].id;
    g->fl[i] = g->fl[--g->fl_n];
    if (reason >= 0x80) { /* refused by the broker: published again by a later fetch */
      logf_("outbox %lld: broker refused it: %s", (long long)id, mosquitto_reason_string(reason));
      return;
    }
    if (g->acks_n == g->acks_cap) {
      size_t cap = g->acks_cap ? g->acks_cap * 2 : 128;
      int64_t *a = realloc(g->acks, cap * sizeof *a);
      if (!a) return; /* not acknowledged: it will be fetched and published again */
      g->acks = a, g->acks_cap = cap;
    }
    g->acks[g->acks_n++] = id;
    return;
  }
}

static void outbox_ack(gateway *g) {
  if (!g->acks_n) return;
  int rc = ota_outbox_ack(g->db, g->acks, g->acks_n);
  if (rc != OTA_OK) { /* kept: tried again after the next loop turn */
    logf_("outbox ack: %s: %s", ota_code_name(rc), ota_errmsg(g->db));
    return;
  }
  g->outbox_acked += (long long)g->acks_n;
  g->acks_n = 0;
}

/* Whether a 3-element outbox entry is retained: everything on a vehicle's campaign topic is
 * (the broker keeps the current offer; an empty payload clears it), events are not. */
static bool retained_topic(const char *topic) {
  if (strncmp(topic, CAMPAIGN_TOPIC_PREFIX, strlen(CAMPAIGN_TOPIC_PREFIX))) return false;
  const char *rest = strchr(topic + strlen(CAMPAIGN_TOPIC_PREFIX), '/');
  return rest && !strncmp(rest, "/campaigns/", 11);
}

/* Publishes pending outbox messages, oldest first, up to the in-flight window. Returns 1
 * when more may be waiting (something was published: fetch again soon; a fetch also stops
 * at about 16 MiB, so one with fewer than limit need not be the last), 0, or -1 on an
 * error. */
static int outbox_drain(gateway *g) {
  size_t window = (size_t)g->opt.inflight;
  if (g->fl_n > window / 2) return 0;
  size_t limit = window + g->fl_n + g->acks_n; /* those are fetched again and skipped */
  if (limit > 100000) limit = 100000;             /* ota_outbox_fetch's most */
  ota_buf out = {0};
  int rc = ota_outbox_fetch(g->db, (int64_t)limit, &out);
  if (rc != OTA_OK) {
    logf_("outbox fetch: %s: %s", ota_code_name(rc), ota_errmsg(g->db));
    ota_buf_free(&out);
    return -1;
  }
  cbor_item_t *doc = cbor_parse(&out);
  ota_buf_free(&out);
  if (!doc || !cbor_isa_array(doc)) {
    logf_("outbox fetch: not a CBOR array");
    if (doc) cbor_decref(&doc);
    return -1;
  }
  size_t n = cbor_array_size(doc), sent = 0;
  for (size_t i = 0; i < n && g->fl_n < window; i++) {
    cbor_item_t *e = cbor_array_get(doc, i);
    size_t k = cbor_isa_array(e) ? cbor_array_size(e) : 0;
    cbor_item_t *f[4] = {NULL, NULL, NULL, NULL};
    for (size_t j = 0; j < k && j < 4; j++) f[j] = cbor_array_get(e, j);
    int64_t id = 0;
    char *topic = NULL;
    if ((k == 3 || k == 4) && item_int(f[0], &id) && (topic = item_text(f[1])) != NULL &&
        cbor_isa_bytestring(f[2]) && cbor_bytestring_is_definite(f[2])) {
      bool retain = retained_topic(topic);
      if (k == 4) { /* the outbox says so itself: a bool (or 0/1) */
        int64_t r;
        if (cbor_is_bool(f[3])) retain = cbor_get_bool(f[3]);
        else if (item_int(f[3], &r)) retain = r != 0;
      }
      if (!in_flight(g, id)) {
        int mid = 0;
        size_t len = cbor_bytestring_length(f[2]);
        int prc = mosquitto_publish_v5(g->mosq, &mid, topic, (int)len, len ? cbor_bytestring_handle(f[2]) : NULL,
                                       1, retain, NULL);
        if (prc == MOSQ_ERR_SUCCESS) {
          g->fl[g->fl_n].mid = mid;
          g->fl[g->fl_n].id = id;
          g->fl_n++;
          g->published++;
          sent++;
        } else {
          logf_("publish %s: %s", topic, mosquitto_strerror(prc));
          i = n; /* stop: the connection is likely gone; the rest waits for the next fetch */
        }
      }
    } else {
      logf_("outbox fetch: entry %zu is not [id, topic, payload, ? retain]: skipped", i);
    }
    free(topic);
    for (size_t j = 0; j < 4; j++) if (f[j]) cbor_decref(&f[j]);
    cbor_decref(&e);
  }
  cbor_decref(&doc);
  if (sent) VLOG("outbox: published %zu (%zu in flight)", sent, g->fl_n);
  return sent ? 1 : 0; /* the next fetch tells whether more is waiting */
}

/* ------------------------------------------------------------------------------------------
 * Stepping
 * ---------------------------------------------------------------------------------------- */

static void step(gateway *g) {
  int64_t now = wall_now();
  ota_buf out = {0};
  int rc = ota_campaign_step(g->db, g->opt.actor, now, 0, &out);
  if (rc != OTA_OK) {
    logf_("step: %s: %s", ota_code_name(rc), ota_errmsg(g->db));
    ota_buf_free(&out);
    g->step_retry_ms = mono_ms() + 1000;
    g->next_step_s = now + 1;
    return;
  }
  g->steps++;
  int64_t next = now + g->opt.step_interval;
  cbor_item_t *doc = cbor_parse(&out);
  ota_buf_free(&out);
  /* one map, or (tolerated) an array of maps: the earliest next-due counts */
  size_t n = doc && cbor_isa_array(doc) ? cbor_array_size(doc) : 1;
  for (size_t i = 0; doc && i < n; i++) {
    cbor_item_t *m = cbor_isa_array(doc) ? cbor_array_get(doc, i) : cbor_incref(doc);
    int64_t due, notified = 0, timed = 0, retried = 0, reminded = 0, expired = 0;
    cbor_item_t *d = map_get(m, "next-due");
    /* a step did all that was due at `now`: the next one is a second later at the earliest */
    if (item_int(d, &due) && due < next) next = due > now ? due : now + 1;
    item_int(map_get(m, "notified"), &notified);
    item_int(map_get(m, "timed-out"), &timed);
    item_int(map_get(m, "retried"), &retried);
    item_int(map_get(m, "reminded"), &reminded);
    item_int(map_get(m, "expired"), &expired);
    cbor_item_t *ev = map_get(m, "events");
    size_t events = ev && cbor_isa_array(ev) ? cbor_array_size(ev) : 0;
    if (notified || timed || retried || reminded || expired || events)
      logf_("step: notified %lld, timed-out %lld, retried %lld, reminded %lld, expired %lld, %zu events, next-due %lld",
            (long long)notified, (long long)timed, (long long)retried, (long long)reminded, (long long)expired,
            events, item_is_null(d) || !item_int(d, &due) ? -1LL : (long long)due);
    cbor_decref(&m);
  }
  if (doc) cbor_decref(&doc);
  g->next_step_s = next;
  g->next_fetch_ms = 0; /* a step writes its messages into the outbox: publish them now */
  g->step_retry_ms = 0;
}

/* ------------------------------------------------------------------------------------------
 * MQTT: callbacks and connection
 * ---------------------------------------------------------------------------------------- */

static void on_connect(struct mosquitto *m, void *ud, int rc, int flags, const mosquitto_property *p) {
  gateway *g = ud;
  (void)p;
  if (rc != 0) {
    logf_("broker refused the connection: %s", mosquitto_reason_string(rc));
    return; /* the broker closes the socket; the loop reconnects with backoff */
  }
  g->connected = true;
  g->backoff_ms = 0;
  logf_("connected to %s:%d (session %s)", g->opt.host, g->opt.port, (flags & 1) ? "resumed" : "new");
  /* Reports still held from an earlier connection were never acknowledged: a resumed session
   * sends them again (drop them, or they are held twice); a new session has lost them (keep
   * them: only this gateway has them now). */
  size_t kept = 0;
  for (size_t i = 0; i < g->batch_n; i++) {
    report r = g->batch[i];
    if ((flags & 1) && r.in_session) {
      free(r.topic);
      free(r.payload);
      continue;
    }
    r.in_session = false;
    g->batch[kept++] = r;
  }
  if (kept < g->batch_n) VLOG("dropped %zu held reports the broker sends again", g->batch_n - kept);
  g->batch_n = kept;
  if (!kept) g->ingest_retry_ms = 0;
  char filter[512];
  snprintf(filter, sizeof filter, "$share/%s/%s", g->opt.group, STATUS_FILTER);
  int src = mosquitto_subscribe_v5(m, NULL, filter, 1, 0, NULL);
  if (src != MOSQ_ERR_SUCCESS) logf_("subscribe %s: %s", filter, mosquitto_strerror(src));
}

static void on_subscribe(struct mosquitto *m, void *ud, int mid, int n, const int *granted, const mosquitto_property *p) {
  gateway *g = ud;
  (void)m, (void)mid, (void)p;
  if (n < 1 || granted[0] >= 0x80) {
    logf_("subscription refused by the broker: %s", n < 1 ? "no result" : mosquitto_reason_string(granted[0]));
    return;
  }
  g->subscribed = true;
  VLOG("subscribed (QoS %d)", granted[0]);
}

static void on_unsubscribe(struct mosquitto *m, void *ud, int mid, const mosquitto_property *p) {
  gateway *g = ud;
  (void)m, (void)p;
  if (mid == g->unsub_mid) g->unsubscribed = true;
}

static void on_disconnect(struct mosquitto *m, void *ud, int rc, const mosquitto_property *p) {
  gateway *g = ud;
  (void)m, (void)p;
  if (g->connected) logf_("disconnected: %s", rc ? mosquitto_strerror(rc) : "by request");
  g->connected = g->subscribed = g->socket_open = false;
  /* The PUBACKs this connection queued die with it (connect_now starts a fresh client): the
   * next connection may write before the reports still held are committed. */
  g->holding = false;
  /* Messages in flight are forgotten, here and in libmosquitto (connect_now): not
   * acknowledged, so the next lease holder's fetch publishes them again (a vehicle may see
   * one twice: same seq). */
  g->fl_n = 0;
  lease_release(g);
}

static void on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg, const mosquitto_property *p) {
  gateway *g = ud;
  (void)m, (void)p;
  if (batch_add(g, msg->topic, msg->payload, (size_t)(msg->payloadlen > 0 ? msg->payloadlen : 0))) {
    g->holding = true;
    return;
  }
  /* Cannot hold it, and its PUBACK is queued already (libmosquitto 2.0 does that before this
   * callback). mosquitto_disconnect would queue its DISCONNECT behind the PUBACK; shutting
   * the socket down makes every later write fail, so the PUBACK never leaves. The broker
   * sends the report again to this session after the reconnect. */
  logf_("out of memory holding a report: dropping the connection");
  shutdown(mosquitto_socket(m), SHUT_RDWR);
}

/* A new libmosquitto client. libmosquitto keeps the publishes a connection did not see
 * acknowledged and sends them again when the next one is up (even queued ones); by then
 * another gateway may hold the lease and have published newer messages (a clear) on the same
 * topics. A fresh client for each connection sends nothing old: the outbox decides what is
 * published again. The broker's session (clean start off) is kept all the same. */
static struct mosquitto *client_new(gateway *g) {
  struct mosquitto *m = mosquitto_new(g->opt.client_id, false, g);
  if (!m) return NULL;
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_threaded_set(m, true); /* queue packets; the loop writes them (see "The loop") */
  mosquitto_connect_v5_callback_set(m, on_connect);
  mosquitto_disconnect_v5_callback_set(m, on_disconnect);
  mosquitto_publish_v5_callback_set(m, on_publish);
  mosquitto_message_v5_callback_set(m, on_message);
  mosquitto_subscribe_v5_callback_set(m, on_subscribe);
  mosquitto_unsubscribe_v5_callback_set(m, on_unsubscribe);
  return m;
}

static void connect_now(gateway *g) {
  int rc = MOSQ_ERR_NOMEM;
  struct mosquitto *fresh = client_new(g);
  if (fresh) {
    mosquitto_destroy(g->mosq);
    g->mosq = fresh;
    mosquitto_property *props = NULL;
    mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, (uint32_t)g->opt.session_expiry);
    long rmax = g->opt.batch < 65535 ? g->opt.batch : 65535;
    mosquitto_property_add_int16(&props, MQTT_PROP_RECEIVE_MAXIMUM, (uint16_t)rmax);
    rc = mosquitto_connect_bind_v5(g->mosq, g->opt.host, g->opt.port, (int)g->opt.keepalive, NULL, props);
    mosquitto_property_free_all(&props);
  }
  if (rc == MOSQ_ERR_SUCCESS) {
    g->socket_open = true;
    VLOG("connecting to %s:%d", g->opt.host, g->opt.port);
    return;
  }
  g->backoff_ms = g->backoff_ms ? g->backoff_ms * 2 : 500;
  if (g->backoff_ms > 30000) g->backoff_ms = 30000;
  g->next_connect_ms = mono_ms() + g->backoff_ms;
  logf_("cannot connect to %s:%d: %s (next try in %lld ms)", g->opt.host, g->opt.port,
        rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc), (long long)g->backoff_ms);
}

/* The connection dropped (or never came up): try again after the backoff. */
static void connection_lost(gateway *g) {
  if (g->socket_open || g->connected) on_disconnect(g->mosq, g, 1, NULL);
  g->backoff_ms = g->backoff_ms ? g->backoff_ms * 2 : 500;
  if (g->backoff_ms > 30000) g->backoff_ms = 30000;
  g->next_connect_ms = mono_ms() + g->backoff_ms;
}

/* ------------------------------------------------------------------------------------------
 * The loop
 *
 * Acknowledging reports: libmosquitto queues a QoS 1 message's PUBACK before it calls
 * on_message. mosquitto_threaded_set(true) makes it queue every packet instead of writing at
 * once, and this loop calls mosquitto_loop_write only while the connection holds no report
 * waiting for its batch (g->holding): a PUBACK reaches the broker after the report is on
 * disk. The cost is that outgoing packets wait for the batch (at most --batch-ms; longer
 * while the store is busy: the queue is written in order, so not even a PINGREQ goes out,
 * and a store busy longer than the broker's keepalive grace costs the connection).
 * ---------------------------------------------------------------------------------------- */

typedef enum phase { RUNNING, UNSUBSCRIBING, FINISHING } phase;

static void io_turn(gateway *g, int timeout_ms) {
  int fd = mosquitto_socket(g->mosq);
  if (fd < 0) {
    g->socket_open = false;
    if (g->connected) connection_lost(g);
    struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return;
  }
  struct pollfd pfd = {fd, POLLIN, 0};
  if (!g->holding && mosquitto_want_write(g->mosq)) pfd.events |= POLLOUT;
  int pr = poll(&pfd, 1, timeout_ms);
  if (pr > 0 && (pfd.revents & (POLLIN | POLLERR | POLLHUP))) {
    int rc = mosquitto_loop_read(g->mosq, 1);
    if (rc != MOSQ_ERR_SUCCESS) { connection_lost(g); return; }
  }
  if (ingest_due(g, mono_ms())) ingest_flush(g);
  if (!g->holding && !g->fatal && mosquitto_socket(g->mosq) >= 0 && mosquitto_want_write(g->mosq)) {
    int rc = mosquitto_loop_write(g->mosq, 1);
    if (rc != MOSQ_ERR_SUCCESS) { connection_lost(g); return; }
  }
  if (mosquitto_socket(g->mosq) >= 0 && mosquitto_loop_misc(g->mosq) != MOSQ_ERR_SUCCESS) connection_lost(g);
}

static int run(gateway *g) {
  phase ph = RUNNING;
  int64_t phase_deadline = 0, quiet_since = 0;
  long long received_mark = 0;
  for (;;) {
    int64_t now_ms = mono_ms();
    if (g_stop && ph == RUNNING) {
      logf_("stopping: unsubscribing, then finishing the batch");
      ph = UNSUBSCRIBING;
      phase_deadline = now_ms + 3000;
      quiet_since = now_ms, received_mark = g->received;
      if (g->connected) {
        char filter[512];
        snprintf(filter, sizeof filter, "$share/%s/%s", g->opt.group, STATUS_FILTER);
        if (mosquitto_unsubscribe_v5(g->mosq, &g->unsub_mid, filter, NULL) != MOSQ_ERR_SUCCESS) g->unsub_mid = -1;
      }
    }
    if (ph == UNSUBSCRIBING) {
      /* after the UNSUBACK, read until quiet: reports already routed to us arrive */
      if (g->received != received_mark) received_mark = g->received, quiet_since = now_ms;
      bool quiet = g->unsubscribed && now_ms - quiet_since >= 300;
      if (!g->connected || quiet || now_ms >= phase_deadline) {
        ph = FINISHING;
        phase_deadline = now_ms + 2000;
      }
    }
    if (ph == FINISHING) {
      if (ingest_due(g, now_ms)) ingest_flush(g);
      bool idle = !g->batch_n && !g->fl_n && !(g->connected && mosquitto_want_write(g->mosq));
      if (!g->connected || idle || mono_ms() >= phase_deadline) break;
    }
    if (g->fatal) break;

    if (ph == RUNNING && !g->socket_open && !g->connected && now_ms >= g->next_connect_ms) connect_now(g);

    /* the lease only while connected: a gateway that cannot publish must not hold the outbox */
    if (ph == RUNNING && g->connected && g->subscribed && !g->leader && now_ms >= g->next_lease_ms) {
      lease_try(g);
      g->next_lease_ms = now_ms + 1000;
    }
    /* acknowledge first: what the broker acknowledged must not be fetched and published again */
    outbox_ack(g);
    if (ph == RUNNING && g->leader && g->connected) {
      if (wall_now() >= g->next_step_s && now_ms >= g->step_retry_ms) step(g);
      if (now_ms >= g->next_fetch_ms) {
        int more = outbox_drain(g);
        g->next_fetch_ms = mono_ms() + (more > 0 ? 0 : more < 0 ? 1000 : g->opt.outbox_ms);
      }
    }

    /* sleep until something is due: the batch, the outbox poll, the connect, a step */
    int64_t wake = now_ms + 1000;
    if (g->batch_n) {
      int64_t t = g->ingest_retry_ms > g->batch_first_ms + g->opt.batch_ms ? g->ingest_retry_ms
                                                                           : g->batch_first_ms + g->opt.batch_ms;
      if (t < wake) wake = t;
    }
    if (g->leader && g->next_fetch_ms < wake) wake = g->next_fetch_ms;
    if (!g->connected && !g->socket_open && g->next_connect_ms < wake) wake = g->next_connect_ms;
    if (ph != RUNNING && now_ms + 50 < wake) wake = now_ms + 50;
    int timeout = wake > now_ms ? (int)(wake - now_ms) : 0;
    if (g->leader) {
      int64_t s = (g->next_step_s - wall_now()) * 1000;
      if (s < timeout) timeout = s > 0 ? (int)s : 0;
    }
    io_turn(g, timeout);
    if (g->fatal) break;
  }

  outbox_ack(g);
  if (g->connected && !g->batch_n && !g->fatal) {
    /* end the session now: a stopped gateway must not keep a share of the reports. (With
     * reports it could not ingest, or after a fatal error, nothing more is written: their
     * PUBACKs are queued before the DISCONNECT. mosquitto_destroy just closes the socket and
     * the session keeps them for a restart.) */
    mosquitto_property *props = NULL;
    mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 0);
    mosquitto_disconnect_v5(g->mosq, 0, props);
    mosquitto_property_free_all(&props);
    for (int i = 0; i < 20 && mosquitto_socket(g->mosq) >= 0 && mosquitto_want_write(g->mosq); i++) {
      if (mosquitto_loop_write(g->mosq, 1) != MOSQ_ERR_SUCCESS) break;
      struct timespec ts = {0, 10000000L};
      if (mosquitto_want_write(g->mosq)) nanosleep(&ts, NULL);
    }
  }
  lease_release(g);
  logf_("stopped: published %lld, outbox acknowledged %lld, reports received %lld (applied %lld, "
        "duplicate %lld, stale %lld, rejected %lld), %lld steps, %zu reports not ingested",
        g->published, g->outbox_acked, g->received, g->applied, g->duplicate, g->stale, g->rejected,
        g->steps, g->batch_n);
  return g->fatal ? 3 : g->batch_n ? 1 : 0;
}

/* ------------------------------------------------------------------------------------------
 * Set-up
 * ---------------------------------------------------------------------------------------- */

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The seed: exactly 32 raw bytes, or 64 hex digits (surrounding whitespace allowed). */
static bool read_seed(const char *path, uint8_t seed[32]) {
  FILE *f = fopen(path, "rb");
  if (!f) { logf_("cannot open the seed file %s: %s", path, strerror(errno)); return false; }
  unsigned char buf[200];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  if (n == 32) { memcpy(seed, buf, 32); return true; }
  size_t s = 0, e = n;
  while (s < e && (buf[s] == ' ' || buf[s] == '\n' || buf[s] == '\r' || buf[s] == '\t')) s++;
  while (e > s && (buf[e - 1] == ' ' || buf[e - 1] == '\n' || buf[e - 1] == '\r' || buf[e - 1] == '\t')) e--;
  if (e - s == 64) {
    for (size_t i = 0; i < 32; i++) {
      int hi = hexval(buf[s + 2 * i]), lo = hexval(buf[s + 2 * i + 1]);
      if (hi < 0 || lo < 0) break;
      seed[i] = (uint8_t)(hi * 16 + lo);
      if (i == 31) return true;
    }
  }
  logf_("the seed file %s must hold 32 bytes (or 64 hex digits), it holds %zu bytes", path, n);
  return false;
}

int main(int argc, char **argv) {
  gateway g;
  memset(&g, 0, sizeof g);
  int prc = parse_options(argc, argv, &g.opt);
  if (prc) return prc;
  g_id = g.opt.client_id;
  g_verbose = g.opt.verbose;
  g.lease_fd = -1;
  install_signals();

  uint8_t seed[32];
  if (!read_seed(g.opt.seed_file, seed)) return 1;

  ota_open_options oo = OTA_OPEN_OPTIONS_INIT;
  oo.flags = OTA_OPEN_MUSTEXIST;
  oo.busy_timeout_ms = 10000; /* other gateways and tools write the same store */
  if (ota_open_ex(g.opt.db, &oo, &g.db) != OTA_OK) {
    logf_("cannot open the store %s: %s", g.opt.db, ota_last_errmsg());
    return 1;
  }
  int rc = ota_set_signing_key(g.db, seed, g.opt.kid);
  memset(seed, 0, sizeof seed);
  if (rc != OTA_OK) {
    logf_("signing key: %s: %s", ota_code_name(rc), ota_errmsg(g.db));
    ota_close(g.db);
    return 1;
  }

  char lock_path[4096];
  snprintf(lock_path, sizeof lock_path, "%s.gateway-lock", g.opt.db);
  g.lease_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (g.lease_fd < 0) logf_("cannot open %s (%s): this gateway only ingests", lock_path, strerror(errno));

  g.fl = calloc((size_t)g.opt.inflight, sizeof *g.fl);
  mosquitto_lib_init();
  g.mosq = client_new(&g); /* replaced by a fresh one at every connect */
  if (!g.fl || !g.mosq) {
    logf_("out of memory");
    ota_close(g.db);
    return 1;
  }

  logf_("store %s, broker %s:%d, actor %s, batch %ld / %ld ms, step every %ld s", g.opt.db, g.opt.host,
        g.opt.port, g.opt.actor, g.opt.batch, g.opt.batch_ms, g.opt.step_interval);
  int code = run(&g);

  mosquitto_destroy(g.mosq);
  mosquitto_lib_cleanup();
  batch_clear(&g);
  free(g.batch);
  free(g.fl);
  free(g.acks);
  if (g.lease_fd >= 0) close(g.lease_fd);
  ota_close(g.db);
  return code;
}
