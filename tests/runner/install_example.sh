#!/usr/bin/env bash
# tests/runner/install_example.sh - qbdb_runner as its users get it: install it into a temporary
# prefix (cmake --install --component runner), build runner/example against that copy with
# pkg-config (its Makefile, and cc directly), run it with few samples, and ingest what it wrote
# with the qbdb binary. Structure only, never speed.
# Run by ctest as: bash install_example.sh BUILD_DIR QBDB_BINARY EXAMPLE_DIR SCRATCH [CFLAGS]
# (CFLAGS: extra compiler flags, e.g. the sanitizers the installed library was built with).
set -euo pipefail
BUILD=$1
QBDB=$2
EXAMPLE=$3
TMP=$4
EXTRA=${5:-}
rm -rf "$TMP"
mkdir -p "$TMP"
cd "$TMP"
export QBDB_DB=$TMP/qbdb.db
unset QBR_PROJECT QBR_COMMIT QBR_BRANCH QBR_MACHINE GITHUB_SHA GITHUB_HEAD_REF GITHUB_REF_NAME \
  CI_COMMIT_SHA CI_COMMIT_REF_NAME
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
expect() { # expect GOT WANT WHAT
  [ "$1" == "$2" ] || fail "$3: got '$1', want '$2'"
}

# 1. install: header, static library, pkg-config file, and nothing of qbdb itself
cmake --install "$BUILD" --prefix "$TMP/prefix" --component runner >/dev/null
pc=$(find "$TMP/prefix" -name qbdb_runner.pc)
[ -n "$pc" ] || { echo "FAIL: no qbdb_runner.pc installed" >&2; exit 1; }
[ -f "$TMP/prefix/include/qbdb_runner.h" ] || fail "header not installed"
[ -n "$(find "$TMP/prefix" -name libqbdb_runner.a)" ] || fail "library not installed"
[ -z "$(find "$TMP/prefix" -name 'qbdb' -type f)" ] || fail "the runner component installs qbdb"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
expect "$(pkg-config --modversion qbdb_runner)" "$(sed -n 's/^#define QBR_VERSION "\(.*\)"/\1/p' \
  "$TMP/prefix/include/qbdb_runner.h")" "pkg-config version = QBR_VERSION"
# the .pc file is relocatable: it points into the prefix it was installed to
inc=$(pkg-config --cflags qbdb_runner | tr -d " ")
[ "$(cd "${inc#-I}" && pwd -P)" == "$(cd "$TMP/prefix/include" && pwd -P)" ] ||
  fail "pkg-config --cflags: $inc is not $TMP/prefix/include"

# 2. build the example with its Makefile (a copy: the source tree is left alone), and with cc
cp "$EXAMPLE/example.c" "$EXAMPLE/Makefile" "$TMP/"
make -s -C "$TMP" CC=cc CFLAGS="-std=c99 -O2 -Wall -Wextra -Werror -pedantic" \
  EXTRA_CFLAGS="$EXTRA" >/dev/null
# shellcheck disable=SC2046,SC2086
cc -std=c99 -O2 -Wall -Wextra -Werror -pedantic $EXTRA "$EXAMPLE/example.c" \
  $(pkg-config --cflags --libs qbdb_runner) $EXTRA -o "$TMP/example_cc"
[ -x "$TMP/example" ] && [ -x "$TMP/example_cc" ] || fail "the example did not build"

# 3. --list and --help
expect "$(./example --list | tr '\n' ' ')" \
  "xorshift sum/n=1000 sum/n=10000 sum/n=100000 mem/copy/bytes=4096 mem/copy/bytes=65536 " \
  "--list"
expect "$(./example --list --filter 'copy' | wc -l)" 2 "--list --filter"
./example --help | grep -q -- '--time-budget' || fail "--help"
set +e
./example --samples 0 >/dev/null 2>err.txt
rc=$?
set -e
expect "$rc" 2 "--samples 0 exit status"
grep -q -- '--samples 0' err.txt || fail "--samples 0 message: $(cat err.txt)"

# 4. run it: few samples, short samples; the metadata from flags and the environment
QBR_COMMIT=0123abcd ./example_cc --samples 5 --warmup 2 --min-time 0.0002 --out run.jsonl \
  --branch main --machine testbox --project qbr-example --tag build=test >summary.txt
[ "$(head -c 1 run.jsonl)" == "{" ] || fail "run.jsonl does not start with the header"
expect "$(wc -l <run.jsonl)" 24 "lines: header + 6 benchmarks x 3 + 5 throughput"
expect "$(wc -l <summary.txt)" 7 "summary lines: a header + 6"
grep -q '^sum/n=10000 ' summary.txt || fail "summary row: $(cat summary.txt)"
grep -q 'items/s' summary.txt || fail "summary throughput: $(cat summary.txt)"
expect "$(head -n 1 run.jsonl | jq -r '.format + " " + .commit + " " + .tool')" \
  "qbdb-native 0123abcd qbr 0.1.0" "header"
expect "$(tail -n +2 run.jsonl | jq -r 'select(.metric == null) | .samples | length' | sort -u)" \
  5 "5 samples each"

# 5. ingest: everything arrives
run_out=$("$QBDB" ingest --output json run.jsonl)
expect "$(jq -c '.[0] | [.format, .benchmarks, .results, .samples]' <<<"$run_out")" \
  '["native",6,23,91]' "ingest counts: 6 x (5 + 5 + 1) + 5 x 5 samples"
show=$("$QBDB" show --format json 1)
expect "$(jq -r '[.project, .branch, .machine, .commit] | join(" ")' <<<"$show")" \
  "qbr-example main testbox 0123abcd" "run metadata"
expect "$(jq -r '.tags.build' <<<"$show")" test "tag"
expect "$(jq -r '.benchmarks[] | select(.name == "sum/n=1000") | .group' <<<"$show")" sum "group"
expect "$(jq -c '.benchmarks[] | select(.name == "mem/copy/bytes=65536") | .params' <<<"$show")" \
  '{"bytes":65536}' "params"

# 6. --out - streams the native format to stdout (the summary goes to stderr) into qbdb ingest -
./example --samples 3 --min-time 0.0001 --filter xorshift --out - 2>summary2.txt |
  "$QBDB" ingest --commit 4567cdef - >ingest2.txt
grep -q 'stored run 2' ingest2.txt || fail "ingest from stdin: $(cat ingest2.txt)"
grep -q '^xorshift ' summary2.txt || fail "summary on stderr: $(cat summary2.txt)"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo ok
