/* Campaign stepping and the outbox through the header: start, step, fetch, ack, pause,
 * resume, abort, with their error codes; every fetched message's COSE_Sign1 is checked with
 * libsodium directly. Built as C99 and as C++ by the Makefile. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota.h"
#include "check.h"
#include "cbor_stream.h"

#include "campaign_fixture.h"

/* A test campaign over the test fleet: immediate, one wave, answer within an hour. */
static size_t spec(enc *e, int64_t package) {
  e->n = 0;
  head(e, 5, 8);
  kv(e, "name", "BCM fix"); kv(e, "category", "bugfix");
  txt(e, "packages"); head(e, 4, 1); head(e, 0, (uint64_t)package);
  txt(e, "test"); head(e, 7, 21);
  kv(e, "urgency", "immediate"); ku(e, "end", NOW + 30 * 86400);
  txt(e, "waves"); head(e, 4, 1); head(e, 5, 2);
  ku(e, "success-gate", 100); ku(e, "failure-threshold", 50);
  txt(e, "timeouts"); head(e, 5, 2); ku(e, "answer", 3600); ku(e, "install", 7200);
  return e->n;
}

/* CBOR reading: the head's argument and size, and the size of a whole item (0: malformed). */
static size_t head_at(const uint8_t *p, size_t n, uint64_t *v) {
  if (n < 1) return 0;
  unsigned ai = p[0] & 31;
  if (ai < 24) { *v = ai; return 1; }
  size_t k = ai == 24 ? 1 : ai == 25 ? 2 : ai == 26 ? 4 : ai == 27 ? 8 : 0;
  if (k == 0 || n < 1 + k) return 0;
  *v = 0;
  for (size_t i = 0; i < k; i++) *v = (*v << 8) | p[1 + i];
  return 1 + k;
}
static size_t item_len(const uint8_t *p, size_t n) {
  uint64_t v;
  size_t h = head_at(p, n, &v);
  if (h == 0) return 0;
  switch (p[0] >> 5) {
  case 0: case 1: case 7: return h;
  case 2: case 3: return v <= n - h ? h + (size_t)v : 0;
  case 6: { size_t i = item_len(p + h, n - h); return i ? h + i : 0; }
  default: {
    size_t at = h, items = (size_t)v * ((p[0] >> 5) == 5 ? 2 : 1);
    for (size_t i = 0; i < items; i++) {
      size_t l = item_len(p + at, n - at);
      if (l == 0) return 0;
      at += l;
    }
    return at;
  }
  }
}
/* A byte or text string's content. */
static const uint8_t *string_at(const uint8_t *p, size_t n, size_t *len) {
  uint64_t v;
  size_t h = head_at(p, n, &v);
  if (h == 0 || v > n - h) return NULL;
  *len = (size_t)v;
  return p + h;
}
/* The value of a top-level text key, found by scanning for the key's bytes. */
static const uint8_t *after_key(const uint8_t *p, size_t n, const char *key) {
  size_t k = strlen(key);
  for (size_t i = 0; i + k + 1 < n; i++)
    if (p[i] == 0x60 + k && memcmp(p + i + 1, key, k) == 0) return p + i + 1 + k;
  return NULL;
}

/* Checks a tagged COSE_Sign1 with EdDSA against pk, as any verifier would. */
static int cose_verifies(const uint8_t *m, size_t n, const uint8_t pk[32]) {
  if (n < 2 || m[0] != 0xd2 || m[1] != 0x84) return 0;
  size_t at = 2, plen, slen, prlen;
  const uint8_t *prot = string_at(m + at, n - at, &prlen);
  if (!prot) return 0;
  at += item_len(m + at, n - at);
  at += item_len(m + at, n - at);             /* unprotected {4: kid} */
  const uint8_t *payload = string_at(m + at, n - at, &plen);
  if (!payload) return 0;
  at += item_len(m + at, n - at);
  const uint8_t *sig = string_at(m + at, n - at, &slen);
  if (!sig || slen != 64) return 0;
  uint8_t *tbs = (uint8_t *)malloc(plen + prlen + 64);
  enc hdr;
  size_t t = 0;
  hdr.n = 0; head(&hdr, 4, 4); txt(&hdr, "Signature1"); head(&hdr, 2, prlen);
  memcpy(tbs, hdr.b, hdr.n); t = hdr.n;
  memcpy(tbs + t, prot, prlen); t += prlen;
  hdr.n = 0; head(&hdr, 2, 0); head(&hdr, 2, plen);
  memcpy(tbs + t, hdr.b, hdr.n); t += hdr.n;
  memcpy(tbs + t, payload, plen); t += plen;
  int ok = crypto_sign_verify_detached(sig, tbs, t, pk) == 0;
  free(tbs);
  return ok;
}

