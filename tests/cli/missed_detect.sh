#!/usr/bin/env bash
# End to end: change-point detection that never ran for a run (the process died between storing
# the run and its history step) is caught up exactly on the next ingest. 90 runs of one series
# with a +25% step at run 61 and a -20% step at run 81; after run 70 the regression records and
# detection markers are put back to their state before it (what a kill -9 between the two
# transactions leaves). The next ingests must still end with exactly what a full `qbdb detect`
# finds, and the markers must cover every point.
source "$(dirname "$0")/lib.bash"
need_sql_client

gen() { # gen R: run R of series "s" (40 samples, 1% noise from a fixed LCG)
  awk -v r="$1" 'BEGIN {
    seed = r * 7919 + 17
    level = r >= 81 ? 1000 : r >= 61 ? 1250 : 1000
    printf "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"md\",\"branch\":\"main\",\"machine\":\"m1\",\"commit\":\"%08x\",\"started_at\":\"2026-09-01T00:00:00Z\"}\n", 305419896 + r
    printf "{\"name\":\"s\",\"unit\":\"ns\",\"samples\":["
    for (i = 0; i < 40; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648
      printf "%s%.6f", (i ? "," : ""), level * (1 + 0.01 * (seed / 2147483648.0 - 0.5))
    }
    printf "]}\n"
  }' >"$TMP/run$1.jsonl"
}
# distinct start times, one hour apart (the series is ordered by run time)
for r in $(seq 1 90); do
  gen "$r"
  h=$(printf '%02d' $(((r - 1) % 24))) d=$(printf '%02d' $((1 + (r - 1) / 24)))
  sed -i "s/2026-09-01T00:00:00Z/2026-09-${d}T${h}:00:00Z/" "$TMP/run$r.jsonl"
done

for r in $(seq 1 69); do "$QBDB" ingest "$TMP/run$r.jsonl" >/dev/null; done
db_sql "$QBDB_DB" "CREATE TABLE keep_reg AS SELECT * FROM regression;
  CREATE TABLE keep_ser AS SELECT id, analysed_n, analysed_run_id FROM series;"
run 0 "$QBDB" ingest "$TMP/run70.jsonl"
# the "crash": run 70 stays, its history step is undone
db_sql "$QBDB_DB" "DELETE FROM regression; INSERT INTO regression SELECT * FROM keep_reg;
  UPDATE series SET analysed_n = (SELECT analysed_n FROM keep_ser k WHERE k.id = series.id),
    analysed_run_id = (SELECT analysed_run_id FROM keep_ser k WHERE k.id = series.id);
  DROP TABLE keep_reg; DROP TABLE keep_ser;"
equals "$(db_sql "$QBDB_DB" 'SELECT analysed_n FROM series')" 69 "the marker is behind by one run"
for r in $(seq 71 90); do "$QBDB" ingest "$TMP/run$r.jsonl" >/dev/null; done
equals "$(db_sql "$QBDB_DB" 'SELECT analysed_n,
    CASE WHEN analysed_run_id = (SELECT max(id) FROM run) THEN 1 ELSE 0 END FROM series')" \
  "90|1" "the marker covers all 90 points"

pick='[.[] | [.benchmark, .run_id, .kind, .before, .after, .change_pct, .p_value, .severity]]'
run 0 "$QBDB" regressions --all --format json
incremental=$(jq -c "$pick" <<<"$OUT")
equals "$(jq -r '[.[] | select(.active) | .run_id] | sort | join(",")' <<<"$OUT")" "61,81" \
  "both steps found, where they are"
run 0 "$QBDB" detect --project md
run 0 "$QBDB" regressions --all --format json
equals "$(jq -c "$pick" <<<"$OUT")" "$incremental" "caught-up incremental detection equals a full one"
finish
