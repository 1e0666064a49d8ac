/* api/client.h - the HTTP client of a qbdb server (`qbdb upload`): POST one run's raw bytes to
 * {server}/api/v1/runs, retrying transient failures, and read the answer (docs/api/README.md).
 * The only file that uses libcurl.
 *
 * Ownership: the options, their strings and the data are borrowed for the call. A
 * qb_upload_result is the caller's struct: qb_upload fills it with memory it owns (the parsed
 * answer, which every `const char *` in it points into, and the broken targets), released with
 * qb_upload_result_dispose() - after a failure too. */
#ifndef QB_API_CLIENT_H
#define QB_API_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api/compare.h"
#include "core/err.h"
#include "schema/model.h"

/* Largest answer body read from the server; a longer one fails with QB_EIO. */
#define QB_UPLOAD_MAX_ANSWER ((size_t)64 << 20)

typedef struct qb_upload_opts {
  const char *server; /* base URL, http(s)://HOST[:PORT][/PREFIX] (a trailing / is fine) */
  const char *token;  /* sent as `Authorization: Bearer TOKEN`; NULL or "": no header */
  const char *format; /* format= ("pytest", "native", ...); NULL or "auto": the server detects */
  const char *project, *branch, *commit, *machine; /* NULL: not sent (the server's defaults) */
  const qb_tag *tags;                              /* each sent as tag=KEY=VALUE, in this order */
  size_t n_tags;
  int max_attempts;        /* requests at most, >= 1 (default 5) */
  long backoff_ms;         /* wait before the 2nd attempt, doubled before each next (100) */
  long connect_timeout_ms; /* per attempt (5000) */
  long timeout_ms;         /* per attempt, the whole request and answer (60000) */
} qb_upload_opts;

#define QB_UPLOAD_OPTS_INIT                                                                        \
  { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 5, 100, 5000, 60000 }

/* A target (performance budget) the uploaded run broke. Strings may be NULL. */
typedef struct qb_upload_target {
  const char *benchmark, *metric, *unit, *op;
  double value, target; /* in unit; NAN when the server did not say */
} qb_upload_target;

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
  /* "compare": against the previous run on the branch */
  int has_compare;           /* 0: there was no previous run (compare null) */
  int64_t base_run_id;       /* the run compared with (0: not given) */
  size_t regressions;        /* rows whose verdict is regression */
  size_t improvements;       /* rows whose verdict is improvement */
  qb_severity worst;         /* of those regressions (QB_SEV_NONE without any) */
  double geomean_change_pct; /* NAN when not given */
  size_t n_detected;         /* change points recorded ("regressions" or "changes") */
  qb_upload_target *broken;  /* "targets_broken", owned */
  size_t n_broken;
  int has_grade;      /* "grade" given */
  double score;       /* 0-100 (NAN when not given) */
  const char *letter; /* "A+" .. "D", or NULL */
} qb_upload_result;

/* POST len bytes of data (the raw tool output, read from name, which only appears in
 * messages) to {o->server}/api/v1/runs?format=&project=&branch=&commit=&machine=&tag=K=V...,
 * every value URL-escaped and only the options given sent, with `Authorization: Bearer TOKEN`
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

#endif
