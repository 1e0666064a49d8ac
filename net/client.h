/* net/client.h - the HTTP client of a qbdb server: `qbdb upload` POSTs one run's raw bytes to
 * {server}/api/v1/runs, `qbdb compare --server` GETs /api/v1/compare; both retry transient
 * failures and read the answer (docs/api/README.md). libcurl is reached only through
 * net/curl_dl.h.
 *
 * Ownership: the options, their strings and the data are borrowed for the call. A
 * qb_upload_result is the caller's struct: qb_upload fills it with memory it owns (the parsed
 * answer, which every `const char *` in it points into, the broken targets and the changed rows),
 * released with qb_upload_result_dispose() - after a failure too. A qb_http_answer is the
 * caller's struct too: qb_http_get fills it with the body it allocates, released with
 * qb_http_answer_dispose() - after a failure too. */
#ifndef QB_NET_CLIENT_H
#define QB_NET_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "service/compare.h"
#include "core/err.h"
#include "schema/model.h"

/* Largest answer body read from the server; a longer one fails with QB_EIO. */
#define QB_UPLOAD_MAX_ANSWER ((size_t)64 << 20)
/* Bodies longer than this are sent with "Expect: 100-continue" (the largest body `qbdb serve`
 * reads before refusing a bad token, http/server.c). */
#define QB_UPLOAD_EXPECT_MIN ((size_t)1 << 20)
/* Size of the buffer that keeps the Qbdb-Verdict response header (longer values are cut). */
#define QB_VERDICT_HEADER_MAX 128

typedef struct qb_upload_opts {
  const char *server; /* base URL, http(s)://HOST[:PORT][/PREFIX] (a trailing / is fine) */
  const char *token;  /* sent as `Authorization: Bearer TOKEN`; NULL or "": no header */
  const char *format; /* format= ("pytest", "native", ...); NULL or "auto": the server detects */
  const char *project, *branch, *commit, *machine; /* NULL: not sent (the server's defaults) */
  const char *default_machine; /* default_machine=: the machine when the file names none (this
                                  host's name, from qbdb upload); NULL: not sent */
  const qb_tag *tags;          /* each sent as tag=KEY=VALUE, in this order */
  size_t n_tags;
  /* the baseline of the verdict (service/baseline.h), each sent only when given: */
  const char *base_ref;           /* base=REF: an explicit baseline run */
  const char *base_branch;        /* base_branch=B: the branch a pull request targets */
  const char *base_branch_source; /* base_branch_source=TEXT: where B came from, for the reason
                                     (e.g. "$GITHUB_BASE_REF"; at most 64 bytes) */
  const char *base_commit;        /* base_commit=SHA: the merge base (4-64 hex digits) */
  int base_runs;                  /* base_runs=N: pool the baseline (1-50); 0: not sent */
  int any_machine;                /* any_machine=true: an explicit base on another machine */
  int all_metrics;                /* all_metrics=true: every metric counts, not the primary ones */
  int want_summary;               /* summary=markdown: the answer holds the PR-comment markdown */
  int max_attempts;               /* requests at most, >= 1 (default 5) */
  long backoff_ms;                /* wait before the 2nd attempt, doubled before each next (100) */
  long connect_timeout_ms;        /* per attempt (5000) */
  long timeout_ms;                /* per attempt, the whole request and answer (60000) */
} qb_upload_opts;

/* every option unset, the retry and time defaults */
#define QB_UPLOAD_OPTS_INIT                                                                        \
  { .max_attempts = 5, .backoff_ms = 100, .connect_timeout_ms = 5000, .timeout_ms = 60000 }

/* A target (performance budget) the uploaded run broke. Strings may be NULL. */
typedef struct qb_upload_target {
  const char *benchmark, *metric, *unit, *op;
  double value, target; /* in unit; NAN when the server did not say */
} qb_upload_target;

/* A row of the comparison whose verdict is not unchanged ("compare.changed" of the answer).
 * Strings may be NULL. */
