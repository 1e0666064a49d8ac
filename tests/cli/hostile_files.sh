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
#     show, trend, ingest, compare (text, markdown, --server), configs, target, report
#     (markdown, to stdout and --out) and upload, and in error messages; JSON keeps it exact.
#  7. `ingest --summary` and `upload --summary` append to a regular file, a fifo or a device,
#     never through a symbolic link (a planted one is refused and what it names untouched), and
#     a refused summary stores nothing.
#  8. `upload /dev/zero` (and `upload - < /dev/zero`) is refused before anything is read, as
#     ingest refuses it; standard input and pipes are still read.
# No timing: every wait ends on an event (a process exit, a pipe closed, a line read).
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
# evil_run R: the native file of run R (1 to 28) on stdout
evil_run() {
  awk -v r="$1" 'BEGIN {
    seed = r * 7919 + 17
    printf "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"p\\u007fq\",\"branch\":\"b\\u001b]0;pwned\\u0007\",\"machine\":\"m\\u009bx\",\"commit\":\"%04x%04x\",\"started_at\":\"2026-10-%02dT12:00:00Z\",\"tags\":{\"t\":\"v\\u001b[2J\"}}\n", 4096 + r, r * 13, r
    base = r >= 9 ? 1200 : 1000
    printf "{\"name\":\"evil\\u001b[31mred\",\"unit\":\"ns\",\"iterations\":100,\"samples\":["
    for (i = 0; i < 40; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648
      printf "%s%.6f", (i ? "," : ""), base * (1 + 0.01 * (seed / 2147483648.0 - 0.5))
    }
    printf "]}\n"
  }'
}
for r in $(seq 1 12); do evil_run "$r" >"$TMP/evil$(printf %02d "$r").jsonl"; done
: >"$TMP/ingest.out"
for f in "$TMP"/evil*.jsonl; do
  run 0 "$QBDB" ingest "$f"
  cat "$TMP/out" >>"$TMP/ingest.out"
done

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

# ingest's own lines: the run stored (project, branch, machine from the file), its comparison
# and the regression it names (run 9: +20% on run 8)
equals "$(raw_controls "$TMP/ingest.out")" 0 "ingest: no raw control bytes"
contains "$(head -n 1 "$TMP/ingest.out")" \
  "project p\x7fq, branch b\x1b]0;pwned\x07, machine m\xc2\x9bx, commit 1001000d" \
  "ingest: the stored run's text escaped"
contains "$(cat "$TMP/ingest.out")" "): evil\x1b[31mred latency +" "ingest: the regression named, escaped"
contains "$(cat "$TMP/ingest.out")" "baseline: run 8, the previous run of b\x1b]0;pwned\x07 on m\xc2\x9bx" \
  "ingest: the baseline's reason escaped"

# compare: text (a terminal's colour is never mixed with raw stored text) and markdown
run 0 "$QBDB" compare 9
check_text "compare"
contains "$OUT" "head: run 9 (b\x1b]0;pwned\x07 @ 10090075" "compare: the branch escaped"
run 0 "$QBDB" compare --format markdown 9
check_text "compare --format markdown"
equals "$(jq -r '.rows[0].benchmark' < <("$QBDB" compare --format json 9))" "$name" \
  "compare --format json: the name exact"
# configs: the tag's values and the names
run 0 "$QBDB" configs --by t
check_text "configs"
contains "$OUT" 'v\x1b[2J' "configs: the tag value escaped"
# target: set, list, check, and the broken target reported by ingest
run 0 "$QBDB" target set --project "p${DEL}q" "evil${ESC}*" latency '<' 1100ns
equals "$(raw_controls "$TMP/out")" 0 "target set: no raw control bytes"
contains "$OUT" 'evil\x1b* latency < 1.100 µs in project p\x7fq' "target set: escaped"
run 0 "$QBDB" target list
equals "$(raw_controls "$TMP/out")" 0 "target list: no raw control bytes"
contains "$OUT" 'evil\x1b*' "target list: the glob escaped"
run 1 "$QBDB" target check 12
check_text "target check"
evil_run 13 >"$TMP/evil13.jsonl"
run 0 "$QBDB" ingest "$TMP/evil13.jsonl"
check_text "ingest with a broken target"
contains "$OUT" "target broken: evil\x1b[31mred latency" "ingest: the broken target named, escaped"
# report: markdown on stdout and in --out FILE (html and json escape by their own rules)
run 0 "$QBDB" report --no-record
check_text "report"
run 0 "$QBDB" report --no-record --out "$TMP/evil-report.md"
equals "$(raw_controls "$TMP/evil-report.md")" 0 "report --out: no raw control bytes"
contains "$(cat "$TMP/evil-report.md")" 'evil\x1b[31mred' "report --out: the name escaped"
run 0 "$QBDB" report --no-record --format json
equals "$(jq -r '[.. | strings | select(startswith("evil"))][0]' <<<"$OUT")" "$name" \
  "report --format json: the name exact"

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

