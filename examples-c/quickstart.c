/* quickstart: the main job of libota from C, on an embedded SQLite store.
 *
 *   1. open a store and name its people (admin, engineer, approver, campaign manager);
 *   2. import the fleet as built at the end of line (a CBOR snapshot);
 *   3. register a BCM software package, verify its file, validate, approve (signed, by a
 *      second person), release;
 *   4. resolve which vehicles and ECUs it goes to, from the package's own compatibility data;
 *   5. import a later snapshot in which some vehicles were updated: their ECU history grows,
 *      and resolving again finds them up to date;
 *   6. run a test campaign on the test fleet: create, validate, approve (a second person),
 *      start, step; the simulated vehicles read their offers and answer with status reports;
 *   7. run a three-wave fleet campaign (30 simulated days to its deadline): success gates and
 *      failure thresholds, a rate limit, maintenance windows, reminders, timeouts and
 *      retries; vehicles that accept, defer, decline, fail and go silent; the host ingests
 *      their reports, steps at next-due and prints a dashboard at the end of every day;
 *   8. check the audit trail.
 *
 *   cc -std=c99 -I include -o quickstart examples-c/quickstart.c build/libota.a \
 *      -lsqlite3 -lcbor -lsodium -lm -lpthread
 *   ./quickstart demo.db
 *
 * OTA_DEMO_VEHICLES=N (100 to 5000, default 5000) runs the same story on the first N
 * vehicles: `make test-valgrind` uses it, as the whole fleet under valgrind takes minutes.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota.h"
#include "demo_cbor.h"
#include "demo_dashboard.h"
#include "demo_read.h"
#include "demo_specs.h"
#include "demo_vehicles.h"

enum { FLEET = SIM_FLEET, DAY = 86400, HOUR = 3600 };
static int fleet_size = FLEET; /* OTA_DEMO_VEHICLES */
static const int64_t T0 = 1767225600; /* 2026-01-01: the caller owns the clock */
static const char *MANAGER = "carl@oem.example", *GATEWAY = "gw-1@oem.example";

static void must(int rc, ota_db *db, const char *what) {
  if (rc == OTA_OK) return;
  fprintf(stderr, "%s failed: %s: %s\n", what, ota_code_name(rc), db ? ota_errmsg(db) : ota_last_errmsg());
  exit(1);
}

/* ---- 2. the fleet ------------------------------------------------------------------- */

static const char *models[] = {"Aurora", "Boreal"};
static const char *markets[] = {"DE", "FR", "US", "CN", "JP", "IT"};
static const char *bcm_hw[] = {"BCM-HW-A", "BCM-HW-B", "BCM-HW-C"};
static const char *bcm_sw[] = {"2.4.0", "2.4.1", "2.3.9"};

/* WMI "1LT", descriptor "AB" + model digits, check digit, year "T", plant "A", serial. */
static void make_vin(int i, char vin[18]) {
  char serial[8];
  snprintf(serial, sizeof serial, "%06u", (unsigned)i % 1000000u);
  memcpy(vin, "1LTAB0000TA", 11);
  vin[5] = (char)('0' + i % 10);
  vin[6] = (char)('0' + i / 10 % 10);
  memcpy(vin + 11, serial, 6);
  vin[17] = '\0';
  vin[8] = vin_check_digit(vin);
}

/* A snapshot of the fleet; `updated` vehicles (every 4th) report BCM 2.5.0.
 * {0: 1, 1: taken, 3: [[vin, model, variant, powertrain, market, produced, ecus, engine-no,
 * chassis-no, attributes], ...]}: all strings inline (a string table is optional). */
