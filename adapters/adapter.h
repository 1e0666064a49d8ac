/* adapters/adapter.h - turn one tool's output into a qb_run (adapters never touch the store).
 *
 * Ownership: on success *out is a new qb_run owned by the caller (free with qb_run_free());
 * on failure *out is NULL and err holds a one-line message naming the file, the field and the
 * position. Every adapter normalises units (time to ns, rates to per second, bytes to B) and
 * sets run->format. run->content_hash (sha256 of the content read) is filled by
 * qb_adapter_parse_bytes for single files and by qb_criterion_dir_parse for trees; the
 * per-format parsers for files leave it empty. */
#ifndef QB_ADAPTERS_ADAPTER_H
#define QB_ADAPTERS_ADAPTER_H

#include <stddef.h>

#include "core/err.h"
#include "schema/model.h"

typedef enum qb_format {
  QB_FMT_AUTO = 0,
  QB_FMT_PYTEST,         /* pytest-benchmark JSON (2.x, 3.x, 4.x/5.x) */
  QB_FMT_CRITERION,      /* a target/criterion directory tree */
  QB_FMT_CRITERION_TEXT, /* cargo bench stdout (default or bencher output format) */
  QB_FMT_NATIVE,         /* qbdb's own JSON Lines format (docs/formats/native.md) */
  QB_FMT_GBENCH,         /* Google Benchmark JSON (--benchmark_format=json / --benchmark_out) */
  QB_FMT_HYPERFINE,      /* hyperfine --export-json */
  QB_FMT_GO              /* go test -bench text output (-benchmem, -count) */
} qb_format;

/* Largest input file an adapter reads (bounds untrusted uploads). */
#define QB_ADAPTER_MAX_FILE ((size_t)1 << 30)

/* A parser of content in memory. data is NUL-terminated at data[len]; path names the input in
 * errors. */
typedef int (*qb_parse_fn)(const char *path, const char *data, size_t len, qb_run **out,
                           qb_err *err);

/* The formats qbdb reads: one row each, in qb_format order (QB_FMT_AUTO first). Format names,
 * the dispatch of qb_adapter_parse_bytes and the "expected ..." messages of `qbdb ingest`,
 * `qbdb upload` and POST /api/v1/runs all come from this table, so a new format is one row here
 * (docs/internals/new-format.md). */
typedef struct qb_format_info {
  qb_format id;
  const char *name;  /* --format and ?format= */
  const char *what;  /* what the tool writes */
  qb_parse_fn parse; /* NULL: AUTO, or a directory (criterion) read by qb_adapter_load */
  int arena;         /* one JSON document: its tree lives in an arena (adapters/json.h) */
} qb_format_info;
extern const qb_format_info qb_formats[];
extern const size_t qb_n_formats;

/* "auto", "pytest", "criterion", "criterion-text", "native", "google-benchmark", "hyperfine",
 * "go"; "unknown" for another value. */
const char *qb_format_name(qb_format f);
/* Parse a format name; returns 0 or QB_EUSAGE. */
int qb_format_parse(const char *name, qb_format *out);
/* The same for a user's argument, with the message "OPTION 'NAME': expected auto, pytest, ...
 * or go" (files_only: without the directory formats, for uploads). */
int qb_format_parse_arg(const char *option, const char *name, int files_only, qb_format *out,
                        qb_err *err);

/* 1 when s is 4 to 64 hex digits (either case), the one rule for a commit wherever qbdb takes
 * one: `ingest --commit`, `upload --commit`, a native header's commit, pytest-benchmark's
 * commit_info.id (docs/formats/native.md, docs/formats/pytest-benchmark.md); else 0. */
int qb_commit_ok(const char *s);

/* Guess the format of file content (path is only used to look at the name). Returns 0 and sets
 * *out, or QB_EFORMAT with a message when nothing matches. */
int qb_adapter_detect(const char *path, const char *data, size_t len, qb_format *out, qb_err *err);

/* Read path (a file, a directory for criterion, or "-" for standard input, named "<stdin>" in
 * messages), detect the format when fmt is QB_FMT_AUTO, and parse it. A path must be a regular
 * file, a directory or a pipe (a fifo, <(...)); a character or block device or a socket is
 * refused before it is opened (QB_EFORMAT, "PATH: is a character device, not a file or a pipe
 * of benchmark output"). Standard input may also be a terminal or a socket (core/buf.h
 * qb_input_read). At most QB_ADAPTER_MAX_FILE + 1 bytes are read; more is QB_EFORMAT "file
 * larger than". */
int qb_adapter_load(const char *path, qb_format fmt, qb_run **out, qb_err *err);

/* Parse content already in memory (an upload): detect when fmt is QB_FMT_AUTO, dispatch, and
 * hash. name is used in messages; QB_FMT_CRITERION (a directory) is refused with QB_EUSAGE. */
int qb_adapter_parse_bytes(const char *name, qb_format fmt, const char *data, size_t len,
                           qb_run **out, qb_err *err);

/* The per-format parsers (qb_parse_fn). */
int qb_pytest_parse(const char *path, const char *data, size_t len, qb_run **out, qb_err *err);
int qb_criterion_text_parse(const char *path, const char *data, size_t len, qb_run **out,
                            qb_err *err);
int qb_native_parse(const char *path, const char *data, size_t len, qb_run **out, qb_err *err);
int qb_gbench_parse(const char *path, const char *data, size_t len, qb_run **out, qb_err *err);
int qb_hyperfine_parse(const char *path, const char *data, size_t len, qb_run **out, qb_err *err);
int qb_go_parse(const char *path, const char *data, size_t len, qb_run **out, qb_err *err);
/* dir is a target/criterion directory, a directory that contains target/criterion or
 * criterion/, or a single benchmark's directory. */
int qb_criterion_dir_parse(const char *dir, qb_run **out, qb_err *err);

/* 1 when dir looks like (or contains) criterion output, else 0. */
int qb_criterion_dir_probe(const char *dir);

#endif
