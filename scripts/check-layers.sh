#!/usr/bin/env bash
# scripts/check-layers.sh [ROOT] - the layer rule of docs/CONVENTIONS.md, checked on every
# #include "x/..." of the library and the CLI (the build's one-way data flow):
#
#   core      <- core
#   schema    <- core, schema             (schema/sqlite/ and schema/postgres/ only through
#                                          schema/store_impl.h; the rest of qbdb through store.h)
#   analysis  <- core, analysis           (pure functions on arrays: never the store)
#   adapters  <- core, adapters, schema/model.h and schema/samples.h (never the store)
#   ingest    <- core, schema, analysis, adapters, ingest
#   service   <- all of the above and service (what CLI and HTTP share: compare, history, report,
#                                           upload, baselines, tokens, the run cache)
#   view      <- all of the above and view    (one JSON/text shape per answer; never the network)
#   net       <- core .. service and net      (libcurl: the client, webhooks; never a view)
#   http      <- all of the above and http    (the server and its routes)
#   cli       <- all of the above and cli
#   runner    <- runner only (other people's programs link it)
#
# and each third-party library in its own few files: <sqlite3.h> in schema/ (the SQLite store
# and the migrator), <libpq-fe.h> in schema/postgres/, <microhttpd.h> in http/server.c,
# <curl/curl.h> in net/curl_dl.h, <gsl/...> in analysis/. Prints each violation as
# FILE:LINE: what; exit 1 when there is one.
set -uo pipefail
ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$ROOT" || exit 2
bad=0
report() { echo "$1"; bad=1; }

allowed() { # allowed LAYER FILE TARGET: 0 when FILE (in LAYER) may include "TARGET"
  local layer=$1 file=$2 target=$3 tl=${3%%/*}
  case $layer in
    core) [ "$tl" = core ] ;;
    schema)
      case $target in
        schema/sqlite/* | schema/postgres/*)
          # a backend's own files, and the store's dispatch (schema/store*.c) opening it
          [[ $file == "${target%/*}"/* ]] ;;
        core/* | schema/*) return 0 ;;
        *) return 1 ;;
      esac
      ;;
    analysis) [ "$tl" = core ] || [ "$tl" = analysis ] ;;
    adapters)
      case $target in
        core/* | adapters/* | schema/model.h | schema/samples.h) return 0 ;;
        *) return 1 ;;
      esac
      ;;
    ingest) case $tl in core | schema | analysis | adapters | ingest) return 0 ;; *) return 1 ;; esac ;;
    service) case $tl in core | schema | analysis | adapters | ingest | service) return 0 ;; *) return 1 ;; esac ;;
    view) case $tl in core | schema | analysis | adapters | ingest | service | view) return 0 ;; *) return 1 ;; esac ;;
    net) case $tl in core | schema | analysis | adapters | ingest | service | net) return 0 ;; *) return 1 ;; esac ;;
    http) case $tl in core | schema | analysis | adapters | ingest | service | view | net | http) return 0 ;; *) return 1 ;; esac ;;
    cli) case $tl in core | schema | analysis | adapters | ingest | service | view | net | http | cli) return 0 ;; *) return 1 ;; esac ;;
    runner) [ "$tl" = runner ] ;;
    *) return 0 ;;
  esac
}

for layer in core schema analysis adapters ingest service view net http cli runner; do
  [ -d "$layer" ] || continue
  while IFS= read -r f; do
    while IFS=: read -r line inc; do
      target=$(sed -E 's/^#include "([^"]+)".*/\1/' <<<"$inc")
      [[ $target == */* ]] || continue # "file.h" next to it
      if ! allowed "$layer" "$f" "$target"; then
        report "$f:$line: $layer may not include \"$target\""
      elif [[ $target == schema/sqlite/* || $target == schema/postgres/* ]] &&
        [[ $f != schema/* ]]; then
        report "$f:$line: a backend's internals (\"$target\") outside schema/"
      fi
      # only the store may see a backend's private parts: the rest goes through store.h
      if [[ $target == schema/store_impl.h && $f != schema/* ]]; then
        report "$f:$line: schema/store_impl.h is private to schema/"
      fi
    done < <(grep -nE '^#include "' "$f")
    while IFS=: read -r line inc; do
      lib=$(sed -E 's/^#include <([^>]+)>.*/\1/' <<<"$inc")
      case $lib in
        sqlite3.h) [[ $f == schema/* && $f != schema/postgres/* ]] || report "$f:$line: <sqlite3.h> outside the SQLite store" ;;
        libpq-fe.h) [[ $f == schema/postgres/* ]] || report "$f:$line: <libpq-fe.h> outside schema/postgres/" ;;
        microhttpd.h) [ "$f" = http/server.c ] || report "$f:$line: <microhttpd.h> outside http/server.c" ;;
        curl/curl.h) [ "$f" = net/curl_dl.h ] || report "$f:$line: <curl/curl.h> outside net/curl_dl.h" ;;
        gsl/*) [[ $f == analysis/* ]] || report "$f:$line: <$lib> outside analysis/" ;;
      esac
    done < <(grep -nE '^#include <' "$f")
  done < <(find "$layer" -name '*.[ch]' | sort)
done
exit $bad