/* Fetches up to 100 messages, checks each (signed, or an empty retained clear), stores the
 * ids and counts offers; returns the number of messages. */
static size_t fetch(ota_db *db, const uint8_t pk[32], int64_t *ids, size_t *offers) {
  ota_buf out = {NULL, 0};
  CHECK(ota_outbox_fetch(db, 100, &out) == OTA_OK);
  uint64_t count = 0;
  size_t at = head_at(out.data, out.len, &count);
  *offers = 0;
  for (uint64_t i = 0; i < count && at > 0; i++) {
    uint64_t id = 0, len4 = 0;
    CHECK(head_at(out.data + at, out.len - at, &len4) == 1 && len4 == 4);
    at += 1;
    at += head_at(out.data + at, out.len - at, &id);
    ids[i] = (int64_t)id;
    size_t tlen, plen;
    const uint8_t *topic = string_at(out.data + at, out.len - at, &tlen);
    at += item_len(out.data + at, out.len - at);
    const uint8_t *payload = string_at(out.data + at, out.len - at, &plen);
    at += item_len(out.data + at, out.len - at);
    int retain = out.data[at] == 0xf5;
    at += 1;
    CHECK(topic != NULL && payload != NULL);
    if (!topic || !payload) break;
    if (plen == 0) {
      CHECK(retain);
    } else {
      CHECK(cose_verifies(payload, plen, pk));
      if (tlen > 16 && memcmp(topic, "ota/v1/vehicles/", 16) == 0) {
        CHECK(retain);
        (*offers)++;
      } else {
        CHECK(!retain);
      }
    }
  }
  ota_buf_free(&out);
  return (size_t)count;
}

/* The unsigned integer after a top-level key of a step result (small values only). */
static int small_uint(const ota_buf *b, const char *key) {
  const uint8_t *v = after_key(b->data, b->len, key);
  return v && *v < 24 ? *v : -1;
}

