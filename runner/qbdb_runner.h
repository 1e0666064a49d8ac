/* qbdb_runner.h - qbr, qbdb's benchmark harness for C programs (docs/runner.md).
 *
 * Ownership: the registry only links the qbr_bench structs you give it (they must outlive every
 * qbr_run/qbr_list on it, which static structs do); everything qbr_run allocates is freed before
 * it returns, and the pointers in the qbr_result handed to on_result are valid only during that
 * call.
 *
 * C99, libc and libm only (POSIX clock_gettime, getrusage, regcomp; for instruction counts, on
 * Linux, perf_event_open, and valgrind's header-only client requests when <valgrind/callgrind.h>
 * is found at build time). Names start with qbr_ / QBR_. Global state: the default registry
 * (qbr_registry_default(), filled by QBR_BENCH before main) and, on compilers without GNU inline
 * assembly, the qbr_sink pointer behind qbr_do_not_optimize(). No atexit hooks, no threads, no
 * signal handlers; the library writes to the streams you configure and nothing else (qbr_main:
 * the summary on stdout, errors on stderr). The one exception, only with --measure instructions
 * and no hardware counter: qbr_main runs the program again as a child under valgrind's callgrind
 * (a temporary directory for its dumps, removed after) and exits with the child's status.
 *
 *   #include <qbdb_runner.h>
 *
 *   QBR_BENCH_OPTS(sum, .params = "n=100,1000,10000", .setup = make_input) {
 *     const int *x = qbr_data(state);
 *     int64_t n = qbr_param_int(state, "n");
 *     qbr_set_items(state, (uint64_t)n);
 *     QBR_LOOP(state) {
 *       int64_t s = 0;
 *       for (int64_t i = 0; i < n; i++) s += x[i];
 *       qbr_do_not_optimize(&s);
 *     }
 *   }
 *   QBR_MAIN()
 *
 * makes benchmarks "sum/n=100", "sum/n=1000" and "sum/n=10000" (params {"n":...}, group "sum")
 * and a program taking --filter, --samples, --out FILE (qbdb's native JSON Lines) and so on. */
#ifndef QBDB_RUNNER_H
#define QBDB_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QBR_VERSION "0.1.0"

/* Error codes: every fallible function returns 0 or one of these (negative). */
#define QBR_OK     0
#define QBR_EUSAGE (-1) /* bad configuration, flag, params spec, regex, or no benchmark matches */
#define QBR_EIO    (-2) /* the output file cannot be opened or written */
#define QBR_ENOMEM (-3) /* out of memory */
#define QBR_EBENCH (-4) /* a benchmark failed (setup, qbr_fail); the others were still run */

#define QBR_ERR_MSG_MAX 256
/* What went wrong: a code and a one-line message (no heap). */
typedef struct qbr_err {
  int code;
  char msg[QBR_ERR_MSG_MAX];
} qbr_err;

#define QBR_MAX_ITERS  1000000000ULL /* auto-iterations never go beyond this per sample */
#define QBR_MAX_PARAMS 8             /* parameters of one family */
#define QBR_MAX_TAGS   32            /* --tag K=V flags */

/* What qbr_run measures (qbr_config.measure, --measure; docs/runner.md, "Instruction counts"). */
#define QBR_MEASURE_TIME         0 /* wall and CPU time (the default) */
#define QBR_MEASURE_INSTRUCTIONS 1 /* instructions only: perf_event, or callgrind when under it */
#define QBR_MEASURE_BOTH         2 /* time and instructions of the same samples (perf_event only) */
#define QBR_MIN_INSTR            1000000.0 /* instruction mode: a sample executes at least this */
#define QBR_INSTR_SAMPLES        10 /* --measure instructions' default samples (command line) */

/* The state a benchmark body receives: how many iterations to run, its parameters, its data.
 * Opaque; one per benchmark instance, alive from its setup to its teardown. */
typedef struct qbr_state qbr_state;

typedef void (*qbr_fn)(qbr_state *state);          /* the timed body */
typedef int (*qbr_setup_fn)(qbr_state *state);     /* untimed; nonzero skips the benchmark */
typedef void (*qbr_teardown_fn)(qbr_state *state); /* untimed; runs when setup succeeded */

