#!/usr/bin/env bash
# File system failures give clear one-line messages naming the database, the documented exit
# codes, and leave the database intact: a read-only database file, a read-only directory, a
# database locked by another process for longer than the 5 s wait, a full disk (a small tmpfs;
# also `report --out` onto it), a --db in a missing directory. As root, which ignores permission
# bits, read-only is made with `chattr +i`; cases whose tool is not permitted here are skipped
# with a note.
# docs/reliability.md, "Crash consistency and faults"
source "$(dirname "$0")/lib.bash"
command -v sqlite3 >/dev/null || { echo "skipped: sqlite3 CLI not installed"; exit 0; }

MIN=$DATA/native/minimal.jsonl
PY1=$DATA/pytest/run1/benchmark.json
skipped=()
IMMUTABLE=()
MOUNTED=()
LOCKER=
cleanup() {
  for f in "${IMMUTABLE[@]}"; do chattr -i "$f" 2>/dev/null || true; done
  for d in "${MOUNTED[@]}"; do umount "$d" 2>/dev/null || true; done
  [ -z "$LOCKER" ] || kill "$LOCKER" 2>/dev/null || true
  chmod -R u+w "$TMP" 2>/dev/null || true
}
trap cleanup EXIT
runs_of() { sqlite3 "$1" 'SELECT count(*) FROM run'; }
intact() { equals "$(sqlite3 "$1" 'PRAGMA integrity_check')" ok "$2: integrity_check"; }

# make_readonly PATH: chmod a-w, or chattr +i as root; fails when neither makes it read-only
make_readonly() {
  if [ "$(id -u)" != 0 ]; then
    chmod a-w "$1"
  elif chattr +i "$1" 2>/dev/null; then
    IMMUTABLE+=("$1")
  else
    return 1
  fi
}
undo_readonly() {
  if [ "$(id -u)" != 0 ]; then chmod u+w "$1"; else chattr -i "$1"; fi
}

# 1. a read-only database file: reads work, a write is refused (exit 5) naming the file
mkdir "$TMP/rofile"
DB=$TMP/rofile/qbdb.db
run 0 "$QBDB" --db "$DB" ingest "$MIN"
if make_readonly "$DB"; then
  run 5 "$QBDB" --db "$DB" ingest "$PY1"
  contains "$ERR" "$DB" "read-only file: names the database"
  contains "$ERR" "readonly database" "read-only file: says why"
  one_line "$ERR" "read-only file: one line"
  run 0 "$QBDB" --db "$DB" runs
  undo_readonly "$DB"
  intact "$DB" "read-only file"
  equals "$(runs_of "$DB")" 1 "read-only file: nothing stored"
else
  skipped+=("read-only file (no chmod as root, no chattr)")
fi

# 2. a read-only directory: the WAL files cannot be created (exit 5, says so)
mkdir "$TMP/rodir"
DB=$TMP/rodir/qbdb.db
run 0 "$QBDB" --db "$DB" ingest "$MIN"
[ ! -e "$DB-wal" ] || fail "the last connection leaves no WAL"
if make_readonly "$TMP/rodir"; then
  run 5 "$QBDB" --db "$DB" ingest "$PY1"
  contains "$ERR" "$DB: cannot open" "read-only dir: names the database"
  contains "$ERR" "is the directory read-only?" "read-only dir: says why"
  one_line "$ERR" "read-only dir: one line"
  run 5 "$QBDB" --db "$DB" runs
  contains "$ERR" "is the directory read-only?" "read-only dir: reading"
  undo_readonly "$TMP/rodir"
  intact "$DB" "read-only dir"
  equals "$(runs_of "$DB")" 1 "read-only dir: nothing stored"
else
  skipped+=("read-only directory (no chmod as root, no chattr)")
fi

# 3. locked: another process holds the write lock until the ingest has given up (after its 5 s
# wait); the lock is released by the test, never after a fixed time: sqlite3 reads its commands
# from a FIFO this script holds open on fd 7 (and sees its end when the script ends, however it
# ends)
mkdir "$TMP/locked"
DB=$TMP/locked/qbdb.db
run 0 "$QBDB" --db "$DB" ingest "$MIN"
mkfifo "$TMP/locker.in"
sqlite3 "$DB" <"$TMP/locker.in" >"$TMP/locker.out" 2>&1 &
LOCKER=$!
exec 7<>"$TMP/locker.in" # read-write: never blocks, whether sqlite3 has opened it yet or not
printf '%s\n' 'BEGIN EXCLUSIVE;' "SELECT 'locked';" >&7
locker_ready() { grep -q locked "$TMP/locker.out" 2>/dev/null || ! kill -0 "$LOCKER" 2>/dev/null; }
wait_until "$LIB_START_S" "sqlite3 to take the write lock of $DB" locker_ready
grep -q locked "$TMP/locker.out" ||
  abort_test "locked: sqlite3 ended without taking the lock: $(cat "$TMP/locker.out")"
