/* fuzz/fuzz_detect.c - libFuzzer target: format detection and dispatch as for an upload
 * (qb_adapter_parse_bytes with QB_FMT_AUTO, content hash included), then the ingest checks. The
 * first byte picks the name the content is given, since detection also looks at it. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const names[] = {"body",           "benchmark.json", "out.txt", "run.jsonl",
                                      "hyperfine.json", "gb.json",        "-"};
  const char *name = names[0];
  if (size) {
    name = names[data[0] % (sizeof names / sizeof names[0])];
    data++, size--;
  }
  char *buf = qb_fuzz_cstr(data, size);
  if (!buf) return 0;
  qb_run *run = NULL;
  qb_err err = QB_ERR_INIT;
  if (qb_adapter_parse_bytes(name, QB_FMT_AUTO, buf, size, &run, &err) == QB_OK) {
    qb_ingest_opts o = QB_INGEST_OPTS_INIT;
    qb_ingest_finish(name, run, &o, &err);
  }
  qb_run_free(run);
  free(buf);
  return 0;
}