/* One benchmark or family, as registered. The registry links the struct itself (no copy). */
typedef struct qbr_bench {
  const char *name;         /* required; "/" allowed ("hash/insert") */
  qbr_fn fn;                /* required: the body */
  const char *group;        /* optional: the name becomes "group/name" and the group is kept */
  const char *params;       /* optional family: "n=100,1000,10000" or "n=64,128; k=1,2" */
  qbr_setup_fn setup;       /* optional: before warm-up, once per instance */
  qbr_teardown_fn teardown; /* optional: after the last sample, once per instance */
  void *data;               /* optional: what qbr_data() returns unless setup replaces it */
  struct qbr_bench *next_;  /* registry link: leave NULL */
  const void *owner_;       /* registry that holds it: leave NULL */
} qbr_bench;

/* An ordered list of benchmarks (registration order is run order). */
typedef struct qbr_registry {
  qbr_bench *head, *tail;
  size_t n;
} qbr_registry;
#define QBR_REGISTRY_INIT                                                                          \
  { NULL, NULL, 0 }

/* The registry QBR_BENCH fills and qbr_main runs (a static in the library). */
qbr_registry *qbr_registry_default(void);
/* Append b to reg (NULL: the default registry). QBR_EUSAGE when name or fn is NULL or b is
 * already in a registry (err may be NULL). Allocates nothing; b must stay valid while reg is
 * used. The params spec is checked by qbr_run and qbr_list. */
int qbr_register(qbr_registry *reg, qbr_bench *b, qbr_err *err);
/* Unlink every benchmark of reg (NULL: the default), so the structs can be registered again. */
void qbr_registry_reset(qbr_registry *reg);

/* Accessors for the body, setup and teardown. */
uint64_t qbr_iters(const qbr_state *s);                 /* iterations this call must run */
const char *qbr_name(const qbr_state *s);               /* the instance's full name ("sum/n=100") */
double qbr_param(const qbr_state *s, const char *name); /* NAN when there is no such */
int64_t qbr_param_int(const qbr_state *s, const char *name); /* truncated; 0 when absent */
void *qbr_data(const qbr_state *s);
void qbr_set_data(qbr_state *s, void *data);
/* Throughput: bytes or items one iteration processes (0: none; the value set last counts). Adds
 * a "throughput" metric. */
void qbr_set_bytes(qbr_state *s, uint64_t bytes_per_iter);
void qbr_set_items(qbr_state *s, uint64_t items_per_iter);
/* Mark the benchmark failed (msg copied); the body should return. Nothing of it is written. */
void qbr_fail(qbr_state *s, const char *msg);

/* The body's loop: `QBR_LOOP(state) { ... }` runs qbr_iters(state) times. The count is read once
 * and the clock is read outside the loop, so the per-iteration cost is one increment and
 * compare. */
#define QBR_LOOP(s) for (uint64_t qbr_i_ = 0, qbr_n_ = qbr_iters(s); qbr_i_ < qbr_n_; qbr_i_++)

/* Compiler barriers. qbr_do_not_optimize(&x) makes the compiler assume x (and any memory) is
 * read there, so the computation of x is kept; qbr_clobber() makes it assume all memory was
 * written, so stores before it are kept and loads after it are redone. */
#if defined(__GNUC__) || defined(__clang__)
static inline void qbr_do_not_optimize(const void *p) {
  __asm__ __volatile__("" : : "r"(p) : "memory");
}
static inline void qbr_clobber(void) {
  __asm__ __volatile__("" : : : "memory");
}
#else
extern const void *volatile qbr_sink; /* the fallback's sink */
void qbr_clobber_fallback(void);      /* an opaque call */
static inline void qbr_do_not_optimize(const void *p) {
  qbr_sink = p;
  qbr_clobber_fallback();
}
static inline void qbr_clobber(void) {
  qbr_clobber_fallback();
}
#endif

/* A finished benchmark as handed to on_result. Times in ns per iteration; every pointer is
 * valid only during the call. */
