/* demo_specs.h: the quickstart's two campaign specs (docs/schemas/campaign.cddl), built with
 * libcbor. Times are seconds; percentages are whole numbers here (two decimals are allowed). */
#ifndef DEMO_SPECS_H
#define DEMO_SPECS_H

#include "demo_cbor.h"

static cbor_item_t *spec_ids(int64_t id) {
  cbor_item_t *a = demo_need(cbor_new_definite_array(1));
  demo_push(a, demo_uint((uint64_t)id));
  return a;
}

/* {"success-gate", "failure-threshold", ? "share", ? "soak"}; share 0: the wave takes the rest. */
static cbor_item_t *spec_wave(int share, int gate, int threshold, int64_t soak) {
  cbor_item_t *w = demo_need(cbor_new_definite_map(5));
  if (share) demo_put(w, "share", demo_uint((uint64_t)share));
  demo_put(w, "success-gate", demo_uint((uint64_t)gate));
  demo_put(w, "failure-threshold", demo_uint((uint64_t)threshold));
  if (soak) demo_put(w, "soak", demo_uint((uint64_t)soak));
  return w;
}

static cbor_item_t *spec_timeouts(int64_t answer, int64_t install) {
  cbor_item_t *t = demo_need(cbor_new_definite_map(2));
  demo_put(t, "answer", demo_uint((uint64_t)answer));
  demo_put(t, "install", demo_uint((uint64_t)install));
  return t;
}

/* The test campaign: the package on the store's test fleet, all at once, one wave. */
static demo_out test_campaign_spec(int64_t package, int64_t now) {
  cbor_item_t *waves = demo_need(cbor_new_definite_array(1));
  demo_push(waves, spec_wave(100, 100, 20, 0));
  cbor_item_t *s = demo_need(cbor_new_definite_map(8));
  demo_put(s, "name", demo_text("BCM comfort-lighting 2.5.0 on the test fleet"));
  demo_put(s, "category", demo_text("bugfix"));
  demo_put(s, "packages", spec_ids(package));
  demo_put(s, "test", demo_need(cbor_build_bool(true)));
  demo_put(s, "urgency", demo_text("immediate"));
  demo_put(s, "end", demo_uint((uint64_t)(now + 7 * 86400)));
  demo_put(s, "waves", waves);
  demo_put(s, "timeouts", spec_timeouts(86400, 86400));
  return demo_serialize(s);
}

/* A weekly window, every day, in local time of a region: from `start` (minute of the day)
 * for `minutes`. */
static cbor_item_t *spec_window(const char *region, int start, int minutes, int utc_offset) {
  cbor_item_t *w = demo_need(cbor_new_definite_map(5)), *days = demo_need(cbor_new_definite_array(7));
  for (int d = 0; d < 7; d++) demo_push(days, demo_uint((uint64_t)d)); /* 0 = Monday */
  demo_put(w, "regions", demo_texts(&region, 1));
  demo_put(w, "days", days);
  demo_put(w, "start", demo_uint((uint64_t)start));
  demo_put(w, "minutes", demo_uint((uint64_t)minutes));
  demo_put(w, "utc-offset", utc_offset < 0 ? demo_need(cbor_build_negint16((uint16_t)(-utc_offset - 1)))
                                           : demo_uint((uint64_t)utc_offset));
  return w;
}

/* The fleet campaign, after the test campaign: three waves (5 %, 25 %, the rest), each opening
 * only when the one before reached its success gate and soaked; a wave whose final targets
 * fail above its threshold pauses the campaign. Vehicles are notified in the evening of their
 * region (parked at home), at most 20 a minute (doubling after every 200 successes); owners may
 * defer twice (a reminder a day later); silent vehicles time out; failures for reasons a
 * retry can cure are retried twice, 6 h and then 12 h later. */
static demo_out fleet_campaign_spec(int64_t package, int64_t test, int64_t start) {
  static const char *eu[] = {"DE", "FR", "IT"}, *na[] = {"US"}, *apac[] = {"CN", "JP"};
  static const char *retried[] = {"download", "power", "precondition", "install", "verification"};
  static const char *ops[] = {"ota-ops@oem.example"}, *release[] = {"release-mgmt@oem.example"};
  cbor_item_t *regions = demo_need(cbor_new_definite_map(3));
  demo_put(regions, "EU", demo_texts(eu, 3));
  demo_put(regions, "NA", demo_texts(na, 1));
  demo_put(regions, "APAC", demo_texts(apac, 2));
  cbor_item_t *waves = demo_need(cbor_new_definite_array(3));
  demo_push(waves, spec_wave(5, 70, 10, 2 * 86400));
  demo_push(waves, spec_wave(25, 75, 15, 86400));
  demo_push(waves, spec_wave(0, 80, 20, 0));
  cbor_item_t *ramp = demo_need(cbor_new_definite_map(2)), *rate = demo_need(cbor_new_definite_map(2));
  demo_put(ramp, "factor", demo_uint(2));
  demo_put(ramp, "every", demo_uint(200));
  demo_put(rate, "per-minute", demo_uint(20));
  demo_put(rate, "ramp", ramp);
  cbor_item_t *windows = demo_need(cbor_new_definite_array(3));
  demo_push(windows, spec_window("EU", 18 * 60, 300, 60));    /* 18:00-23:00 CET */
  demo_push(windows, spec_window("NA", 19 * 60, 300, -300));  /* 19:00-24:00 EST */
  demo_push(windows, spec_window("APAC", 20 * 60, 180, 480)); /* 20:00-23:00 CST */
  cbor_item_t *notify = demo_need(cbor_new_definite_map(3));
  demo_put(notify, "reminder", demo_uint(86400));
  demo_put(notify, "max-deferrals", demo_uint(2));
  demo_put(notify, "feedback-on-decline", demo_need(cbor_build_bool(true)));
  cbor_item_t *retry = demo_need(cbor_new_definite_map(4));
  demo_put(retry, "max", demo_uint(2));
  demo_put(retry, "backoff", demo_uint(6 * 3600));
  demo_put(retry, "factor", demo_uint(2));
  demo_put(retry, "reasons", demo_texts(retried, 5));
  cbor_item_t *contacts = demo_need(cbor_new_definite_map(3));
  demo_put(contacts, "on-failure", demo_texts(ops, 1));
  demo_put(contacts, "on-pause", demo_texts(ops, 1));
  demo_put(contacts, "on-success", demo_texts(release, 1));

  cbor_item_t *s = demo_need(cbor_new_definite_map(17));
  demo_put(s, "name", demo_text("BCM comfort-lighting 2.5.0 fleet rollout"));
  demo_put(s, "category", demo_text("bugfix"));
  demo_put(s, "priority", demo_uint(600));
  demo_put(s, "packages", spec_ids(package));
  demo_put(s, "regions", regions);
  demo_put(s, "after-test", demo_uint((uint64_t)test));
  demo_put(s, "urgency", demo_text("immediate"));
  demo_put(s, "end", demo_uint((uint64_t)(start + 30 * 86400)));
  demo_put(s, "waves", waves);
  demo_put(s, "rate", rate);
  demo_put(s, "windows", windows);
  demo_put(s, "notify", notify);
  demo_put(s, "timeouts", spec_timeouts(3 * 86400, 86400));
  demo_put(s, "retry", retry);
  demo_put(s, "seed", demo_uint(2026));
  demo_put(s, "contacts", contacts);
  return demo_serialize(s);
}

#endif
