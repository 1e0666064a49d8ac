#!/usr/bin/env bash
# End to end: files and text an attacker can plant (docs/reliability.md, "Hostile files and
# terminals").
#  1. `report --out` never follows a symlink planted at a temporary name (the old one was the
#     predictable FILE.tmp<pid>), never replaces a device or a fifo (written in place; a write
#     error on a full device is exit 6), refuses a symlink to a regular file, keeps a file's
#     mode and leaves no temporary file. As root, the devices are scratch nodes made with
#     mknod (/dev itself is never a target); otherwise /dev/null and /dev/full.
#  3. every command's output is checked at exit: `qbdb runs > /dev/full` is exit 6, one line.
#  4. `ingest /dev/zero` (and `ingest - < /dev/zero`) is refused before anything is read; a
#     pipe and a fifo are still read.
#  6. stored text (benchmark names, branches, machines, notes) holding ESC, other C0 controls,
#     DEL or C1 controls is printed escaped (\xNN) by the text formats of regressions, runs,
#     show and trend, and in error messages; JSON keeps it exact.
# No timing: every wait ends on an event (a process exit, a pipe closed).
source "$(dirname "$0")/lib.bash"

ESC=$'\033'
C1=$'\xc2\x9b' # U+009B, CSI for terminals that take 8-bit controls
DEL=$'\x7f'
# raw ESC, C1 CSI, DEL or BEL in a file? (grep -c counts matching lines)
raw_controls() { LC_ALL=C grep -c $'[\033\x7f\x07]\\|\xc2\x9b' "$1" || true; }

# ---- 6. control characters in stored text -----------------------------------------------
# 12 runs of a benchmark whose name holds an ANSI colour sequence, +20% from run 9 (a
# regression), on a branch holding an OSC title sequence and BEL, a machine holding a C1 CSI,
# a project holding DEL and a tag value holding ESC.
for r in $(seq 1 12); do
  awk -v r="$r" 'BEGIN {
    seed = r * 7919 + 17
    printf "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"p\\u007fq\",\"branch\":\"b\\u001b]0;pwned\\u0007\",\"machine\":\"m\\u009bx\",\"commit\":\"%04x%04x\",\"started_at\":\"2026-10-%02dT12:00:00Z\",\"tags\":{\"t\":\"v\\u001b[2J\"}}\n", 4096 + r, r * 13, r
    base = r >= 9 ? 1200 : 1000
    printf "{\"name\":\"evil\\u001b[31mred\",\"unit\":\"ns\",\"iterations\":100,\"samples\":["
    for (i = 0; i < 40; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648
      printf "%s%.6f", (i ? "," : ""), base * (1 + 0.01 * (seed / 2147483648.0 - 0.5))
    }
    printf "]}\n"
  }' >"$TMP/evil$(printf %02d "$r").jsonl"
done
for f in "$TMP"/evil*.jsonl; do run 0 "$QBDB" ingest "$f"; done
# (ingest's own "stored run" line is cli/cmd_ingest.c's business, not checked here)

name="evil${ESC}[31mred"
# check_text WHAT: the last command's stdout holds no raw control byte and shows the name escaped
check_text() {
  equals "$(raw_controls "$TMP/out")" 0 "$1: no raw ESC, BEL, DEL or C1 on stdout"
  contains "$OUT" 'evil\x1b[31mred' "$1: the name shown escaped"
}
run 0 "$QBDB" regressions
check_text "regressions"
run 0 "$QBDB" regressions --format markdown
check_text "regressions --format markdown"
id=$(jq -r '.[0].id' < <("$QBDB" regressions --format json))
equals "$(jq -r '.[0].benchmark' < <("$QBDB" regressions --format json))" "$name" \
  "regressions --format json: the name exact"
run 0 "$QBDB" triage "$id" acknowledged --note "see ${ESC}]8;;http://evil${ESC}\\here${ESC}]8;;${ESC}\\"
run 0 "$QBDB" regressions --all
check_text "regressions --all (with the note)"
contains "$OUT" 'note: see \x1b]8;;http://evil\x1b\here' "the note escaped"

run 0 "$QBDB" runs
equals "$(raw_controls "$TMP/out")" 0 "runs: no raw control bytes"
contains "$OUT" 'p\x7fq' "runs: DEL escaped"
contains "$OUT" 'b\x1b]0;pwned\x07' "runs: ESC and BEL escaped"
contains "$OUT" 'm\xc2\x9bx' "runs: the C1 control escaped, byte by byte"
equals "$(jq -r '.[0].branch' < <("$QBDB" runs --format json))" "b${ESC}]0;pwned"$'\a' \
  "runs --format json: the branch exact"

run 0 "$QBDB" show 12
check_text "show"
contains "$OUT" 't=v\x1b[2J' "show: the tag escaped"
run 0 "$QBDB" trend "$name"
check_text "trend"
contains "$OUT" 'on p\x7fq/b\x1b]0;pwned\x07/m\xc2\x9bx' "trend: the series escaped"

