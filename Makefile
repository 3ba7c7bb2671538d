# libota: `make demo` runs the quickstart on an embedded SQLite store; `make test` runs every
# test. The shipped libraries come from the Embedded Swift build (`make embedded`): no Swift
# runtime, only libc, libsqlite3, libcbor, libsodium and libm.

# The Swift toolchain: on PATH, else the image's /opt/swift.
export PATH := $(PATH):/opt/swift/usr/bin
SWIFTC   ?= $(or $(shell command -v swiftc 2>/dev/null),/opt/swift/usr/bin/swiftc)
CC       ?= cc
CXX      ?= c++
PYTHON   ?= python3
BUILD    := build
EMB      := $(BUILD)/embedded
TRIPLE   := x86_64-unknown-linux-gnu
SWIFT_LIB := $(dir $(SWIFTC))../lib/swift
UNICODE_TABLES := $(SWIFT_LIB)/embedded/$(TRIPLE)/libswiftUnicodeDataTables.a

SYSLIBS  := -lsqlite3 -lcbor -lsodium -lm
LDLIBS_STATIC := $(BUILD)/libota.a $(SYSLIBS) -lpthread
CWARN    := -Wall -Wextra -pedantic -Werror

# The MQTT gateway (examples-c/mqtt-gateway.c, docs/gateway.md), built by `make embedded`.
MQTT_GATEWAY_BIN := $(BUILD)/mqtt-gateway

EMBED_FLAGS := -target $(TRIPLE) -enable-experimental-feature Embedded \
	-enable-experimental-feature CImplementation -wmo -parse-as-library -O \
	-I Sources/CSQLite -I Sources/CCbor -I Sources/CSodium -I Sources/CShim -I Sources/CByteClass -I Sources/COTA \
	-I $(EMB)

core_src  := $(shell find Sources/OTACore -name '*.swift' | sort)
store_src := $(shell find Sources/OTAStore -name '*.swift' | sort)
api_src   := $(shell find Sources/OTA -name '*.swift' | sort)
shims     := $(wildcard Sources/C*/*.h Sources/C*/module.modulemap) include/ota.h

.PHONY: all deps build embedded test test-swift test-c test-asan test-python check-runtime demo bench clean
.PHONY: wheel test-cpp test-cmake test-valgrind test-tsan fuzz fuzz-ci fuzz-run fuzz-build


all: build embedded

build:
	swift build

embedded: $(BUILD)/libota.a $(BUILD)/libota.so $(BUILD)/ota.pc $(MQTT_GATEWAY_BIN)

# One module at a time, each whole-module: the Embedded compiler specializes across them.
$(EMB)/OTACore.o: $(core_src) $(shims)
	@mkdir -p $(EMB)
	$(SWIFTC) $(EMBED_FLAGS) -module-name OTACore -emit-module -emit-module-path $(EMB)/OTACore.swiftmodule -c $(core_src) -o $@
	@touch $@  # swiftc keeps an unchanged output's old time

$(EMB)/OTAStore.o: $(store_src) $(EMB)/OTACore.o
	$(SWIFTC) $(EMBED_FLAGS) -module-name OTAStore -emit-module -emit-module-path $(EMB)/OTAStore.swiftmodule -c $(store_src) -o $@
	@touch $@

$(EMB)/OTA.o: $(api_src) $(EMB)/OTAStore.o
	$(SWIFTC) $(EMBED_FLAGS) -module-name OTA -c $(api_src) -o $@
	@touch $@

# One relocatable object with the Unicode tables it needs merged in; every symbol but the
# ota_ API is made local, so the archive cannot clash with anything else in the program.
$(BUILD)/ota.o: $(EMB)/OTACore.o $(EMB)/OTAStore.o $(EMB)/OTA.o
	ld -r -o $@.tmp $^ $(UNICODE_TABLES)
	objcopy --wildcard --keep-global-symbol='ota_*' $@.tmp $@
	@rm -f $@.tmp

