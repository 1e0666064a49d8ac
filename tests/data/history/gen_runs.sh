#!/usr/bin/env bash
# Writes 12 qbdb-native runs of project "hist" into DIR (deterministic, no randomness source
# but a fixed LCG): "flat" (1% noise), "step" (+20% latency from run 9 on), "tput"
# (throughput -15% from run 9 on), and a family size/{100,1000,10000} whose time is 3 n log2 n.
# Usage: gen_runs.sh DIR
dir=$1
for r in $(seq 1 12); do
  awk -v r="$r" 'BEGIN {
    seed = r * 7919 + 17
    printf "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"hist\",\"branch\":\"main\",\"machine\":\"m1\",\"commit\":\"%04x%04x\",\"started_at\":\"2026-10-%02dT12:00:00Z\"}\n", 4096 + r, r * 13, r
    split("flat step tput", names, " ")
    for (b = 1; b <= 3; b++) {
      base = 1000
      if (names[b] == "step" && r >= 9) base = 1200
      unit = "ns"; metric = "latency"
      if (names[b] == "tput") { base = (r >= 9) ? 850 : 1000; unit = "ops/s"; metric = "throughput" }
      printf "{\"name\":\"%s\",\"metric\":\"%s\",\"unit\":\"%s\",\"iterations\":100,\"samples\":[", names[b], metric, unit
      for (i = 0; i < 40; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648
        u = seed / 2147483648.0
        printf "%s%.6f", (i ? "," : ""), base * (1 + 0.01 * (u - 0.5))
      }
      printf "]}\n"
    }
    for (k = 2; k <= 4; k++) {
      n = 10 ^ k
      t = 3 * n * log(n) / log(2)
      printf "{\"name\":\"size/%d\",\"group\":\"size\",\"params\":{\"n\":%d},\"unit\":\"ns\",\"samples\":[%.3f,%.3f,%.3f]}\n", n, n, t, t * 1.001, t * 0.999
    }
  }' > "$dir/run$(printf %02d "$r").jsonl"
done
