/* net/notify.h - webhook notifications: POST a JSON summary to a URL with libcurl (through
 * net/curl_dl.h), retrying with backoff, never for longer than a bounded time (docs/notify.md).
 * Used by `qbdb report --notify URL` and by `qbdb serve --notify-url` for regressions found at
 * upload time.
 *
 * Ownership: the options, the URL and the body are borrowed for the call; the result is the
 * caller's struct and holds no heap memory. */
#ifndef QB_NET_NOTIFY_H
#define QB_NET_NOTIFY_H

#include <stddef.h>

#include "core/err.h"

typedef struct qb_notify_opts {
  const char *url;   /* http(s)://... (required) */
  long total_ms;     /* the whole call, retries and waits included, ends within this */
  long attempt_ms;   /* one attempt's timeout (connect + answer) */
  int max_attempts;  /* attempts in all (connection errors, 429 and 5xx are retried) */
  long backoff_ms;   /* the wait before the second attempt; doubled for each next one */
  const char *token; /* sent as Authorization: Bearer TOKEN when not NULL */
} qb_notify_opts;

#define QB_NOTIFY_OPTS_INIT                                                                        \
  { NULL, 10000, 3000, 4, 200, NULL }

typedef struct qb_notify_result {
  long status;  /* the last HTTP status received (0: none) */
  int attempts; /* attempts made */
} qb_notify_result;

/* POST body (len bytes of JSON, Content-Type: application/json) to o->url. 0 on a 2xx answer;
 * QB_EIO naming the URL and the last status or connection error otherwise (a non-2xx answer is
 * an error, after the retries it deserves); QB_EUSAGE for a URL that is not http(s). */
int qb_notify_post(const qb_notify_opts *o, const char *body, size_t len, qb_notify_result *res,
                   qb_err *err);

/* The URL as messages and logs show it: without user:password@, query and fragment (where
 * webhook secrets tend to sit), cut to n - 1 bytes; into out (n bytes, NUL-terminated). */
void qb_notify_url_display(const char *url, char *out, size_t n);

#endif