static demo_out fleet_snapshot(int64_t taken, int updated) {
  cbor_item_t *vehicles = demo_need(cbor_new_definite_array((size_t)fleet_size));
  for (int i = 0; i < fleet_size; i++) {
    char vin[18], serial[24], engine[24];
    make_vin(i, vin);
    snprintf(serial, sizeof serial, "SN-BCM-%07d", i);
    snprintf(engine, sizeof engine, "EN%08d", i * 7);
    cbor_item_t *bcm = demo_need(cbor_new_definite_array(5)), *abs = demo_need(cbor_new_definite_array(4));
    cbor_item_t *ivi = demo_need(cbor_new_definite_array(3)), *ecus = demo_need(cbor_new_definite_array(3));
    demo_push(bcm, demo_text("BCM")); demo_push(bcm, demo_text(bcm_hw[i % 3]));
    demo_push(bcm, demo_text(updated && i % 4 == 0 ? "2.5.0" : bcm_sw[(i / 3) % 3]));
    demo_push(bcm, demo_text("CAL-17")); demo_push(bcm, demo_text(serial));
    demo_push(abs, demo_text("ABS")); demo_push(abs, demo_text("ABS-9")); demo_push(abs, demo_text("7.1"));
    demo_push(abs, demo_need(cbor_new_null())); /* no calibration */
    demo_push(ivi, demo_text("IVI")); demo_push(ivi, demo_text("IVI-2")); demo_push(ivi, demo_text("11.0.3"));
    demo_push(ecus, bcm); demo_push(ecus, abs); demo_push(ecus, ivi);
    cbor_item_t *attributes = demo_need(cbor_new_definite_map(1));
    demo_put(attributes, "tow-hitch", demo_need(cbor_build_bool(i % 7 == 0)));

    cbor_item_t *v = demo_need(cbor_new_definite_array(10));
    demo_push(v, demo_text(vin));
    demo_push(v, demo_text(models[i % 2]));
    demo_push(v, demo_text(i % 3 ? "comfort" : "sport"));
    demo_push(v, demo_text(i % 5 ? "petrol" : "electric"));
    demo_push(v, demo_text(markets[(i / 9) % 6]));
    demo_push(v, demo_uint((uint64_t)(T0 - 86400 * 400 + 3600 * (int64_t)i)));
    demo_push(v, ecus);
    demo_push(v, demo_text(engine));
    demo_push(v, demo_need(cbor_new_null())); /* no chassis number recorded */
    demo_push(v, attributes);
    demo_push(vehicles, v);
  }
  cbor_item_t *doc = demo_need(cbor_new_definite_map(3));
  demo_add(doc, demo_uint(0), demo_uint(1)); /* format version */
  demo_add(doc, demo_uint(1), demo_uint((uint64_t)taken));
  demo_add(doc, demo_uint(3), vehicles);
  return demo_serialize(doc);
}

static int progress(void *ctx, uint64_t done, uint64_t total) {
  (void)ctx;
  if (total && done == total) printf("    ... %" PRIu64 " vehicles written\n", done);
  return 0;
}

static void import_fleet(ota_db *db, int64_t taken, int updated) {
  demo_out snap = fleet_snapshot(taken, updated);
  ota_buf summary = {NULL, 0};
  must(ota_fleet_import(db, "erin@oem.example", taken + 60, snap.data, snap.len, progress, NULL, &summary),
       db, "ota_fleet_import");
  cbor_item_t *s = NULL;
  struct cbor_load_result r;
  s = cbor_load(summary.data, summary.len, &r);
  printf("  imported a %zu-byte snapshot:", snap.len);
  for (size_t i = 0; s && i < cbor_map_size(s); i++) {
    struct cbor_pair p = cbor_map_handle(s)[i];
    if (cbor_isa_uint(p.value))
      printf(" %.*s=%" PRIu64, (int)cbor_string_length(p.key), (const char *)cbor_string_handle(p.key),
             cbor_get_int(p.value));
  }
  printf("\n");
  if (s) cbor_decref(&s);
  ota_buf_free(&summary);
  free(snap.data);
}

/* ---- 3. the package ----------------------------------------------------------------- */

static const char *pkg_hw[] = {"BCM-HW-A", "BCM-HW-B"};
static const char *pkg_from[] = {"2.4.0", "2.4.1"};

