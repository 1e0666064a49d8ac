/* adapters/adapter.c - format names, detection and the load-one-path entry point. */
#include "adapters/adapter.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "adapters/json.h"
#include "core/buf.h"
#include "core/par.h"
#include "core/sha256.h"

const qb_format_info qb_formats[] = {
    {QB_FMT_AUTO, "auto", "any of these, detected", NULL, 0},
    {QB_FMT_PYTEST, "pytest", "pytest-benchmark JSON", qb_pytest_parse, 1},
    {QB_FMT_CRITERION, "criterion", "a target/criterion directory", NULL, 0},
    {QB_FMT_CRITERION_TEXT, "criterion-text", "cargo bench output", qb_criterion_text_parse, 0},
    {QB_FMT_NATIVE, "native", "qbdb native JSON Lines", qb_native_parse, 0},
    {QB_FMT_GBENCH, "google-benchmark", "Google Benchmark JSON", qb_gbench_parse, 1},
    {QB_FMT_HYPERFINE, "hyperfine", "hyperfine JSON", qb_hyperfine_parse, 1},
    {QB_FMT_GO, "go", "go test -bench output", qb_go_parse, 0},
};
const size_t qb_n_formats = sizeof qb_formats / sizeof qb_formats[0];

const char *qb_format_name(qb_format f) {
  return (unsigned)f < qb_n_formats ? qb_formats[f].name : "unknown";
}

int qb_format_parse(const char *name, qb_format *out) {
  for (size_t i = 0; i < qb_n_formats; i++)
    if (!strcmp(name, qb_formats[i].name)) {
      *out = qb_formats[i].id;
      return QB_OK;
    }
  return QB_EUSAGE;
}

int qb_format_parse_arg(const char *option, const char *name, int files_only, qb_format *out,
                        qb_err *err) {
  if (!qb_format_parse(name, out)) return QB_OK;
  char list[256] = "";
  size_t used = 0, k = 0, n = 0;
  for (size_t i = 0; i < qb_n_formats; i++)
    n += !(files_only && qb_formats[i].id == QB_FMT_CRITERION);
  for (size_t i = 0; i < qb_n_formats && used < sizeof list; i++) {
    if (files_only && qb_formats[i].id == QB_FMT_CRITERION) continue;
    k++;
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                             k == 1   ? ""
                             : k == n ? " or "
                                      : ", ",
                             qb_formats[i].name);
  }
  return qb_err_set(err, QB_EUSAGE, "%s '%.80s': expected %s", option, name, list);
}

int qb_commit_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 4 || n > 64) return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
      return 0;
  return 1;
}

/* First n bytes of s contain needle? (s need not be NUL-terminated within n.) */
static int contains(const char *s, size_t n, const char *needle) {
  size_t k = strlen(needle);
  if (k > n) return 0;
  for (size_t i = 0; i + k <= n; i++)
    if (s[i] == needle[0] && !memcmp(s + i, needle, k)) return 1;
  return 0;
}

int qb_adapter_detect(const char *path, const char *data, size_t len, qb_format *out, qb_err *err) {
  size_t i = len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3) ? 3 : 0; /* UTF-8 byte order mark */
  while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')) i++;
  if (i == len) return qb_err_set(err, QB_EFORMAT, "%s: empty file", path);
  if (data[i] == '{') {
    const char *nl = memchr(data + i, '\n', len - i);
    size_t first = nl ? (size_t)(nl - (data + i)) : len - i;
    if (contains(data + i, first, "\"qbdb-native\"")) {
      *out = QB_FMT_NATIVE;
      return QB_OK;
    }
    /* hyperfine writes "results" as its first (and only) key; checked before the "benchmarks"
     * tests because a command, a -n name or a parameter called "benchmarks" puts that string
     * in a hyperfine file too. */
    size_t k = i + 1;
    while (k < len && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' || data[k] == '\n'))
      k++;
    if (len - k >= 9 && !memcmp(data + k, "\"results\"", 9)) {
      *out = QB_FMT_HYPERFINE;
      return QB_OK;
    }
    /* Google Benchmark: a "context" object with its run_type/time_unit fields; pytest-benchmark
     * has "machine_info" instead. */
    if (contains(data, len, "\"context\"") && contains(data, len, "\"benchmarks\"") &&
        (contains(data, len, "\"time_unit\"") || contains(data, len, "\"real_time\""))) {
      *out = QB_FMT_GBENCH;
      return QB_OK;
    }
    if (contains(data, len, "\"benchmarks\"")) {
      *out = QB_FMT_PYTEST;
      return QB_OK;
    }
    if (contains(data, len, "\"results\"") && contains(data, len, "\"command\"")) {
      *out = QB_FMT_HYPERFINE;
      return QB_OK;
    }
    return qb_err_set(err, QB_EFORMAT,
                      "%s: unrecognised JSON (not pytest-benchmark, Google Benchmark, hyperfine "
                      "or qbdb native); pass --format",
                      path);
  }
  /* go test -bench: "BenchmarkName-8   1000   1234 ns/op" lines. */
  if (contains(data, len, " ns/op") && contains(data, len, "Benchmark")) {
    *out = QB_FMT_GO;
    return QB_OK;
  }
  if (contains(data, len, "time:") || contains(data, len, " ns/iter ")) {
    *out = QB_FMT_CRITERION_TEXT;
    return QB_OK;
  }
  return qb_err_set(
      err, QB_EFORMAT,
      "%s: unrecognised content (not pytest-benchmark, Google Benchmark or hyperfine JSON, "
      "qbdb native JSON Lines, cargo bench or go test -bench output); pass --format",
      path);
}

