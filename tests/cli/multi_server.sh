#!/usr/bin/env bash
# Several `qbdb serve` processes on one PostgreSQL database (docs/deploy.md, "Several servers"):
#
# 1. Two servers, 16 clients in parallel, 50 distinct native runs each (800), every upload a curl
#    POST /api/v1/runs with an Idempotency-Key to a random one of the two. At random a client
#    sends an earlier upload again: with its key to the other server, with its body and no key,
#    or the first send itself goes to both servers at once with one key (a race). Each client has
#    its own machine (16 series families); all share project ms, branch main and benchmark
#    names, and every series steps up 20% after run 25. A series is one machine's, so to have
#    series that several clients write at once, every client also uploads 10 runs to project
#    ms-shared, all on one machine, in an order that is not their commit-time order. Checked:
#    every first send 201 with "history": "done", every replay 200 with the run id of the first
#    answer (a race: one 201 and one 200, one run id), exactly 800 runs in ms (160 in ms-shared),
#    each answered run stored under its commit; the regression records (kept up incrementally by
#    the uploads) equal those of a full detection: the database copied into SQLite (qbdb db
#    copy), its records and detection markers cleared and `qbdb detect` run there, compared on
#    series, run, kind, levels and p-value; the planted step is among them in every series.
# 2. kill -9 of server B while it stores an upload (frozen with SIGSTOP once pg_stat_activity
#    shows one of its connections between two statements of a run's insert transaction), and
#    with another upload half sent to it over a raw connection, while clients keep uploading
#    through server A. Clients use `qbdb upload` (its own retries, then the same file - so the
#    same Idempotency-Key - to A). Checked: every upload ends 201/200, A serves throughout, each
#    run stored once, the number of runs is the number of distinct uploads, every answered id is
#    the stored run of that upload's commit.
# 3. A PostgreSQL restart (pg_ctl restart -m fast) under load, on a private cluster of its own
#    (the shared one is used by other tests at the same time): clients upload with `qbdb upload`
#    through servers C and D; a probe uploads with curl through server P, which is frozen inside
#    a run's insert transaction while the database restarts; server I stays idle until after
#    the restart. Checked: the probe's upload in flight is answered 503 "unavailable" and nothing
#    of it is stored; I's first upload, on connections the restart ended, is 201 or 503
#    "unavailable" with Retry-After; no request is answered 500; every upload eventually
#    succeeds (a `qbdb upload` that gave up is run again with the same file, and none started
#    after the restart needs that); the servers serve again without a restart; no run is lost
#    or stored twice.
#
# Only on PostgreSQL: it runs as cli_multi_server_pg (CMakeLists.txt, QB_CLI_PG_TWINS). No step
# waits a fixed time: every wait is for a condition, bounded by QBDB_MS_WAIT_S (300 s), and says
# what it waited for when it gives up.
HERE=$(cd "$(dirname "$0")" && pwd) # lib.bash moves to TMP
source "$HERE/lib.bash"
if ! on_pg; then
  echo "skipped: needs PostgreSQL (runs as cli_multi_server_pg)"
  exit 0
fi
for c in curl jq psql sqlite3; do
  command -v "$c" >/dev/null || {
    echo "skipped: $c not installed"
    exit 0
  }
done
# a CI running this test must not choose our baselines or get our summaries
unset GITHUB_BASE_REF CI_MERGE_REQUEST_TARGET_BRANCH_NAME BITBUCKET_PR_DESTINATION_BRANCH \
  SYSTEM_PULLREQUEST_TARGETBRANCH CHANGE_TARGET GITHUB_STEP_SUMMARY QBDB_TOKEN

WAIT=${QBDB_MS_WAIT_S:-300} # seconds any one wait may take (a loaded 2-core machine)
CLUSTER_SH=$(realpath "$HERE/../pg/cluster.sh")
N_CLIENTS=16 N_RUNS=50 STEP_AT=25
# Each client has its own machine, so no two write to one series in project ms. The series of
# project ms-shared are written by all: after every 5th of its runs a client uploads one there
# (N_SHARED in all), on one machine, at a commit time between the other clients' runs of the
# same rank, so they arrive out of order (backfills) and are analysed by both servers at once.
N_SHARED=$((N_RUNS / 5)) SHARED_STEP=$((STEP_AT / 5))
ADMIN_PG="postgresql:///postgres?host=$QBDB_TEST_PG&user=postgres"

