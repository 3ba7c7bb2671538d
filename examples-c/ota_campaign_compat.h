/* ota_campaign_compat.h: the campaign and status calls of design/campaigns.md §9 that
 * examples-c/mqtt-gateway.c uses, declared here only until include/ota.h declares them.
 *
 * TEMPORARY: delete this file (and its #include in mqtt-gateway.c) once the campaign API is
 * merged into include/ota.h. The Makefile defines OTA_HAS_CAMPAIGNS when include/ota.h
 * declares ota_campaign_step, so after the merge these lines are skipped already; they repeat
 * §9's prototypes exactly, so a compiler that sees both sees the same declarations. */
#ifndef OTA_CAMPAIGN_COMPAT_H
#define OTA_CAMPAIGN_COMPAT_H

#include "ota.h"

#ifndef OTA_HAS_CAMPAIGNS
#ifdef __cplusplus
extern "C" {
#endif

int ota_campaign_step(ota_db *db, const char *actor, int64_t now, int64_t id, ota_buf *out);
int ota_outbox_fetch(ota_db *db, int64_t limit, ota_buf *out);
int ota_outbox_ack(ota_db *db, const int64_t *ids, size_t count);
int ota_status_ingest(ota_db *db, const char *actor, int64_t now, const char *topic,
                      const uint8_t *report, size_t len, ota_buf *out);
int ota_status_ingest_batch(ota_db *db, const char *actor, int64_t now,
                            const uint8_t *batch, size_t len, ota_buf *out);

#ifdef __cplusplus
}
#endif
#endif /* OTA_HAS_CAMPAIGNS */

#endif /* OTA_CAMPAIGN_COMPAT_H */
