/* fuzz/fuzz_go.c - libFuzzer target: qb_go_parse (go test -bench text output), then the ingest
 * checks on what it accepts. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return qb_fuzz_parse(qb_go_parse, data, size);
}
