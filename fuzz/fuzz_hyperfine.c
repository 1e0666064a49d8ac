/* fuzz/fuzz_hyperfine.c - libFuzzer target: qb_hyperfine_parse (hyperfine JSON), then the ingest
 * checks on what it accepts. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return qb_fuzz_parse(qb_hyperfine_parse, data, size);
}
