#!/usr/bin/env bash
# End to end (issue 16): `--commit` naming another commit than the file's drops the file's commit
# time - through `qbdb ingest`, `qbdb upload` and POST /api/v1/runs?commit= - so that the run is
# not placed in its history at the file commit's time; the same commit keeps it.
# The file: tests/data/pytest/v4/benchmark.json, whose commit_info is
# {"id": "4f2a9c1e0b7d3a5968e1c2b4d6f8a0e1c3b5d7f9", "time": "2024-03-05T10:15:42+01:00", ...}
# and whose "datetime" (the run's start) is 2024-03-05T09:16:03.512345+00:00.
# (tests/data/pytest/run1 and run2, written by pytest-benchmark 3.2.2 outside git, say
# "unversioned" with no time: they have no commit time to keep or drop.)
source "$(dirname "$0")/lib.bash"
command -v jq >/dev/null || { echo "skipped: jq not installed"; exit 0; }
V4="$DATA/pytest/v4/benchmark.json"
COMMIT_TIME=2024-03-05T09:15:42Z # the file's commit_info.time in UTC
STARTED=2024-03-05T09:16:03.512345Z
# when RUN's commit, commit time and start time as `qbdb show --format json` prints them
when() { "$QBDB" show --format json "$1" | jq -r '[.commit, .commit_time, .started_at] | map(tostring) | join(" ")'; }

run 0 "$QBDB" ingest --project own "$V4"
equals "$(when 1)" "4f2a9c1e0b7d3a5968e1c2b4d6f8a0e1c3b5d7f9 $COMMIT_TIME $STARTED" "no --commit: the file's commit and time"
run 0 "$QBDB" ingest --project other --commit deadbeef "$V4"
equals "$(when 2)" "deadbeef null $STARTED" "--commit of another commit: no commit time (placed by its start)"
run 0 "$QBDB" ingest --project same --commit 4F2A9C1E "$V4"
equals "$(when 3)" "4F2A9C1E $COMMIT_TIME $STARTED" "--commit abbreviating the file's (other case): its time kept"

# the place in the history: a run of commit aaaa1111 started between the file's commit time and
# its start comes before the file's run once --commit bbbb2222 no longer carries 09:15:42
printf '%s\n' '{"format":"qbdb-native","version":1,"project":"order","machine":"build-42","commit":"aaaa1111","started_at":"2024-03-05T09:15:50Z"}' \
  '{"name":"test_encode[64]","unit":"ns","samples":[400,410,420]}' >"$TMP/between.jsonl"
run 0 "$QBDB" ingest "$TMP/between.jsonl"
run 0 "$QBDB" ingest --project order --commit bbbb2222 "$V4"
run 0 "$QBDB" trend --project order --format json 'test_encode[64]'
equals "$(jq -r '[.points[] | .commit] | join(",")' <<<"$OUT")" "aaaa1111,bbbb2222" \
  "history order: bbbb2222 after the run started before it"

# POST /api/v1/runs?commit= and qbdb upload --commit: the same rule on the server
command -v curl >/dev/null || { echo "skipped the server part: curl not installed"; finish; exit; }
unset QBDB_TOKEN GITHUB_BASE_REF GITHUB_STEP_SUMMARY
ADMIN=$("$QBDB" token create --scope admin --name ct 2>/dev/null)
SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT
"$QBDB" serve --db "$QBDB_DB" --listen 127.0.0.1:0 >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
wait_serving "$TMP/serve.log" "$SERVER_PID" "starting qbdb serve" ||
  abort_test "qbdb serve exited at start: $SERVE_LOG"
post() { # post QUERY: POST the file to /api/v1/runs?QUERY, the stored run's id on stdout
  curl -sS -X POST -H "Authorization: Bearer $ADMIN" --data-binary "@$V4" \
    "http://127.0.0.1:$PORT/api/v1/runs?$1" | jq -r .run.id
}
id=$(post "project=api_other&commit=deadbeef")
equals "$(when "$id")" "deadbeef null $STARTED" "POST /runs?commit= of another commit: no commit time"
id=$(post "project=api_same&commit=4f2a9c1e0b7d")
equals "$(when "$id")" "4f2a9c1e0b7d $COMMIT_TIME $STARTED" "POST /runs?commit= of the same commit: kept"
id=$(post "project=api_none")
equals "$(when "$id")" "4f2a9c1e0b7d3a5968e1c2b4d6f8a0e1c3b5d7f9 $COMMIT_TIME $STARTED" "POST /runs without commit: kept"
run 0 "$QBDB" upload --server "http://127.0.0.1:$PORT" --token "$ADMIN" --project up --commit c0ffee00 "$V4"
id=$(sed -n 's/^stored run \([0-9]*\):.*/\1/p' <<<"$OUT")
equals "$(when "$id")" "c0ffee00 null $STARTED" "qbdb upload --commit of another commit: no commit time"
stop_server
finish
