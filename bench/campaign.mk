# Campaigns and status ingestion (issues 9 and 10): every libota figure beside its baseline
# from the same run, on a store of CAMPAIGN_N generated vehicles and, for the figures that
# must not grow with the campaign (idle step, statistics), on a store of 10,000.
#   define   ota_campaign_create + _validate + _approve (freeze) of an every-vehicle campaign
#            vs the store's export + ota_resolve + a plain C insert of the target rows
#   notify   the step notifying wave 0 (10,000 offers, signed) vs a plain insert of the same
#            outbox rows + crypto_sign_detached of as many payloads of the same sizes
#   idle     a step with nothing due, N targets vs 10,000, and vs the notifying step
#   ingest   batches of 1,000 "accepted" reports, and 1,000 single reports (synchronous
#            commit), vs plain SQL with prepared statements, synchronous = FULL
#   stats    ota_campaign_stats, N targets vs 10,000
# The prepared stores (fleet imported, package released) are built once and copied for each
# run. CAMPAIGN_N=100000 make bench   for a quicker run.
CAMPAIGN_N     ?= 1000000
CAMPAIGN_SMALL := 10000
CAMPAIGN_BIN   := $(BUILD)/bench-campaign
CAMPAIGN_DATA  := $(DATA)/campaign
CAMPAIGN_LINK  := $(BUILD)/libota.a -lsqlite3 -lcbor -lsodium -lm -lpthread
RUN_TARGETS    += run-campaign

CAMPAIGN_RUN := $(CAMPAIGN_BIN)/campaign_bench
CAMPAIGN_BASE := $(CAMPAIGN_BIN)/campaign_baseline
CD := $(CAMPAIGN_DATA)

.PHONY: run-campaign
run-campaign: $(CAMPAIGN_RUN) $(CAMPAIGN_BASE) $(CD)/store-$(CAMPAIGN_N).db $(CD)/store-$(CAMPAIGN_SMALL).db
	@echo "== campaigns and status ingestion: $(CAMPAIGN_N) vehicles (idle step and statistics also on $(CAMPAIGN_SMALL))"
	@rm -f $(CD)/*.out $(CD)/work*.db* $(CD)/ingest*.db* $(CD)/outbox.db*
	@cp $(CD)/store-$(CAMPAIGN_N).db $(CD)/work.db
	@$(CAMPAIGN_RUN) campaign $(CD)/work.db $(CD)/sizes.txt $(CAMPAIGN_N) > $(CD)/libota.out
	@rm -f $(CD)/work.db*; cp $(CD)/store-$(CAMPAIGN_SMALL).db $(CD)/work.db
	@$(CAMPAIGN_RUN) campaign $(CD)/work.db $(CD)/sizes-small.txt $(CAMPAIGN_SMALL) | sed 's/^campaign-/small-/' > $(CD)/small.out
	@rm -f $(CD)/work.db*; cp $(CD)/store-$(CAMPAIGN_N).db $(CD)/work.db
	@$(CAMPAIGN_BASE) freeze $(CD)/work.db > $(CD)/baseline.out
	@rm -f $(CD)/work.db*
	@$(CAMPAIGN_BASE) notify $(CD)/sizes.txt $(CD)/outbox.db >> $(CD)/baseline.out
	@rm -f $(CD)/outbox.db*; cp $(CD)/store-$(CAMPAIGN_N).db $(CD)/ingest.db
	@$(CAMPAIGN_RUN) notify-all $(CD)/ingest.db $(CAMPAIGN_N) > /dev/null
	@test ! -s $(CD)/ingest.db-wal  # closed and checkpointed: the file alone is the store
	@cp $(CD)/ingest.db $(CD)/ingest-baseline.db
	@$(CAMPAIGN_RUN) ingest $(CD)/ingest.db >> $(CD)/libota.out
	@rm -f $(CD)/ingest.db*
	@$(CAMPAIGN_BASE) ingest $(CD)/ingest-baseline.db >> $(CD)/baseline.out
	@rm -f $(CD)/ingest-baseline.db*
	@awk -f campaign_summary.awk $(CD)/libota.out $(CD)/small.out $(CD)/baseline.out

# A prepared store: the fleet imported, roles granted, the package released. Built once
# (the program is an order-only prerequisite: changing it does not re-import 1M vehicles).
$(CD)/store-%.db: $(CD)/fleet-%.cbor | $(CAMPAIGN_RUN)
	@rm -f $@ $@-wal $@-shm
	$(CAMPAIGN_RUN) prepare $< $@

$(CD)/fleet-%.cbor: $(CAMPAIGN_BIN)/gen_fleet
	@mkdir -p $(@D)
	$< $* $@

$(CAMPAIGN_BIN)/campaign_%: campaign_%.c campaign_common.h $(TOP)/include/ota.h $(BUILD)/libota.a
	@mkdir -p $(@D)
	$(CC) -std=c99 -O2 -Wall -Wextra -I $(TOP)/include -o $@ $< $(CAMPAIGN_LINK)

$(CAMPAIGN_BIN)/gen_fleet: gen_fleet.c
	@mkdir -p $(@D)
	$(CC) -O2 -o $@ $<

.PRECIOUS: $(CD)/fleet-%.cbor $(CD)/store-%.db