typedef struct qb_upload_change {
  const char *benchmark, *metric, *unit;
  double change_pct;    /* percent; NAN when not given (an added or removed benchmark) */
  qb_severity severity; /* QB_SEV_NONE when not given */
  qb_verdict verdict;   /* regression, improvement, added or removed */
  int primary;          /* the benchmark's primary metric (1 when the server did not say) */
  int target_broken;    /* the head value breaks a target (such a row counts whatever its metric) */
  const char *note;     /* the server's caveat (e.g. noise unknown), or NULL */
} qb_upload_change;

typedef struct qb_upload_result {
  char idempotency_key[65]; /* the Idempotency-Key sent (sha256 hex, see qb_upload) */
  int attempts;             /* requests made */
  long status;              /* HTTP status of the last answer; 0 when none came */
  json_t *answer;           /* the whole answer (success only), owned; NULL otherwise */
  /* the run: "run" of the answer */
  int64_t run_id;
  int existed; /* 1: an idempotent replay, the run was stored before (HTTP 200) */
  const char *project, *branch, *machine, *commit, *format;
  int64_t n_benchmarks, n_results, n_samples; /* -1 when not given */
  /* "baseline": which runs the verdict compares with and why (service/baseline.h) */
  const char *baseline_rule;   /* "explicit", "branch", "merge-base", "base-branch", "none";
                                  NULL when the server did not say */
  const char *baseline_reason; /* one line, or NULL */
  size_t n_baseline_runs;      /* runs pooled into the baseline (0: none or not said) */
  /* "compare": against that baseline */
  int has_compare;           /* 0: no baseline (compare null) */
  const char *compare_error; /* "compare_error": the compare failed (the run is stored), or NULL */
  int64_t base_run_id;       /* the run compared with (0: not given) */
  size_t regressions;        /* counted rows whose verdict is regression */
  size_t improvements;       /* counted rows whose verdict is improvement */
  size_t unchanged;          /* counted rows whose verdict is unchanged */
  qb_severity worst;         /* of those regressions (QB_SEV_NONE without any) */
  double geomean_change_pct; /* NAN when not given */
  size_t other_regressions;  /* regressions in metrics that do not count (not primary) */
  size_t noise_unknown;      /* counted rows whose baseline had too little history for noise */
  int all_metrics;           /* every metric counted (the summary's all_metrics) */
  qb_upload_change *changed; /* "compare.changed", owned, in the server's order */
  size_t n_changed;
  const char *summary_markdown;        /* the pull-request comment (opts want_summary), or NULL */
  char verdict[QB_VERDICT_HEADER_MAX]; /* the Qbdb-Verdict header, "" when not sent */
  size_t n_detected;                   /* change points this upload recorded ("new_changes") */
  qb_upload_target *broken;            /* "targets_broken", owned */
  size_t n_broken;
  int has_grade;      /* "grade" given */
  double score;       /* 0-100 (NAN when not given) */
  const char *letter; /* "A+" .. "D", or NULL */
} qb_upload_result;

/* POST len bytes of data (the raw tool output, read from name, which only appears in
 * messages) to {o->server}/api/v1/runs?format=&project=&branch=&commit=&machine=&tag=K=V...
 * &base=&base_branch=&base_branch_source=&base_commit=&base_runs=&any_machine=true
 * &all_metrics=true&summary=markdown, in this order, every value URL-escaped and only the
 * options given sent, with `Authorization: Bearer TOKEN`
 * and `Idempotency-Key: sha256hex(data "\n" query)` - the same for every attempt and for a
 * re-run of the same upload, so the server answers a repeat with the original run.
 *
 * Retries: a connection failure (refused, unresolved, timed out, cut), HTTP 429 and 5xx are
 * retried after o->backoff_ms, then twice that, and so on (no jitter), o->max_attempts requests
 * at most; another 4xx is final at once. Errors, with the server's message when it sent
 * {"error":{"code","message"}}: 400/422 QB_EFORMAT, 413 QB_EFORMAT ("too large"), 401/403
 * QB_EUSAGE ("unauthorized"/"forbidden"), 404 QB_ENOTFOUND, other 4xx QB_EUSAGE, 429/5xx after
 * the last attempt QB_EIO, a connection failure after the last attempt QB_EIO naming the
 * server, a malformed URL or option QB_EUSAGE, an unreadable answer QB_EIO.
 *
 * On success *out holds the answer (201 stored, 200 replay). out is filled (attempts, status,
 * key) on failure too; dispose it in both cases. */
