#!/usr/bin/env bash
# The layer rule (scripts/check-layers.sh, docs/CONVENTIONS.md "Layers"): first on a scratch tree
# with planted violations, each of which must be reported (so the check is known to bite), then
# on the real sources, which must be clean.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/lib.bash"

mkdir -p "$TMP/bad/core" "$TMP/bad/analysis" "$TMP/bad/adapters" "$TMP/bad/api" "$TMP/bad/schema/postgres" "$TMP/bad/runner" "$TMP/bad/cli"
printf '#include "api/server.h"\n' >"$TMP/bad/core/up.c"                  # core reaches up
printf '#include "schema/store.h"\n#include <sqlite3.h>\n' >"$TMP/bad/analysis/db.c"
printf '#include "schema/model.h"\n#include "schema/store.h"\n' >"$TMP/bad/adapters/store.c"
printf '#include "schema/postgres/pg.h"\n#include "schema/store_impl.h"\n' >"$TMP/bad/api/inside.c"
printf '#include "schema/postgres/pq.h"\n#include <libpq-fe.h>\n' >"$TMP/bad/schema/postgres/ok.c"
printf '#include "core/err.h"\n' >"$TMP/bad/runner/lib.c"
printf '#include "api/server.h"\n#include <microhttpd.h>\n' >"$TMP/bad/cli/serve.c"
run 1 bash "$ROOT/scripts/check-layers.sh" "$TMP/bad"
contains "$OUT" 'core/up.c:1: core may not include "api/server.h"' "core reaching up"
contains "$OUT" 'analysis/db.c:1: analysis may not include "schema/store.h"' "analysis and the store"
contains "$OUT" "analysis/db.c:2: <sqlite3.h> outside the SQLite store" "sqlite outside its store"
contains "$OUT" 'adapters/store.c:2: adapters may not include "schema/store.h"' "adapters and the store"
contains "$OUT" 'api/inside.c:1: a backend'"'"'s internals ("schema/postgres/pg.h") outside schema/' "a backend's internals"
contains "$OUT" 'api/inside.c:2: schema/store_impl.h is private to schema/' "the ops table"
contains "$OUT" 'runner/lib.c:1: runner may not include "core/err.h"' "the runner stands alone"
contains "$OUT" "cli/serve.c:2: <microhttpd.h> outside api/server.c" "libmicrohttpd in one file"
case "$OUT" in *ok.c* | *adapters/store.c:1* | *cli/serve.c:1*) fail "an allowed include was reported: $OUT" ;; esac
equals "$(printf '%s\n' "$OUT" | grep -c .)" 8 "exactly the planted violations"

run 0 bash "$ROOT/scripts/check-layers.sh" "$ROOT"
[ -z "$OUT" ] || fail "layer violations in the sources:"$'\n'"$OUT"
finish
