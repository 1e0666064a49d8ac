#!/usr/bin/env bash
# The layer rule (scripts/check-layers.sh, docs/CONVENTIONS.md "Layers"): first on a scratch tree
# with planted violations, each of which must be reported (so the check is known to bite), then
# on the real sources, which must be clean.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/lib.bash"

mkdir -p "$TMP/bad/core" "$TMP/bad/analysis" "$TMP/bad/adapters" "$TMP/bad/service" "$TMP/bad/view" "$TMP/bad/net" "$TMP/bad/http" "$TMP/bad/schema/postgres" "$TMP/bad/runner" "$TMP/bad/cli"
printf '#include "http/server.h"\n' >"$TMP/bad/core/up.c"                  # core reaches up
printf '#include "schema/store.h"\n#include <sqlite3.h>\n' >"$TMP/bad/analysis/db.c"
printf '#include "schema/model.h"\n#include "schema/store.h"\n' >"$TMP/bad/adapters/store.c"
printf '#include "schema/postgres/pg.h"\n#include "schema/store_impl.h"\n' >"$TMP/bad/service/inside.c"
printf '#include "schema/postgres/pq.h"\n#include <libpq-fe.h>\n' >"$TMP/bad/schema/postgres/ok.c"
printf '#include "core/err.h"\n' >"$TMP/bad/runner/lib.c"
printf '#include "service/compare.h"\n#include "view/json.h"\n' >"$TMP/bad/service/shape.c" # a service renders
printf '#include "service/history.h"\n#include "view/json.h"\n' >"$TMP/bad/net/shape.c"     # net renders
printf '#include "view/json.h"\n#include "net/client.h"\n' >"$TMP/bad/view/fetch.c"         # a view fetches
printf '#include "view/json.h"\n#include "net/notifier.h"\n#include "service/auth.h"\n' >"$TMP/bad/http/ok.c"
printf '#include "http/server.h"\n#include <microhttpd.h>\n' >"$TMP/bad/cli/serve.c"
run 1 bash "$ROOT/scripts/check-layers.sh" "$TMP/bad"
contains "$OUT" 'core/up.c:1: core may not include "http/server.h"' "core reaching up"
contains "$OUT" 'analysis/db.c:1: analysis may not include "schema/store.h"' "analysis and the store"
contains "$OUT" "analysis/db.c:2: <sqlite3.h> outside the SQLite store" "sqlite outside its store"
contains "$OUT" 'adapters/store.c:2: adapters may not include "schema/store.h"' "adapters and the store"
contains "$OUT" 'service/inside.c:1: a backend'"'"'s internals ("schema/postgres/pg.h") outside schema/' "a backend's internals"
contains "$OUT" 'service/inside.c:2: schema/store_impl.h is private to schema/' "the ops table"
contains "$OUT" 'runner/lib.c:1: runner may not include "core/err.h"' "the runner stands alone"
contains "$OUT" 'service/shape.c:2: service may not include "view/json.h"' "services render nothing"
contains "$OUT" 'net/shape.c:2: net may not include "view/json.h"' "net renders nothing"
contains "$OUT" 'view/fetch.c:2: view may not include "net/client.h"' "views fetch nothing"
contains "$OUT" "cli/serve.c:2: <microhttpd.h> outside http/server.c" "libmicrohttpd in one file"
case "$OUT" in *ok.c* | *adapters/store.c:1* | *cli/serve.c:1* | *shape.c:1* | *fetch.c:1*) fail "an allowed include was reported: $OUT" ;; esac
equals "$(printf '%s\n' "$OUT" | grep -c .)" 11 "exactly the planted violations"

run 0 bash "$ROOT/scripts/check-layers.sh" "$ROOT"
[ -z "$OUT" ] || fail "layer violations in the sources:"$'\n'"$OUT"

# The same rule on the compiled layers (scripts/check-layer-symbols.sh, run by the build): clean
# as built, then a core with a planted call into view/ (declared by hand, so no include shows it)
# and a view with one into net/ are each reported.
BUILD=$(dirname "$QBDB")
LIBS=()
for l in core schema analysis adapters ingest service view net http; do LIBS+=("$BUILD/libqb_$l.a"); done
run 0 bash "$ROOT/scripts/check-layer-symbols.sh" "${LIBS[@]}"
[ -z "$OUT" ] || fail "layer violations in the built libraries:"$'\n'"$OUT"
mkdir -p "$TMP/libs"
cp "$BUILD/libqb_core.a" "$BUILD/libqb_view.a" "$TMP/libs/"
printf 'void *qb_view_run_info(const void *);\nvoid *qb_planted_up(void) { return qb_view_run_info(0); }\n' >"$TMP/up.c"
printf 'int qb_upload(void);\nint qb_planted_side(void) { return qb_upload(); }\n' >"$TMP/side.c"
cc -c -o "$TMP/planted_up.o" "$TMP/up.c" || fail "cc could not build the planted object"
cc -c -o "$TMP/planted_side.o" "$TMP/side.c" || fail "cc could not build the planted object"
ar rc "$TMP/libs/libqb_core.a" "$TMP/planted_up.o"
ar rc "$TMP/libs/libqb_view.a" "$TMP/planted_side.o"
PLANTED=("${LIBS[@]}")
PLANTED[0]=$TMP/libs/libqb_core.a
PLANTED[6]=$TMP/libs/libqb_view.a
run 1 bash "$ROOT/scripts/check-layer-symbols.sh" "${PLANTED[@]}"
equals "$OUT" "core uses qb_view_run_info, defined in view
view uses qb_upload, defined in net" "the planted calls, and only they"
finish
