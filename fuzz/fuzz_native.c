/* fuzz/fuzz_native.c - libFuzzer target: qb_native_parse (qbdb native JSON Lines), then the ingest
 * checks on what it accepts. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return qb_fuzz_parse(qb_native_parse, data, size);
}