# ---- processes: everything started here is killed by its id at the end -----------------------
declare -A SPID SURL
CLIENT_PIDS=()
PRIV= # the private cluster of part 3
cleanup() {
  local p
  for p in "${CLIENT_PIDS[@]}"; do # a client, and the curl or qbdb upload it waits for
    pkill -P "$p" 2>/dev/null || true
    kill "$p" 2>/dev/null || true
  done
  for p in "${SPID[@]}"; do
    [ -z "$p" ] || kill -9 "$p" 2>/dev/null || true
  done
  for p in "${SPID[@]}"; do
    [ -z "$p" ] || wait "$p" 2>/dev/null || true
  done
  if [ -n "$PRIV" ]; then bash "$CLUSTER_SH" stop "$PRIV" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# start_server NAME DB: `qbdb serve` on a free loopback port (its stderr in serve-NAME.log);
# SPID[NAME] and SURL[NAME]. Threads set, not the machine's CPUs: a server opens 2 x threads +
# max-expensive + 1 connections, and the shared cluster takes 200 from every test at once.
start_server() {
  local name=$1 db=$2
  : >"$TMP/serve-$name.log"
  "$QBDB" serve --db "$db" --listen 127.0.0.1:0 --threads 4 --max-expensive 2 >/dev/null \
    2>"$TMP/serve-$name.log" &
  SPID[$name]=$!
  wait_serving "$TMP/serve-$name.log" "${SPID[$name]}" "starting server $name" ||
    abort_test "server $name exited at start: $SERVE_LOG"
  SURL[$name]=$URL
}
stop_server() { # stop_server NAME: SIGTERM, and reap it
  kill -TERM "${SPID[$1]}" 2>/dev/null || true
  wait "${SPID[$1]}" 2>/dev/null || true
  SPID[$1]=
}
alive() { # alive NAME: the server process is still there (not reaped: started here)
  [ -n "${SPID[$1]}" ] && kill -0 "${SPID[$1]}" 2>/dev/null
}
serves() { # serves NAME PROJECT: a read that needs the database answers 200
  [ "$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' \
    "${SURL[$1]}/api/v1/runs?project=$2&limit=1")" = 200 ]
}
wait_clients() { # wait_clients: every client started, each bounds its own time
  local p
  for p in "${CLIENT_PIDS[@]}"; do wait "$p" || fail "a client exited with $?"; done
  CLIENT_PIDS=()
}

# ---- data: native runs, each distinct (its commit), values around a level per benchmark ------
# gen PROJECT MACHINE SALT K N PREFIX STEP EXTRA SAMPLES [LEVELK]: PREFIX1.jsonl .. PREFIXN.jsonl,
# run I with commit c0de<SALT><K><I> (hex) at commit time day SALT+1, I minutes, K seconds (so
# ordered by I, then K); benchmarks shared/parse (with a memory metric), shared/sort, shared/hash,
# own/MACHINE (its level from LEVELK, default K) and EXTRA more, in a random order; every value
# 20% higher after run STEP (0: never); SAMPLES samples of 2% noise each
gen() {
  awk -v project="$1" -v machine="$2" -v salt="$3" -v k="$4" -v n="$5" -v prefix="$6" \
    -v step="$7" -v extra="$8" -v ns="$9" -v lk="${10:-$4}" 'BEGIN {
    for (i = 1; i <= n; i++) {
      srand(salt * 1000003 + k * 1009 + i)
      f = prefix i ".jsonl"
      lv = (step > 0 && i > step) ? 1.2 : 1.0
      printf "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"%s\",\"branch\":\"main\",\"machine\":\"%s\",\"commit\":\"c0de%02x%02x%04x\",\"commit_time\":\"2026-01-%02dT%02d:%02d:%02dZ\",\"tool\":\"multi_server.sh\"}\n",
        project, machine, salt, k, i, 1 + salt, int(i / 60) % 24, i % 60, k % 60 > f
      nb = 0
      name[++nb] = "shared/parse"; lvl[nb] = 1000; grp[nb] = "shared"
      name[++nb] = "shared/sort"; lvl[nb] = 5000; grp[nb] = "shared"
      name[++nb] = "shared/hash"; lvl[nb] = 200; grp[nb] = "shared"
      name[++nb] = "own/" machine; lvl[nb] = 300 + 10 * lk; grp[nb] = "own"
      for (e = 1; e <= extra; e++) { name[++nb] = sprintf("extra/%03d", e); lvl[nb] = 100 + e; grp[nb] = "extra" }
      for (b = 1; b <= nb; b++) ord[b] = b
      for (b = nb; b > 1; b--) { j = 1 + int(rand() * b); t = ord[b]; ord[b] = ord[j]; ord[j] = t }
      for (o = 1; o <= nb; o++) {
        b = ord[o]; s = ""
        for (x = 0; x < ns; x++) s = s (x ? "," : "") sprintf("%.4f", lvl[b] * lv * (1 + 0.02 * (rand() - 0.5)))
        printf "{\"name\":\"%s\",\"group\":\"%s\",\"unit\":\"ns\",\"samples\":[%s]}\n", name[b], grp[b], s > f
        if (name[b] == "shared/parse")
          printf "{\"name\":\"shared/parse\",\"group\":\"shared\",\"metric\":\"memory\",\"unit\":\"KiB\",\"value\":%.3f}\n", 2048 * lv * (1 + 0.004 * (rand() - 0.5)) > f
      }
      close(f)
    } }'
}
commit_of() { printf 'c0de%02x%02x%04x' "$1" "$2" "$3"; } # commit_of SALT K I, as gen writes it

# runs_by_commit DB PROJECT: "commit id" lines, sorted
runs_by_commit() {
  db_sql "$1" "SELECT r.commit_sha || ' ' || r.id FROM run r JOIN project p ON p.id = r.project_id
    WHERE p.name = '$2' ORDER BY 1"
}
n_runs() { # n_runs DB PROJECT
  db_sql "$1" "SELECT count(*) FROM run r JOIN project p ON p.id = r.project_id WHERE p.name = '$2'"
}
dup_commits() { # dup_commits DB PROJECT: commits stored more than once
  db_sql "$1" "SELECT r.commit_sha FROM run r JOIN project p ON p.id = r.project_id
    WHERE p.name = '$2' GROUP BY r.commit_sha HAVING count(*) > 1"
}

# storing DB APP: "pid xid" of a connection of application_name APP that is between two
# statements of a run's insert transaction (it wrote, and waits for its next statement); empty
storing() {
  psql -X -q -tA -F ' ' "$1" -c "SELECT pid, backend_xid FROM pg_stat_activity
    WHERE application_name = '$2' AND state = 'idle in transaction' AND backend_xid IS NOT NULL
    AND query ~ '^(INSERT INTO (run|run_tag|benchmark|run_benchmark|metric|series|result|sample_set|idempotency)\\M|UPDATE (run|machine) SET)'
    ORDER BY pid" 2>/dev/null || true
}
# freeze_storing NAME DB APP: SIGSTOP server NAME (its connections named APP) at a moment when
# one of its connections is inside a run's insert transaction, seen twice while it is stopped
# (the statement it may have sent before the stop has run by then). Bounded by WAIT.
freeze_storing() {
  local name=$1 pid=${SPID[$1]} deadline=$((SECONDS + WAIT)) tries=0 s1 s2
  while :; do
    [ "$SECONDS" -lt "$deadline" ] ||
      abort_test "waited $WAIT s ($tries stops) to catch server $name inside a run's insert transaction"
    alive "$name" || abort_test "server $name exited while we waited to stop it: $(tail -3 "$TMP/serve-$name.log")"
    tries=$((tries + 1))
    kill -STOP "$pid"
    s1=$(storing "$2" "$3")
    if [ -n "$s1" ]; then
      s2=$(storing "$2" "$3")
      if [ -n "$s2" ] && [ "$s1" = "$s2" ]; then
        FROZEN="$s1" FREEZE_TRIES=$tries
        return 0
      fi
    fi
    kill -CONT "$pid"
  done
}