$(BUILD)/libota.a: $(BUILD)/ota.o
	rm -f $@ && ar rcs $@ $<

$(BUILD)/libota.so: $(BUILD)/ota.o libota.map
	$(CC) -shared -o $@ $(BUILD)/ota.o -Wl,--version-script=libota.map -Wl,-soname,libota.so.0 -Wl,-z,defs $(SYSLIBS)
	ln -sf libota.so $(BUILD)/libota.so.0  # the soname, for programs linked with -Lbuild -lota

$(BUILD)/ota.pc: ota.pc.in
	sed -e 's|@PREFIX@|$(CURDIR)|' $< > $@

# The archive must need nothing from a Swift runtime; the shared library no libswift*.
check-runtime: $(BUILD)/libota.a $(BUILD)/libota.so
	@if nm -u $(BUILD)/libota.a | grep -i 'swift'; then echo "FAIL: libota.a needs Swift runtime symbols"; exit 1; fi
	@if ldd $(BUILD)/libota.so | grep -i 'libswift'; then echo "FAIL: libota.so links a Swift runtime"; exit 1; fi
	@if nm -D --defined-only $(BUILD)/libota.so | awk '$$2 != "A" {print $$3}' | grep -v '^ota_'; then echo "FAIL: libota.so exports non-ota_ symbols"; exit 1; fi
	@echo "check-runtime: libota.a needs only: $$(nm -u $(BUILD)/libota.a | awk '{print $$2}' | sort -u | tr '\n' ' ')"

# Installs missing apt/pip packages; quick when everything is there.
deps:
	@.ci/install-deps

test: deps
	@$(MAKE) --no-print-directory test-swift test-c test-asan test-tsan test-python test-cpp test-cmake test-valgrind check-runtime
	@$(MAKE) --no-print-directory fuzz-ci FUZZ_LIB=$(BUILD)/libota.a

test-swift:
	swift test