int qb_upload(qb_upload_result *out, const qb_upload_opts *o, const char *name, const char *data,
              size_t len, qb_err *err);

/* Free what qb_upload put in r and zero it (safe on a zeroed or already disposed struct). */
void qb_upload_result_dispose(qb_upload_result *r);

/* The verdict of an upload: the worst of its compare regressions, raised to QB_SEV_MAJOR when a
 * target is broken (a broken target counts as a major regression, as in compare). */
qb_severity qb_upload_worst(const qb_upload_result *r);

/* The regressions of r that count (primary metric, a broken target, or any with all_metrics, as
 * the server counts them), worst first: by
 * severity, then by the size of the change, then in the server's order. Up to max of them go to
 * out (pointers into r); returns how many there are in all. */
size_t qb_upload_top_regressions(const qb_upload_result *r, const qb_upload_change **out,
                                 size_t max);

/* Where and how a read is sent (the connection part of qb_upload_opts). */
typedef struct qb_http_opts {
  const char *server;      /* base URL, http(s)://HOST[:PORT][/PREFIX] (a trailing / is fine) */
  const char *token;       /* sent as `Authorization: Bearer TOKEN`; NULL or "": no header */
  int max_attempts;        /* requests at most, >= 1 (default 5) */
  long backoff_ms;         /* wait before the 2nd attempt, doubled before each next (100) */
  long connect_timeout_ms; /* per attempt (5000) */
  long timeout_ms;         /* per attempt, the whole request and answer (60000) */
} qb_http_opts;

#define QB_HTTP_OPTS_INIT                                                                          \
  { .max_attempts = 5, .backoff_ms = 100, .connect_timeout_ms = 5000, .timeout_ms = 60000 }

/* One query argument; a NULL value is not sent. */
typedef struct qb_http_arg {
  const char *key, *value;
} qb_http_arg;

typedef struct qb_http_answer {
  int attempts;                        /* requests made */
  long status;                         /* HTTP status of the last answer; 0 when none came */
  char *body;                          /* the 2xx answer, NUL-terminated, owned; NULL otherwise */
  size_t len;                          /* its length */
  char verdict[QB_VERDICT_HEADER_MAX]; /* the Qbdb-Verdict header, "" when not sent */
} qb_http_answer;

/* GET {o->server}{path}?KEY=ESCAPED(VALUE)&... (the args whose value is not NULL, in order),
 * with `Authorization: Bearer TOKEN` when o->token is set. what names the request in messages
 * ("compare"). Retries and errors as for qb_upload, except that 400 is QB_EUSAGE (for a read
 * it is a bad argument, not bad data): connection failures, 429 and 5xx are retried with the
 * doubling backoff; another 4xx is final at once with the server's message (401/403 QB_EUSAGE,
 * 404 QB_ENOTFOUND). On success (2xx) out->body holds the answer as sent and out->verdict the
 * Qbdb-Verdict header. Dispose out in both cases. */
int qb_http_get(qb_http_answer *out, const qb_http_opts *o, const char *what, const char *path,
                const qb_http_arg *args, size_t n_args, qb_err *err);

/* Free what qb_http_get put in a and zero it (safe on a zeroed or already disposed struct). */
void qb_http_answer_dispose(qb_http_answer *a);

/* Parse a Qbdb-Verdict header, "regressions=N; worst=SEV; improvements=M" (the keys in any
 * order, unknown keys ignored), into *regressions, *worst and *improvements. QB_EFORMAT when a
 * key is missing or a value malformed. */
int qb_http_verdict_parse(const char *header, size_t *regressions, qb_severity *worst,
                          size_t *improvements, qb_err *err);

#endif