# error messages quote what they were given: escaped too, still one line
run 4 "$QBDB" trend "no${ESC}[2Jsuch"$'\n'"line"
equals "$(raw_controls "$TMP/err")" 0 "error message: no raw ESC"
one_line "$ERR" "error message with a newline in its argument: one line"
contains "$ERR" 'no\x1b[2Jsuch' "error message: escaped"

# ---- 3. standard output that cannot be written ------------------------------------------
# to_full WHAT CMD...: CMD's stdout is /dev/full: exit 6 with one line on stderr
to_full() {
  local what=$1 got
  shift
  set +e
  "$@" >/dev/full 2>"$TMP/err"
  got=$?
  set -e
  ERR=$(cat "$TMP/err")
  equals "$got" 6 "$what > /dev/full: exit 6"
  contains "$ERR" "qbdb: error: " "$what > /dev/full: an error"
  one_line "$ERR" "$what > /dev/full: one line"
}
if [ -c /dev/full ]; then
  to_full "runs" "$QBDB" runs
  equals "$ERR" "qbdb: error: cannot write to standard output: No space left on device" \
    "runs > /dev/full: the message"
  to_full "runs --format json" "$QBDB" runs --format json
  to_full "show" "$QBDB" show 12
  to_full "regressions" "$QBDB" regressions --all
  to_full "trend" "$QBDB" trend "$name"
  to_full "version" "$QBDB" version
  to_full "--version" "$QBDB" --version
  to_full "help runs" "$QBDB" help runs
  to_full "export" "$QBDB" export --samples
  to_full "report" "$QBDB" report --no-record
else
  echo "skipped: standard output to /dev/full (no /dev/full)"
fi

# ---- 4. input files that are not benchmark output -----------------------------------------
runs_before=$(jq length < <("$QBDB" runs --limit 0 --format json))
if [ -c /dev/zero ]; then
  run 3 "$QBDB" ingest /dev/zero
  equals "$ERR" "qbdb: error: /dev/zero: is a character device, not a file or a pipe of benchmark output" \
    "ingest /dev/zero: refused, naming the file"
  run 3 "$QBDB" ingest - </dev/zero
  equals "$ERR" "qbdb: error: <stdin>: is a character device, not a file or a pipe of benchmark output" \
    "ingest - < /dev/zero: refused"
fi
# pipes are benchmark output: process substitution, a fifo, standard input
run 0 "$QBDB" ingest --project pipes <(cat "$DATA/native/minimal.jsonl")
contains "$OUT" "stored run" "ingest <(...): a pipe is read"
mkfifo "$TMP/in.fifo"
cat "$DATA/pytest/run1/benchmark.json" >"$TMP/in.fifo" &
run 0 "$QBDB" ingest --project pipes "$TMP/in.fifo"
wait
contains "$OUT" "stored run" "ingest FIFO: read"
run 0 "$QBDB" ingest --project pipes - <"$DATA/pytest/run2/benchmark.json"
contains "$OUT" "stored run" "ingest - < file: read"
equals "$(jq length < <("$QBDB" runs --limit 0 --format json))" $((runs_before + 3)) \
  "only the three good inputs were stored"

# ---- 1. report --out: planted symlinks, devices, fifos -------------------------------------
# devices: scratch nodes as root (the same major/minor as /dev/null and /dev/full), else /dev's
DEVNULL=/dev/null DEVFULL=/dev/full
if [ "$(id -u)" = 0 ] && mknod "$TMP/null" c 1 3 2>/dev/null && mknod "$TMP/full" c 1 7 2>/dev/null &&
  { echo probe >"$TMP/null"; } 2>/dev/null; then
  DEVNULL=$TMP/null DEVFULL=$TMP/full
fi
run 0 "$QBDB" report --no-record --out "$DEVNULL"
[ -c "$DEVNULL" ] || fail "report --out $DEVNULL: no longer a character device"
contains "$OUT" "-> $DEVNULL" "report --out $DEVNULL: written"
if [ -c "$DEVFULL" ]; then
  run 6 "$QBDB" report --out "$DEVFULL"
  [ -c "$DEVFULL" ] || fail "report --out $DEVFULL: no longer a character device"
  equals "$ERR" "qbdb: error: report: $DEVFULL: cannot write: No space left on device" \
    "report --out $DEVFULL: the write error"
  run 0 "$QBDB" report --format json --no-record
  equals "$(jq '.report.window.previous_report_id' <<<"$OUT")" null "a report not written is not recorded"
  run 6 "$QBDB" export --out "$DEVFULL"
  [ -c "$DEVFULL" ] || fail "export --out $DEVFULL: no longer a character device"
  contains "$ERR" "$DEVFULL" "export --out $DEVFULL: names the file"
fi

# a fifo is written in place: the reader gets the report, the fifo stays a fifo
mkfifo "$TMP/out.fifo"
cat "$TMP/out.fifo" >"$TMP/fifo.got" &
reader=$!
run 0 "$QBDB" report --no-record --out "$TMP/out.fifo"
if [ -p "$TMP/out.fifo" ]; then
  exec 8<>"$TMP/out.fifo" # a writer that never blocks, closed at once: the reader ends
  exec 8>&-