typedef struct qbr_result {
  const char *name;          /* full name */
  const char *group;         /* NULL when none */
  const char *params;        /* JSON object text ({"n":1000}) or NULL */
  uint64_t iters;            /* iterations behind each sample */
  size_t n_samples;          /* samples taken (fewer than asked when the time budget ran out) */
  const double *samples;     /* wall time, ns per iteration, one per sample */
  const double *cpu;         /* CPU time (user + system, getrusage), ns per iteration */
  const double *bytes_per_s; /* per sample, when qbr_set_bytes was used, else NULL */
  const double *items_per_s; /* per sample, when qbr_set_items was used, else NULL */
  uint64_t bytes_per_iter;   /* 0: not set */
  uint64_t items_per_iter;   /* 0: not set */
  double median, mad;        /* of samples, ns (MAD: median absolute deviation, unscaled) */
  double cpu_user_ns;        /* user CPU time over all samples, ns */
  double cpu_sys_ns;         /* system CPU time over all samples, ns */
  long peak_rss_kib;         /* process peak RSS (ru_maxrss) after the benchmark, KiB */
  long peak_rss_before_kib;  /* the same before its setup */
  double wall_ns;            /* duration of the sampling phase */
  int iters_mode;            /* 0 automatic, 1 fixed (--iters), 2 automatic but capped */
  /* Instructions (--measure instructions or both; else NULL / 0). In instructions-only mode
   * samples, cpu, bytes_per_s and items_per_s are NULL, median and mad 0, and the peak RSS is 0
   * under callgrind (valgrind's own, not the program's). */
  const double *instructions; /* instructions per iteration, one per sample */
  double instr_median, instr_mad;
  const char *instr_source; /* "perf_event" or "callgrind" */
} qbr_result;

/* How to run, what to write, and the run's metadata. Start from QBR_CONFIG_INIT. Strings are
 * borrowed (not copied). Metadata left NULL is taken from the environment by qbr_run (see
 * docs/runner.md); "" leaves it out. */
typedef struct qbr_config {
  const char *filter;     /* POSIX extended regex searched in full names; NULL: all */
  size_t samples;         /* samples per benchmark (default 100) */
  uint64_t warmup;        /* untimed iterations before calibration (default 10) */
  double time_budget;     /* seconds: stop sampling a benchmark after this (0: no limit) */
  double min_sample_time; /* seconds a sample lasts at least (default 0.001; also >= 1000 x the
                             clock's resolution) */
  uint64_t iters;         /* fixed iterations per sample; 0: automatic (default) */
  int measure;            /* QBR_MEASURE_TIME (default), _INSTRUCTIONS or _BOTH (docs/runner.md) */
  const char *out_path;   /* native JSON Lines file written as benchmarks finish; "-": stdout */
  FILE *out;              /* or an open stream (used when out_path is NULL; not closed) */
  FILE *summary;          /* human summary, one line per benchmark; NULL: none */
  const char *project, *branch, *commit, *machine; /* run metadata */
  const char *tags[QBR_MAX_TAGS];                  /* "key=value"; a later key wins */
  size_t n_tags;
  const char *compiler; /* of the benchmark code (QBR_CONFIG_INIT: the includer's compiler) */
  int optimized;        /* the benchmark code was compiled with optimisation (-1: unknown) */
  /* A replacement clock in ns for tests (NULL: CLOCK_MONOTONIC_RAW or CLOCK_MONOTONIC). Its
   * resolution is taken to be 1 ns. */
  uint64_t (*clock)(void *ctx);
  void *clock_ctx;
  /* Called after each benchmark is written (NULL: not called). */
  void (*on_result)(const qbr_result *r, void *ctx);
  void *on_result_ctx;
  int list, help, quiet; /* set by qbr_args_parse; qbr_main acts on them */
} qbr_config;

#if defined(__clang__)
#define QBR_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define QBR_COMPILER "gcc " __VERSION__
#elif defined(__VERSION__)
#define QBR_COMPILER __VERSION__
#else
#define QBR_COMPILER ""
#endif
#ifdef __OPTIMIZE__
#define QBR_OPTIMIZED 1
#else
#define QBR_OPTIMIZED 0
#endif

#define QBR_CONFIG_INIT                                                                            \
  {                                                                                                \
    .samples = 100, .warmup = 10, .min_sample_time = 1e-3, .compiler = QBR_COMPILER,               \
    .optimized = QBR_OPTIMIZED                                                                     \
  }