/* The content hash of an upload, computed on a second thread while the adapter parses. */
typedef struct hash_job {
  const char *data;
  size_t len;
  char hex[65];
} hash_job;

static void *hash_worker(void *arg) {
  hash_job *job = arg;
  qb_sha256 h;
  qb_sha256_init(&h);
  qb_sha256_update(&h, job->data, job->len);
  qb_sha256_hex(&h, job->hex);
  return NULL;
}

/* Inputs at least this large are hashed on a second thread while they are parsed, when a CPU is
 * free for it (core/par.h) (sha256 runs at
 * ~300 MB/s here, jansson at ~70 MB/s; a thread costs tens of microseconds). */
#define HASH_THREAD_MIN ((size_t)64 << 10)

int qb_adapter_parse_bytes(const char *name, qb_format fmt, const char *data, size_t len,
                           qb_run **out, qb_err *err) {
  *out = NULL;
  int rc;
  if (fmt == QB_FMT_AUTO && (rc = qb_adapter_detect(name, data, len, &fmt, err))) return rc;
  if (fmt == QB_FMT_CRITERION || fmt == QB_FMT_AUTO)
    return qb_err_set(err, QB_EUSAGE, "%s: format %s cannot be read from a single file", name,
                      qb_format_name(fmt));
  hash_job job = {data, len, ""};
  pthread_t tid;
  int threaded = len >= HASH_THREAD_MIN && qb_par_threads(2) > 1 &&
                 pthread_create(&tid, NULL, hash_worker, &job) == 0;
  /* the one-document JSON formats build the whole tree of the file and free it at the end: in
   * an arena (adapters/json.h). Line formats free each line's tree before the next, so malloc
   * reuses its memory, which an arena would not. */
  const qb_format_info *f = (unsigned)fmt < qb_n_formats && qb_formats[fmt].parse
                                ? &qb_formats[fmt]
                                : &qb_formats[QB_FMT_NATIVE];
  int arena = f->arena;
  if (arena) qb_json_arena_begin();
  rc = f->parse(name, data, len, out, err);
  if (arena) qb_json_arena_end();
  if (threaded)
    pthread_join(tid, NULL);
  else
    hash_worker(&job);
  if (rc == QB_OK) memcpy((*out)->content_hash, job.hex, sizeof job.hex);
  return rc;
}

int qb_adapter_load(const char *path, qb_format fmt, qb_run **out, qb_err *err) {
  *out = NULL;
  char *data = NULL;
  size_t len = 0;
  int rc;
  struct stat st;
  if (!strcmp(path, "-")) { /* standard input: `curl ... | qbdb ingest -` */
    if ((rc = qb_input_read(path, QB_ADAPTER_MAX_FILE, &data, &len, err))) goto done;
    rc = qb_adapter_parse_bytes("<stdin>", fmt, data, len, out, err);
    goto done;
  }
  if (stat(path, &st) != 0)
    return qb_err_set(err, errno == ENOENT ? QB_ENOTFOUND : QB_EIO, "%s: %s", path,
                      strerror(errno));
  if (S_ISDIR(st.st_mode)) {
    if (fmt != QB_FMT_AUTO && fmt != QB_FMT_CRITERION)
      return qb_err_set(err, QB_EFORMAT, "%s: is a directory, but format %s reads a file", path,
                        qb_format_name(fmt));
    return qb_criterion_dir_parse(path, out, err);
  }
  if (fmt == QB_FMT_CRITERION)
    return qb_err_set(err, QB_EFORMAT,
                      "%s: format criterion reads a target/criterion directory, not a file "
                      "(use criterion-text for cargo bench output)",
                      path);
  if ((rc = qb_input_read(path, QB_ADAPTER_MAX_FILE, &data, &len, err))) goto done;
  rc = qb_adapter_parse_bytes(path, fmt, data, len, out, err);
done:
  free(data);
  return rc;
}
