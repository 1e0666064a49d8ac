#!/usr/bin/env bash
# Installs the Debian packages qbdb needs to build and test, skipping those already present.
# Run as root (or with sudo available). Idempotent and quiet when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libsqlite3-dev sqlite3 libjansson-dev libgsl-dev libmicrohttpd-dev libcurl4-openssl-dev
  libcmocka-dev clang-format jq wrk python3
  clang libclang-rt-14-dev # libFuzzer and the sanitizer runtimes (fuzz/, make fuzz)
  valgrind
  libpq-dev postgresql # the PostgreSQL backend (headers; libpq5 is loaded at run time) and the
                       # server its tests start in a temporary directory (tests/pg/cluster.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# The browser test of the web page (tests/web, ctest label `web`): Debian's Chromium, and Node.js
# with npm for playwright-core (`npm ci` in web/ by the test itself, never at build time). A
# node or npm that is already there (e.g. NodeSource's nodejs, which bundles npm) is kept.
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
