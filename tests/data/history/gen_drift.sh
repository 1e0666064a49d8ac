#!/usr/bin/env bash
# Writes 150 qbdb-native runs of project "creep" into DIR (deterministic: a fixed LCG, no other
# randomness): "slow_creep" flat at 1 us for 50 runs, then +10% linearly over the next 100;
# "flat" at 1 us throughout; 0.5% run-to-run noise on the level, 20 samples per run.
# Usage: gen_drift.sh DIR
awk -v dir="$1" 'BEGIN {
  seed = 20261207
  for (r = 1; r <= 150; r++) {
    f = sprintf("%s/run%03d.jsonl", dir, r)
    printf "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"creep\",\"branch\":\"main\",\"machine\":\"m1\",\"commit\":\"%08x\",\"started_at\":\"2026-09-%02dT%02d:%02d:00Z\"}\n", 1048576 + r, 1 + int(r / 24), r % 24, r % 60 > f
    for (b = 0; b < 2; b++) {
      level = 1000 * (b == 0 && r > 50 ? 1 + 0.10 * (r - 50) / 100 : 1)
      seed = (seed * 1103515245 + 12345) % 2147483648
      level *= 1 + 0.005 * 3.4641 * (seed / 2147483648.0 - 0.5) # sd 0.5%
      printf "{\"name\":\"%s\",\"unit\":\"ns\",\"samples\":[", b == 0 ? "slow_creep" : "flat" > f
      for (i = 0; i < 20; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648
        printf "%s%.6f", (i ? "," : ""), level * (1 + 0.002 * (seed / 2147483648.0 - 0.5)) > f
      }
      printf "]}\n" > f
    }
    close(f)
  }
}'