static demo_out package_manifest(const uint8_t sha256[32], size_t size) {
  static const char *powertrains[] = {"petrol", "electric"};
  cbor_item_t *file = demo_need(cbor_new_definite_map(4)), *files = demo_need(cbor_new_definite_array(1));
  demo_put(file, "name", demo_text("bcm-2.5.0.bin"));
  demo_put(file, "size", demo_uint(size));
  demo_put(file, "sha256", demo_need(cbor_build_bytestring(sha256, 32)));
  demo_put(file, "uri", demo_text("s3://oem-ota-artifacts/bcm/2.5.0/bcm-2.5.0.bin"));
  demo_push(files, file);
  cbor_item_t *m = demo_need(cbor_new_definite_map(15));
  demo_put(m, "name", demo_text("bcm-comfort-lighting"));
  demo_put(m, "version", demo_text("2.5.0"));
  demo_put(m, "ecu", demo_text("BCM"));
  demo_put(m, "category", demo_text("bugfix"));
  demo_put(m, "release-type", demo_text("routine"));
  demo_put(m, "issue", demo_text("Interior lights stay on after locking (field reports FR-2291)"));
  demo_put(m, "protocol", demo_text("CAN-FD"));
  demo_put(m, "powertrains", demo_texts(powertrains, 2));
  demo_put(m, "models", demo_texts(models, 2));
  demo_put(m, "hw", demo_texts(pkg_hw, 2));
  demo_put(m, "from", demo_texts(pkg_from, 2));
  demo_put(m, "to", demo_text("2.5.0"));
  demo_put(m, "files", files);
  demo_put(m, "release-notes", demo_text("Fixes the interior light timeout."));
  demo_put(m, "release-counter", demo_uint(25));
  return demo_serialize(m);
}

static int64_t register_and_release(ota_db *db, int64_t now) {
  /* The build output: a firmware image on local disk. */
  static uint8_t image[64 * 1024];
  for (size_t i = 0; i < sizeof image; i++) image[i] = (uint8_t)(i * 131 + 7);
  FILE *f = fopen("bcm-2.5.0.bin", "wb");
  if (!f || fwrite(image, 1, sizeof image, f) != sizeof image) { fprintf(stderr, "cannot write image\n"); exit(1); }
  fclose(f);
  uint8_t sha[32];
  crypto_hash_sha256(sha, image, sizeof image);

  demo_out manifest = package_manifest(sha, sizeof image);
  int64_t id = 0;
  must(ota_package_register(db, "erin@oem.example", now, manifest.data, manifest.len, &id), db, "register");
  free(manifest.data);
  must(ota_package_verify_file(db, "erin@oem.example", now + 1, id, "bcm-2.5.0.bin", "bcm-2.5.0.bin"), db, "verify");
  must(ota_package_validate(db, "erin@oem.example", now + 2, id), db, "validate");

  /* Approval signs the manifest (COSE_Sign1, Ed25519). erin is an approver too, but the
   * two-person rule stops her from approving her own package. */
  uint8_t seed[32];
  for (int i = 0; i < 32; i++) seed[i] = (uint8_t)(0xA0 + i);
  must(ota_set_signing_key(db, seed, "oem-release-2026"), db, "ota_set_signing_key");
  int rc = ota_package_approve(db, "erin@oem.example", now + 3, id);
  printf("  erin approves her own package: %s (%s)\n", ota_code_name(rc), ota_errmsg(db));
  must(ota_package_approve(db, "bob@oem.example", now + 4, id), db, "approve");
  must(ota_package_release(db, "carl@oem.example", now + 5, id), db, "release");

  ota_buf sig = {NULL, 0};
  must(ota_package_signature(db, id, &sig), db, "ota_package_signature");
  printf("  package %" PRId64 " bcm-comfort-lighting 2.5.0: verified, validated, approved (COSE_Sign1, %zu bytes), released\n",
         id, sig.len);
  ota_buf_free(&sig);
  return id;
}

