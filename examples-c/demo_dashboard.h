/* demo_dashboard.h: a compact terminal dashboard of one campaign, printed from
 * ota_campaign_stats (docs/schemas/campaign-stats.cddl): progress per wave, counts by state,
 * failures by reason and code, the largest markets. Everything it shows is read from the
 * statistics document, which libota keeps as counters: reading it costs the same for 100 or
 * 1,000,000 targets, so a host can refresh it as often as it likes. Also here: the other
 * things the quickstart prints, a validation report and a campaign event. */
#ifndef DEMO_DASHBOARD_H
#define DEMO_DASHBOARD_H

#include <inttypes.h>
#include <time.h>

#include "ota.h"
#include "demo_read.h"

static void must_ok(int rc, ota_db *db, const char *what) {
  if (rc == OTA_OK) return;
  fprintf(stderr, "%s failed: %s: %s\n", what, ota_code_name(rc), ota_errmsg(db));
  exit(1);
}

/* Target states in pipeline order (the document's maps have them in key order). */
static const char *const DASH_STATES[] = {"pending", "queued", "notified", "accepted", "deferred", "downloading",
                                          "downloaded", "installing", "succeeded", "failed", "declined",
                                          "expired", "cancelled"};

/* "2026-02-05 17:00" in UTC (the demo's clock is UTC seconds). */
static const char *dash_time(int64_t t, char out[20]) {
  time_t tt = (time_t)t;
  strftime(out, 20, "%Y-%m-%d %H:%M", gmtime(&tt));
  return out;
}

/* A bar of `width` cells: '#' succeeded, 'x' failed or declined, '.' the rest. */
static void dash_bar(int64_t ok, int64_t bad, int64_t total, int width) {
  int full = total ? (int)(ok * width / total) : 0, worse = total ? (int)(bad * width / total) : 0;
  if (full + worse > width) worse = width - full;
  putchar('[');
  for (int i = 0; i < width; i++) putchar(i < full ? '#' : i < full + worse ? 'x' : '.');
  putchar(']');
}

static void dash_waves(const cbor_item_t *waves) {
  for (size_t i = 0; waves && i < cbor_array_size(waves); i++) {
    cbor_item_t *w = cbor_array_handle(waves)[i], *states = demo_get(w, "by-state");
    int64_t targets = demo_int_at(w, "targets"), ok = demo_int_at(states, "succeeded");
    int64_t bad = demo_int_at(states, "failed") + demo_int_at(states, "declined");
    char opened[20];
    printf("  wave %d %5" PRId64 " ", (int)demo_int_at(w, "index"), targets);
    dash_bar(ok, bad, targets, 30);
    printf(" %3d%% ok", targets ? (int)(ok * 100 / targets) : 0);
    if (demo_null(demo_get(w, "opened"))) printf("  pending\n");
    else printf("  opened %s\n", dash_time(demo_int_at(w, "opened"), opened));
  }
}

/* Non-zero counts by state, in pipeline order. */
static void dash_states(const cbor_item_t *by_state) {
  printf("  states ");
  for (size_t i = 0; i < sizeof DASH_STATES / sizeof *DASH_STATES; i++) {
    int64_t n = demo_int_at(by_state, DASH_STATES[i]);
    if (n) printf(" %s %" PRId64, DASH_STATES[i], n);
  }
  printf("\n");
}

/* Failed targets by reason, each with the vehicles' codes: "install 12 (code 49)". */
static void dash_failures(const cbor_item_t *failures) {
  printf("  failed ");
  if (!failures || cbor_map_size(failures) == 0) printf(" none");
  for (size_t i = 0; failures && i < cbor_map_size(failures); i++) {
    struct cbor_pair r = cbor_map_handle(failures)[i];
    char reason[32], code[16];
    printf(" %s %" PRId64, demo_str(r.key, reason, sizeof reason), demo_sum(r.value));
    for (size_t j = 0; j < cbor_map_size(r.value); j++) /* "none": the library's own reasons */
      if (!demo_is(cbor_map_handle(r.value)[j].key, "none"))
        printf(" (code %s)", demo_str(cbor_map_handle(r.value)[j].key, code, sizeof code));
  }
  printf("\n");
}

