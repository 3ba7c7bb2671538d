/* Fuzz target: the target rule. The input is a rule, resolved over one fixed snapshot (a
 * string table, attributes of every type, several ECUs per vehicle, appended fields).
 * Contract as resolve_snapshot. */
#include "fuzz_common.h"

static cb_doc snap;

static cbor_item_t *ecu(uint64_t node, const char *hw, const char *sw) {
  return cb_array(5, cb_uint(node), cb_text(hw), cb_text(sw), cb_null(), cb_text("SN-1"));
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  /* string table: 0 "BCM", 1 "GW", 2 "Aster", 3 "sedan", 4 "petrol" */
  cbor_item_t *table = cb_array(5, cb_text("BCM"), cb_text("GW"), cb_text("Aster"), cb_text("sedan"), cb_text("petrol"));
  static const char *vins[4] = {FZ_VIN1, FZ_VIN2, FZ_VIN3, "WVWZZZ1KZAW000004"};
  static const char *markets[4] = {"DE", "FR", "US", "DE"};
  static const char *sws[4] = {"1.0", "1.1", "2.0", "1.0"};
  cbor_item_t *vehicles = cb_array_of(4);
  for (int i = 0; i < 4; i++) {
    cbor_item_t *attrs = cb_map(3, cb_text("trim"), cb_text(i % 2 ? "base" : "sport"), cb_text("seats"), cb_int(5 - i),
                                cb_text("tow"), cb_bool(i == 3));
    cb_push(vehicles, cb_array(11, cb_text(vins[i]), cb_uint(2), cb_uint(3), cb_uint(4), cb_text(markets[i]),
                               cb_uint(1600000000u + (uint64_t)i * 10000000u),
                               cb_array(3, ecu(0, "BCM-A", sws[i]), ecu(0, i == 1 ? "BCM-B" : "BCM-A", "1.0"),
                                        ecu(1, "GW-1", i == 2 ? "3.0" : "3.1")),
                               cb_text("ENG"), cb_null(), attrs, cb_uint(99)));
  }
  snap = cb_encode(cb_map(4, cb_uint(0), cb_uint(1), cb_uint(1), cb_uint(FZ_NOW), cb_uint(2), table, cb_uint(3), vehicles));
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ota_buf out = {(uint8_t *)1, 7};
  int rc = ota_resolve(snap.data, snap.len, data, size, &out);
  fz_check_rc(rc, ota_last_errmsg(), "ota_resolve");
  fz_check_out(rc, &out, "ota_resolve");
  if (rc == OTA_OK) fz_check_cbor(&out, "ota_resolve result");
  ota_buf_free(&out);
  return 0;
}