int main(void) {
  if (sodium_init() < 0) return 2;
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.bootstrap_admin = "root";
  ota_db *db = NULL;
  CHECK(ota_open_ex(":memory:", &opts, &db) == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "eve", "engineer") == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "ann", "approver") == OTA_OK);
  CHECK(ota_grant(db, "root", NOW, "cam", "campaign-manager") == OTA_OK);
  uint8_t seed[32] = {7}, pk[32];
  CHECK(ota_set_signing_key(db, seed, "k1") == OTA_OK);
  CHECK(ota_signing_public_key(db, pk) == OTA_OK);

  enc e;
  ota_buf out = {NULL, 0};
  CHECK(ota_fleet_import(db, "eve", NOW, e.b, snapshot(&e), NULL, NULL, &out) == OTA_OK);
  ota_buf_free(&out);
  int64_t package = release_package(db, &e, "test_campaign_run_bcm.bin");
  CHECK(package > 0);
  e.n = 0; head(&e, 4, 2); txt(&e, VIN1); txt(&e, VIN2);
  CHECK(ota_test_fleet_add(db, "eve", NOW, e.b, e.n) == OTA_OK);

  int64_t id = 0;
  CHECK(ota_campaign_create(db, "cam", NOW, e.b, spec(&e, package), &id) == OTA_OK);
  CHECK(ota_campaign_approve(db, "ann", NOW, id) == OTA_OK);

  /* start: the role, the signer, the state */
  CHECK(ota_campaign_start(db, "eve", NOW, id) == OTA_DENIED);
  CHECK_MSG(ota_errmsg(db), "campaign-manager");
  CHECK(ota_campaign_start(db, NULL, NOW, id) == OTA_MISUSE);
  CHECK(ota_campaign_start(db, "cam", NOW, 99) == OTA_NOTFOUND);
  CHECK(ota_set_signing_key(db, NULL, NULL) == OTA_OK);
  CHECK(ota_campaign_start(db, "cam", NOW, id) == OTA_MISUSE);
  CHECK_MSG(ota_errmsg(db), "ota_set_signing_key");
  CHECK(ota_set_signing_key(db, seed, "k1") == OTA_OK);
  CHECK(ota_campaign_start(db, "cam", NOW, id) == OTA_OK);
  CHECK(ota_campaign_start(db, "cam", NOW, id) == OTA_CONFLICT);
  CHECK_MSG(ota_errmsg(db), "it is running");

  /* step: both test vehicles are notified; the answer timeout is next */
  CHECK(ota_campaign_step(db, "cam", NOW, id, NULL) == OTA_MISUSE);
  CHECK(ota_campaign_step(db, "cam", NOW, -1, &out) == OTA_BADINPUT);
  CHECK(ota_campaign_step(db, "gus", NOW, id, &out) == OTA_DENIED);
  CHECK(ota_campaign_step(db, "cam", NOW, id, &out) == OTA_OK);
  CHECK(small_uint(&out, "notified") == 2);
  CHECK(after_key(out.data, out.len, "next-due") != NULL);
  ota_buf_free(&out);

  /* the outbox: started, wave-opened, two offers; all signed; at least once until acked */
  int64_t ids[100];
  size_t offers = 0;
  CHECK(fetch(db, pk, ids, &offers) == 4);
  CHECK(offers == 2);
  CHECK(fetch(db, pk, ids, &offers) == 4);
  CHECK(ota_outbox_fetch(db, 0, &out) == OTA_BADINPUT);
  CHECK(ota_outbox_fetch(db, 10, NULL) == OTA_MISUSE);
  CHECK(ota_outbox_ack(db, NULL, 1) == OTA_MISUSE);
  CHECK(ota_outbox_ack(db, NULL, 0) == OTA_OK);
  CHECK(ota_outbox_ack(db, ids, 4) == OTA_OK);
  CHECK(ota_outbox_ack(db, ids, 4) == OTA_OK);
  CHECK(fetch(db, pk, ids, &offers) == 0);

  /* an hour later both time out (no retry): failed, cleared, the campaign completes */
  CHECK(ota_campaign_step(db, "cam", NOW + 3600, id, &out) == OTA_OK);
  CHECK(small_uint(&out, "timed-out") == 2);
  CHECK(after_key(out.data, out.len, "state") != NULL &&
        memcmp(after_key(out.data, out.len, "state"), "\x69" "completed", 10) == 0);
  ota_buf_free(&out);
  CHECK(fetch(db, pk, ids, &offers) == 3);   /* two clears and "completed" */
  CHECK(ota_outbox_ack(db, ids, 3) == OTA_OK);
  CHECK(ota_campaign_pause(db, "cam", NOW + 3600, id) == OTA_CONFLICT);
  CHECK(ota_campaign_abort(db, "cam", NOW + 3600, id, "late") == OTA_CONFLICT);

  /* a second campaign: pause, resume, abort (cancels sent to the notified vehicles) */
  int64_t id2 = 0;
  CHECK(ota_campaign_create(db, "cam", NOW, e.b, spec(&e, package), &id2) == OTA_OK);
  CHECK(ota_campaign_approve(db, "ann", NOW + 3600, id2) == OTA_OK);
  CHECK(ota_campaign_start(db, "cam", NOW + 3600, id2) == OTA_OK);
  CHECK(ota_campaign_step(db, "cam", NOW + 3600, 0, &out) == OTA_OK);
  CHECK(small_uint(&out, "notified") == 2);
  CHECK(after_key(out.data, out.len, "campaigns") != NULL);
  ota_buf_free(&out);
  CHECK(ota_campaign_pause(db, "cam", NOW + 3700, id2) == OTA_OK);
  CHECK(ota_campaign_pause(db, "cam", NOW + 3700, id2) == OTA_CONFLICT);
  CHECK(ota_campaign_resume(db, "cam", NOW + 3800, id2) == OTA_OK);
  CHECK(ota_campaign_abort(db, "cam", NOW + 3900, id2, NULL) == OTA_MISUSE);
  CHECK(ota_campaign_abort(db, "cam", NOW + 3900, id2, "") == OTA_BADINPUT);
  CHECK(ota_campaign_abort(db, "cam", NOW + 3900, id2, "wrong calibration") == OTA_OK);
  /* started, wave-opened, paused, resumed, aborted, and the two cancels (which replaced the
   * unacknowledged offers) */
  CHECK(fetch(db, pk, ids, &offers) == 7);
  CHECK(offers == 2);

  ota_close(db);
  return check_report("test_campaign_run");
}
