/* adapters/adapter.c - format names, detection and the load-one-path entry point. */
#include "adapters/adapter.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/sha256.h"

static const char *const NAMES[] = {"auto",   "pytest",           "criterion", "criterion-text",
                                    "native", "google-benchmark", "hyperfine", "go"};

const char *qb_format_name(qb_format f) {
  return (unsigned)f < sizeof NAMES / sizeof NAMES[0] ? NAMES[f] : "unknown";
}

int qb_format_parse(const char *name, qb_format *out) {
  for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
    if (!strcmp(name, NAMES[i])) {
      *out = (qb_format)i;
      return QB_OK;
    }
  return QB_EUSAGE;
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

/* Inputs at least this large are hashed on a second thread while they are parsed (sha256 runs at
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
  int threaded = len >= HASH_THREAD_MIN && pthread_create(&tid, NULL, hash_worker, &job) == 0;
  switch (fmt) {
    case QB_FMT_PYTEST:
      rc = qb_pytest_parse(name, data, len, out, err);
      break;
    case QB_FMT_CRITERION_TEXT:
      rc = qb_criterion_text_parse(name, data, len, out, err);
      break;
    case QB_FMT_GBENCH:
      rc = qb_gbench_parse(name, data, len, out, err);
      break;
    case QB_FMT_HYPERFINE:
      rc = qb_hyperfine_parse(name, data, len, out, err);
      break;
    case QB_FMT_GO:
      rc = qb_go_parse(name, data, len, out, err);
      break;
    default:
      rc = qb_native_parse(name, data, len, out, err);
      break;
  }
  if (threaded)
    pthread_join(tid, NULL);
  else
    hash_worker(&job);
  if (rc == QB_OK) memcpy((*out)->content_hash, job.hex, sizeof job.hex);
  return rc;
}

/* What a file of mode m is, for messages. */
static const char *kind_name(mode_t m) {
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISFIFO(m)) return "a pipe";
  if (S_ISDIR(m)) return "a directory";
  return "not a regular file";
}

/* Read all of fd (named name in messages; st is its fstat) into *out, NUL-terminated (the
 * caller frees it): at most max + 1 bytes are ever read, so an endless stream stops at the cap;
 * a regular file larger than max is refused before reading. */
static int read_fd(int fd, const char *name, const struct stat *st, size_t max, char **out,
                   size_t *out_len, qb_err *err) {
  size_t len = 0, alloc = (size_t)1 << 16;
  if (S_ISREG(st->st_mode)) {
    if ((uint64_t)st->st_size > max)
      return qb_err_set(err, QB_EFORMAT, "%s: file larger than %zu bytes", name, max);
    if (st->st_size > 0) alloc = (size_t)st->st_size + 2; /* + the byte that shows it grew, NUL */
  }
  if (alloc > max + 2) alloc = max + 2;
  char *buf = malloc(alloc);
  if (!buf) return qb_err_set(err, QB_ENOMEM, "%s: out of memory for %zu bytes", name, alloc);
  for (;;) {
    if (len + 1 >= alloc) { /* full: grow, never past max + 2 (max + 1 bytes and the NUL) */
      if (alloc >= max + 2) break;
      size_t na = alloc > (max + 2) / 2 ? max + 2 : alloc * 2;
      char *p = realloc(buf, na);
      if (!p) {
        free(buf);
        return qb_err_set(err, QB_ENOMEM, "%s: out of memory for %zu bytes", name, na);
      }
      buf = p;
      alloc = na;
    }
    ssize_t n = read(fd, buf + len, alloc - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      free(buf);
      return qb_err_set(err, QB_EIO, "%s: read error: %s", name, strerror(e));
    }
    if (n == 0) break;
    len += (size_t)n;
    if (len > max) break;
  }
  if (len > max) {
    free(buf);
    return qb_err_set(err, QB_EFORMAT, "%s: file larger than %zu bytes", name, max);
  }
  buf[len] = '\0';
  *out = buf;
  *out_len = len;
  return QB_OK;
}

/* Read the benchmark output at path ("-": standard input, named "<stdin>") into *out (caller
 * frees). Benchmark output is a regular file or a pipe (`ingest -`, <(...)); character and
 * block devices (/dev/zero, /dev/urandom) and sockets are refused before they are opened (an
 * open alone can act on a device); standard input may also be a terminal or a socket. */
static int read_input(const char *path, char **out, size_t *len, qb_err *err) {
  int is_stdin = !strcmp(path, "-");
  const char *name = is_stdin ? "<stdin>" : path;
  struct stat st, fst;
  int fd = 0, rc;
  if (!is_stdin) {
    if (stat(path, &st) != 0)
      return qb_err_set(err, errno == ENOENT ? QB_ENOTFOUND : QB_EIO, "%s: %s", path,
                        strerror(errno));
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
      return qb_err_set(err, QB_EFORMAT, "%s: is %s, not a file or a pipe of benchmark output",
                        path, kind_name(st.st_mode));
    if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) < 0)
      return qb_err_set(err, errno == ENOENT ? QB_ENOTFOUND : QB_EIO, "%s: cannot open: %s", path,
                        strerror(errno));
  }
  if (fstat(fd, &fst) != 0) {
    rc = qb_err_set(err, QB_EIO, "%s: cannot read: %s", name, strerror(errno));
    goto done;
  }
  int ok = S_ISREG(fst.st_mode) || S_ISFIFO(fst.st_mode);
  if (is_stdin)
    ok = ok || S_ISSOCK(fst.st_mode) || (S_ISCHR(fst.st_mode) && isatty(fd));
  else
    ok = ok && fst.st_dev == st.st_dev && fst.st_ino == st.st_ino; /* not swapped meanwhile */
  if (!ok) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: is %s, not a file or a pipe of benchmark output", name,
                    is_stdin ? kind_name(fst.st_mode) : "a file that changed while it was opened");
    goto done;
  }
  rc = read_fd(fd, name, &fst, QB_ADAPTER_MAX_FILE, out, len, err);
done:
  if (!is_stdin) close(fd);
  return rc;
}

int qb_adapter_load(const char *path, qb_format fmt, qb_run **out, qb_err *err) {
  *out = NULL;
  char *data = NULL;
  size_t len = 0;
  int rc;
  struct stat st;
  if (!strcmp(path, "-")) { /* standard input: `curl ... | qbdb ingest -` */
    if ((rc = read_input(path, &data, &len, err))) goto done;
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
  if ((rc = read_input(path, &data, &len, err))) goto done;
  rc = qb_adapter_parse_bytes(path, fmt, data, len, out, err);
done:
  free(data);
  return rc;
}
