/* fuzz/fuzz_runref.c - libFuzzer target: qb_store_resolve_run (run references: "42",
 * "main@latest", "main~3", a sha prefix) against a small database made once. The first byte
 * picks the project filter (none, p1, p2, an unknown one); the rest is the reference. */
#include "fuzz/fuzz_db.h"

static qb_store *store;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  qb_fuzz_db_make(&store);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const projects[] = {NULL, "p1", "p2", "nope"};
  const char *project = NULL;
  if (size) {
    project = projects[data[0] % 4];
    data++, size--;
  }
  char *ref = qb_fuzz_cstr(data, size);
  if (!ref) return 0;
  int64_t id = 0;
  qb_err err = QB_ERR_INIT;
  qb_store_resolve_run(store, project, ref, &id, &err);
  free(ref);
  return 0;
}
