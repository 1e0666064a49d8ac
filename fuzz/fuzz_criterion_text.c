/* fuzz/fuzz_criterion_text.c - libFuzzer target: qb_criterion_text_parse (cargo bench text output),
 * then the ingest checks on what it accepts. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return qb_fuzz_parse(qb_criterion_text_parse, data, size);
}
