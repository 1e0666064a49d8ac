/* fuzz/fuzz_pytest.c - libFuzzer target: qb_pytest_parse (pytest-benchmark JSON), then the ingest
 * checks on what it accepts. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return qb_fuzz_parse(qb_pytest_parse, data, size);
}