# count_lines FILE...: lines in the files (missing ones count 0)
count_lines() { { cat "$@" 2>/dev/null || true; } | wc -l | tr -d ' '; }

# =============================== 1. two servers, 16 clients ====================================
progress "part 1: $N_CLIENTS clients x $N_RUNS runs through two servers"
DB1=$QBDB_DB
TOK1=$("$QBDB" --db "$DB1" token create --scope write --project ms --name ci 2>/dev/null)
TOKS=$("$QBDB" --db "$DB1" token create --scope write --project ms-shared --name ci-shared 2>/dev/null)
[ -n "$TOK1" ] && [ -n "$TOKS" ] || abort_test "token create printed no token"
start_server A "$DB1"
start_server B "$DB1"
SRV=("${SURL[A]}" "${SURL[B]}")
mkdir -p "$TMP/p1"
for k in $(seq "$N_CLIENTS"); do
  gen ms "$(printf 'ms-m%02d' "$k")" 1 "$k" "$N_RUNS" "$TMP/p1/b$k-" "$STEP_AT" 0 7
  # and its runs of the series every client writes to (below), ordered by I, then K
  gen ms-shared ms-shared 4 "$k" "$N_SHARED" "$TMP/p1/s$k-" "$SHARED_STEP" 0 7 0
done

# post URL BODY KEY ANSWER: one POST /api/v1/runs ("" KEY: none); prints
# "STATUS ID EXISTED HISTORY CODE" (- for what the answer lacks; STATUS 000: no answer)
post() {
  local st hdr=()
  [ -z "$3" ] || hdr=(-H "Idempotency-Key: $3")
  st=$(curl -s --max-time "$WAIT" -o "$4" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
    "${hdr[@]}" --data-binary @"$2" "$1/api/v1/runs" 2>/dev/null) || st=000
  printf '%s %s\n' "$st" "$(jq -r 'if type == "object" then [(.run.id // "-"),
    (if has("existed") then .existed else "-" end), (.history // "-"), (.error.code // "-")]
    else ["-", "-", "-", "-"] end | map(tostring) | join(" ")' "$4" 2>/dev/null || echo "- - - -")"
  # an answer whose history step did not succeed is kept whole: the failure then says why
  jq -e 'type == "object" and has("history_error")' "$4" >/dev/null 2>&1 &&
    { printf '%s: ' "$1"; jq -c '{run: .run.id, history_error}' "$4"; } >>"$TMP/p1/deferred"
}
# send KIND K I J SRV KEY BODY LOG: post, again with the same key while the answer is a 5xx or none
# (at most 10 times: each is reported), and log "KIND K I J SRV STATUS ID EXISTED HISTORY CODE
# TRIES" (I: the run sent now, J: the run it replays, or I)
send() {
  local ans=$TMP/p1/ans-$2-$3-$$-$RANDOM r tries=0
  while :; do
    tries=$((tries + 1))
    r=$(post "${SRV[$5]}" "$7" "$6" "$ans")
    case $r in 5* | 000*) [ "$tries" -lt 10 ] && continue ;; esac
    break
  done
  [ "$tries" -eq 1 ] || echo "$1 $2 $3: $tries tries, last: $r: $(head -c 300 "$ans")" >>"$TMP/p1/retried"
  echo "$1 $2 $3 $4 $5 $r $tries" >>"$8"
  rm -f "$ans"
}
client1() { # client1 K: the runs of client K, with replays, logged to p1/cK.log
  set +e
  local k=$1 i j s o r log=$TMP/p1/c$1.log key
  local -a srv_of
  RANDOM=$((k * 7919))
  TOK=$TOK1
  for i in $(seq "$N_RUNS"); do
    s=$((RANDOM % 2))
    key="ms1-$k-$i"
    if [ $((RANDOM % 10)) -eq 0 ]; then # the first send to both servers at once, one key
      send race "$k" "$i" "$i" "$s" "$key" "$TMP/p1/b$k-$i.jsonl" "$log" &
      o=$!
      send race "$k" "$i" "$i" $((1 - s)) "$key" "$TMP/p1/b$k-$i.jsonl" "$log"
      wait "$o"
    else
      send orig "$k" "$i" "$i" "$s" "$key" "$TMP/p1/b$k-$i.jsonl" "$log"
    fi
    srv_of[i]=$s
    r=$((RANDOM % 100))
    j=$((1 + RANDOM % i))
    if [ "$r" -lt 20 ]; then # an earlier upload again, with its key, to the other server
      send keyrep "$k" "$i" "$j" $((1 - srv_of[j])) "ms1-$k-$j" "$TMP/p1/b$k-$j.jsonl" "$log"
    elif [ "$r" -lt 35 ]; then # its body again, without a key, to either server
      send bodyrep "$k" "$i" "$j" $((RANDOM % 2)) "" "$TMP/p1/b$k-$j.jsonl" "$log"
    fi
    if [ $((i % 5)) -eq 0 ]; then # a run of the shared series
      j=$((i / 5))
      s=$((RANDOM % 2))
      TOK=$TOKS send shared "$k" "$j" "$j" "$s" "mss-$k-$j" "$TMP/p1/s$k-$j.jsonl" "$log"
      if [ $((RANDOM % 3)) -eq 0 ]; then
        TOK=$TOKS send sharedrep "$k" "$j" "$j" $((1 - s)) "mss-$k-$j" "$TMP/p1/s$k-$j.jsonl" "$log"
      fi
    fi
  done
}
for k in $(seq "$N_CLIENTS"); do
  client1 "$k" &
  CLIENT_PIDS+=($!)
