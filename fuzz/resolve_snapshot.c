/* Fuzz target: the snapshot reader and the resolver. The input is a fleet snapshot, resolved
 * with one fixed rule that uses every kind of filter (so every matching path reads the
 * vehicle). Contract: a code ota.h declares; on failure a message and out {NULL, 0}; on
 * success one CBOR item, and the same bytes again on a second call (the resolver is pure). */
#include "fuzz_common.h"

static cb_doc rule;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  cbor_item_t *attrs = cb_map(2, cb_text("trim"), cb_text("sport"), cb_text("seats"), cb_uint(5));
  rule = cb_encode(cb_map(11,
      cb_text("ecu"), cb_text("BCM"), cb_text("hw"), cb_array(2, cb_text("BCM-A"), cb_text("BCM-B")),
      cb_text("from"), cb_array(2, cb_text("1.0"), cb_text("1.1")), cb_text("to"), cb_text("2.0"),
      cb_text("models"), cb_array(1, cb_text("Aster")), cb_text("powertrains"), cb_array(2, cb_text("petrol"), cb_text("hybrid")),
      cb_text("markets"), cb_array(2, cb_text("DE"), cb_text("US")),
      cb_text("produced"), cb_array(2, cb_uint(0), cb_uint(2000000000u)),
      cb_text("exclude-vins"), cb_array(1, cb_text(FZ_VIN2)), cb_text("attributes"), attrs,
      cb_text("requires"), cb_array(1, cb_array(2, cb_text("GW"), cb_array(1, cb_text("3.1"))))));
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ota_buf out = {(uint8_t *)1, 7}; /* garbage: the call must clear it first */
  int rc = ota_resolve(data, size, rule.data, rule.len, &out);
  fz_check_rc(rc, ota_last_errmsg(), "ota_resolve");
  fz_check_out(rc, &out, "ota_resolve");
  if (rc == OTA_OK) {
    fz_check_cbor(&out, "ota_resolve result");
    ota_buf again = {NULL, 0};
    FZ_REQUIRE(ota_resolve(data, size, rule.data, rule.len, &again) == OTA_OK, "ota_resolve twice");
    FZ_REQUIRE(again.len == out.len && memcmp(again.data, out.data, out.len) == 0, "ota_resolve deterministic");
    ota_buf_free(&again);
  }
  ota_buf_free(&out);
  ota_buf_free(&out); /* idempotent */
  return 0;
}