# ---- 8. upload: input files that are not benchmark output ---------------------------------
# (refused before anything is read or sent: no server is needed to see it)
if [ -c /dev/zero ]; then
  run 3 "$QBDB" upload --server http://127.0.0.1:9 /dev/zero
  equals "$ERR" "qbdb: error: /dev/zero: is a character device, not a file or a pipe of benchmark output" \
    "upload /dev/zero: refused, naming the file"
  run 3 "$QBDB" upload --server http://127.0.0.1:9 - </dev/zero
  equals "$ERR" "qbdb: error: <stdin>: is a character device, not a file or a pipe of benchmark output" \
    "upload - < /dev/zero: refused"
fi

# ---- 7. --summary FILE: appended to, never through a symbolic link -------------------------
n_runs() { jq length < <("$QBDB" runs --limit 0 --format json); }
echo precious >"$TMP/victim.sum"
ln -s "$TMP/victim.sum" "$TMP/summary.link"
before=$(n_runs)
run 6 "$QBDB" ingest --project sum --summary "$TMP/summary.link" "$TMP/evil01.jsonl"
equals "$ERR" "qbdb: error: ingest: --summary $TMP/summary.link: cannot open: it is a symbolic link (not followed: give the file it names)" \
  "ingest --summary SYMLINK: refused"
GITHUB_STEP_SUMMARY=$TMP/summary.link run 6 "$QBDB" ingest --project sum "$TMP/evil01.jsonl"
contains "$ERR" "--summary $TMP/summary.link: cannot open: it is a symbolic link" \
  "ingest with \$GITHUB_STEP_SUMMARY a SYMLINK: refused"
run 6 "$QBDB" upload --server http://127.0.0.1:9 --summary "$TMP/summary.link" "$TMP/evil01.jsonl"
equals "$ERR" "qbdb: error: upload: --summary $TMP/summary.link: cannot open: it is a symbolic link (not followed: give the file it names)" \
  "upload --summary SYMLINK: refused"
equals "$(cat "$TMP/victim.sum")" precious "--summary SYMLINK: the file it names untouched"
[ -L "$TMP/summary.link" ] || fail "--summary SYMLINK: the link was replaced"
ln -s "$TMP/nothing.sum" "$TMP/dangling.sum"
run 6 "$QBDB" ingest --project sum --summary "$TMP/dangling.sum" "$TMP/evil01.jsonl"
contains "$ERR" "it is a symbolic link (not followed" "ingest --summary DANGLING-SYMLINK: refused"
[ ! -e "$TMP/nothing.sum" ] || fail "ingest --summary DANGLING-SYMLINK: created what it names"
mkdir "$TMP/summary.dir"
run 6 "$QBDB" ingest --project sum --summary "$TMP/summary.dir" "$TMP/evil01.jsonl"
contains "$ERR" "--summary $TMP/summary.dir: cannot open: Is a directory" "ingest --summary DIRECTORY: refused"
equals "$(n_runs)" "$before" "a refused --summary stores nothing"
# a regular file (the step summary) is appended to: what earlier steps wrote is kept
echo "# an earlier step" >"$TMP/step.md"
run 0 "$QBDB" ingest --project sum --summary "$TMP/step.md" "$TMP/evil01.jsonl"
GITHUB_STEP_SUMMARY=$TMP/step.md run 0 "$QBDB" ingest --project sum "$TMP/evil02.jsonl"
equals "$(head -n 1 "$TMP/step.md")" "# an earlier step" "ingest --summary FILE: appended to"
contains "$(sed -n 2p "$TMP/step.md")" "qbdb: " "ingest --summary FILE: the comparison's markdown"
# a new file: 0644 less the umask
(umask 027 && "$QBDB" ingest --project sum --summary "$TMP/new-step.md" "$TMP/evil03.jsonl" >/dev/null)
equals "$(stat -c %a "$TMP/new-step.md")" 640 "ingest --summary NEW-FILE: mode 0644 & ~umask"
# a device, the standard output, a fifo: written in place
run 0 "$QBDB" ingest --project sum --summary /dev/null "$TMP/evil04.jsonl"
[ -c /dev/null ] || fail "ingest --summary /dev/null: no longer a device"
run 0 "$QBDB" ingest --project sum --summary /dev/stdout "$TMP/evil05.jsonl"
contains "$OUT" "qbdb: " "ingest --summary /dev/stdout: the markdown on stdout"
contains "$OUT" "stored run" "ingest --summary /dev/stdout: and the run"
mkfifo "$TMP/summary.fifo"
cat "$TMP/summary.fifo" >"$TMP/summary-fifo.got" &
reader=$!
run 0 "$QBDB" ingest --project sum --summary "$TMP/summary.fifo" "$TMP/evil06.jsonl"
if [ -p "$TMP/summary.fifo" ]; then
  exec 8<>"$TMP/summary.fifo" # the reader ends even if qbdb never opened the fifo
  exec 8>&-
