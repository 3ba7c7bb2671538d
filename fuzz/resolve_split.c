/* Fuzz target: rule and snapshot together. The input's first two bytes (big-endian) give the
 * rule's length, taken modulo what follows; the rule comes next, the snapshot is the rest.
 * Both documents vary at once, so the matcher meets rules and vehicles it was not written
 * against. Contract as resolve_snapshot. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t rest = size - 2;
  size_t rule_len = (((size_t)data[0] << 8) | data[1]) % (rest + 1);
  /* Copies of exactly their length, so AddressSanitizer sees a read past either end. */
  uint8_t *rule = (uint8_t *)malloc(rule_len ? rule_len : 1);
  uint8_t *snap = (uint8_t *)malloc(rest - rule_len ? rest - rule_len : 1);
  FZ_REQUIRE(rule && snap, "malloc");
  memcpy(rule, data + 2, rule_len);
  memcpy(snap, data + 2 + rule_len, rest - rule_len);
  ota_buf out = {(uint8_t *)1, 7};
  int rc = ota_resolve(snap, rest - rule_len, rule, rule_len, &out);
  fz_check_rc(rc, ota_last_errmsg(), "ota_resolve");
  fz_check_out(rc, &out, "ota_resolve");
  if (rc == OTA_OK) fz_check_cbor(&out, "ota_resolve result");
  ota_buf_free(&out);
  free(rule);
  free(snap);
  return 0;
}