else
  fail "report --out FIFO: the fifo was replaced"
  kill "$reader" 2>/dev/null || true # blocked in open(2) on the fifo nobody will write
fi
wait "$reader" || true
contains "$(head -n 1 "$TMP/fifo.got")" "# " "report --out FIFO: the reader got the report"
# ... and through a symlink that names it (as /dev/stdout or >(...) are)
ln -s "$TMP/out.fifo" "$TMP/fifo.link"
cat "$TMP/out.fifo" >"$TMP/fifo2.got" &
reader=$!
run 0 "$QBDB" report --no-record --out "$TMP/fifo.link"
if [ -p "$TMP/out.fifo" ] && [ -L "$TMP/fifo.link" ]; then
  exec 8<>"$TMP/out.fifo"
  exec 8>&-
else
  fail "report --out LINK-TO-FIFO: the link or the fifo was replaced"
  kill "$reader" 2>/dev/null || true
fi
wait "$reader" || true
contains "$(head -n 1 "$TMP/fifo2.got")" "# " "report --out LINK-TO-FIFO: the reader got the report"
# /dev/fd/1 (through the /dev/fd symlink; here a regular file): the open descriptor, as
# /dev/stdout (not used here: a qbdb that replaced symlinks would replace /dev/stdout itself)
run 0 "$QBDB" report --no-record --out /dev/fd/1
contains "$(head -n 1 "$TMP/out")" "# " "report --out /dev/fd/1: the report"
contains "$OUT" "-> /dev/fd/1" "report --out /dev/fd/1: then the summary line"

# a symlink planted at the old temporary name, FILE.tmp<pid> (sh -c execs qbdb with its pid)
echo precious >"$TMP/victim"
set +e
sh -c 'ln -s "$2" "$1.tmp$$" && exec "$0" report --no-record --out "$1"' \
  "$QBDB" "$TMP/r.md" "$TMP/victim" >"$TMP/out" 2>"$TMP/err"
got=$?
set -e
equals "$got" 0 "report --out with a planted symlink: exit"
equals "$(cat "$TMP/victim")" precious "the file the planted symlink names is untouched"
[ -f "$TMP/r.md" ] && [ ! -L "$TMP/r.md" ] || fail "report --out: r.md is not a regular file"
contains "$(head -n 1 "$TMP/r.md")" "# " "report --out: r.md holds the report"
for l in "$TMP"/r.md.tmp*; do # the planted link, nothing else
  [ ! -e "$l" ] && [ ! -L "$l" ] || [ -L "$l" ] || fail "temporary file left: $l"
done

# a symlink at the target itself: refused (not followed, not replaced), exit 6, nothing recorded
ln -s "$TMP/victim" "$TMP/link.md"
run 6 "$QBDB" report --out "$TMP/link.md"
equals "$ERR" "qbdb: error: report: $TMP/link.md: cannot write: it is a symbolic link (not followed, not replaced: give the file it names)" \
  "report --out SYMLINK: refused"
[ -L "$TMP/link.md" ] || fail "report --out SYMLINK: the link was replaced"
equals "$(cat "$TMP/victim")" precious "report --out SYMLINK: its target untouched"
run 0 "$QBDB" report --format json --no-record
equals "$(jq '.report.window.previous_report_id' <<<"$OUT")" null "refused: not recorded"
ln -s "$TMP/nothing-here" "$TMP/dangling.md"
run 6 "$QBDB" export --out "$TMP/dangling.md"
contains "$ERR" "symbolic link to nothing" "export --out DANGLING-SYMLINK: refused"
[ ! -e "$TMP/nothing-here" ] || fail "export --out DANGLING-SYMLINK: created what it names"
mkdir "$TMP/dir.md"
run 6 "$QBDB" report --no-record --out "$TMP/dir.md"
contains "$ERR" "it is a directory" "report --out DIRECTORY: refused"

# a regular file is replaced atomically and keeps its mode; a new file gets 0666 & ~umask
echo old >"$TMP/kept.md"
chmod 640 "$TMP/kept.md"
run 0 "$QBDB" report --no-record --out "$TMP/kept.md"
equals "$(stat -c %a "$TMP/kept.md")" 640 "report --out: the file's mode kept"
contains "$(head -n 1 "$TMP/kept.md")" "# " "report --out: the file replaced"
(umask 022 && "$QBDB" export --out "$TMP/new.csv" 2>/dev/null)
equals "$(stat -c %a "$TMP/new.csv")" 644 "export --out: a new file is 0666 & ~umask"
equals "$(find "$TMP" -maxdepth 1 -name '*.tmp*' ! -type l | wc -l)" 0 "no temporary file left"

[ -c /dev/null ] && [ -c /dev/full ] || fail "/dev/null or /dev/full is no longer a device"
finish
