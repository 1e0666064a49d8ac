/* fuzz/fuzz_gbench.c - libFuzzer target: qb_gbench_parse (Google Benchmark JSON), then the ingest
 * checks on what it accepts. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return qb_fuzz_parse(qb_gbench_parse, data, size);
}