done
wait_clients
progress "part 1: uploads done ($(count_lines "$TMP"/p1/c*.log) requests)"
alive A || fail "server A exited during part 1: $(tail -5 "$TMP/serve-A.log")"
alive B || fail "server B exited during part 1: $(tail -5 "$TMP/serve-B.log")"
[ ! -s "$TMP/p1/retried" ] || fail "uploads answered 5xx or not at all (then sent again with their key):"$'\n'"$(head -20 "$TMP/p1/retried")"

# every answer as it should be: first sends 201 and history done, replays 200 with the first
# answer's run, a race one 201 and one 200 with one run
cat "$TMP"/p1/c*.log >"$TMP/p1/all.log"
awk -v n_clients="$N_CLIENTS" -v n_runs="$N_RUNS" -v n_shared="$N_SHARED" '
  function bad(msg) { print msg; nbad++ }
  { kind = $1; k = $2; i = $3; j = $4; st = $6; id = $7; ex = $8; hist = $9; code = $10 }
  kind == "orig" {
    if (st != 201 || ex != "false" || hist != "done") bad("first send of client " k " run " i ": " $0)
    if ((k, i) in first) bad("run " k "/" i " sent first twice: " $0)
    first[k, i] = id; srv[k, i] = $5
  }
  kind == "race" {
    if (!((k, i) in nr)) nraces++
    nr[k, i]++
    if (st == 201) { n201[k, i]++; if (ex != "false" || hist != "done") bad("race of client " k " run " i ": 201 but " $0) }
    else if (st == 200) { if (ex != "true") bad("race of client " k " run " i ": 200 but not existed: " $0) }
    else bad("race of client " k " run " i ": status " st ": " $0)
    if ((k, i) in first && first[k, i] != id) bad("race of client " k " run " i ": run ids " first[k, i] " and " id)
    first[k, i] = id
  }
  kind == "keyrep" || kind == "bodyrep" { rep[NR] = $0 }
  kind == "shared" {
    if (st != 201 || ex != "false" || hist != "done") bad("first send of client " k " shared run " i ": " $0)
    if (id !~ /^[0-9]+$/) bad("client " k " shared run " i ": no run id: " $0)
    else sids[id]++
    sfirst[k, i] = id; nshared++
  }
  kind == "sharedrep" { srep[NR] = $0 }
  END {
    for (k = 1; k <= n_clients; k++) for (i = 1; i <= n_runs; i++) {
      if (!((k, i) in first)) { bad("client " k " run " i ": never answered"); continue }
      if ((k, i) in nr && (nr[k, i] != 2 || n201[k, i] != 1))
        bad("race of client " k " run " i ": " nr[k, i] " answers, " n201[k, i] + 0 " of them 201 (want 2 and 1)")
      if (first[k, i] !~ /^[0-9]+$/) bad("client " k " run " i ": no run id (" first[k, i] ")")
      else ids[first[k, i]]++
    }
    for (x in ids) { distinct++; if (ids[x] > 1) bad("run id " x " answered for " ids[x] " different uploads") }
    for (r in rep) {
      split(rep[r], f, " ")
      if (f[6] != 200 || f[8] != "true" || f[7] != first[f[2], f[4]])
        bad("replay (" f[1] ") of client " f[2] " run " f[4] " to server " f[5] ": want 200 existed run " first[f[2], f[4]] ", got " rep[r])
      nrep[f[1]]++
    }
    for (r in srep) {
      split(srep[r], f, " ")
      if (f[6] != 200 || f[8] != "true" || f[7] != sfirst[f[2], f[4]])
        bad("replay of client " f[2] " shared run " f[4] " to server " f[5] ": want 200 existed run " sfirst[f[2], f[4]] ", got " srep[r])
      nrep["sharedrep"]++
    }
    for (x in sids) { sdistinct++; if (sids[x] > 1) bad("run id " x " answered for " sids[x] " different shared uploads") }
    if (nshared != n_clients * n_shared) bad(nshared " shared runs sent, want " n_clients * n_shared)
    printf "summary: %d distinct runs answered, %d replays with the key to the other server, %d without a key, %d races",
      distinct, nrep["keyrep"], nrep["bodyrep"], nraces > "/dev/stderr"
    printf "; shared series: %d distinct runs, %d replays with the key to the other server\n", sdistinct, nrep["sharedrep"] > "/dev/stderr"
    exit (nbad > 0)
  }' "$TMP/p1/all.log" >"$TMP/p1/bad" 2>"$TMP/p1/summary" ||
  fail "answers not as documented ($(wc -l <"$TMP/p1/bad") lines):"$'\n'"$(head -30 "$TMP/p1/bad")$(
    [ ! -s "$TMP/p1/deferred" ] || printf '\nhistory steps that failed:\n%s' "$(head -10 "$TMP/p1/deferred")")"
progress "part 1: $(cat "$TMP/p1/summary")"
contains "$(cat "$TMP/p1/summary")" "$((N_CLIENTS * N_RUNS)) distinct runs answered" "distinct runs answered"
# what was stored: 800 runs, each answered run under its commit
equals "$(n_runs "$DB1" ms)" $((N_CLIENTS * N_RUNS)) "runs stored (SQL)"
run 0 "$QBDB" --db "$DB1" runs --project ms --limit 0 --format json
equals "$(jq length <<<"$OUT")" $((N_CLIENTS * N_RUNS)) "runs stored (qbdb runs)"
awk '$1 == "orig" || ($1 == "race" && $6 == 201) { printf "c0de01%02x%04x %s\n", $2, $3, $7 }' \
  "$TMP/p1/all.log" | sort >"$TMP/p1/answered"
runs_by_commit "$DB1" ms >"$TMP/p1/stored"
cmp -s "$TMP/p1/answered" "$TMP/p1/stored" ||
  fail "stored runs are not the answered ones (commit id):"$'\n'"$(diff "$TMP/p1/answered" "$TMP/p1/stored" | head -20)"
