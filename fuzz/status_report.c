/* Fuzz target: one status report. The input's first byte picks the topic (the status topic of
 * VIN1, VIN2 or VIN3, or a topic that is not a status topic); the rest is the report, ingested
 * as the gateway (ota_status_ingest) on a store with a running campaign notified to VIN1 and
 * VIN2, reopened and prepared again every 1024 inputs (reports move targets on). Contract:
 * declared codes with a message; out {NULL, 0} on failure, one CBOR item on success; the
 * audit chain verifies at every reopen. Built only when the archive has ota_status_ingest. */
#define OTA_FUZZ_STATUS
#include "fuzz_common.h"

static ota_db *db;
static unsigned runs;

static const char *const topics[4] = {
  "ota/v1/vehicles/" FZ_VIN1 "/status", "ota/v1/vehicles/" FZ_VIN2 "/status",
  "ota/v1/vehicles/" FZ_VIN3 "/status", "ota/v1/vehicles/" FZ_VIN1 "/command",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  if (db == NULL || ++runs % 1024 == 0) {
    fz_close_verified(db);
    db = fz_open_store();
    FZ_REQUIRE(db != NULL, "open the store");
    fz_prepare_running_campaign(db);
  }
  uint8_t *report = (uint8_t *)malloc(size - 1 ? size - 1 : 1);
  FZ_REQUIRE(report, "malloc");
  memcpy(report, data + 1, size - 1);
  ota_buf out = {(uint8_t *)1, 7};
  int rc = ota_status_ingest(db, "gw", FZ_NOW + 120 + (int64_t)runs, topics[data[0] & 3], report, size - 1, &out);
  fz_check_rc(rc, ota_errmsg(db), "ota_status_ingest");
  fz_check_out(rc, &out, "ota_status_ingest");
  if (rc == OTA_OK) fz_check_cbor(&out, "ota_status_ingest result");
  ota_buf_free(&out);
  free(report);
  return 0;
}
