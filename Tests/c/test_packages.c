/* Error codes of the package and role API, and an HSM-style signer callback, from C.
 * Built as C99 and as C++ by the Makefile; prints "N passed, 0 failed" last. */
#include <ota.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cbor_build.h"

#define CHECK_RC(db, call, want) do { int rc_ = (call); if (rc_ == (want)) check_passed++; else { check_failed++; \
  fprintf(stderr, "%s:%d: %s returned %s, expected %s: %s\n", __FILE__, __LINE__, #call, \
          ota_code_name(rc_), ota_code_name(want), ota_errmsg(db)); } } while (0)
#define HAS(db, text) CHECK_MSG(ota_errmsg(db), (text))

/* A document in a fixed buffer, so that e.b stays valid whatever order a call's arguments are
 * evaluated in (manifest(&e, ...) fills it in the same call). */
typedef struct { uint8_t b[4096]; size_t n; } enc;

static size_t keep(enc *e, cb_doc d) {
  e->n = d.len <= sizeof e->b ? d.len : 0;
  if (e->n) memcpy(e->b, d.data, d.len);
  cb_free(&d);
  return e->n;
}

static const uint8_t content[] = "flash image bytes\n";

/* With requirements ["N0", ["1"]], ["N1", ["1"]], ... */
static size_t manifest_requiring(enc *e, const char *version, unsigned counter, size_t sha_len, uint64_t size,
                                 unsigned requirements) {
  uint8_t sha[32];
  crypto_hash_sha256(sha, content, sizeof content - 1);
  cbor_item_t *file = cb_map(4, cb_text("name"), cb_text("abs.bin"), cb_text("size"), cb_uint(size),
                             cb_text("sha256"), cb_bytes(sha, sha_len), cb_text("uri"), cb_text("s3://ota/abs.bin"));
  cbor_item_t *requires = cb_array_of(requirements);
  for (unsigned i = 0; i < requirements; i++) {
    char node[16];
    snprintf(node, sizeof node, "N%u", i);
    cb_push(requires, cb_array(2, cb_text(node), cb_array(1, cb_text("1"))));
  }
  return keep(e, cb_encode(cb_map(16, cb_text("requires"), requires,
      cb_text("name"), cb_text("ABS-fw"), cb_text("version"), cb_text(version), cb_text("ecu"), cb_text("ABS"),
      cb_text("category"), cb_text("recall"), cb_text("release-type"), cb_text("critical"),
      cb_text("issue"), cb_text("Brake pressure sensor drift"), cb_text("protocol"), cb_text("CAN"),
      cb_text("powertrains"), cb_array(1, cb_text("hybrid")), cb_text("models"), cb_array(1, cb_text("Aurora")),
      cb_text("hw"), cb_array(1, cb_text("ABS-HW-7")), cb_text("from"), cb_array(1, cb_text("0.9")),
      cb_text("to"), cb_text(version), cb_text("files"), cb_array(1, file),
      cb_text("release-notes"), cb_text("Recalibrated drift compensation."),
      cb_text("release-counter"), cb_uint(counter))));
}

static size_t manifest_of_size(enc *e, const char *version, unsigned counter, size_t sha_len, uint64_t size) {
  return manifest_requiring(e, version, counter, sha_len, size, 0);
}

static size_t manifest(enc *e, const char *version, unsigned counter, size_t sha_len) {
  return manifest_of_size(e, version, counter, sha_len, sizeof content - 1);
}

/* The "HSM": a libsodium key in the context, and a switch to make it fail. */
typedef struct { uint8_t pk[32], sk[64], last[64]; int calls, fail; } hsm;
static int hsm_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]) {
  hsm *h = (hsm *)ctx;
  h->calls++;
  if (h->fail) return 7;
  crypto_sign_detached(sig, NULL, msg, len, h->sk);
  memcpy(h->last, sig, 64);
  return 0;
}