equals "$(n_runs "$DB1" ms-shared)" $((N_CLIENTS * N_SHARED)) "runs stored in the shared series"
awk '$1 == "shared" { printf "c0de04%02x%04x %s\n", $2, $3, $7 }' "$TMP/p1/all.log" | sort >"$TMP/p1/s-answered"
runs_by_commit "$DB1" ms-shared >"$TMP/p1/s-stored"
cmp -s "$TMP/p1/s-answered" "$TMP/p1/s-stored" ||
  fail "stored shared runs are not the answered ones (commit id):"$'\n'"$(diff "$TMP/p1/s-answered" "$TMP/p1/s-stored" | head -20)"
for k in 1 $N_CLIENTS; do # a series per client holds its 50 points once each
  run 0 "$QBDB" --db "$DB1" trend --project ms --machine "$(printf 'ms-m%02d' "$k")" --format json shared/sort
  equals "$(jq '.points | length' <<<"$OUT")" "$N_RUNS" "client $k: points of shared/sort"
done

# the regression records the uploads kept up incrementally, against a full detection of a copy
progress "part 1: regression records against a full detection"
"$QBDB" --db "$DB1" regressions --all --format json >"$TMP/p1/regs-served.json" ||
  abort_test "qbdb regressions on the served database failed"
run 0 "$QBDB" db copy "$DB1" "$TMP/p1/copy.db"
db_sql "$TMP/p1/copy.db" "DELETE FROM regression; UPDATE series SET analysed_n = 0,
  analysed_run_id = NULL, analysed_time = NULL, analysed_opts = NULL"
equals "$(db_sql "$TMP/p1/copy.db" "SELECT count(*) FROM regression")" 0 "records cleared in the copy"
run 0 "$QBDB" --db "$TMP/p1/copy.db" detect
progress "part 1: full detection of the copy: $OUT"
"$QBDB" --db "$TMP/p1/copy.db" regressions --all --format json >"$TMP/p1/regs-full.json" ||
  abort_test "qbdb regressions on the copy failed"
norm() { # norm FILE: the records still detected, on what detection decides, sorted (ids and
  # times left out; a record an earlier detection found and a later one lost is kept, inactive)
  jq -c '.[] | select(.active) | [.project, .benchmark, .branch, .machine, .metric, .run_id, .kind,
    .before, .after, .p_value]' "$1" | sort
}
norm "$TMP/p1/regs-served.json" >"$TMP/p1/served"
norm "$TMP/p1/regs-full.json" >"$TMP/p1/full"
n_served=$(count_lines "$TMP/p1/served")
cmp -s "$TMP/p1/served" "$TMP/p1/full" ||
  fail "regression records of the uploads ($n_served) differ from a full detection ($(count_lines "$TMP/p1/full")):"$'\n'"$(diff "$TMP/p1/served" "$TMP/p1/full" | head -30)"
# the planted step: in every series of every client, a regression at its run 26 (the full list)
awk -v n="$N_CLIENTS" -v s=$((STEP_AT + 1)) '($1 == "orig" || $1 == "race") && $3 == s { print $2, $7 }' \
  "$TMP/p1/all.log" | sort -u | while read -r k id; do
  m=$(printf 'ms-m%02d' "$k")
  for sm in shared/parse:latency shared/parse:memory shared/sort:latency shared/hash:latency "own/$m:latency"; do
    printf '["ms","%s","main","%s","%s",%s,"regression",\n' "${sm%%:*}" "$m" "${sm#*:}" "$id"
  done
done >"$TMP/p1/want-steps"
# and in the shared series, at the first run after the step in commit-time order: client 1's
id=$(awk -v s=$((SHARED_STEP + 1)) '$1 == "shared" && $2 == 1 && $3 == s { print $7 }' "$TMP/p1/all.log")
for sm in shared/parse:latency shared/parse:memory shared/sort:latency shared/hash:latency own/ms-shared:latency; do
  printf '["ms-shared","%s","main","ms-shared","%s",%s,"regression",\n' "${sm%%:*}" "${sm#*:}" "$id"
done >>"$TMP/p1/want-steps"
equals "$(count_lines "$TMP/p1/want-steps")" $((N_CLIENTS * 5 + 5)) "planted steps expected"
missing=$(while IFS= read -r w; do grep -qF "$w" "$TMP/p1/full" || echo "$w"; done <"$TMP/p1/want-steps")
[ -z "$missing" ] || fail "planted steps not found by the full detection:"$'\n'"$(head -10 <<<"$missing")"
progress "part 1: $n_served records, equal to a full detection"

# =============================== 2. kill -9 of one server =====================================
progress "part 2: kill -9 of server B while it stores, clients going on through A"
TOK2=$("$QBDB" --db "$DB1" token create --scope write --project ms2 --name ci2 2>/dev/null)
APP_B=qbdb-ms-b-$$
stop_server B
start_server B "$DB1&application_name=$APP_B"
mkdir -p "$TMP/p2"
P2_MAX=150 # uploads a client makes at most before the kill (abort beyond)
NA=3 NB=3  # clients of A, of B
for k in $(seq "$NA"); do gen ms2 "ms2-a$k" 2 "$k" "$P2_MAX" "$TMP/p2/a$k-" 0 40 10; done
for k in $(seq "$NB"); do gen ms2 "ms2-b$k" 2 $((10 + k)) "$P2_MAX" "$TMP/p2/b$k-" 0 40 10; done
gen ms2 ms2-raw 2 99 1 "$TMP/p2/raw-" 0 40 10

