# qbdb - convenience targets around CMake. `make demo` and `make check` work on a fresh Debian
# machine (they install what is missing first).
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
QBDB_DB    ?= qbdb.db
export QBDB_DB

.PHONY: all deps build build-asan demo check test test-asan bench format clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

build-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DQB_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j$(JOBS)

# Ingest the bundled example results into ./qbdb.db and show what was stored.
demo: build
	@scripts/demo.sh $(BUILD)/qbdb

# The whole test suite: normal build, then the ASan/UBSan build.
check: test test-asan

test: build
	@cd $(BUILD) && ctest -j$(JOBS) --output-on-failure

test-asan: build-asan
	@cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest -j$(JOBS) --output-on-failure

# qbdb's benchmarks of itself (not part of the tests).
bench: build
	@QBDB_BIN=$(BUILD)/qbdb $(BUILD)/bench_ingest
	@QBDB_BIN=$(BUILD)/qbdb $(BUILD)/bench_compare
	@$(BUILD)/bench_changepoint
	@$(BUILD)/bench_detect
	@bench/bench_http.sh $(BUILD)/qbdb

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i --style=file

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