int main(void) {
  ota_db *db = NULL;
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.bootstrap_admin = "root";
  if (ota_open_ex(":memory:", &opts, &db) != OTA_OK) { fprintf(stderr, "open: %s\n", ota_last_errmsg()); return 1; }
  if (sodium_init() < 0) return 1;
  const int64_t now = 1700000000;
  enc e = {{0}, 0};
  int64_t id = -1;
  ota_buf out = { NULL, 0 };
  uint8_t key[32];

  /* NULL handle and arguments: OTA_MISUSE */
  CHECK(ota_package_register(NULL, "eve", now, e.b, 1, &id) == OTA_MISUSE);
  CHECK(ota_package_get(NULL, 1, &out) == OTA_MISUSE);
  CHECK(ota_grant(NULL, "root", now, "eve", "engineer") == OTA_MISUSE);
  CHECK_RC(db, ota_package_register(db, NULL, now, e.b, 1, &id), OTA_MISUSE);
  HAS(db, "actor is NULL");
  CHECK_RC(db, ota_package_register(db, "eve", now, NULL, 5, &id), OTA_MISUSE);
  HAS(db, "manifest is NULL but its length is 5");
  CHECK_RC(db, ota_package_register(db, "eve", now, e.b, manifest(&e, "1.0", 1, 32), NULL), OTA_MISUSE);
  CHECK_RC(db, ota_package_get(db, 1, NULL), OTA_MISUSE);
  CHECK_RC(db, ota_package_list(db, NULL, 3, &out), OTA_MISUSE);
  CHECK_RC(db, ota_grant(db, "root", now, NULL, "engineer"), OTA_MISUSE);
  CHECK_RC(db, ota_roles(db, "root", NULL), OTA_MISUSE);
  CHECK_RC(db, ota_set_signing_key(db, NULL, "kid"), OTA_MISUSE);
  CHECK_RC(db, ota_signing_public_key(db, key), OTA_MISUSE);
  HAS(db, "no signing key");
  CHECK_RC(db, ota_package_verify_file(db, "eve", now, 1, "abs.bin", NULL), OTA_MISUSE);
  CHECK_RC(db, ota_package_withdraw(db, "root", now, 1, NULL), OTA_MISUSE);

  /* roles */
  CHECK_RC(db, ota_grant(db, "root", now, "eve", "engineer"), OTA_OK);
  CHECK_RC(db, ota_grant(db, "root", now, "ann", "approver"), OTA_OK);
  CHECK_RC(db, ota_grant(db, "root", now, "ann", "approver"), OTA_CONFLICT);
  CHECK_RC(db, ota_grant(db, "root", now, "ann", "janitor"), OTA_BADINPUT);
  HAS(db, "unknown role 'janitor'");
  CHECK_RC(db, ota_grant(db, "eve", now, "eve", "admin"), OTA_DENIED);
  HAS(db, "needs the role admin");
  CHECK_RC(db, ota_revoke(db, "root", now, "root", "admin"), OTA_CONFLICT);
  CHECK_RC(db, ota_revoke(db, "root", now, "eve", "gateway"), OTA_NOTFOUND);
  CHECK_RC(db, ota_roles(db, "eve", &out), OTA_OK);
  CHECK(out.len > 0 && out.data[0] == 0x81); /* one grant */
  ota_buf_free(&out);

  /* bad manifests: OTA_BADINPUT with every problem */
  {
    static const uint8_t garbage[] = { 0xff, 0x00 };
    CHECK_RC(db, ota_package_register(db, "eve", now, garbage, sizeof garbage, &id), OTA_BADINPUT);
    HAS(db, "manifest: ");
    CHECK_RC(db, ota_package_register(db, "eve", now, NULL, 0, &id), OTA_BADINPUT);
    CHECK_RC(db, ota_package_register(db, "eve", now, e.b, manifest(&e, "1.0", 1, 16), &id), OTA_BADINPUT);
    HAS(db, "files[0].sha256: expected 32 bytes, found 16");
    CHECK(id == -1);
    /* a campaign's rule is built from the manifest: at most 32 requirements, as in a rule */
    CHECK_RC(db, ota_package_register(db, "eve", now, e.b, manifest_requiring(&e, "1.0", 1, 32, sizeof content - 1, 33), &id), OTA_BADINPUT);
    HAS(db, "requires: 33 items, more than 32");
    CHECK(id == -1);
  }

  /* denied, then registered */
  CHECK_RC(db, ota_package_register(db, "ann", now, e.b, manifest(&e, "1.0", 1, 32), &id), OTA_DENIED);
  HAS(db, "needs the role engineer");
  CHECK_RC(db, ota_package_register(db, "eve", now, e.b, manifest(&e, "1.0", 1, 32), &id), OTA_OK);
  CHECK(id > 0);
  {
    int64_t again = 0;
    CHECK_RC(db, ota_package_register(db, "eve", now, e.b, manifest(&e, "1.0", 1, 32), &again), OTA_CONFLICT);
    HAS(db, "already registered");
  }
  CHECK_RC(db, ota_package_get(db, 999, &out), OTA_NOTFOUND);
  CHECK_RC(db, ota_package_signature(db, id, &out), OTA_NOTFOUND);
  HAS(db, "it is draft");

  /* files: missing, mismatched, matched */
  {
    FILE *f = fopen("test_packages_abs.bin", "wb");
    CHECK(f != NULL);
    if (f) { fwrite(content, 1, sizeof content - 1, f); fclose(f); }
    f = fopen("test_packages_bad.bin", "wb");
    if (f) { fwrite(content, 1, sizeof content - 2, f); fclose(f); }
  }
  CHECK_RC(db, ota_package_verify_file(db, "eve", now, id, "abs.bin", "no/such/file"), OTA_IO);
  /* a declared size at the end of int64_t: read to the file's end, a mismatch, no overflow */
  {
    enc big;
    int64_t big_id = 0;
    CHECK(manifest_of_size(&big, "1.9", 1, 32, (uint64_t)INT64_MAX) > 0);
    CHECK_RC(db, ota_package_register(db, "eve", now, big.b, big.n, &big_id), OTA_OK);
    CHECK_RC(db, ota_package_verify_file(db, "eve", now, big_id, "abs.bin", "test_packages_abs.bin"), OTA_CORRUPT);
    HAS(db, "recorded as a mismatch");
    CHECK_RC(db, ota_package_verify_file(db, "eve", now, big_id, "abs.bin", "/dev/null"), OTA_CORRUPT);
  }
  CHECK_RC(db, ota_package_verify_file(db, "eve", now, id, "other.bin", "test_packages_abs.bin"), OTA_NOTFOUND);
  CHECK_RC(db, ota_package_verify_file(db, "ann", now, id, "abs.bin", "test_packages_abs.bin"), OTA_DENIED);
  CHECK_RC(db, ota_package_verify_file(db, "eve", now, id, "abs.bin", "test_packages_bad.bin"), OTA_CORRUPT);
  HAS(db, "recorded as a mismatch");
  CHECK_RC(db, ota_package_validate(db, "eve", now, id), OTA_CONFLICT);
  HAS(db, "(mismatch)");
  CHECK_RC(db, ota_package_verify_file(db, "eve", now, id, "abs.bin", "test_packages_abs.bin"), OTA_OK);
  CHECK_RC(db, ota_package_approve(db, "ann", now, id), OTA_CONFLICT);
  HAS(db, "it is draft");
  CHECK_RC(db, ota_package_validate(db, "eve", now, id), OTA_OK);
  CHECK_RC(db, ota_package_validate(db, "eve", now, id), OTA_CONFLICT);
  HAS(db, "it is validated");

  /* approval: no key, a failing signer, a signer with the wrong public key, a good one */
  CHECK_RC(db, ota_package_approve(db, "ann", now, id), OTA_MISUSE);
  HAS(db, "no signing key");
  {
    static hsm h;
    uint8_t seed[32], wrong[32];
    memset(seed, 0x42, sizeof seed);
    crypto_sign_seed_keypair(h.pk, h.sk, seed);
    CHECK_RC(db, ota_set_signer(db, hsm_sign, &h, NULL, "hsm-1"), OTA_MISUSE);
    CHECK_RC(db, ota_set_signer(db, hsm_sign, &h, h.pk, ""), OTA_BADINPUT);
    memcpy(wrong, h.pk, 32);
    wrong[0] ^= 1;
    CHECK_RC(db, ota_set_signer(db, hsm_sign, &h, wrong, "hsm-1"), OTA_OK);
    CHECK_RC(db, ota_package_approve(db, "ann", now, id), OTA_MISUSE);
    HAS(db, "does not verify");
    CHECK_RC(db, ota_set_signer(db, hsm_sign, &h, h.pk, "hsm-1"), OTA_OK);
    h.fail = 1;
    CHECK_RC(db, ota_package_approve(db, "ann", now, id), OTA_IO);
    HAS(db, "failed with 7");
    h.fail = 0;
    CHECK_RC(db, ota_package_approve(db, "eve", now, id), OTA_DENIED);
    CHECK_RC(db, ota_package_approve(db, "ann", now, id), OTA_OK);
    CHECK(h.calls == 3);
    CHECK_RC(db, ota_signing_public_key(db, key), OTA_OK);
    CHECK(memcmp(key, h.pk, 32) == 0);
    CHECK_RC(db, ota_package_signature(db, id, &out), OTA_OK);
    /* the COSE_Sign1 ends with the signature the callback made: bstr(64) */
    CHECK(out.len > 66 && out.data[0] == 0xd2 && out.data[out.len - 66] == 0x58 && out.data[out.len - 65] == 0x40);
    CHECK(out.len > 66 && memcmp(out.data + out.len - 64, h.last, 64) == 0);
    ota_buf_free(&out);
    ota_buf_free(&out); /* idempotent */
    CHECK_RC(db, ota_set_signer(db, NULL, NULL, NULL, NULL), OTA_OK);
    CHECK_RC(db, ota_signing_public_key(db, key), OTA_MISUSE);
  }

  /* release, immutability, rollback protection */
  CHECK_RC(db, ota_package_release(db, "eve", now, id), OTA_DENIED);
  HAS(db, "approver or campaign-manager");
  CHECK_RC(db, ota_package_release(db, "ann", now, id), OTA_OK);
  CHECK_RC(db, ota_package_verify_file(db, "eve", now, id, "abs.bin", "test_packages_abs.bin"), OTA_CONFLICT);
  HAS(db, "released and immutable");
  CHECK_RC(db, ota_package_validate(db, "eve", now, id), OTA_CONFLICT);
  {
    int64_t lower = 0;
    CHECK_RC(db, ota_package_register(db, "eve", now, e.b, manifest(&e, "1.1", 1, 32), &lower), OTA_CONFLICT);
    HAS(db, "rollback protection");
  }
  CHECK_RC(db, ota_package_withdraw(db, "ann", now, id, ""), OTA_BADINPUT);
  CHECK_RC(db, ota_package_withdraw(db, "ann", now, id, "sensor supplier recall"), OTA_OK);
  CHECK_RC(db, ota_package_withdraw(db, "ann", now, id, "again"), OTA_CONFLICT);
  HAS(db, "it is withdrawn");

  /* seed keys */
  {
    uint8_t seed[32] = { 0 };
    CHECK_RC(db, ota_set_signing_key(db, seed, "key-0"), OTA_OK);
    CHECK_RC(db, ota_signing_public_key(db, key), OTA_OK);
    CHECK_RC(db, ota_set_signing_key(db, NULL, NULL), OTA_OK);
    CHECK_RC(db, ota_signing_public_key(db, key), OTA_MISUSE);
  }

  /* list with a filter */
  {
    enc f;
    keep(&f, cb_encode(cb_map(1, cb_text("state"), cb_text("withdrawn"))));
    CHECK_RC(db, ota_package_list(db, f.b, f.n, &out), OTA_OK);
    CHECK(out.len > 0 && out.data[0] == 0x81);
    ota_buf_free(&out);
    keep(&f, cb_encode(cb_map(1, cb_text("state"), cb_text("lost"))));
    CHECK_RC(db, ota_package_list(db, f.b, f.n, &out), OTA_BADINPUT);
    CHECK_RC(db, ota_package_list(db, NULL, 0, &out), OTA_OK);
    ota_buf_free(&out);
  }
  CHECK_RC(db, ota_audit_verify(db, NULL, NULL), OTA_OK);

  remove("test_packages_abs.bin");
  remove("test_packages_bad.bin");
  ota_close(db);
  return check_report("test_packages");
}
