// failure_bench.cc - the Google Benchmark program behind the files in this folder (README.md says
// how each file was made). Ours; built against Google Benchmark 1.7.1 (Debian 12) and 1.9.5 (from
// source).
//
// BM_Fast and BM_Slow are a fast and a slow function; BM_Counters sets a user counter and
// SetItemsProcessed; BM_Range has a parameter range; BM_Flaky fails its 2nd repetition only
// (SkipWithError after its timed loop, as a check of the loop's result would do).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

static void BM_Fast(benchmark::State& state) {
  std::vector<int> v(64);
  std::iota(v.begin(), v.end(), 1);
  for (auto _ : state) {
    int s = std::accumulate(v.begin(), v.end(), 0);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Fast);

static void BM_Slow(benchmark::State& state) {
  std::vector<std::uint32_t> src(4096);
  std::uint32_t x = 12345;
  for (auto& e : src) e = x = x * 1103515245u + 12345u;
  for (auto _ : state) {
    std::vector<std::uint32_t> v(src);
    std::sort(v.begin(), v.end());
    benchmark::DoNotOptimize(v.data());
  }
}
BENCHMARK(BM_Slow);

static void BM_Counters(benchmark::State& state) {
  std::vector<int> v(256, 3);
  std::int64_t ops = 0;
  for (auto _ : state) {
    int s = std::accumulate(v.begin(), v.end(), 0);
    benchmark::DoNotOptimize(s);
    ops += 256;
  }
  state.counters["ops"] = benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
  state.SetItemsProcessed(state.iterations() * 256);
}
BENCHMARK(BM_Counters);

static void BM_Range(benchmark::State& state) {
  std::vector<double> v(static_cast<size_t>(state.range(0)), 1.5);
  for (auto _ : state) {
    double s = std::accumulate(v.begin(), v.end(), 0.0);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Range)->RangeMultiplier(8)->Range(8, 512);

// A fixed iteration count makes every repetition exactly one call, so the 2nd call is the 2nd
// repetition.
static int flaky_calls = 0;
static void BM_Flaky(benchmark::State& state) {
  int call = ++flaky_calls;
  std::vector<int> v(128, 2);
  for (auto _ : state) {
    int s = std::accumulate(v.begin(), v.end(), 0);
    benchmark::DoNotOptimize(s);
  }
  if (call == 2) state.SkipWithError("checksum mismatch in repetition 2");
}
BENCHMARK(BM_Flaky)->Iterations(20000);

BENCHMARK_MAIN();
