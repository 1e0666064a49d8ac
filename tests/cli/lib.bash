# tests/cli/lib.bash - helpers for the CLI end-to-end scripts (sourced, not a test itself).
# Each script is run by ctest as: bash SCRIPT QBDB_BINARY TEST_DATA_DIR SCRATCH_DIR
set -euo pipefail
QBDB=$1
DATA=$2
TMP=$3
rm -rf "$TMP"
mkdir -p "$TMP"
cd "$TMP"
export QBDB_DB=$TMP/qbdb.db
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# run EXPECTED_EXIT CMD...: runs the command, captures stdout/stderr in $OUT/$ERR
run() {
  local want=$1
  shift
  set +e
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  set -e
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
  if [ "$got" != "$want" ]; then
    fail "exit $got (want $want): $*"$'\n'"stdout: $OUT"$'\n'"stderr: $ERR"
  fi
}

contains() { # contains HAYSTACK NEEDLE WHAT
  case "$1" in
    *"$2"*) ;;
    *) fail "$3: expected to contain '$2', got: $1" ;;
  esac
}

equals() { # equals GOT WANT WHAT
  [ "$1" == "$2" ] || fail "$3: got '$1', want '$2'"
}

# close GOT WANT RELTOL WHAT: numbers agree within a relative tolerance
close() {
  awk -v g="$1" -v w="$2" -v r="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; s = w < 0 ? -w : w;
    exit !(d <= r * s) }' || fail "$4: got $1, want $2 (rel $3)"
}

one_line() { # one_line TEXT WHAT
  [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] || fail "$2: expected one line, got: $1"
}

finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
  fi
  echo "ok"
}
