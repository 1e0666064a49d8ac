#!/usr/bin/env bash
# Fails when a C file differs from what clang-format (with the repo's .clang-format) makes of it.
set -u
cf=${1:-clang-format}
bad=0
while IFS= read -r f; do
  if ! diff -q <("$cf" --style=file "$f") "$f" >/dev/null; then
    echo "not formatted: $f (run: $cf -i --style=file $f)"
    bad=1
  fi
done < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
exit $bad
