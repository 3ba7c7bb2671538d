/* demo_vehicles.h: the simulated vehicles of the quickstart.
 *
 * Each vehicle reads what the outbox holds for it as a real one would: it checks the
 * backend's COSE_Sign1 over the message and the approver's COSE_Sign1 of every package in it,
 * drops a message it has seen (delivery is at least once), and answers with status reports
 * (design/campaigns.md section 6). What it answers follows a script chosen by a seeded hash
 * of its VIN, so the same run gives the same story: most accept and install, some defer,
 * decline, fail for a reason (some succeed on a retry) or go silent.
 *
 * Reports are queued with the time the vehicle sends them; the gateway (sim_flush) ingests
 * the ones that are due in one batch, as a real gateway batches what arrives over MQTT. */
#ifndef DEMO_VEHICLES_H
#define DEMO_VEHICLES_H

#include <sodium.h>

#include "ota.h"
#include "demo_cbor.h"
#include "demo_read.h"

enum { SIM_FLEET = 5000, SIM_MAX_UPDATES = 16, SIM_MINUTE = 60 };

typedef enum {
  ACT_INSTALL,      /* accepts, downloads, installs, proves the new version */
  ACT_DEFER_ONCE,   /* "not now": defers the offer, accepts the reminder */
  ACT_DEFER_ALWAYS, /* defers until no deferral is left: fails with reason "user" */
  ACT_DECLINE,      /* declines and says why (the offer asks for feedback) */
  ACT_DOWNLOAD,     /* the download breaks off once; the retry works */
  ACT_POWER,        /* battery too low twice; the second retry works */
  ACT_PRECONDITION, /* not parked at the first attempt; the retry works */
  ACT_FLASH,        /* the flash fails every time: final once the retries are used up */
  ACT_OLD_VERSION,  /* says "installed" but still runs the old version once: verification */
  ACT_SILENT,       /* never answers: the answer timeout */
  ACT_GONE,         /* goes quiet after the download: the install timeout */
  ACT_COUNT
} sim_script;

/* Share of the fleet (percent), name and final target state of each script, in sim_script
 * order. */
static const struct { int percent; const char *name, *outcome; } SIM_SCRIPTS[ACT_COUNT] = {
  {72, "install", "succeeded"},    {8, "defer-once", "succeeded"}, {2, "defer-always", "failed"},
  {3, "decline", "declined"},      {3, "download", "succeeded"},   {2, "power", "succeeded"},
  {2, "precondition", "succeeded"}, {2, "flash", "failed"},        {1, "old-version", "succeeded"},
  {3, "silent", "failed"},         {2, "gone", "failed"},
};

/* One update of an offer: what the vehicle flashes, and the version it then reads back. */
typedef struct {
  char node[16], hw[32], from[32], to[32];
  int64_t slot;
} sim_update;

/* What a vehicle keeps of one message. */
typedef struct {
  char vin[18];
  int64_t campaign, seq;
  size_t updates;
  sim_update update[SIM_MAX_UPDATES];
} sim_offer;

typedef struct {
  uint32_t sent;     /* reports sent in this campaign: the next report's seq */
  uint32_t attempts; /* offers and reminders answered */
  int64_t last_seq;  /* the newest message read: an older or equal seq is a duplicate */
} sim_vehicle;

typedef struct {
  int64_t at; /* when the vehicle sends it */
  char topic[48];
  demo_out report;
} sim_report;

typedef struct {
  uint8_t backend_key[32]; /* the store's public key (ota_signing_public_key) */
  int scripted;            /* 0: every vehicle installs (the test fleet) */
  sim_vehicle vehicle[SIM_FLEET];
  sim_report *queue;
  size_t queued, cap;
  long offered[ACT_COUNT]; /* vehicles that got an offer, by script */
  long messages, duplicates, bad_signatures;
  long results[4]; /* applied, duplicate, stale, rejected */
} simulator;

