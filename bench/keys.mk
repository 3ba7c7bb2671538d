# CBOR map keys: a 1 MiB rule of ~116,000 short keys parsed by ota_resolve's rule parse (tree
# built, keys checked unique), next to walk_cbor over the same bytes (a plain walk, no tree).
# Guards the duplicate-key check, which was quadratic (40,000 keys took 15 s). A few seconds.
KEYS_BIN  := $(BUILD)/bench-keys
KEYS_DATA := $(DATA)/keys
RUN_TARGETS += keys-bench

.PHONY: keys-bench
keys-bench: $(KEYS_BIN)/rule_keys_bench $(KEYS_BIN)/walk_cbor
	@mkdir -p $(KEYS_DATA)
	@$(KEYS_BIN)/rule_keys_bench $(KEYS_DATA)/rule-keys.cbor 5 > $(KEYS_DATA)/run.out
	@for i in 1 2 3; do $(KEYS_BIN)/walk_cbor $(KEYS_DATA)/rule-keys.cbor; done >> $(KEYS_DATA)/run.out
	@awk '{ for (i = 2; i <= NF; i++) { split($$i, kv, "="); v[$$1, kv[1]] = kv[2] } \
	        if ($$1 == "walk" && (w == "" || v["walk", "ns"] < w)) w = v["walk", "ns"] } \
	  END { p = v["parse", "ns"]; \
	        printf "== rule parse of a 1 MiB map of %d short keys (%d bytes)\n", v["parse", "keys"], v["parse", "bytes"]; \
	        printf "  ota_resolve rule parse: %8.2f ms   walk_cbor: %6.2f ms   parse/walk: %.1fx\n", \
	          p / 1e6, w / 1e6, p / w }' $(KEYS_DATA)/run.out

$(KEYS_BIN)/rule_keys_bench: rule_keys_bench.c $(TOP)/include/ota.h $(BUILD)/libota.a
	@mkdir -p $(@D)
	$(CC) -std=c99 -O2 -Wall -Wextra -I $(TOP)/include -o $@ $< $(BUILD)/libota.a -lsqlite3 -lcbor -lsodium -lm -lpthread

$(KEYS_BIN)/walk_cbor: walk_cbor.c
	@mkdir -p $(@D)
	$(CC) -O2 -o $@ $<
