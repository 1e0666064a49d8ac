#!/usr/bin/env bash
# scripts/check-layer-symbols.sh LIB... - the layer rule of docs/CONVENTIONS.md on the compiled
# code: LIBs are the layers' static libraries (libqb_core.a ... libqb_http.a). A function or
# object a layer uses and another of these libraries defines must come from a layer it may
# include: a call that reaches up or sideways (through a declaration written by hand, which
# scripts/check-layers.sh cannot see) is reported as "LAYER uses SYMBOL, defined in OTHER";
# exit 1 when there is one. Symbols of other libraries (libc, SQLite, jansson...) are not the
# rule's business.
set -uo pipefail

may_use() { # may_use LAYER OTHER: 0 when LAYER may call into OTHER
  case $1 in
    core) [ "$2" = core ] ;;
    schema) [[ $2 == core || $2 == schema ]] ;;
    analysis) [[ $2 == core || $2 == analysis ]] ;;
    adapters) [[ $2 == core || $2 == schema || $2 == adapters ]] ;;
    ingest) [[ $2 =~ ^(core|schema|analysis|adapters|ingest)$ ]] ;;
    service) [[ $2 =~ ^(core|schema|analysis|adapters|ingest|service)$ ]] ;;
    view) [[ $2 =~ ^(core|schema|analysis|adapters|ingest|service|view)$ ]] ;;
    net) [[ $2 =~ ^(core|schema|analysis|adapters|ingest|service|net)$ ]] ;;
    http) return 0 ;;
    *) return 1 ;;
  esac
}

layer() { local n; n=$(basename "$1" .a); echo "${n#libqb_}"; }

declare -A owner
for lib in "$@"; do
  [ -f "$lib" ] || { echo "check-layer-symbols: no library $lib" >&2; exit 2; }
  l=$(layer "$lib")
  while read -r sym; do owner[$sym]=$l; done < <(nm -g --defined-only "$lib" |
    awk 'NF == 3 && $2 ~ /^[TDBRVWCG]$/ { print $3 }')
done
bad=0
for lib in "$@"; do
  l=$(layer "$lib")
  while read -r sym; do
    o=${owner[$sym]:-}
    if [ -n "$o" ] && ! may_use "$l" "$o"; then
      echo "$l uses $sym, defined in $o"
      bad=1
    fi
  done < <(nm -g --undefined-only "$lib" | awk '$1 == "U" { print $2 }' | sort -u)
done
exit $bad
