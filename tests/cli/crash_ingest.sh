#!/usr/bin/env bash
# Crash consistency of `qbdb ingest`: kill -9 it at a seeded random moment, N times (100; set
# QBDB_CRASH_KILLS to change), and check after each kill that the database is intact
# (integrity_check, foreign_key_check), that the run is entirely present (the counts of a clean
# ingest of the same file) or entirely absent, and that ingesting again stores it once
# (idempotent). Prints how many kills landed before the run's transaction, during it, after its
# commit, and after the process had exited. docs/reliability.md, "Crash consistency and faults"
source "$(dirname "$0")/lib.bash"
command -v sqlite3 >/dev/null || { echo "skipped: sqlite3 CLI not installed"; exit 0; }

KILLS=${QBDB_CRASH_KILLS:-100}
MAX_MS=${QBDB_CRASH_MAX_MS:-30}
if [[ "$(ldd "$QBDB" 2>/dev/null)" == *libasan* ]]; then # ~3x slower: fewer kills, spread wider
  [ -n "${QBDB_CRASH_KILLS:-}" ] || KILLS=50
  [ -n "${QBDB_CRASH_MAX_MS:-}" ] || MAX_MS=90
fi
RANDOM=1234

# The input: a generated native file, 150 benchmarks x (100 raw samples + one memory value).
# Its transaction takes about half of MAX_MS, so the kills land before, during and after it.
gen() {
  awk -v nb="$1" -v ns="$2" 'BEGIN { srand(7);
    print "{\"format\":\"qbdb-native\",\"version\":1,\"commit\":\"abcdef0123\",\"started_at\":\"2026-01-01T00:00:00Z\"}";
    for (b = 0; b < nb; b++) {
      s = "[";
      for (i = 0; i < ns; i++) s = s (i ? "," : "") sprintf("%.3f", 100 + b + rand() * 10);
      printf "{\"name\":\"bench/%d\",\"group\":\"g%d\",\"unit\":\"ns\",\"samples\":%s]}\n", b, b % 7, s;
      printf "{\"name\":\"bench/%d\",\"metric\":\"memory\",\"unit\":\"KiB\",\"value\":%d}\n", b, b + 1 } }'
}
gen 150 100 >"$TMP/big.jsonl"

# counts of one project's runs: runs|benchmarks with results|results|samples
counts() {
  sqlite3 "$1" "SELECT count(DISTINCT r.id), count(DISTINCT x.benchmark_id), count(x.id),
    coalesce(sum(ss.n), 0) FROM run r JOIN project p ON p.id = r.project_id
    LEFT JOIN result x ON x.run_id = r.id LEFT JOIN sample_set ss ON ss.result_id = x.id
    WHERE p.name = '$2'"
}
check_db() { # check_db DB WHAT: integrity and foreign keys
  local ic fk
  ic=$(sqlite3 "$1" 'PRAGMA integrity_check')
  fk=$(sqlite3 "$1" 'PRAGMA foreign_key_check')
  equals "$ic" "ok" "$2: integrity_check"
  equals "$fk" "" "$2: foreign_key_check"
}

# the base database: migrated, with one small run, so every kill hits the big run's ingest
run 0 "$QBDB" --db "$TMP/base.db" ingest "$DATA/native/minimal.jsonl"
base_counts=$(counts "$TMP/base.db" default)
# the reference: a clean ingest of the big file
cp "$TMP/base.db" "$TMP/ref.db"
run 0 "$QBDB" --db "$TMP/ref.db" ingest --project crash "$TMP/big.jsonl"
want=$(counts "$TMP/ref.db" crash)
equals "$want" "1|150|300|15150" "clean ingest counts"

before=0 during=0 after=0 exited=0
t0=$(date +%s%N)
for i in $(seq "$KILLS"); do
  db=$TMP/work.db
  rm -f "$db" "$db-wal" "$db-shm"
  cp "$TMP/base.db" "$db"
  delay=$((RANDOM % (MAX_MS + 1)))
  QBDB_SQL_PROFILE=1 "$QBDB" --db "$db" ingest --project crash "$TMP/big.jsonl" \
    >/dev/null 2>"$TMP/trace" &
  pid=$!
  sleep "$(printf '0.%03d' "$delay")"
  if kill -9 "$pid" 2>/dev/null; then killed=1; else killed=0; fi
  wait "$pid" 2>/dev/null || true
  what="kill $i after $delay ms"
  # the database as the kill left it (sqlite3 recovers the WAL, as qbdb would)
  check_db "$db" "$what"
  got=$(counts "$db" crash)
  if [ "$got" == "0|0|0|0" ]; then
    if grep -q 'BEGIN IMMEDIATE' "$TMP/trace"; then during=$((during + 1)); else before=$((before + 1)); fi
    # a commit that finished (traced after it returned) must have stuck
    grep -q ': COMMIT' "$TMP/trace" && fail "$what: the run was committed but is absent"
  else
    equals "$got" "$want" "$what: the run is entirely present"
    if [ "$killed" = 1 ]; then after=$((after + 1)); else exited=$((exited + 1)); fi
  fi
  equals "$(counts "$db" default)" "$base_counts" "$what: the earlier run is untouched"
  # ingest again: stores the run once, or names the one the killed ingest stored
  run 0 "$QBDB" --db "$db" ingest --project crash "$TMP/big.jsonl"
  case "$OUT" in
    "stored run 2:"* | "already stored as run 2"*) ;;
    *) fail "$what: re-ingest: $OUT" ;;
  esac
  run 0 "$QBDB" --db "$db" ingest --project crash "$TMP/big.jsonl"
  contains "$OUT" "already stored as run 2" "$what: idempotent"
  equals "$(counts "$db" crash)" "$want" "$what: after re-ingest"
  check_db "$db" "$what: after re-ingest"
done
t1=$(date +%s%N)
echo "kills: $KILLS (0-$MAX_MS ms), before the transaction: $before, during it: $during," \
  "after the commit: $after, after exit: $exited; $(((t1 - t0) / 1000000)) ms"
[ "$during" -gt 0 ] || fail "no kill landed during the transaction"
finish
