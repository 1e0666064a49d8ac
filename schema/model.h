/* schema/model.h - the in-memory model of one benchmark run (what adapters produce and the
 * store persists).
 *
 * Ownership: a qb_run owns every string, array and sub-struct it points to. Build it with
 * qb_run_new() and the qb_run_add_* helpers (which copy their string arguments), free it with
 * qb_run_free(). Numbers are in base units (core/units.h): time in ns, rates per second,
 * memory in bytes. A statistic the tool did not give is NAN (counts: -1). */
#ifndef QB_SCHEMA_MODEL_H
#define QB_SCHEMA_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef enum qb_direction { QB_LOWER_IS_BETTER = 0, QB_HIGHER_IS_BETTER = 1 } qb_direction;

typedef struct qb_tag {
  char *key;
  char *value;
} qb_tag;

/* Summary statistics of one result. NAN = unknown, -1 = unknown count. */
typedef struct qb_stats {
  int64_t n; /* samples (rounds) the statistics summarise */
  double min, max, mean, median, stddev;
  double p95, p99, q1, q3;
  int64_t outliers; /* Tukey (1.5 IQR) outliers among the samples */
  double estimate;  /* the tool's headline point estimate (criterion: slope, or mean if Flat) */
  double ci_lo;     /* its confidence interval, NAN when the tool gave none */
  double ci_hi;
} qb_stats;

/* One metric of one benchmark in one run. */
typedef struct qb_result {
  char *metric;           /* "latency", "throughput", "memory", "cpu" or a custom name */
  char *unit;             /* base unit: "ns", "1/s", "B", "B/s" or "1" */
  qb_direction direction; /* which way is better */
  qb_stats stats;
  double *samples; /* raw samples, per-iteration values in unit; NULL when none */
  uint64_t *iters; /* iterations behind each sample; NULL means 1 each */
  size_t n_samples;
  char *extra; /* JSON object text of tool-specific values (criterion change
                  estimates, pytest ops/total...), or NULL */
} qb_result;

typedef struct qb_bench {
  char *name;   /* full name, unique within a run ("sort/1000", "test_sum[10]") */
  char *group;  /* group name or NULL */
  char *params; /* JSON object text of parameters ({"n":1000}) or NULL */
  char *extra;  /* JSON object text of tool-specific fields (fullname, extra_info,
                   throughput, options...) or NULL */
  qb_result *results;
  size_t n_results;
  size_t cap_results;
} qb_bench;

typedef struct qb_run {
  char *project;         /* NULL: not given (ingest fills the default) */
  char *branch;          /* NULL: not given */
  char *commit_sha;      /* NULL: not given */
  int64_t commit_time;   /* us since epoch, or QB_TIME_NONE */
  char *machine;         /* testbed name, NULL: not given */
  char *machine_info;    /* JSON object text (cpu, cores, memory, os...) or NULL */
  int64_t started_at;    /* us since epoch, or QB_TIME_NONE */
  char *format;          /* adapter name: "pytest", "criterion", "criterion-text", "native" */
  char *tool_version;    /* e.g. "pytest-benchmark 3.2.2", or NULL */
  char *extra;           /* JSON object text of run-level tool fields (commit dirty...) or NULL */
  char content_hash[65]; /* sha256 hex of the input content ("" until computed) */
  qb_tag *tags;
  size_t n_tags;
  size_t cap_tags;
  qb_bench *benches;
  size_t n_benches;
  size_t cap_benches;
} qb_run;

/* A fresh empty run (all pointers NULL, times QB_TIME_NONE), or NULL when out of memory. */
qb_run *qb_run_new(void);
/* Free a run and everything it owns. NULL is fine. */
void qb_run_free(qb_run *run);

/* Replace *field (a string owned by the run) with a copy of value (NULL clears it). */
int qb_run_set_str(char **field, const char *value, qb_err *err);

/* Append a tag (key and value copied); a later tag with the same key replaces the earlier. */
int qb_run_add_tag(qb_run *run, const char *key, const char *value, qb_err *err);

/* Append a benchmark named name (copied; group may be NULL) and return it in *out. The pointer
 * is valid until the next qb_run_add_bench on the same run. */
int qb_run_add_bench(qb_run *run, const char *name, const char *group, qb_bench **out, qb_err *err);

/* Append a result for metric (copied) in base unit (copied) to bench; its stats start unknown
 * (qb_stats_init). The pointer is valid until the next qb_bench_add_result on bench. */
int qb_bench_add_result(qb_bench *bench, const char *metric, const char *unit,
                        qb_direction direction, qb_result **out, qb_err *err);

/* Give the result its samples: copies n values (and n iteration counts unless iters is NULL). */
int qb_result_set_samples(qb_result *res, const double *values, const uint64_t *iters, size_t n,
                          qb_err *err);

/* Like qb_result_set_samples but takes ownership of values and iters (malloc'd; iters may be
 * NULL); any previous samples are freed. Cannot fail. */
void qb_result_take_samples(qb_result *res, double *values, uint64_t *iters, size_t n);

/* Set every statistic to unknown. */
void qb_stats_init(qb_stats *s);

/* Find a benchmark by name (linear scan), or NULL. */
qb_bench *qb_run_find_bench(qb_run *run, const char *name);

#endif
