# Fleet import: ota_fleet_import of the generated 1M-vehicle fleet into a fresh store, next to
# import_baseline (plain C, one prepared statement per table, one transaction) inserting the
# same rows into a fresh store of the same schema. The baseline's time covers its insert loop
# only; libota's covers the whole call (reading, checking, matching, writing, committing).
# IMPORT_N=100000 make bench   for a quicker run.
IMPORT_N    ?= 1000000
IMPORT_BIN  := $(BUILD)/bench-import
IMPORT_DATA := $(DATA)/import
IMPORT_FILE := $(IMPORT_DATA)/fleet-$(IMPORT_N).cbor
IMPORT_LINK := $(BUILD)/libota.a -lsqlite3 -lcbor -lsodium -lm -lpthread
RUN_TARGETS += run-import

.PHONY: run-import
run-import: $(IMPORT_BIN)/import_bench $(IMPORT_BIN)/import_baseline $(IMPORT_BIN)/make_store $(IMPORT_FILE)
	@echo "== import of $(IMPORT_FILE) ($$(stat -c %s $(IMPORT_FILE)) bytes) into a fresh store"
	@rm -f $(IMPORT_DATA)/libota.db* $(IMPORT_DATA)/baseline.db*
	@$(IMPORT_BIN)/make_store $(IMPORT_DATA)/baseline.db
	@$(IMPORT_BIN)/import_baseline $(IMPORT_FILE) $(IMPORT_DATA)/baseline.db | tee $(IMPORT_DATA)/baseline.out
	@rm -f $(IMPORT_DATA)/baseline.db*
	@$(IMPORT_BIN)/import_bench $(IMPORT_FILE) $(IMPORT_DATA)/libota.db | tee $(IMPORT_DATA)/libota.out
	@rm -f $(IMPORT_DATA)/libota.db*
	@cat $(IMPORT_DATA)/baseline.out $(IMPORT_DATA)/libota.out | awk ' \
	  { for (i = 2; i <= NF; i++) { split($$i, kv, "="); v[$$1, kv[1]] = kv[2] } } \
	  END { b = v["import-baseline", "vehicles"] / v["import-baseline", "ns"] * 1e9; \
	        l = v["import-libota", "vehicles"] / v["import-libota", "ns"] * 1e9; \
	        printf "import: libota %.0f vehicles/s (%.1f s), baseline inserts %.0f vehicles/s (%.1f s): ratio %.2f (target >= 0.50)\n", \
	          l, v["import-libota", "ns"] / 1e9, b, v["import-baseline", "ns"] / 1e9, l / b }'

$(IMPORT_BIN)/import_bench: import_bench.c $(TOP)/include/ota.h $(BUILD)/libota.a
	@mkdir -p $(@D)
	$(CC) -std=c99 -O2 -Wall -Wextra -I $(TOP)/include -o $@ $< $(IMPORT_LINK)

$(IMPORT_BIN)/make_store: make_store.c $(TOP)/include/ota.h $(BUILD)/libota.a
	@mkdir -p $(@D)
	$(CC) -std=c99 -O2 -Wall -Wextra -I $(TOP)/include -o $@ $< $(IMPORT_LINK)

$(IMPORT_BIN)/import_baseline: import_baseline.c
	@mkdir -p $(@D)
	$(CC) -std=c99 -O2 -Wall -Wextra -o $@ $< -lsqlite3

$(IMPORT_BIN)/gen_fleet: gen_fleet.c
	@mkdir -p $(@D)
	$(CC) -O2 -o $@ $<

$(IMPORT_DATA)/fleet-%.cbor: $(IMPORT_BIN)/gen_fleet
	@mkdir -p $(@D)
	$< $* $@
