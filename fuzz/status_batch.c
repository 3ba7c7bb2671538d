/* Fuzz target: an ingestion batch. The input is the batch (a CBOR array of [topic, report
 * bytes]), ingested as the gateway (ota_status_ingest_batch) on the store of status_report
 * (a running campaign notified to VIN1 and VIN2), reopened and prepared again every 1024
 * inputs. Contract: declared codes with a message; out {NULL, 0} on failure, one CBOR item on
 * success; the audit chain verifies at every reopen. Built only when the archive has
 * ota_status_ingest_batch. */
#define OTA_FUZZ_STATUS
#include "fuzz_common.h"

static ota_db *db;
static unsigned runs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (db == NULL || ++runs % 1024 == 0) {
    fz_close_verified(db);
    db = fz_open_store();
    FZ_REQUIRE(db != NULL, "open the store");
    fz_prepare_running_campaign(db);
  }
  ota_buf out = {(uint8_t *)1, 7};
  int rc = ota_status_ingest_batch(db, "gw", FZ_NOW + 120 + (int64_t)runs, data, size, &out);
  fz_check_rc(rc, ota_errmsg(db), "ota_status_ingest_batch");
  fz_check_out(rc, &out, "ota_status_ingest_batch");
  if (rc == OTA_OK) fz_check_cbor(&out, "ota_status_ingest_batch result");
  ota_buf_free(&out);
  return 0;
}