/* The four largest markets by targets, with their success share. */
static void dash_markets(const cbor_item_t *by_market) {
  size_t n = by_market ? cbor_map_size(by_market) : 0, shown[4];
  size_t top = n < 4 ? n : 4;
  printf("  markets");
  for (size_t k = 0; k < top; k++) {
    size_t best = n;
    for (size_t i = 0; i < n; i++) {
      int taken = 0;
      for (size_t j = 0; j < k; j++) taken |= shown[j] == i;
      if (!taken && (best == n || demo_sum(cbor_map_handle(by_market)[i].value) >
                                      demo_sum(cbor_map_handle(by_market)[best].value)))
        best = i;
    }
    shown[k] = best;
    struct cbor_pair m = cbor_map_handle(by_market)[best];
    int64_t targets = demo_sum(m.value), ok = demo_int_at(m.value, "succeeded");
    char name[16];
    printf("  %s %" PRId64 "/%" PRId64 " ok", demo_str(m.key, name, sizeof name), ok, targets);
  }
  printf("\n");
}

/* Prints the dashboard of campaign id as of now, under a title ("day 3"). */
static void dashboard(ota_db *db, int64_t id, int64_t now, const char *title) {
  ota_buf out = {NULL, 0};
  must_ok(ota_campaign_stats(db, id, now, &out), db, "ota_campaign_stats");
  cbor_item_t *st = demo_load(out.data, out.len);
  char state[16], at[20];
  int64_t progress = demo_int_at(st, "progress"), success = demo_int_at(st, "success");
  printf("== %s | %s UTC | campaign %" PRId64 " %s | %" PRId64 " targets | progress %d.%02d%% | success %d.%02d%%",
         title, dash_time(now, at), id, demo_str(demo_get(st, "state"), state, sizeof state),
         demo_int_at(st, "targets"), (int)(progress / 100), (int)(progress % 100), (int)(success / 100),
         (int)(success % 100));
  cbor_item_t *median = demo_get(st, "median-time-to-success");
  if (!demo_null(median)) printf(" | median %" PRId64 " min", demo_int(median) / 60);
  printf("\n");
  dash_waves(demo_get(st, "waves"));
  dash_states(demo_get(st, "by-state"));
  dash_failures(demo_get(st, "failures"));
  dash_markets(demo_get(st, "by-market"));
  cbor_decref(&st);
  ota_buf_free(&out);
}

/* Prints a validation report: every problem at once, the targets approval would freeze and
 * the vehicles left out, by reason. */
static void print_validation(ota_db *db, int64_t id) {
  ota_buf out = {NULL, 0};
  must_ok(ota_campaign_validate(db, id, &out), db, "ota_campaign_validate");
  cbor_item_t *v = demo_load(out.data, out.len), *problems = demo_get(v, "problems"), *excluded = demo_get(v, "excluded");
  printf("  campaign %" PRId64 " validated: %" PRId64 " targets, %zu problems; left out:", id,
         demo_int_at(v, "targets"), problems ? cbor_array_size(problems) : 0);
  for (size_t i = 0; excluded && i < cbor_map_size(excluded); i++) {
    char reason[32];
    printf(" %s %" PRId64, demo_str(cbor_map_handle(excluded)[i].key, reason, sizeof reason),
           demo_int(cbor_map_handle(excluded)[i].value));
  }
  printf("\n");
  for (size_t i = 0; problems && i < cbor_array_size(problems); i++) {
    char text[200];
    printf("    problem: %s\n", demo_str(cbor_array_handle(problems)[i], text, sizeof text));
  }
  cbor_decref(&v);
  ota_buf_free(&out);
}

/* An event from the campaign's event topic (signed like every message; operators' tools and
 * the host's mailer subscribe there): "wave-opened wave 2, 417 targets". */
static void print_event(const uint8_t *payload, size_t len, const uint8_t backend_key[32]) {
  cbor_item_t *msg = demo_cose_open(payload, len, backend_key);
  cbor_item_t *e = demo_get(msg, "event"), *contacts = demo_get(msg, "contacts");
  char type[32], at[20], text[240];
  printf("  > %s  %-16s", dash_time(demo_int_at(e, "at"), at), demo_str(demo_get(e, "type"), type, sizeof type));
  if (demo_get(e, "reason")) printf(" %s", demo_str(demo_get(e, "reason"), text, sizeof text));
  else if (demo_get(e, "wave")) printf(" wave %d", (int)demo_int_at(e, "wave"));
  if (demo_get(e, "targets")) printf(" (%" PRId64 " targets)", demo_int_at(e, "targets"));
  if (contacts && cbor_array_size(contacts) > 0)
    printf("  (mail to %s)", demo_str(cbor_array_handle(contacts)[0], text, sizeof text));
  printf("\n");
  if (msg) cbor_decref(&msg);
}

#endif