else
  fail "ingest --summary FIFO: the fifo was replaced"
  kill "$reader" 2>/dev/null || true
fi
wait "$reader" || true
contains "$(cat "$TMP/summary-fifo.got")" "qbdb: " "ingest --summary FIFO: the reader got the markdown"

# ---- 6 and 8 against a server: upload's lines, compare --server, standard input -----------
if command -v curl >/dev/null; then
  UPDB=$TMP/up.db
  TOKEN=$("$QBDB" --db "$UPDB" token create --scope admin --name hostile 2>/dev/null)
  mkfifo "$TMP/serve.fifo"
  "$QBDB" serve --db "$UPDB" --listen 127.0.0.1:0 >/dev/null 2>"$TMP/serve.fifo" &
  SERVER_PID=$!
  trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
  exec 7<"$TMP/serve.fifo" # its first line names the port; a line read, not a time waited
  URL=
  while IFS= read -r -t 60 -u 7 line; do
    case $line in "qbdb serving "*)
      URL=$(sed -n 's|.* on \(http://127\.0\.0\.1:[0-9]*\)/.*|\1|p' <<<"$line")
      break
      ;;
    esac
  done
  cat <&7 >"$TMP/serve.log" & # the rest of its stderr, until it exits
  exec 7<&-
  if [ -z "$URL" ]; then
    fail "qbdb serve did not name its port"
  else
    : >"$TMP/upload.out"
    for r in 07 08 09; do
      run 0 "$QBDB" upload --server "$URL" --token "$TOKEN" "$TMP/evil$r.jsonl"
      cat "$TMP/out" >>"$TMP/upload.out"
    done
    equals "$(raw_controls "$TMP/upload.out")" 0 "upload: no raw control bytes"
    contains "$(cat "$TMP/upload.out")" "project p\x7fq, branch b\x1b]0;pwned\x07, machine m\xc2\x9bx" \
      "upload: the stored run's text escaped"
    contains "$(cat "$TMP/upload.out")" "): evil\x1b[31mred latency +" "upload: the regression named, escaped"
    run 0 "$QBDB" compare --server "$URL" --token "$TOKEN" 3
    check_text "compare --server"
    run 0 "$QBDB" compare --server "$URL" --token "$TOKEN" --format markdown 3
    check_text "compare --server --format markdown"
    # standard input and pipes are still benchmark output
    run 0 "$QBDB" upload --server "$URL" --token "$TOKEN" - <"$TMP/evil10.jsonl"
    contains "$OUT" "stored run 4: <stdin> (native)" "upload - < FILE: read"
    run 0 "$QBDB" upload --server "$URL" --token "$TOKEN" <(cat "$TMP/evil11.jsonl")
    contains "$OUT" "stored run 5: /dev/fd/" "upload <(...): a pipe is read"
  fi
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  wait # the stderr reader, at the server's exit
  trap - EXIT
else
  echo "skipped: upload against a server (no curl, so perhaps no libcurl)"
fi

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