# up2 SERVER FILE OUT: qbdb upload --output json; prints "RC STATUS ID"
up2() {
  local rc
  QBDB_TOKEN=$TOK2 "$QBDB" upload --server "${SURL[$1]}" --output json "$2" >"$3" 2>"$3.err"
  rc=$?
  printf '%s %s\n' "$rc" "$(jq -r '.[0] | [.status, .run.id] | map(tostring) | join(" ")' "$3" 2>/dev/null || echo "- -")"
}
# client2 ROLE K: ROLE a uploads through A until B is killed, then 5 more; ROLE b uploads through
# B until it is killed, an upload B failed going to A (the same file: the same key). Logs
# "ROLE K I RC_FIRST RC STATUS ID FIRST_SERVER" to p2/ROLEK.log.
client2() {
  set +e
  local role=$1 k=$2 i=0 after=0 srv rc1 rc st id log=$TMP/p2/$1$2.log f
  while :; do
    if [ -e "$TMP/p2/killed" ]; then
      [ "$role" = a ] || break
      after=$((after + 1))
      [ "$after" -le 5 ] || break
    fi
    i=$((i + 1))
    if [ "$i" -gt "$P2_MAX" ]; then
      echo "$role $k: $P2_MAX uploads and B not killed yet" >>"$TMP/p2/errors"
      break
    fi
    f=$TMP/p2/$role$k-$i.jsonl
    srv=A
    [ "$role" = a ] || srv=B
    read -r rc1 st id < <(up2 "$srv" "$f" "$TMP/p2/out-$role$k")
    rc=$rc1
    if [ "$rc" != 0 ] && [ "$role" = b ]; then # B failed: the same upload through A
      cp "$TMP/p2/out-$role$k.err" "$TMP/p2/failover-$role$k-$i.err"
      read -r rc st id < <(up2 A "$f" "$TMP/p2/out-$role$k")
    fi
    [ "$rc" = 0 ] || echo "$role $k $i: exit $rc: $(cat "$TMP/p2/out-$role$k.err")" >>"$TMP/p2/errors"
    echo "$role $k $i $rc1 $rc $st $id $srv" >>"$log"
  done
}
for k in $(seq "$NA"); do
  client2 a "$k" &
  CLIENT_PIDS+=($!)
done
for k in $(seq "$NB"); do
  client2 b "$k" &
  CLIENT_PIDS+=($!)
done
# the streams are going: every client has an answer
streams_going() {
  local f
  for f in $(seq "$NA" | sed 's/^/a/') $(seq "$NB" | sed 's/^/b/'); do
    [ -s "$TMP/p2/$f.log" ] || return 1
  done
}
wait_until "$WAIT" "an answer to each of the $((NA + NB)) clients of part 2" streams_going
# an upload half sent to B: its headers and half its body, on a raw connection
RAW=$TMP/p2/raw-1.jsonl
RAW_LEN=$(wc -c <"$RAW")
exec {RAW_FD}<>"/dev/tcp/127.0.0.1/${SURL[B]##*:}"
printf 'POST /api/v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nIdempotency-Key: ms2-raw\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n' \
  "$TOK2" "$RAW_LEN" >&"$RAW_FD"
