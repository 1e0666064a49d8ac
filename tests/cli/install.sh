#!/usr/bin/env bash
# Installing qbdb (CMakeLists.txt, docs/deploy.md "Installing"): `cmake --install` of this
# build tree into a scratch prefix gives a qbdb that runs from there (version, help, an ingest
# and a compare of real pytest-benchmark output), its docs and the runner; `cpack -G DEB`
# makes a package holding the same files whose Depends name the Debian package of every
# library the binary links itself (its NEEDED entries, found by ldd and dpkg -S).
ROOT=$(cd "$(dirname "$0")/../.." && pwd) # before lib.bash changes to the scratch folder
source "$(dirname "$0")/lib.bash"
BUILD=$(dirname "$QBDB")
P=$TMP/prefix
run 0 cmake --install "$BUILD" --prefix "$P"
[ -x "$P/bin/qbdb" ] || fail "no $P/bin/qbdb"
run 0 "$P/bin/qbdb" --version
equals "$OUT" "$("$QBDB" --version)" "the installed binary's version"
run 0 "$P/bin/qbdb" help ingest
contains "$OUT" "usage: qbdb ingest" "help from the installed binary"
export QBDB_DB=$TMP/inst.db
run 0 "$P/bin/qbdb" ingest --project py --commit 5e1f0a7c "$DATA/pytest/run1/benchmark.json"
run 0 "$P/bin/qbdb" ingest --project py --commit 9d3b2c41 "$DATA/pytest/run2/benchmark.json"
run 0 "$P/bin/qbdb" compare --project py 5e1f 9d3b
contains "$OUT" "regression (major)" "compare with the installed binary"
for f in README.md cli/README.md cli/token.md api/README.md formats/README.md deploy.md; do
  [ -s "$P/share/doc/qbdb/$f" ] || fail "not installed: share/doc/qbdb/$f"
done
for f in include/qbdb_runner.h lib/libqbdb_runner.a lib/pkgconfig/qbdb_runner.pc; do
  [ -s "$P/$f" ] || fail "not installed: $f"
done

if ! command -v cpack >/dev/null || ! command -v dpkg-deb >/dev/null || ! command -v objdump >/dev/null; then
  echo "skipped the Debian package: cpack, dpkg-deb or objdump missing"
  finish
  exit 0
fi
run 0 cpack -G DEB -B "$TMP/pkg" --config "$BUILD/CPackConfig.cmake"
deb=$(ls "$TMP"/pkg/qbdb_*.deb) || fail "cpack made no .deb"
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/qbdb ./usr/share/doc/qbdb/cli/README.md ./usr/include/qbdb_runner.h; do
  grep -q " $f\$" <<<"$contents" || fail "$f not in the package"
done
depends=$(dpkg-deb -f "$deb" Depends)
while read -r lib path; do
  pkg=$(dpkg -S "$(realpath "$path")" 2>/dev/null | head -1 | cut -d: -f1) ||
    pkg=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1)
  [ -n "$pkg" ] || { echo "no Debian package owns $path ($lib): not checked"; continue; }
  case ", $depends," in *", $pkg"[\ ,]*) ;; *) fail "$lib ($pkg) is not in Depends: $depends" ;; esac
done < <(
  # the libraries the binary itself names (NEEDED), where the loader finds them
  # (not the sanitizers' runtimes of an ASan or TSan build tree: no package ships those)
  needed=$(objdump -p "$P/bin/qbdb" | awk '$1 == "NEEDED" && $2 !~ /^lib(a|ub|t)san\./ { print $2 }')
  ldd "$P/bin/qbdb" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | grep -wF "$needed"
)
finish