/* ---- 4. targets ---------------------------------------------------------------------- */

/* The rule follows the package: its node, hardware, from-versions, models and target version,
 * narrowed to the markets of the first wave. */
static demo_out target_rule(void) {
  static const char *wave1[] = {"DE", "FR", "US"};
  cbor_item_t *r = demo_need(cbor_new_definite_map(6));
  demo_put(r, "ecu", demo_text("BCM"));
  demo_put(r, "hw", demo_texts(pkg_hw, 2));
  demo_put(r, "from", demo_texts(pkg_from, 2));
  demo_put(r, "to", demo_text("2.5.0"));
  demo_put(r, "models", demo_texts(models, 2));
  demo_put(r, "markets", demo_texts(wave1, 3));
  return demo_serialize(r);
}

static void resolve_from_store(ota_db *db, int64_t now) {
  ota_buf snapshot = {NULL, 0}, resolution = {NULL, 0};
  must(ota_fleet_export(db, now, &snapshot), db, "ota_fleet_export");
  demo_out rule = target_rule();
  must(ota_resolve(snapshot.data, snapshot.len, rule.data, rule.len, &resolution), NULL, "ota_resolve");

  struct cbor_load_result r;
  cbor_item_t *doc = cbor_load(resolution.data, resolution.len, &r);
  for (size_t i = 0; doc && i < cbor_map_size(doc); i++) {
    struct cbor_pair p = cbor_map_handle(doc)[i];
    const char *key = (const char *)cbor_string_handle(p.key);
    size_t klen = cbor_string_length(p.key);
    if (klen == 7 && !memcmp(key, "scanned", 7)) printf("  scanned %" PRIu64 " vehicles", cbor_get_int(p.value));
    if (klen == 7 && !memcmp(key, "targets", 7)) {
      printf(", %zu targets", cbor_array_size(p.value));
      if (cbor_array_size(p.value) > 0) {
        cbor_item_t *first = cbor_array_handle(p.value)[0];
        cbor_item_t *vin = cbor_array_handle(first)[0];
        printf(" (first: %.*s)", (int)cbor_string_length(vin), (const char *)cbor_string_handle(vin));
      }
    }
    if (klen == 8 && !memcmp(key, "excluded", 8)) {
      printf("; excluded:");
      for (size_t j = 0; j < cbor_map_size(p.value); j++) {
        struct cbor_pair e = cbor_map_handle(p.value)[j];
        printf(" %.*s=%" PRIu64, (int)cbor_string_length(e.key), (const char *)cbor_string_handle(e.key),
               cbor_get_int(e.value));
      }
    }
  }
  printf("\n");
  if (doc) cbor_decref(&doc);
  ota_buf_free(&resolution);
  ota_buf_free(&snapshot);
  free(rule.data);
}

/* ---- 6-7. campaigns ---------------------------------------------------------------------- */

/* Create (the campaign manager), validate, approve (an approver: never the author), start. */
static int64_t launch(ota_db *db, const demo_out *spec, int64_t now) {
  int64_t id = 0;
  must(ota_campaign_create(db, MANAGER, now, spec->data, spec->len, &id), db, "ota_campaign_create");
  print_validation(db, id);
  must(ota_campaign_approve(db, "bob@oem.example", now + 600, id), db, "ota_campaign_approve");
  must(ota_campaign_start(db, MANAGER, now + 1200, id), db, "ota_campaign_start");
  return id;
}

/* Publishes what the outbox holds. A real host publishes each [id, topic, payload, retain]
 * on MQTT (QoS 1, retain flag) and acknowledges the ids once the broker has; here vehicle
 * messages go straight to the simulated vehicles and events to the terminal. */
static int host_crashed = 0;

