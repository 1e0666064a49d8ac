// perfnames.cc - a Google Benchmark program whose counters carry the names that
// --benchmark_perf_counters=INSTRUCTIONS,CYCLES gives its perf counters (per-iteration averages,
// benchmark::Counter::kAvgIterations), set here from a count of the loop's own steps: this
// machine has no hardware counters, so libbenchmark cannot read real ones.
#include <benchmark/benchmark.h>
#include <cstdint>

static void BM_Steps(benchmark::State& state) {
  uint64_t x = 88172645463325252ULL, steps = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1000; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    steps += 1000;
    benchmark::DoNotOptimize(x);
  }
  state.counters["INSTRUCTIONS"] =
      benchmark::Counter(static_cast<double>(steps) * 6, benchmark::Counter::kAvgIterations);
  state.counters["CYCLES"] =
      benchmark::Counter(static_cast<double>(steps) * 2, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_Steps);
BENCHMARK_MAIN();
