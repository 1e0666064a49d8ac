# qbdb - convenience targets around CMake. `make demo` and `make check` work on a fresh Debian
# machine (they install what is missing first).
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
BUILD_TSAN ?= build-tsan
FUZZ_SECONDS ?= 300
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
QBDB_DB    ?= qbdb.db
export QBDB_DB

.PHONY: all deps build build-asan build-fuzz build-tsan demo check test test-asan test-tsan \
        test-fuzz test-valgrind \
        valgrind fuzz bench soak selfbench format clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

build-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DQB_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j$(JOBS)

# The point of qbdb in one screen (scripts/demo.sh): a bundled history with a real step into
# ./qbdb.db, then compare, regressions, trend, a report file and the command that serves the
# page. The build is quiet (its output in $(BUILD)/demo-build.log, shown when it fails) and
# makes only the qbdb binary.
demo: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@echo "building qbdb (log: $(BUILD)/demo-build.log)"
	@cmake --build $(BUILD) -j$(JOBS) --target qbdb >$(BUILD)/demo-build.log 2>&1 || \
	  { cat $(BUILD)/demo-build.log; exit 1; }
	@scripts/demo.sh $(BUILD)/qbdb

# The whole test suite: normal build, then the ASan/UBSan build, then the server's concurrency
# tests under ThreadSanitizer, then each fuzz target briefly (QB_FUZZ_SECONDS, 20 s by default,
# plus its saved crash cases; docs/reliability.md, "Fuzzing"), then the cmocka tests that do I/O
# under valgrind memcheck (docs/reliability.md).
check: test test-asan test-tsan test-fuzz test-valgrind

test: build
	@cd $(BUILD) && ctest -j$(JOBS) --output-on-failure

# Valgrind memcheck (scripts/valgrind.sh, sampled exhaustive loops): in `make check`, the tests
# of every layer but analysis/ (pure arithmetic on arrays, which ASan/UBSan cover and valgrind
# makes ten times slower); `make valgrind` runs every one.
VALGRIND_TESTS ?= ^(adapters|core|fault|http|ingest|net|runner|schema|service|view)_
test-valgrind: build
	@scripts/valgrind.sh $(BUILD) '$(VALGRIND_TESTS)'

valgrind: build
	@scripts/valgrind.sh $(BUILD)

test-asan: build-asan
	@cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest -j$(JOBS) --output-on-failure

# ThreadSanitizer (docs/reliability.md, "ThreadSanitizer"): only what the concurrency tests need
# is built in $(BUILD_TSAN) - the tests that run a server, the notifier or the compare thread pool
# in their process, and the qbdb binary for the CLI tests that run `qbdb serve`. Any report fails
# the stage: halt_on_error makes the process exit 66, and every report (a background server's
# too, whose exit status its script may not look at) is also written to
# $(BUILD_TSAN)/tsan-logs/, which must stay empty. ctest runs under `setarch -R` (no ASLR) where
# that is allowed: gcc 12's TSan aborts ("unexpected memory mapping") with vm.mmap_rnd_bits > 30.
TSAN_TARGETS ?= qbdb http_test_server http_test_limits http_test_idempotency net_test_notify \
                service_test_compare net_test_client http_test_security
TSAN_TESTS   ?= ^(http_test_(server|limits|idempotency|security)|net_test_(notify|client)|service_test_compare|cli_(concurrent_ingest|notify))$$
TSAN_LOGS     = $(abspath $(BUILD_TSAN))/tsan-logs
TSAN_NOASLR   = $(shell setarch $$(uname -m) -R true >/dev/null 2>&1 && echo setarch $$(uname -m) -R)

build-tsan: deps
	@cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=Debug -DQB_TSAN=ON >/dev/null
	@cmake --build $(BUILD_TSAN) -j$(JOBS) --target $(TSAN_TARGETS)

test-tsan: build-tsan
	@rm -rf $(TSAN_LOGS) && mkdir -p $(TSAN_LOGS)
	@cd $(BUILD_TSAN) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 \
	  suppressions=$(CURDIR)/tests/tsan.supp log_path=$(TSAN_LOGS)/tsan" \
	  $(TSAN_NOASLR) ctest -j$(JOBS) --output-on-failure --no-tests=error -R '$(TSAN_TESTS)'; \
	  rc=$$?; \
	  if [ -n "$$(ls -A $(TSAN_LOGS))" ]; then \
	    cat $(TSAN_LOGS)/*; echo "ThreadSanitizer reports above (logs in $(TSAN_LOGS))" >&2; \
	    rc=1; \
	  fi; exit $$rc

# libFuzzer targets (fuzz/, clang, ASan+UBSan): only they are built in $(BUILD_FUZZ).
build-fuzz: deps
	@CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQB_FUZZ=ON >/dev/null
	@cmake --build $(BUILD_FUZZ) -j$(JOBS) --target fuzz_targets

