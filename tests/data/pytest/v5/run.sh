#!/bin/sh
# usage: run.sh PYTHONPATH  (run in the scratch folder)
set -x
export PYTHONPATH="$1"
P="/usr/bin/python3 -m pytest -p no:cacheprovider"
mkdir -p out
# 1: --benchmark-json (always with stats.data) and --benchmark-save --benchmark-save-data
$P test_special.py --benchmark-min-time=0.0005 --benchmark-max-time=0.05 \
  --benchmark-json=out/special.json --benchmark-save=special --benchmark-save-data \
  > out/special.stdout.txt 2> out/special.stderr.txt
# 2: --benchmark-autosave without --benchmark-save-data
$P test_special.py --benchmark-min-time=0.0005 --benchmark-max-time=0.05 \
  --benchmark-autosave > out/autosave.stdout.txt 2> out/autosave.stderr.txt
# 3: --benchmark-cprofile
$P test_special.py --benchmark-min-time=0.0005 --benchmark-max-time=0.05 \
  --benchmark-cprofile=tottime --benchmark-json=out/cprofile.json \
  > out/cprofile.stdout.txt 2> out/cprofile.stderr.txt
# 4: groups and parameters
$P test_groups.py --benchmark-min-time=0.0005 --benchmark-max-time=0.05 \
  --benchmark-json=out/groups.json > out/groups.stdout.txt 2> out/groups.stderr.txt