/* Run every benchmark of reg (NULL: the default) that cfg->filter selects, in registration
 * order: setup, warm-up, calibration, samples, teardown; then write its lines to the output
 * (flushed), its summary line, and call on_result. QBR_EBENCH when a benchmark failed (the
 * others still ran), QBR_EUSAGE for a bad configuration (nothing is run or written). */
int qbr_run(qbr_registry *reg, const qbr_config *cfg, qbr_err *err);

/* The calibration rule: after a sample of n iterations took elapsed_ns, short of target_ns, the
 * next n to try. Aims 20% past the target when the sample was at least a tenth of it, else
 * multiplies by 10; always grows, never beyond QBR_MAX_ITERS. */
uint64_t qbr_next_iters(uint64_t n, double elapsed_ns, double target_ns);

/* The instruction mode's calibration rule: after a sample of n iterations executed count
 * instructions, short of target, the next n to try: the smallest of 1, 2, 5, 10, 20, 50, ...
 * that is above n and at least n x target / count (10 n when count is 0); never beyond
 * QBR_MAX_ITERS. Deterministic when the counts are. */
uint64_t qbr_next_iters_instr(uint64_t n, double count, double target);

/* Write the full names cfg->filter selects to f, one per line. */
int qbr_list(qbr_registry *reg, const qbr_config *cfg, FILE *f, qbr_err *err);

/* Read the command line (argv[0] is skipped) into cfg. QBR_EUSAGE on an unknown flag or a bad
 * value. Strings point into argv. */
int qbr_args_parse(qbr_config *cfg, int argc, char **argv, qbr_err *err);

/* The usage text of qbr_main's flags. */
const char *qbr_usage(void);

/* A whole benchmark program: parse flags, then --help, --list or run reg (NULL: the default).
 * Summary on stdout (stderr with --out -), errors on stderr. Returns the exit status: 0, 1 (a
 * benchmark failed, or output failed) or 2 (usage, or no way to count instructions). compiler
 * and optimized describe the benchmark code; the qbr_main macro passes the caller's. With
 * --measure instructions, no hardware counter and not under valgrind, it runs argv again under
 * `valgrind --tool=callgrind` (found in PATH) and returns the child's exit status (128 + N when
 * signal N ended it). */
int qbr_main_ex(qbr_registry *reg, int argc, char **argv, const char *compiler, int optimized);
#define qbr_main(argc, argv) qbr_main_ex(NULL, (argc), (argv), QBR_COMPILER, QBR_OPTIMIZED)

/* Defines main() as qbr_main. */
#define QBR_MAIN()                                                                                 \
  int main(int argc, char **argv) {                                                                \
    return qbr_main(argc, argv);                                                                   \
  }

/* Auto-registration (GCC, Clang and compatibles: a constructor runs before main). The body that
 * follows receives `qbr_state *state`:
 *   QBR_BENCH(name) { QBR_LOOP(state) { ... } }
 *   QBR_BENCH_OPTS(name, .params = "n=1,2", .setup = f, .teardown = g, .group = "g", .data = p)
 * name is a C identifier and becomes the benchmark's name. */
#if defined(__GNUC__) || defined(__clang__)
#define QBR_BENCH_OPTS(id, ...)                                                                    \
  static void qbr_fn_##id(qbr_state *state);                                                       \
  static qbr_bench qbr_def_##id = {.name = #id, .fn = qbr_fn_##id, __VA_ARGS__};                   \
  static void qbr_reg_##id(void) __attribute__((constructor));                                     \
  static void qbr_reg_##id(void) {                                                                 \
    (void)qbr_register(NULL, &qbr_def_##id, NULL);                                                 \
  }                                                                                                \
  static void qbr_fn_##id(qbr_state *state)
#define QBR_BENCH(id)                                                                              \
  static void qbr_fn_##id(qbr_state *state);                                                       \
  static qbr_bench qbr_def_##id = {.name = #id, .fn = qbr_fn_##id};                                \
  static void qbr_reg_##id(void) __attribute__((constructor));                                     \
  static void qbr_reg_##id(void) {                                                                 \
    (void)qbr_register(NULL, &qbr_def_##id, NULL);                                                 \
  }                                                                                                \
  static void qbr_fn_##id(qbr_state *state)
#endif

#ifdef __cplusplus
}
#endif

#endif