head -c $((RAW_LEN / 2)) "$RAW" >&"$RAW_FD"
freeze_storing B "$ADMIN_PG" "$APP_B"
progress "part 2: server B stopped inside a run's insert transaction (backend pid xid: $FROZEN; $FREEZE_TRIES stops)"
{ # (bash's "Killed" notice of the job goes to /dev/null too)
  kill -9 "${SPID[B]}"
  wait "${SPID[B]}" || true
} 2>/dev/null
SPID[B]=
touch "$TMP/p2/killed"
exec {RAW_FD}>&-
# PostgreSQL ends the killed server's transactions: wait for its connections to go
b_gone() { [ "$(psql -X -q -tA "$ADMIN_PG" -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$APP_B'")" = 0 ]; }
wait_until "$WAIT" "PostgreSQL to drop the connections of the killed server B" b_gone
# the half-sent upload, whole, to A with its key: never stored by B
TOK=$TOK2
read -r st id ex _ < <(post "${SURL[A]}" "$RAW" ms2-raw "$TMP/p2/raw.ans")
equals "$st $ex" "201 false" "the upload half sent to B, sent whole to A"
RAW_ID=$id
read -r st id ex _ < <(post "${SURL[A]}" "$RAW" ms2-raw "$TMP/p2/raw.ans")
equals "$st $id $ex" "200 $RAW_ID true" "its replay"
wait_clients
progress "part 2: uploads done"
[ ! -s "$TMP/p2/errors" ] || fail "part 2 uploads that failed:"$'\n'"$(head -20 "$TMP/p2/errors")"
alive A || fail "server A exited in part 2: $(tail -5 "$TMP/serve-A.log")"
cat "$TMP"/p2/[ab]*.log >"$TMP/p2/all.log"
n_sent=$(($(count_lines "$TMP/p2/all.log") + 1))
n_failover=$(awk '$1 == "b" && $4 != 0' "$TMP/p2/all.log" | wc -l | tr -d ' ')
bad=$(awk '$5 != 0 || ($6 != 201 && $6 != 200) || $7 !~ /^[0-9]+$/' "$TMP/p2/all.log")
[ -z "$bad" ] || fail "part 2 uploads not stored:"$'\n'"$(head -20 <<<"$bad")"
[ "$n_failover" -ge 1 ] || fail "no upload to B failed over to A (the kill found none in flight)"
# stored exactly once: the count, no commit twice, each answered run under its commit
equals "$(n_runs "$DB1" ms2)" "$n_sent" "part 2: runs stored = distinct uploads"
equals "$(dup_commits "$DB1" ms2)" "" "part 2: no upload stored twice"
{
  awk '{ printf "c0de02%02x%04x %s\n", ($1 == "b" ? 10 : 0) + $2, $3, $7 }' "$TMP/p2/all.log"
  echo "$(commit_of 2 99 1) $RAW_ID"
} | sort >"$TMP/p2/answered"
runs_by_commit "$DB1" ms2 >"$TMP/p2/stored"
cmp -s "$TMP/p2/answered" "$TMP/p2/stored" ||
  fail "part 2: stored runs are not the answered ones (commit id):"$'\n'"$(diff "$TMP/p2/answered" "$TMP/p2/stored" | head -20)"
progress "part 2: $n_sent distinct uploads stored once each; $n_failover uploads to B went to A after B failed" \
  "($(awk '$1 == "b" && $4 != 0 && $6 == 200' "$TMP/p2/all.log" | wc -l | tr -d ' ') of them found stored by B: 200)"
stop_server A

# =============================== 3. PostgreSQL restart under load =============================
progress "part 3: PostgreSQL restart under load, on a private cluster"
PRIV=/tmp/qbdb-ms-$$
bash "$CLUSTER_SH" start "$PRIV" || abort_test "could not start the private cluster in $PRIV"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
ADMIN3="postgresql:///postgres?host=$PRIV&user=postgres"
psql -X -q -v ON_ERROR_STOP=1 "$ADMIN3" -c "CREATE DATABASE ms3" >/dev/null
DB3="postgresql:///ms3?host=$PRIV&user=postgres"
TOK3=$("$QBDB" --db "$DB3" token create --scope write --project ms3 --name ci3 2>/dev/null)
APP_P=qbdb-ms-p-$$
start_server C "$DB3"
start_server D "$DB3"
start_server P "$DB3&application_name=$APP_P"
start_server I "$DB3" # idle until the database has restarted
mkdir -p "$TMP/p3"
P3_MAX=200 N3=6
for k in $(seq "$N3"); do gen ms3 "ms3-c$k" 3 "$k" "$P3_MAX" "$TMP/p3/c$k-" 0 10 10; done
gen ms3 ms3-probe 3 50 "$P3_MAX" "$TMP/p3/p-" 0 60 10
gen ms3 ms3-idle 3 60 1 "$TMP/p3/i-" 0 10 10

# client3 K: `qbdb upload` through C and D in turn until the database has restarted, then 5 more;
# an upload that gave up (exit 6: the server could not be reached or kept failing) is run again,
# the same file (the same key), until it succeeds or WAIT runs out. Logs
# "K I SERVER RC STATUS ID RUNS AFTER" (RUNS: qbdb upload runs it took, AFTER: started after
# the restart) to p3/cK.log.
client3() {
  set +e
  local k=$1 i=0 after=0 srv rc st id runs deadline f late
  while :; do
    late=0
    if [ -e "$TMP/p3/restarted" ]; then
      late=1 after=$((after + 1))
      [ "$after" -le 5 ] || break
    fi
    i=$((i + 1))
    if [ "$i" -gt "$P3_MAX" ]; then
      echo "client $k: $P3_MAX uploads and no restart yet" >>"$TMP/p3/errors"
      break
    fi
    f=$TMP/p3/c$k-$i.jsonl
    srv=C
    [ $(((k + i) % 2)) -eq 0 ] || srv=D
    runs=0 deadline=$((SECONDS + WAIT))
    while :; do
      runs=$((runs + 1))
      QBDB_TOKEN=$TOK3 "$QBDB" upload --server "${SURL[$srv]}" --output json "$f" \
        >"$TMP/p3/out-$k" 2>"$TMP/p3/err-$k"
      rc=$?
      [ "$rc" = 6 ] && [ "$SECONDS" -lt "$deadline" ] || break
      echo "client $k run $i, qbdb upload run $runs: $(cat "$TMP/p3/err-$k")" >>"$TMP/p3/gave-up"
    done
    read -r st id < <(jq -r '.[0] | [.status, .run.id] | map(tostring) | join(" ")' "$TMP/p3/out-$k" 2>/dev/null || echo "- -")
    [ "$rc" = 0 ] || echo "client $k run $i: exit $rc: $(cat "$TMP/p3/err-$k")" >>"$TMP/p3/errors"
    echo "$k $i $srv $rc $st $id $runs $late" >>"$TMP/p3/c$k.log"
  done
}
# probe: curl uploads through P, each sent again with its key after a 5xx or no answer (0.1 s
# apart, at most for WAIT), until the database has restarted, then 3 more. Logs every answer:
# "I TRY STATUS ID EXISTED HISTORY CODE" to p3/probe.log.
probe() {
  set +e
  local i=0 after=0 try r deadline
  TOK=$TOK3
  while :; do
    if [ -e "$TMP/p3/restarted" ]; then
      after=$((after + 1))
      [ "$after" -le 3 ] || break
    fi
    i=$((i + 1))
    [ "$i" -le "$P3_MAX" ] || { echo "probe: $P3_MAX uploads and no restart yet" >>"$TMP/p3/errors"; break; }
    try=0 deadline=$((SECONDS + WAIT))
    while :; do
      try=$((try + 1))
      r=$(post "${SURL[P]}" "$TMP/p3/p-$i.jsonl" "ms3-probe-$i" "$TMP/p3/probe.ans")
      echo "$i $try $r" >>"$TMP/p3/probe.log"
      case $r in
        5* | 000*) [ "$SECONDS" -lt "$deadline" ] || { echo "probe $i: $r after $try tries" >>"$TMP/p3/errors"; break; } ;;
        *) break ;;
      esac
      sleep 0.1 # the client's pause before it tries again (not a wait for a condition)
    done
  done
}
for k in $(seq "$N3"); do
  client3 "$k" &
  CLIENT_PIDS+=($!)
done
probe &
CLIENT_PIDS+=($!)
load_going() { # each client and the probe have an answer
  local k
  for k in $(seq "$N3"); do [ -s "$TMP/p3/c$k.log" ] || return 1; done
  [ -s "$TMP/p3/probe.log" ]
}
wait_until "$WAIT" "an answer to each of the $N3 clients and the probe of part 3" load_going
freeze_storing P "$ADMIN3" "$APP_P"
progress "part 3: server P stopped inside the probe's insert transaction (backend pid xid: $FROZEN; $FREEZE_TRIES stops); restarting PostgreSQL"
n_before=$(n_runs "$DB3" ms3)
as_owner "$PG_BIN/pg_ctl" -D "$PRIV/data" -l "$PRIV/server.log" -m fast -w -t "$WAIT" restart \
  >"$TMP/p3/pg_ctl.out" 2>&1 || abort_test "pg_ctl restart failed: $(cat "$TMP/p3/pg_ctl.out")"