# Every C test is built twice from the same source: as C99 and as C++.
C_TESTS := $(patsubst Tests/c/%.c,$(BUILD)/tests/%,$(wildcard Tests/c/*.c))
C_TEST_HEADERS := $(wildcard Tests/c/*.h) include/ota.h

$(BUILD)/tests/%: Tests/c/%.c $(C_TEST_HEADERS) $(BUILD)/libota.a
	@mkdir -p $(BUILD)/tests
	$(CC) -std=c99 $(CWARN) -I include -o $@ $< $(LDLIBS_STATIC)

$(BUILD)/tests/%-cxx: Tests/c/%.c $(C_TEST_HEADERS) $(BUILD)/libota.a
	@mkdir -p $(BUILD)/tests
	$(CXX) -x c++ -std=c++17 $(CWARN) -I include -o $@ $< -x none $(LDLIBS_STATIC)

test-c: $(C_TESTS) $(addsuffix -cxx,$(C_TESTS))
	@set -e; for t in $(C_TESTS); do (cd $(BUILD)/tests && ./$$(basename $$t) && ./$$(basename $$t)-cxx); done

# The same C tests and the quickstart (on a fresh store in a temporary directory) under
# AddressSanitizer (leaks included) and UndefinedBehaviorSanitizer: any report fails the run.
ASAN_CC    ?= gcc
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g
ASAN_TESTS := $(patsubst Tests/c/%.c,$(BUILD)/asan/%,$(wildcard Tests/c/*.c)) $(BUILD)/asan/quickstart
ASAN_ENV   := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

$(BUILD)/asan/%: Tests/c/%.c $(C_TEST_HEADERS) $(BUILD)/libota.a
	@mkdir -p $(BUILD)/asan
	$(ASAN_CC) -std=c99 $(CWARN) $(ASAN_FLAGS) -I include -o $@ $< $(LDLIBS_STATIC)

$(BUILD)/asan/quickstart: examples-c/quickstart.c $(wildcard examples-c/demo_*.h) include/ota.h $(BUILD)/libota.a
	@mkdir -p $(BUILD)/asan
	$(ASAN_CC) -std=c99 $(CWARN) $(ASAN_FLAGS) -I include -o $@ $< $(LDLIBS_STATIC)

test-asan: $(ASAN_TESTS)
	@set -e; for t in $(filter-out %/quickstart,$(ASAN_TESTS)); do (cd $(BUILD)/asan && $(ASAN_ENV) ./$$(basename $$t)); done
	@set -e; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	  (cd "$$dir" && $(ASAN_ENV) $(CURDIR)/$(BUILD)/asan/quickstart demo.db > quickstart.log) \
	  || { cat "$$dir/quickstart.log"; exit 1; }; echo "quickstart (asan): ok"

test-python: $(BUILD)/libota.so $(MQTT_GATEWAY_BIN)
	OTA_LIB=$(CURDIR)/$(BUILD)/libota.so $(PYTHON) -m pytest -q python/tests

# The Python package as a platform wheel carrying libota.so (needs only the system's
# libsqlite3, libcbor and libsodium): pip install build/libota-*.whl. Built from a copy of
# python/ so the source tree never holds a stale libota.so; offline when setuptools and
# wheel are installed, else pip fetches them from PyPI.
WHEEL_SRC := $(BUILD)/wheel-src
WHEEL_ISOLATION := $(shell $(PYTHON) -c 'import setuptools, wheel' 2>/dev/null && echo --no-build-isolation)

wheel: $(BUILD)/libota.so
	rm -rf $(WHEEL_SRC) $(BUILD)/libota-*.whl && mkdir -p $(WHEEL_SRC)
	cp -r python/pyproject.toml python/setup.py python/README.md python/libota $(WHEEL_SRC)/
	rm -rf $(WHEEL_SRC)/libota/__pycache__ && cp $(BUILD)/libota.so $(WHEEL_SRC)/libota/libota.so
	$(PYTHON) -m pip wheel -q --no-deps $(WHEEL_ISOLATION) -w $(BUILD) $(WHEEL_SRC)
	@ls $(BUILD)/libota-*.whl

# The C++ example with its RAII wrappers, built as C++17 against the static library and run
# on a fresh store.
$(BUILD)/cpp-client: examples-c/cpp-client.cpp examples-c/demo_cbor.h include/ota.h $(BUILD)/libota.a
	$(CXX) -std=c++17 -Wall -Wextra -pedantic -Werror -I include -o $@ $< $(LDLIBS_STATIC)

test-cpp: $(BUILD)/cpp-client
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && $(BUILD)/cpp-client "$$d/store.db"

# The CMake example: finds libota through pkg-config (build/ota.pc) and links it (shared:
# the program needs libota.so's soname, libota.so.0, next to it).
test-cmake: $(BUILD)/libota.so $(BUILD)/ota.pc
	rm -rf $(BUILD)/cmake-example
	PKG_CONFIG_PATH=$(CURDIR)/$(BUILD) cmake -S examples-c/cmake -B $(BUILD)/cmake-example -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD)/cmake-example >/dev/null
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && $(BUILD)/cmake-example/ota-cmake-example "$$d/store.db"

# The examples under valgrind's memcheck (valgrind/run-examples.sh), each on a fresh store in
# a temporary directory: the quickstart on 1,000 vehicles (OTA_DEMO_VEHICLES; the whole 5,000
# take ~5 min under valgrind), the C++ client, and the MQTT gateway for a few seconds (with
# a local mosquitto when installed, else with no broker). Any error or lost block fails.
test-valgrind: $(BUILD)/quickstart $(BUILD)/cpp-client $(MQTT_GATEWAY_BIN)
	@valgrind/run-examples.sh $(BUILD)

$(BUILD)/quickstart: examples-c/quickstart.c $(wildcard examples-c/demo_*.h) include/ota.h $(BUILD)/libota.a
	@mkdir -p $(BUILD)
	$(CC) -std=c99 $(CWARN) -I include -o $@ $< $(LDLIBS_STATIC)

# The gateway links libmosquitto as well.
$(BUILD)/mqtt-gateway: examples-c/mqtt-gateway.c include/ota.h $(BUILD)/libota.a
	$(CC) -std=c99 $(CWARN) -I include -o $@ $< $(BUILD)/libota.a -lsqlite3 -lcbor -lsodium -lmosquitto -lm -lpthread

# The quickstart's whole story on build/demo.db, then the fleet campaign's HTML dashboard
# (build/dashboard.html) from the Python package's CLI, with the campaign and time the
# quickstart wrote to build/demo-report.args; skipped when Python cannot load libota. Run
# from here, not from build/, where Python would take libota.so for an extension module.
DEMO_PY := OTA_LIB=$(CURDIR)/$(BUILD)/libota.so PYTHONPATH=$(CURDIR)/python $(PYTHON)

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/quickstart $(BUILD)/libota.so
	cd $(BUILD) && rm -f demo.db demo.db-wal demo.db-shm demo-report.args dashboard.html && ./quickstart demo.db
	@if $(DEMO_PY) -c 'import libota' 2>/dev/null; then \
	  $(DEMO_PY) -m libota.cli --db $(BUILD)/demo.db $$(cat $(BUILD)/demo-report.args) --html $(BUILD)/dashboard.html \
	    || echo "dashboard: not written (see above)"; \
	else echo "dashboard: skipped (python3 cannot import libota from python/)"; fi

# Fuzzing (fuzz/README.md): libFuzzer targets, C harnesses over the Embedded archive. FUZZ_LIB
# is the archive built again with coverage and AddressSanitizer (-sanitize=fuzzer,address), so
# libFuzzer sees the Swift code's branches and ASan its memory accesses; FUZZ_LIB=build/libota.a
# fuzzes the shipped archive instead (quicker to build, but blind). `make fuzz FUZZ_TIME=60`
# runs each target that long, `make fuzz FUZZ_RUNS=10000000` each until that many executions;
# `make fuzz-ci` replays fuzz/regressions/ and the committed corpora, then runs each target
# FUZZ_CI_TIME seconds, niced. Targets of calls the archive does not have yet (campaigns, status
# ingestion) are left out. Crashes land in build/fuzz/crashes/<target>/.
FUZZ_CC   ?= /opt/swift/usr/bin/clang
FUZZ_TIME ?= 60
FUZZ_CI_TIME ?= 10
FUZZ_DIR  := $(BUILD)/fuzz
FUZZ_LIB  ?= $(FUZZ_DIR)/libota.a
FUZZ_SWIFT_FLAGS := $(patsubst $(EMB),$(FUZZ_DIR)/mod,$(EMBED_FLAGS)) -sanitize=fuzzer,address -g
FUZZ_CFLAGS := -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fuse-ld=lld -I include -I Tests/c
FUZZ_OPTS := -rss_limit_mb=2048 -max_len=65536 -timeout=20 -print_final_stats=1
# The store targets' heap grows with their in-memory store, so libFuzzer's leak check after each
# input that allocates more than it frees (it runs the input again and scans the heap) finds
# growth, never a leak; they check for leaks once, at exit (LeakSanitizer, FUZZ_ENV).
FUZZ_STORE_TARGETS := package_manifest campaign_spec status_report status_batch
FUZZ_LIMIT = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))
FUZZ_ENV  := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
FUZZ_HAS = $(shell nm $(BUILD)/libota.a 2>/dev/null | grep -q ' T $(1)$$' && echo yes)
FUZZ_TARGETS = resolve_snapshot resolve_split target_rule package_manifest \
	$(if $(call FUZZ_HAS,ota_campaign_validate),campaign_spec) \
	$(if $(call FUZZ_HAS,ota_campaign_step),$(if $(call FUZZ_HAS,ota_status_ingest),status_report)) \
	$(if $(call FUZZ_HAS,ota_campaign_step),$(if $(call FUZZ_HAS,ota_status_ingest_batch),status_batch))

$(FUZZ_DIR)/mod/OTACore.o: $(core_src) $(shims)
	@mkdir -p $(FUZZ_DIR)/mod
	$(SWIFTC) $(FUZZ_SWIFT_FLAGS) -module-name OTACore -emit-module -emit-module-path $(FUZZ_DIR)/mod/OTACore.swiftmodule -c $(core_src) -o $@
	@touch $@

$(FUZZ_DIR)/mod/OTAStore.o: $(store_src) $(FUZZ_DIR)/mod/OTACore.o
	$(SWIFTC) $(FUZZ_SWIFT_FLAGS) -module-name OTAStore -emit-module -emit-module-path $(FUZZ_DIR)/mod/OTAStore.swiftmodule -c $(store_src) -o $@
	@touch $@

$(FUZZ_DIR)/mod/OTA.o: $(api_src) $(FUZZ_DIR)/mod/OTAStore.o
	$(SWIFTC) $(FUZZ_SWIFT_FLAGS) -module-name OTA -c $(api_src) -o $@
	@touch $@

$(FUZZ_DIR)/libota.a: $(FUZZ_DIR)/mod/OTACore.o $(FUZZ_DIR)/mod/OTAStore.o $(FUZZ_DIR)/mod/OTA.o
	ld -r -o $(FUZZ_DIR)/ota.o $^ $(UNICODE_TABLES)
	rm -f $@ && ar rcs $@ $(FUZZ_DIR)/ota.o

$(FUZZ_DIR)/%: fuzz/%.c fuzz/fuzz_common.h Tests/c/cbor_build.h include/ota.h $(FUZZ_LIB)
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB) $(SYSLIBS) -lpthread

# The list of targets depends on the archive's symbols: build it first, then decide.
fuzz-build: $(BUILD)/libota.a $(FUZZ_LIB)
	@$(MAKE) --no-print-directory $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))

# One target: replay its regressions (each input once), then fuzz from the seeds for FUZZ_SECONDS.
# New corpus entries go to build/fuzz/corpus/<target> (the committed seeds stay as they are).
fuzz-run:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/crashes/$$t; \
	  if ls fuzz/regressions/$$t/* >/dev/null 2>&1; then \
	    $(FUZZ_ENV) nice -n 19 $(FUZZ_DIR)/$$t fuzz/regressions/$$t/* > $(FUZZ_DIR)/$$t.replay.log 2>&1 \
	      || { tail -40 $(FUZZ_DIR)/$$t.replay.log; echo "FAIL: fuzz/regressions/$$t"; exit 1; }; \
	    echo "fuzz $$t: $$(ls fuzz/regressions/$$t | wc -l) regression inputs replayed"; fi; \
	  leaks=; case " $(FUZZ_STORE_TARGETS) " in *" $$t "*) leaks=-detect_leaks=0;; esac; start=$$(date +%s); \
	  $(FUZZ_ENV) nice -n 19 $(FUZZ_DIR)/$$t $(FUZZ_OPTS) $$leaks $(FUZZ_LIMIT) \
	    -artifact_prefix=$(FUZZ_DIR)/crashes/$$t/ $(FUZZ_DIR)/corpus/$$t fuzz/corpus/$$t > $(FUZZ_DIR)/$$t.log 2>&1 \
	    || { tail -60 $(FUZZ_DIR)/$$t.log; echo "FAIL: fuzz $$t (input in $(FUZZ_DIR)/crashes/$$t/)"; exit 1; }; \
	  echo "fuzz $$t: $$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_DIR)/$$t.log) executions in $$(( $$(date +%s) - start )) s, no crash"; \
	done

fuzz: fuzz-build
	@$(MAKE) --no-print-directory fuzz-run FUZZ_SECONDS=$(FUZZ_TIME)

fuzz-ci: fuzz-build
	@$(MAKE) --no-print-directory fuzz-run FUZZ_SECONDS=$(FUZZ_CI_TIME)

# Concurrency under ThreadSanitizer (Tests/tsan/, docs/guarantees.md "Concurrency"): the
# Embedded archive built again with -sanitize=thread, so TSan sees every access of the Swift
# core (and of the Embedded runtime pieces compiled into it: refcounts, swift_once), and a C
# test built with the toolchain's clang -fsanitize=thread that runs threads and processes on
# one store at once. SQLite, libcbor and libsodium are the system's, not instrumented: TSan
# does not see their memory accesses nor the order SQLite's file locks give to connections,
# only their pthread mutexes and malloc/free (intercepted). That is enough for libota's side,
# since handles share no libota memory (only the store's files); a race inside SQLite's own
# locking is out of its sight. The objects stay in build/tsan/mod: a rerun rebuilds only the
# modules that changed.
TSAN_CC    ?= /opt/swift/usr/bin/clang
TSAN_DIR   := $(BUILD)/tsan
# -Onone: the -O build takes four times as long (about 8 CPU minutes against 2) for a test
# that mostly waits on locks. -gline-tables-only, not -g: with -Onone -g the driver adds a
# module-wrap job writing the same object and stops ("multiple producers"); line tables are
# what TSan's stacks need.
TSAN_SWIFT_FLAGS := $(filter-out -O,$(patsubst $(EMB),$(TSAN_DIR)/mod,$(EMBED_FLAGS))) -Onone -sanitize=thread -gline-tables-only
TSAN_CFLAGS := -std=c11 $(CWARN) -g -O1 -fsanitize=thread -I include
# The toolchain's TSan runtime carries libdispatch interceptors and is linked whole, so even a
# plain C program needs the toolchain's libdispatch and BlocksRuntime (nothing calls them).
TSAN_LDLIBS := $(TSAN_DIR)/libota.a $(SYSLIBS) -lpthread -L$(SWIFT_LIB)/linux -Wl,-rpath,$(SWIFT_LIB)/linux -ldispatch -lBlocksRuntime
TSAN_ENV   := TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"

$(TSAN_DIR)/mod/OTACore.o: $(core_src) $(shims)
	@mkdir -p $(TSAN_DIR)/mod
	$(SWIFTC) $(TSAN_SWIFT_FLAGS) -module-name OTACore -emit-module -emit-module-path $(TSAN_DIR)/mod/OTACore.swiftmodule -c $(core_src) -o $@
	@touch $@

$(TSAN_DIR)/mod/OTAStore.o: $(store_src) $(TSAN_DIR)/mod/OTACore.o
	$(SWIFTC) $(TSAN_SWIFT_FLAGS) -module-name OTAStore -emit-module -emit-module-path $(TSAN_DIR)/mod/OTAStore.swiftmodule -c $(store_src) -o $@
	@touch $@

$(TSAN_DIR)/mod/OTA.o: $(api_src) $(TSAN_DIR)/mod/OTAStore.o
	$(SWIFTC) $(TSAN_SWIFT_FLAGS) -module-name OTA -c $(api_src) -o $@
	@touch $@

$(TSAN_DIR)/libota.a: $(TSAN_DIR)/mod/OTACore.o $(TSAN_DIR)/mod/OTAStore.o $(TSAN_DIR)/mod/OTA.o
	ld -r -o $(TSAN_DIR)/ota.o $^ $(UNICODE_TABLES)
	rm -f $@ && ar rcs $@ $(TSAN_DIR)/ota.o

$(TSAN_DIR)/test_concurrency: Tests/tsan/test_concurrency.c $(wildcard Tests/tsan/*.h) $(C_TEST_HEADERS) $(TSAN_DIR)/libota.a
	$(TSAN_CC) $(TSAN_CFLAGS) -o $@ $< $(TSAN_LDLIBS)

# Runs in a fresh temporary directory (the store, its -wal and -shm, the snapshot file).
test-tsan: $(TSAN_DIR)/test_concurrency
	@set -e; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	  cd "$$dir" && $(TSAN_ENV) $(CURDIR)/$(TSAN_DIR)/test_concurrency

bench: embedded
	@$(MAKE) -s -C bench run

clean:
	rm -rf $(BUILD) .build