test-fuzz: build-fuzz
	@cd $(BUILD_FUZZ) && ctest -L fuzz -j$(JOBS) --output-on-failure

# Each fuzz target for FUZZ_SECONDS (JOBS at a time), corpora kept in build-fuzz-long/<name>/
# from run to run; prints executions, exec/s, coverage and corpus size per target.
fuzz: build-fuzz
	@cd $(BUILD_FUZZ) && QB_FUZZ_SECONDS=$(FUZZ_SECONDS) QB_FUZZ_WORK=$(CURDIR)/build-fuzz-long \
	  ctest -L fuzz -j$(JOBS) --output-on-failure; rc=$$?; \
	  cat $(CURDIR)/build-fuzz-long/*/summary.txt 2>/dev/null; exit $$rc

# qbdb's benchmarks of itself (not part of the tests). bench_scale builds its databases of 1,000
# and 10,000 runs x 200 benchmarks once (several minutes) and keeps them in $(BUILD), named by
# schema version (docs/storage.md, "Listings at scale").
bench: build
	@QBDB_BIN=$(BUILD)/qbdb $(BUILD)/bench_ingest
	@QBDB_BIN=$(BUILD)/qbdb $(BUILD)/bench_compare
	@$(BUILD)/bench_changepoint
	@$(BUILD)/bench_detect
	@$(BUILD)/bench_verdict
	@bench/bench_http.sh $(BUILD)/qbdb
	@bench/bench_pg.sh $(BUILD)/qbdb
	@QBDB_BIN=$(BUILD)/qbdb $(BUILD)/bench_scale
	@$(BUILD)/runner_overhead
	$(run_selfbench)

# The server under a bounded load for SOAK_MINUTES (default 10): RSS every 30 s (not in bench).
SOAK_MINUTES ?= 10
soak: build
	@bench/bench_soak.sh $(BUILD)/qbdb $(SOAK_MINUTES)

# qbdb's history of itself (docs/selfbench.md): $(BUILD)/qbdb_selfbench times qbdb's C code with
# its own runner, the run is ingested into QBDB_SELF_DB as project qbdb (commit, branch and
# machine from git and the host), then compared with the previous run of the same branch.
# QBDB_SELF_DB lives outside the build directory so `make clean` keeps the history.
QBDB_SELF_DB       ?= $(if $(HOME),$(HOME)/.qbdb-selfbench.db,$(BUILD)/selfbench.db)
SELFBENCH_FLAGS    ?=
SELFBENCH_COMPARE  ?= --metric latency
SELF_COMMIT         = $(shell git rev-parse HEAD 2>/dev/null)
SELF_BRANCH         = $(or $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null),main)
SELF_DIRTY          = $(if $(SELF_COMMIT),$(if $(shell git status --porcelain \
                        --untracked-files=no 2>/dev/null),yes,no),unknown)
SELF_MACHINE        = $(or $(shell hostname 2>/dev/null),$(shell uname -n))

define run_selfbench
	@echo "qbdb_selfbench -> $(BUILD)/selfbench.jsonl -> $(QBDB_SELF_DB)"
	@$(BUILD)/qbdb_selfbench --out $(BUILD)/selfbench.jsonl --commit '$(SELF_COMMIT)' \
	  --branch '$(SELF_BRANCH)' --machine '$(SELF_MACHINE)' --tag dirty=$(SELF_DIRTY) \
	  $(SELFBENCH_FLAGS)
	@$(BUILD)/qbdb ingest --db '$(QBDB_SELF_DB)' --project qbdb $(BUILD)/selfbench.jsonl
	@if [ "$$($(BUILD)/qbdb runs --db '$(QBDB_SELF_DB)' --project qbdb --branch '$(SELF_BRANCH)' \
	       --limit 2 --format json | grep -o '"id":' | wc -l)" -ge 2 ]; then \
	  echo "qbdb compare --db '$(QBDB_SELF_DB)' --project qbdb $(SELFBENCH_COMPARE)" \
	       "'$(SELF_BRANCH)~1' '$(SELF_BRANCH)@latest'"; \
	  $(BUILD)/qbdb compare --db '$(QBDB_SELF_DB)' --project qbdb $(SELFBENCH_COMPARE) \
	    '$(SELF_BRANCH)~1' '$(SELF_BRANCH)@latest'; \
	else \
	  echo "first qbdb run on branch $(SELF_BRANCH) in $(QBDB_SELF_DB): nothing to compare yet"; \
	fi
endef

# Only the self-benchmark, its ingest and the comparison.
selfbench: build
	$(run_selfbench)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i --style=file

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN) $(BUILD_FUZZ) build-fuzz-long