/* FNV-1a over the VIN and a seed: the same vehicle always draws the same numbers. */
static uint32_t sim_hash(const char *vin, uint32_t seed) {
  uint32_t h = 2166136261u ^ seed;
  for (const char *p = vin; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
  return h ^ (h >> 15);
}

static sim_script sim_script_of(const simulator *s, const char *vin) {
  if (!s->scripted) return ACT_INSTALL;
  int draw = (int)(sim_hash(vin, 2026) % 100), upto = 0;
  for (int i = 0; i < ACT_COUNT; i++)
    if (draw < (upto += SIM_SCRIPTS[i].percent)) return (sim_script)i;
  return ACT_INSTALL;
}

/* The quickstart's VINs end in the vehicle's number (make_vin). */
static sim_vehicle *sim_vehicle_of(simulator *s, const char *vin) {
  long i = strtol(vin + 11, NULL, 10);
  return i >= 0 && i < SIM_FLEET ? &s->vehicle[i] : NULL;
}

/* Starts a campaign: report seqs count per vehicle and campaign, and so do the counters. */
static void sim_begin(simulator *s, int scripted) {
  memset(s->vehicle, 0, sizeof s->vehicle);
  memset(s->offered, 0, sizeof s->offered);
  memset(s->results, 0, sizeof s->results);
  s->messages = s->duplicates = s->bad_signatures = 0;
  s->scripted = scripted;
}

/* ---- reading a message ----------------------------------------------------------------- */

/* The offer or reminder in a vehicle message, if both signatures hold (the backend's over
 * the message, the approver's over each package). Returns 1 for an offer to act on. */
static int sim_read(simulator *s, const uint8_t *payload, size_t len, sim_offer *o) {
  cbor_item_t *msg = demo_cose_open(payload, len, s->backend_key);
  int ok = msg != NULL;
  char type[16];
  demo_str(demo_get(msg, "type"), type, sizeof type);
  demo_str(demo_get(msg, "vin"), o->vin, sizeof o->vin);
  o->campaign = demo_int_at(msg, "campaign");
  o->seq = demo_int_at(msg, "seq");
  cbor_item_t *updates = demo_get(msg, "updates");
  o->updates = ok && cbor_isa_array(updates) ? cbor_array_size(updates) : 0;
  if (o->updates > SIM_MAX_UPDATES) ok = 0;
  for (size_t i = 0; ok && i < o->updates; i++) {
    cbor_item_t *u = cbor_array_handle(updates)[i], *approval = demo_get(u, "approval");
    cbor_item_t *manifest = NULL;
    if (approval && cbor_isa_bytestring(approval))
      manifest = demo_cose_open(cbor_bytestring_handle(approval), cbor_bytestring_length(approval), s->backend_key);
    if (!manifest) ok = 0; /* never flash software nobody approved */
    else cbor_decref(&manifest);
    sim_update *up = &o->update[i];
    demo_str(demo_get(u, "node"), up->node, sizeof up->node);
    demo_str(demo_get(u, "hw"), up->hw, sizeof up->hw);
    demo_str(demo_get(u, "from"), up->from, sizeof up->from);
    demo_str(demo_get(u, "to"), up->to, sizeof up->to);
    up->slot = demo_int_at(u, "slot");
  }
  if (!ok) s->bad_signatures++;
  if (msg) cbor_decref(&msg);
  return ok && (!strcmp(type, "offer") || !strcmp(type, "reminder"));
}

/* ---- answering ------------------------------------------------------------------------- */

enum { SIM_NO_VERSIONS, SIM_NEW_VERSIONS, SIM_OLD_VERSIONS };

/* Queues one status report of the offer's vehicle, sent at `at`: {vin, campaign, seq, time,
 * state, ? reason, ? code, ? feedback, ? ecus}. With versions, `ecus` is what the vehicle
 * reads back from each ECU it flashed (after the reboot): the new `to` or the old `from`. */
static void sim_send(simulator *s, const sim_offer *o, int64_t at, const char *state, const char *reason,
                     int code, int versions) {
  sim_vehicle *v = sim_vehicle_of(s, o->vin);
  cbor_item_t *r = demo_need(cbor_new_definite_map(9));
  demo_put(r, "vin", demo_text(o->vin));
  demo_put(r, "campaign", demo_uint((uint64_t)o->campaign));
  demo_put(r, "seq", demo_uint(++v->sent));
  demo_put(r, "time", demo_uint((uint64_t)at));
  demo_put(r, "state", demo_text(state));
  if (reason) {
    demo_put(r, "reason", demo_text(reason));
    demo_put(r, "code", demo_uint((uint64_t)code));
  }
  if (!strcmp(state, "declined")) demo_put(r, "feedback", demo_text("I will have it done at my dealer"));
  if (versions != SIM_NO_VERSIONS) {
    cbor_item_t *ecus = demo_need(cbor_new_definite_array(o->updates));
    for (size_t i = 0; i < o->updates; i++) {
      const sim_update *u = &o->update[i];
      cbor_item_t *e = demo_need(cbor_new_definite_map(4));
      demo_put(e, "node", demo_text(u->node));
      demo_put(e, "slot", demo_uint((uint64_t)u->slot));
      demo_put(e, "hw", demo_text(u->hw));
      demo_put(e, "sw", demo_text(versions == SIM_NEW_VERSIONS ? u->to : u->from));
      demo_push(ecus, e);
    }
    demo_put(r, "ecus", ecus);
  }
  if (s->queued == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 1024;
    s->queue = (sim_report *)realloc(s->queue, s->cap * sizeof *s->queue);
    if (!s->queue) { fprintf(stderr, "out of memory\n"); exit(1); }
  }
  sim_report *q = &s->queue[s->queued++];
  q->at = at;
  snprintf(q->topic, sizeof q->topic, "ota/v1/vehicles/%s/status", o->vin);
  q->report = demo_serialize(r);
}

/* A vehicle that accepts at t: download, install, reboot, report the versions it now runs. */
static void sim_install(simulator *s, const sim_offer *o, int64_t t, int versions) {
  sim_send(s, o, t, "accepted", NULL, 0, SIM_NO_VERSIONS);
  sim_send(s, o, t + 20 * SIM_MINUTE, "downloaded", NULL, 0, SIM_NO_VERSIONS);
  sim_send(s, o, t + 25 * SIM_MINUTE, "installing", NULL, 0, SIM_NO_VERSIONS);
  sim_send(s, o, t + 55 * SIM_MINUTE, "installed", NULL, 0, versions);
}

/* What the vehicle does with an offer or reminder received at `now`, by its script and by
 * how many it has answered before (a retry is a new offer). Failure codes are the vehicle's. */
static void sim_answer(simulator *s, const sim_offer *o, int64_t now) {
  sim_vehicle *v = sim_vehicle_of(s, o->vin);
  sim_script act = sim_script_of(s, o->vin);
  uint32_t attempt = v->attempts++;
  if (attempt == 0) s->offered[act]++;
  /* the owner answers within the hour */
  int64_t t = now + (int64_t)(5 + sim_hash(o->vin, attempt) % 55) * SIM_MINUTE;
  switch (act) {
  case ACT_SILENT: break;
  case ACT_DECLINE: sim_send(s, o, t, "declined", NULL, 0, SIM_NO_VERSIONS); break;
  case ACT_DEFER_ALWAYS: sim_send(s, o, t, "deferred", NULL, 0, SIM_NO_VERSIONS); break;
  case ACT_DEFER_ONCE:
    if (attempt == 0) sim_send(s, o, t, "deferred", NULL, 0, SIM_NO_VERSIONS);
    else sim_install(s, o, t, SIM_NEW_VERSIONS);
    break;
  case ACT_DOWNLOAD:
    if (attempt > 0) { sim_install(s, o, t, SIM_NEW_VERSIONS); break; }
    sim_send(s, o, t, "accepted", NULL, 0, SIM_NO_VERSIONS);
    sim_send(s, o, t + 12 * SIM_MINUTE, "failed", "download", 0x12, SIM_NO_VERSIONS); /* connection reset */
    break;
  case ACT_POWER:
    if (attempt > 1) { sim_install(s, o, t, SIM_NEW_VERSIONS); break; }
    sim_send(s, o, t, "accepted", NULL, 0, SIM_NO_VERSIONS);
    sim_send(s, o, t + 20 * SIM_MINUTE, "failed", "power", 0x51, SIM_NO_VERSIONS); /* battery below 12 V */
    break;
  case ACT_PRECONDITION:
    if (attempt > 0) { sim_install(s, o, t, SIM_NEW_VERSIONS); break; }
    sim_send(s, o, t, "failed", "precondition", 0x20, SIM_NO_VERSIONS); /* not parked */
    break;
  case ACT_FLASH:
    sim_send(s, o, t, "accepted", NULL, 0, SIM_NO_VERSIONS);
    sim_send(s, o, t + 20 * SIM_MINUTE, "installing", NULL, 0, SIM_NO_VERSIONS);
    sim_send(s, o, t + 35 * SIM_MINUTE, "failed", "install", 0x31, SIM_OLD_VERSIONS); /* flash write error */
    break;
  case ACT_OLD_VERSION: sim_install(s, o, t, attempt == 0 ? SIM_OLD_VERSIONS : SIM_NEW_VERSIONS); break;
  case ACT_GONE:
    sim_send(s, o, t, "accepted", NULL, 0, SIM_NO_VERSIONS);
    sim_send(s, o, t + 20 * SIM_MINUTE, "downloaded", NULL, 0, SIM_NO_VERSIONS);
    break;
  default: sim_install(s, o, t, SIM_NEW_VERSIONS); break;
  }
}

/* Hands the vehicle its message (a vehicle topic's payload), received at now. An empty
 * payload only clears a retained offer; a cancel stops nothing here (no install is running). */
static void sim_deliver(simulator *s, const uint8_t *payload, size_t len, int64_t now) {
  sim_offer o;
  if (len == 0) return;
  s->messages++;
  if (!sim_read(s, payload, len, &o) || !sim_vehicle_of(s, o.vin)) return;
  sim_vehicle *v = sim_vehicle_of(s, o.vin);
  if (o.seq <= v->last_seq) { s->duplicates++; return; }
  v->last_seq = o.seq;
  sim_answer(s, &o, now);
}

/* ---- the gateway ------------------------------------------------------------------------ */

/* When the earliest queued report is sent (INT64_MAX: none). */
static int64_t sim_next_report(const simulator *s) {
  int64_t next = INT64_MAX;
  for (size_t i = 0; i < s->queued; i++)
    if (s->queue[i].at < next) next = s->queue[i].at;
  return next;
}

/* Ingests every report sent by now as one batch [[topic, report-bytes], ...] in one
 * transaction, and counts the results. Returns how many reports it ingested. */
static size_t sim_flush(simulator *s, ota_db *db, const char *actor, int64_t now) {
  static const char *results[4] = {"applied", "duplicate", "stale", "rejected"};
  size_t due = 0, kept = 0;
  for (size_t i = 0; i < s->queued; i++) due += s->queue[i].at <= now;
  if (due == 0) return 0;
  cbor_item_t *batch = demo_need(cbor_new_definite_array(due));
  for (size_t i = 0; i < s->queued; i++) {
    sim_report *q = &s->queue[i];
    if (q->at > now) { s->queue[kept++] = *q; continue; } /* not sent yet: keeps its order */
    cbor_item_t *item = demo_need(cbor_new_definite_array(2));
    demo_push(item, demo_text(q->topic));
    demo_push(item, demo_need(cbor_build_bytestring(q->report.data, q->report.len)));
    demo_push(batch, item);
    free(q->report.data);
  }
  s->queued = kept;
  demo_out bytes = demo_serialize(batch);
  ota_buf out = {NULL, 0};
  int rc = ota_status_ingest_batch(db, actor, now, bytes.data, bytes.len, &out);
  if (rc != OTA_OK) { fprintf(stderr, "ingest: %s: %s\n", ota_code_name(rc), ota_errmsg(db)); exit(1); }
  cbor_item_t *list = demo_load(out.data, out.len);
  for (size_t i = 0; i < cbor_array_size(list); i++) {
    cbor_item_t *r = cbor_array_handle(list)[i];
    for (int k = 0; k < 4; k++)
      if (demo_is(demo_get(r, "result"), results[k])) s->results[k]++;
    if (demo_is(demo_get(r, "result"), "rejected") && s->results[3] <= 3) {
      char why[160];
      printf("  ! report rejected: %s\n", demo_str(demo_get(r, "detail"), why, sizeof why));
    }
  }
  cbor_decref(&list);
  ota_buf_free(&out);
  free(bytes.data);
  return due;
}

/* Frees the reports no vehicle got to send. */
static void sim_free(simulator *s) {
  for (size_t i = 0; i < s->queued; i++) free(s->queue[i].report.data);
  free(s->queue);
  free(s);
}

#endif