static void drain_outbox(ota_db *db, simulator *sim, int64_t now) {
  enum { PAGE = 1000 };
  size_t n = PAGE;
  while (n > 0) { /* a fetch also stops at about 16 MiB: only an empty one means drained */
    ota_buf out = {NULL, 0};
    must(ota_outbox_fetch(db, PAGE, &out), db, "ota_outbox_fetch");
    cbor_item_t *list = demo_load(out.data, out.len);
    int64_t ids[PAGE];
    n = cbor_array_size(list);
    for (size_t i = 0; i < n; i++) {
      cbor_item_t **m = cbor_array_handle(cbor_array_handle(list)[i]);
      ids[i] = demo_int(m[0]);
      const uint8_t *payload = cbor_bytestring_handle(m[2]);
      size_t len = cbor_bytestring_length(m[2]);
      char topic[96];
      if (!strncmp(demo_str(m[1], topic, sizeof topic), "ota/v1/vehicles/", 16)) sim_deliver(sim, payload, len, now);
      else if (len > 0) print_event(payload, len, sim->backend_key);
    }
    cbor_decref(&list);
    ota_buf_free(&out);
    if (n > (size_t)fleet_size / 50 && !host_crashed) { /* 100 of the whole fleet */
      /* At least once: a host that dies after publishing and before acknowledging loses
       * nothing; the next fetch returns the messages again and the vehicles drop them by seq. */
      char at[20];
      printf("  ! %s  the host dies after publishing %zu messages, before acknowledging them\n", dash_time(now, at), n);
      host_crashed = 1;
      return;
    }
    must(ota_outbox_ack(db, ids, n), db, "ota_outbox_ack");
  }
}

/* One step at now: does what is due; returns next-due (INT64_MAX: nothing due ever) and
 * the campaign's state. */