progress "part 3: PostgreSQL restarted (runs before: $n_before)"
touch "$TMP/p3/restarted"
kill -CONT "${SPID[P]}"
# server I, idle since it started: its connections were opened before the restart, which ended
# them. Its first upload may find out (503 "unavailable", with Retry-After) or reconnect (201),
# nothing else; then it stores the upload once.
idle_post() { # idle_post: the upload through I, with its key; "STATUS CODE RETRY-AFTER ID" in IDLE
  local st
  st=$(curl -s --max-time "$WAIT" -D "$TMP/p3/idle.hdr" -o "$TMP/p3/idle.ans" -w '%{http_code}' \
    -H "Authorization: Bearer $TOK3" -H "Idempotency-Key: ms3-idle" \
    --data-binary @"$TMP/p3/i-1.jsonl" "${SURL[I]}/api/v1/runs" 2>/dev/null) || st=000
  IDLE="$st $(jq -r '.error.code // "-"' "$TMP/p3/idle.ans" 2>/dev/null || echo -)"
  IDLE="$IDLE $(tr -d '\r' <"$TMP/p3/idle.hdr" | sed -n 's/^[Rr]etry-[Aa]fter: *//p' | head -n 1)"
  IDLE="$IDLE $(jq -r '.run.id // "-"' "$TMP/p3/idle.ans" 2>/dev/null || echo -)"
  echo "$IDLE" >>"$TMP/p3/idle.log"
  case $st in 201 | 200) return 0 ;; *) return 1 ;; esac
}
idle_post || true
case $IDLE in
  "201 "* | "503 unavailable "[0-9]*) ;;
  *) fail "the first upload through server I after the restart: want 201, or 503 unavailable with Retry-After; got '$IDLE': $(head -c 300 "$TMP/p3/idle.ans")" ;;
esac
[ "${IDLE%% *}" = 201 ] || wait_until "$WAIT" "server I to store an upload after the restart" idle_post
IDLE_ID=${IDLE##* }
equals "${IDLE%% *}" 201 "server I: its upload stored by the answer that said so"
for s in C D P I; do
  alive "$s" || fail "server $s exited over the restart: $(tail -5 "$TMP/serve-$s.log")"
  wait_until "$WAIT" "server $s to answer a read (200) after the restart" serves "$s" ms3
done
wait_clients
progress "part 3: uploads done"
[ ! -s "$TMP/p3/errors" ] || fail "part 3 uploads that failed:"$'\n'"$(head -20 "$TMP/p3/errors")"
for s in C D P I; do alive "$s" || fail "server $s exited in part 3"; done
cat "$TMP"/p3/c*.log >"$TMP/p3/all.log"
bad=$(awk '$4 != 0 || ($5 != 201 && $5 != 200) || $6 !~ /^[0-9]+$/' "$TMP/p3/all.log")
[ -z "$bad" ] || fail "part 3 uploads not stored:"$'\n'"$(head -20 <<<"$bad")"
# the probe: its upload frozen over the restart was answered 503 "unavailable" (then stored
# when sent again); every probe upload ends 201 (it stored nothing before)
frozen_answer=$(awk '$3 ~ /^5/ { print; exit }' "$TMP/p3/probe.log")
contains "$frozen_answer" " 503 - - - unavailable" "the probe's upload in flight over the restart"
p_ok=$(awk '$3 == 201 || $3 == 200 { print $1, $3, $4 }' "$TMP/p3/probe.log" | sort -n)
p_n=$(awk '{ print $1 }' "$TMP/p3/probe.log" | sort -u | wc -l | tr -d ' ')
equals "$(count_lines <<<"$p_ok")" "$p_n" "probe uploads answered 201/200 once each"
equals "$(awk '$2 != 201' <<<"$p_ok")" "" "probe uploads: each stored by the answer that said so (201)"
n_503=$(cat "$TMP"/serve-[CDPI].log | grep -c 'POST /api/v1/runs 503' || true)
[ "$n_503" -ge 1 ] || fail "no upload was answered 503 over the restart"
# an unreachable database is 503 "unavailable", never 500 "internal" (docs/api/README.md)
n_500=$(cat "$TMP"/serve-[CDPI].log | grep -c ' 500 ' || true)
equals "$n_500" 0 "requests answered 500 over the restart (want 503)"
# nothing lost, nothing twice
n3_sent=$(($(count_lines "$TMP/p3/all.log") + p_n + 1))
equals "$(n_runs "$DB3" ms3)" "$n3_sent" "part 3: runs stored = distinct uploads"
equals "$(dup_commits "$DB3" ms3)" "" "part 3: no upload stored twice"
{
  awk '{ printf "c0de03%02x%04x %s\n", $1, $2, $6 }' "$TMP/p3/all.log"
  awk '{ printf "c0de0332%04x %s\n", $1, $3 }' <<<"$p_ok"
  echo "$(commit_of 3 60 1) $IDLE_ID"
} | sort >"$TMP/p3/answered"
runs_by_commit "$DB3" ms3 >"$TMP/p3/stored"
cmp -s "$TMP/p3/answered" "$TMP/p3/stored" ||
  fail "part 3: stored runs are not the answered ones (commit id):"$'\n'"$(diff "$TMP/p3/answered" "$TMP/p3/stored" | head -20)"
n_reruns=$(count_lines "$TMP/p3/gave-up")
n_200=$(awk '$5 == 200' "$TMP/p3/all.log" | wc -l | tr -d ' ')
n_late_reruns=$(awk '$8 == 1 && $7 > 1' "$TMP/p3/all.log" | wc -l | tr -d ' ')
equals "$n_late_reruns" 0 "uploads started after the restart that qbdb upload gave up on"
progress "part 3: $n3_sent uploads stored once each; $n_503 uploads answered 503; qbdb upload gave" \
  "up $n_reruns times (run again); $n_200 uploads found already stored (an earlier attempt stored" \
  "them but its answer was lost)"
[ ! -s "$TMP/p3/gave-up" ] || echo "qbdb upload gave up: $(head -3 "$TMP/p3/gave-up")"
for s in C D P I; do stop_server "$s"; done
bash "$CLUSTER_SH" stop "$PRIV" || fail "could not stop the private cluster"
PRIV=
progress "done in $(elapsed_s) s"
finish
