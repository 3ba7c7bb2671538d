# Target resolution: ota_resolve over a generated fleet (1M vehicles, ~240 MB), next to the
# two baselines over the very same bytes: walk_cbor (a plain C walk of every item, no
# matching) and libcbor_stream (libcbor's streaming decoder with no-op callbacks). Run for
# the table-encoded file and the same fleet with every string inline.
# RESOLVE_N=100000 make bench   for a quicker run.
RESOLVE_N    ?= 1000000
RESOLVE_BIN  := $(BUILD)/bench-resolve
RESOLVE_DATA := $(DATA)/resolve
RESOLVE_FILES := $(RESOLVE_DATA)/fleet-$(RESOLVE_N).cbor $(RESOLVE_DATA)/fleet-$(RESOLVE_N)-inline.cbor
RUN_TARGETS  += resolve-bench

.PHONY: resolve-bench
# Per file: the walker and libcbor best of 3, each rule best of 3, then the ratios (baseline
# time / libota time: above 1 means libota is faster). Then peak memory of ota_resolve_file.
resolve-bench: $(RESOLVE_BIN)/resolve_bench $(RESOLVE_BIN)/gen_fleet $(RESOLVE_BIN)/walk_cbor $(RESOLVE_BIN)/libcbor_stream $(RESOLVE_FILES)
	@for f in $(RESOLVE_FILES); do \
	  echo "== resolve over $$f ($$(stat -c %s $$f) bytes)"; \
	  { for i in 1 2 3; do $(RESOLVE_BIN)/walk_cbor $$f; $(RESOLVE_BIN)/libcbor_stream $$f; done; \
	    $(RESOLVE_BIN)/resolve_bench $$f 3; } > $(RESOLVE_DATA)/run.out; \
	  awk -f resolve_summary.awk $(RESOLVE_DATA)/run.out; \
	done
	@$(RESOLVE_BIN)/resolve_bench --file $(word 1,$(RESOLVE_FILES)) | awk '{ \
	  for (i = 2; i <= NF; i++) { split($$i, kv, "="); v[kv[1]] = kv[2] } \
	  extra = (v["peak_rss_bytes"] - v["file_bytes"]) / 1048576; \
	  printf "  peak memory of ota_resolve_file: %.1f MiB for a %.1f MiB snapshot: file + %.1f MiB (target: file + 64 MB at most)\n", \
	    v["peak_rss_bytes"] / 1048576, v["file_bytes"] / 1048576, extra }'

$(RESOLVE_BIN)/resolve_bench: resolve_bench.c $(TOP)/include/ota.h $(BUILD)/libota.a
	@mkdir -p $(@D)
	$(CC) -std=c99 -O2 -Wall -Wextra -I $(TOP)/include -o $@ $< $(BUILD)/libota.a -lsqlite3 -lcbor -lsodium -lm -lpthread

$(RESOLVE_BIN)/%: %.c
	@mkdir -p $(@D)
	$(CC) -O2 -o $@ $< -lcbor

$(RESOLVE_DATA)/fleet-%-inline.cbor: $(RESOLVE_BIN)/gen_fleet
	@mkdir -p $(@D)
	$< $* $@ --inline

$(RESOLVE_DATA)/fleet-%.cbor: $(RESOLVE_BIN)/gen_fleet
	@mkdir -p $(@D)
	$< $* $@
