/* fuzz/fuzz.h - what the libFuzzer targets in fuzz/ share: the parser harness
 * (docs/reliability.md, "Fuzzing").
 *
 * Ownership: every target frees all it allocates per input (a leak is a finding). */
#ifndef QB_FUZZ_FUZZ_H
#define QB_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/adapter.h"
#include "ingest/ingest.h"
#include "schema/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

typedef int (*qb_fuzz_parser)(const char *path, const char *data, size_t len, qb_run **out,
                              qb_err *err);

/* A copy of data with the NUL the parsers expect at data[size]; free() it. NULL when out of
 * memory. */
static inline char *qb_fuzz_cstr(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 1);
  if (!buf) return NULL;
  if (size) memcpy(buf, data, size);
  buf[size] = '\0';
  return buf;
}

/* Parse data with one per-format parser and, when it is accepted, validate and complete the run
 * as ingest does (units, statistics from samples); frees everything. */
static inline int qb_fuzz_parse(qb_fuzz_parser parse, const uint8_t *data, size_t size) {
  char *buf = qb_fuzz_cstr(data, size);
  if (!buf) return 0;
  qb_run *run = NULL;
  qb_err err = QB_ERR_INIT;
  if (parse("fuzz", buf, size, &run, &err) == QB_OK) {
    qb_ingest_opts o = QB_INGEST_OPTS_INIT;
    qb_ingest_finish("fuzz", run, &o, &err);
  }
  qb_run_free(run);
  free(buf);
  return 0;
}

#endif