t0=$(date +%s%N)
run 5 "$QBDB" --db "$DB" ingest "$PY1"
ms=$((($(date +%s%N) - t0) / 1000000))
contains "$ERR" "$DB" "locked: names the database"
contains "$ERR" "database is locked" "locked: says so"
one_line "$ERR" "locked: one line"
[ "$ms" -ge 4900 ] || fail "locked: gave up after $ms ms, before the 5 s wait"
run 0 "$QBDB" --db "$DB" runs # readers are not blocked (WAL)
echo 'COMMIT;' >&7
exec 7>&- # sqlite3 reads the end of its input and exits
wait "$LOCKER" || fail "locked: sqlite3 holding the lock: exit $?: $(cat "$TMP/locker.out")"
LOCKER=
run 0 "$QBDB" --db "$DB" ingest "$PY1"
contains "$OUT" "stored run 2" "locked: works once the lock is gone"

# 4. a full disk: a 2 MiB tmpfs, filled up after a first run; the ingest fails (exit 6) and
# stores nothing; once there is room again it works
mkdir "$TMP/full"
if mount -t tmpfs -o size=2m tmpfs "$TMP/full" 2>/dev/null; then
  MOUNTED+=("$TMP/full")
  DB=$TMP/full/qbdb.db
  run 0 "$QBDB" --db "$DB" ingest "$MIN"
  echo "the old report" >"$TMP/full/old.md"
  # room for the WAL index but not for the run: the commit fails
  avail=$(df -k --output=avail "$TMP/full" | tail -1)
  dd if=/dev/zero of="$TMP/full/filler" bs=1k count=$((avail - 64)) 2>/dev/null
  run 6 "$QBDB" --db "$DB" ingest "$PY1"
  contains "$ERR" "$DB: COMMIT: database or disk is full" "full disk: says so"
  one_line "$ERR" "full disk: one line"
  # no room at all: not even the WAL index can be made
  dd if=/dev/zero of="$TMP/full/filler2" bs=4k 2>/dev/null || true
  run 6 "$QBDB" --db "$DB" ingest "$PY1"
  contains "$ERR" "$DB: cannot read: disk I/O error" "full disk: no room at all"
  one_line "$ERR" "full disk, no room at all: one line"
  # report --out onto the full disk (the database elsewhere): exit 6 naming the file, the
  # report already there left whole, no temporary file left behind (docs/cli/report.md)
  run 6 "$QBDB" --db "$TMP/locked/qbdb.db" report --no-record --out "$TMP/full/old.md"
  equals "$ERR" "qbdb: error: report: $TMP/full/old.md: cannot write: No space left on device" \
    "report --out on a full disk: says so"
  equals "$(cat "$TMP/full/old.md")" "the old report" "report --out on a full disk: the old file kept"
  equals "$(find "$TMP/full" -name 'old.md?*' | wc -l)" 0 "report --out on a full disk: no temporary file"
  rm -f "$TMP/full/filler" "$TMP/full/filler2"
  intact "$DB" "full disk"
  equals "$(runs_of "$DB")" 1 "full disk: nothing stored"
  run 0 "$QBDB" --db "$DB" ingest "$PY1"
  contains "$OUT" "stored run 2" "full disk: works with room again"
  umount "$TMP/full"
  MOUNTED=()
else
  skipped+=("full disk (mounting a tmpfs is not permitted here)")
fi

# 5. --db in a missing directory: not found (exit 4), naming the directory
run 4 "$QBDB" --db "$TMP/missing/dir/qbdb.db" ingest "$MIN"
equals "$ERR" "qbdb: error: $TMP/missing/dir/qbdb.db: no such directory: $TMP/missing/dir" \
  "missing directory: ingest"
run 4 "$QBDB" --db "$TMP/missing/dir/qbdb.db" runs
contains "$ERR" "$TMP/missing/dir/qbdb.db: no database here" "missing directory: runs"
one_line "$ERR" "missing directory: one line"

for s in "${skipped[@]}"; do echo "skipped: $s"; done
finish