static int64_t step(ota_db *db, int64_t id, int64_t now, char state[16]) {
  ota_buf out = {NULL, 0};
  must(ota_campaign_step(db, MANAGER, now, id, &out), db, "ota_campaign_step");
  cbor_item_t *r = demo_load(out.data, out.len), *due = demo_get(r, "next-due");
  demo_str(demo_get(r, "state"), state, 16);
  int64_t next = demo_null(due) ? INT64_MAX : demo_int(due);
  cbor_decref(&r);
  ota_buf_free(&out);
  return next;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* The host's loop over one campaign, from `from` until it completes or `until`: the
 * gateway ingests the reports that came in (in batches, every 10 minutes), the host steps
 * when next-due comes (and after ingesting, which can make work due, e.g. a gate reached)
 * and publishes the outbox. A campaign that paused itself at a failure threshold is
 * resumed by the manager the next morning, after reading the alert. With `daily`, the
 * dashboard is printed at every midnight. Returns the time the loop stopped. */
static int64_t run_campaign(ota_db *db, simulator *sim, int64_t id, int64_t from, int64_t until, int daily) {
  enum { TICK = 600 };
  int64_t t = from, due = from, resume = INT64_MAX, midnight = (from / DAY + 1) * DAY;
  char state[16] = "";
  for (;;) {
    int ingested = sim_flush(sim, db, GATEWAY, t) > 0;
    if (t >= resume) {
      char at[20];
      printf("  ! %s  %s reads the alert: known failure modes, the rollout may go on\n", dash_time(t, at), MANAGER);
      must(ota_campaign_resume(db, MANAGER, t, id), db, "ota_campaign_resume");
      resume = INT64_MAX;
      due = t; /* the resumed campaign notifies again */
    }
    if (ingested || t >= due) due = step(db, id, t, state);
    drain_outbox(db, sim, t);
    if (!strcmp(state, "completed") || !strcmp(state, "aborted")) return t;
    if (!strcmp(state, "paused") && resume == INT64_MAX) resume = (t / DAY + 1) * DAY + 9 * HOUR;

    int64_t report = sim_next_report(sim);
    int64_t next = min64(min64(due, resume), until);
    if (report != INT64_MAX) next = min64(next, (report + TICK - 1) / TICK * TICK);
    if (next <= t) next = t + 60;
    for (; daily && midnight <= next && midnight <= until; midnight += DAY) {
      char title[16];
      snprintf(title, sizeof title, "end of day %d", (int)((midnight - from / DAY * DAY) / DAY));
      dashboard(db, id, midnight, title);
    }
    if (next >= until) return until;
    t = next;
  }
}

/* A few vehicles that the package is for, as the engineers' test fleet. */
static void add_test_fleet(ota_db *db, int64_t now, int count) {
  cbor_item_t *vins = demo_need(cbor_new_definite_array((size_t)count));
  printf("  test fleet:");
  for (int i = 1, added = 0; added < count; i++) {
    /* BCM-HW-A/B on 2.4.0/2.4.1 and not updated by the later snapshot (fleet_snapshot) */
    if (i % 3 == 2 || (i / 3) % 3 == 2 || i % 4 == 0) continue;
    char vin[18];
    make_vin(i, vin);
    demo_push(vins, demo_text(vin));
    printf(" %s", vin);
    added++;
  }
  printf("\n");
  demo_out bytes = demo_serialize(vins);
  must(ota_test_fleet_add(db, "erin@oem.example", now, bytes.data, bytes.len), db, "ota_test_fleet_add");
  free(bytes.data);
}

/* 6. The package on the test fleet first: a fleet campaign must name a completed test. */
static int64_t test_campaign(ota_db *db, simulator *sim, int64_t package, int64_t now) {
  add_test_fleet(db, now, 5);
  demo_out spec = test_campaign_spec(package, now);
  int64_t id = launch(db, &spec, now + 60);
  free(spec.data);
  sim_begin(sim, 0); /* test vehicles all install */
  int64_t done = run_campaign(db, sim, id, now + 1260, now + 2 * DAY, 0);
  dashboard(db, id, done, "test campaign");
  return id;
}

/* The statistics must equal what the vehicles did: no report lost on the way. */
static void check_outcomes(ota_db *db, int64_t id, int64_t now, const simulator *sim) {
  static const char *outcomes[] = {"succeeded", "failed", "declined"};
  ota_buf out = {NULL, 0};
  must(ota_campaign_stats(db, id, now, &out), db, "ota_campaign_stats");
  cbor_item_t *st = demo_load(out.data, out.len), *by_state = demo_get(st, "by-state");
  int same = 1;
  printf("  the vehicles' scripts vs the statistics:");
  for (int k = 0; k < 3; k++) {
    long expected = 0;
    for (int i = 0; i < ACT_COUNT; i++) expected += strcmp(SIM_SCRIPTS[i].outcome, outcomes[k]) ? 0 : sim->offered[i];
    int64_t counted = demo_int_at(by_state, outcomes[k]);
    printf(" %s %ld/%" PRId64, outcomes[k], expected, counted);
    same &= expected == counted;
  }
  printf(": %s\n", same ? "equal" : "DIFFERENT");
  cbor_decref(&st);
  ota_buf_free(&out);
  if (!same) exit(1);
}

/* 7. The fleet: three waves, stepped until they complete or the 30 days are over, a
 * dashboard at the end of every day. */
static int64_t fleet_campaign(ota_db *db, simulator *sim, int64_t package, int64_t test, int64_t now, int64_t *ended) {
  demo_out spec = fleet_campaign_spec(package, test, now + 1200);
  int64_t id = launch(db, &spec, now);
  free(spec.data);
  sim_begin(sim, 1);
  int64_t done = *ended = run_campaign(db, sim, id, now + 1200, now + 1200 + 30 * DAY, 1);
  printf("final statistics:\n");
  dashboard(db, id, done, "final");
  printf("  what the vehicles did (first offer):");
  for (int i = 0; i < ACT_COUNT; i++) printf(" %s %ld", SIM_SCRIPTS[i].name, sim->offered[i]);
  printf("\n");
  check_outcomes(db, id, done, sim);
  printf("  gateway: %ld reports applied, %ld duplicate, %ld stale, %ld rejected; vehicles: %ld messages read, "
         "%ld duplicates dropped, %ld bad signatures\n", sim->results[0], sim->results[1], sim->results[2],
         sim->results[3], sim->messages, sim->duplicates, sim->bad_signatures);
  return id;
}

/* ---- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "demo.db";
  const char *size = getenv("OTA_DEMO_VEHICLES");
  if (size) {
    char *end = NULL;
    long n = strtol(size, &end, 10);
    if (end == size || *end || n < 100 || n > FLEET) {
      fprintf(stderr, "OTA_DEMO_VEHICLES=%s: give a number of vehicles from 100 to %d\n", size, FLEET);
      return 2;
    }
    fleet_size = (int)n;
  }
  printf("libota %d (header %d)\n", ota_libversion_number(), OTA_VERSION_NUMBER);

  printf("1. store %s, people and roles\n", path);
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.bootstrap_admin = "alice@oem.example";
  opts.now = T0;
  ota_db *db = NULL;
  must(ota_open_ex(path, &opts, &db), NULL, "ota_open_ex");
  must(ota_grant(db, "alice@oem.example", T0 + 1, "erin@oem.example", "engineer"), db, "grant");
  must(ota_grant(db, "alice@oem.example", T0 + 2, "bob@oem.example", "approver"), db, "grant");
  must(ota_grant(db, "alice@oem.example", T0 + 2, "erin@oem.example", "approver"), db, "grant");
  must(ota_grant(db, "alice@oem.example", T0 + 3, "carl@oem.example", "campaign-manager"), db, "grant");
  must(ota_grant(db, "alice@oem.example", T0 + 3, GATEWAY, "gateway"), db, "grant");

  printf("2. fleet as built (end-of-line export)\n");
  import_fleet(db, T0 + 86400, 0);

  printf("3. update management\n");
  int64_t package = register_and_release(db, T0 + 2 * 86400);

  printf("4. target resolution over the inventory\n");
  resolve_from_store(db, T0 + 3 * 86400);

  printf("5. a later snapshot: every 4th vehicle now reports BCM 2.5.0\n");
  import_fleet(db, T0 + 30 * 86400, 1);
  ota_buf vehicle = {NULL, 0};
  char vin[18];
  make_vin(0, vin);
  must(ota_vehicle_get(db, vin, &vehicle), db, "ota_vehicle_get");
  printf("  vehicle %s: %zu-byte document with every ECU's history\n", vin, vehicle.len);
  ota_buf_free(&vehicle);
  resolve_from_store(db, T0 + 31 * 86400);

  /* The vehicles trust the store's signing key (set before the package approval). */
  simulator *sim = (simulator *)calloc(1, sizeof *sim);
  if (!sim) { fprintf(stderr, "out of memory\n"); return 1; }
  must(ota_signing_public_key(db, sim->backend_key), db, "ota_signing_public_key");

  printf("6. a test campaign on the test fleet\n");
  int64_t test = test_campaign(db, sim, package, T0 + 32 * DAY + 9 * HOUR);

  printf("7. the fleet campaign: three waves, 30 days to the deadline\n");
  int64_t ended = 0, fleet = fleet_campaign(db, sim, package, test, T0 + 35 * DAY + 6 * HOUR, &ended);
  sim_free(sim);

  /* For `make demo`: the arguments of the Python CLI's HTML report of this campaign. */
  FILE *args = fopen("demo-report.args", "w");
  if (args) {
    fprintf(args, "--now %" PRId64 " report %" PRId64 "\n", ended, fleet);
    fclose(args);
  }

  printf("8. audit trail\n");
  int64_t entries = 0, first_bad = 0, seq = 0;
  uint8_t head[32];
  must(ota_audit_verify(db, &entries, &first_bad), db, "ota_audit_verify");
  must(ota_audit_head(db, &seq, head), db, "ota_audit_head");
  printf("  %" PRId64 " entries, chain intact, head %02x%02x%02x%02x... (anchor it elsewhere)\n",
         entries, head[0], head[1], head[2], head[3]);

  ota_close(db);
  return 0;
}
