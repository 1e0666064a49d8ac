#!/usr/bin/env bash
# Run the cmocka test executables of a normal (not sanitized) build under valgrind memcheck.
#
#   scripts/valgrind.sh [BUILD_DIR] [REGEX]     (defaults: build, every test)
#
# Each ctest-registered cmocka test (<layer>_test_<module>; the shell, style and web tests run
# the qbdb binary or other tools and are left out, and so are the _pg twins, which need their
# PostgreSQL cluster) runs from BUILD_DIR as ctest would, under
#   valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
#            --show-leak-kinds=definite --track-origins=yes --suppressions=tests/valgrind.supp
# in parallel (QB_VALGRIND_JOBS, default the CPUs). Logs: BUILD_DIR/valgrind/<test>.log.
# Exit 0 when every test passed with no memcheck error (invalid access, uninitialised value,
# definite leak); 1 otherwise, naming each test and what went wrong. A test that fails under
# valgrind only because it is slower there (a timing bound) shows as "failed (test)".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd) || { echo "valgrind.sh: no build directory ${1:-build}" >&2; exit 2; }
FILTER=${2:-.}
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
if grep -q 'QB_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  echo "valgrind.sh: $BUILD is a sanitizer build; use a normal one (make build)" >&2
  exit 2
fi
JOBS=${QB_VALGRIND_JOBS:-$(nproc 2>/dev/null || echo 2)}
LOGS=$BUILD/valgrind
rm -rf "$LOGS"
mkdir -p "$LOGS"
mapfile -t TESTS < <(cd "$BUILD" && ctest -N 2>/dev/null | sed -n 's/^ *Test *#[0-9]*: \([a-z]*_test_[a-z_0-9]*\)$/\1/p' |
  grep -v '_pg$' | grep -E -- "$FILTER") # the PostgreSQL twins run under ASan (make test-asan)
[ "${#TESTS[@]}" -gt 0 ] || { echo "valgrind.sh: no cmocka tests in $BUILD matching '$FILTER'" >&2; exit 2; }

one() { # one TEST: run it, print "TEST STATUS SECONDS"
  local t=$1 start=$SECONDS rc
  (cd "$BUILD" && timeout "${QB_VALGRIND_TIMEOUT:-1800}" valgrind -q --error-exitcode=99 \
    --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --track-origins=yes --num-callers=30 --suppressions="$ROOT/tests/valgrind.supp" \
    --gen-suppressions=all "./$t" >"$LOGS/$t.log" 2>&1)
  rc=$?
  case $rc in
    0) echo "$t clean $((SECONDS - start))s" ;;
    99) echo "$t memcheck-errors $((SECONDS - start))s" ;;
    124) echo "$t timeout $((SECONDS - start))s" ;;
    *) echo "$t failed(test,rc=$rc) $((SECONDS - start))s" ;;
  esac
}
export -f one
export BUILD LOGS ROOT
export QB_TEST_QUICK=${QB_TEST_QUICK-1} # sampled exhaustive loops (tests/testutil.h); QB_TEST_QUICK= for all
printf '%s\n' "${TESTS[@]}" | xargs -P "$JOBS" -I{} bash -c 'one {}' | sort | tee "$LOGS/summary.txt"
bad=$(grep -v ' clean ' "$LOGS/summary.txt" | wc -l)
echo "valgrind: $((${#TESTS[@]} - bad)) of ${#TESTS[@]} test executables clean (logs: $LOGS)"
[ "$bad" -eq 0 ]
