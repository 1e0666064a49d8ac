/* net/client.c - the qbdb HTTP client over libcurl: an upload (POST /runs) and a read (GET), both
 * with retries and exponential backoff, error answers mapped to qb_err. */
#include "net/client.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net/curl_dl.h"
#include "core/buf.h"
#include "core/sha256.h"

#define MAX_QUERY             ((size_t)1 << 20) /* longest query string built */
#define MAX_DELAY_MS          60000L            /* the doubling stops here */
#define MAX_RETRY_AFTER_MS    10000L            /* a server's Retry-After is honoured up to this */
#define UNAVAILABLE_BUDGET_MS 60000L /* 503s with Retry-After are retried for this long */

/* libcurl write callback: append the answer to the qb_buf in userdata, which its owner frees.
 * An answer over the buffer's cap returns 0, which stops the transfer (CURLE_WRITE_ERROR). */
static size_t on_body(char *p, size_t size, size_t n, void *userdata) {
  qb_buf *b = userdata;
  if (qb_buf_add(b, p, size * n, NULL)) return 0;
  return size * n;
}

/* libcurl header callback: keep the value of a Qbdb-Verdict header line in userdata (a buffer
 * of QB_VERDICT_HEADER_MAX bytes, cut when longer); a status line (a new answer) clears it. */
/* What on_header keeps of an answer's headers. */
typedef struct answer_headers {
  char *verdict;    /* Qbdb-Verdict (QB_VERDICT_HEADER_MAX bytes) */
  long retry_after; /* Retry-After in seconds (-1: none, or a date) */
} answer_headers;

static size_t on_header(char *p, size_t size, size_t n, void *userdata) {
  answer_headers *h = userdata;
  char *verdict = h->verdict;
  size_t len = size * n;
  static const char NAME[] = "Qbdb-Verdict:", RETRY[] = "Retry-After:";
  if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
    verdict[0] = '\0';
    h->retry_after = -1;
  } else if (len > sizeof RETRY - 1 && !strncasecmp(p, RETRY, sizeof RETRY - 1)) {
    char num[16];
    size_t i = sizeof RETRY - 1, k = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t')) i++;
    while (i < len && p[i] >= '0' && p[i] <= '9' && k + 1 < sizeof num) num[k++] = p[i++];
    num[k] = '\0';
    h->retry_after = k ? strtol(num, NULL, 10) : -1; /* delta-seconds; an HTTP date is ignored */
  } else if (len >= sizeof NAME - 1 && !strncasecmp(p, NAME, sizeof NAME - 1)) {
    size_t i = sizeof NAME - 1, k = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t')) i++;
    while (i < len && p[i] != '\r' && p[i] != '\n' && k + 1 < QB_VERDICT_HEADER_MAX)
      verdict[k++] = p[i++];
    while (k > 0 && (verdict[k - 1] == ' ' || verdict[k - 1] == '\t')) k--;
    verdict[k] = '\0';
  }
  return len;
}

/* Append "&key=ESCAPED(value)" to q (no "&" first); nothing when value is NULL. what names the
 * request in messages. The escaped copy curl allocates is freed here. */
static int add_param(const qb_curl_api *C, CURL *c, qb_buf *q, const char *what, const char *key,
                     const char *value, qb_err *err) {
  if (!value) return QB_OK;
  size_t n = strlen(value);
  if (n > INT_MAX) return qb_err_set(err, QB_EUSAGE, "%s: %s value too long", what, key);
  char *esc = C->easy_escape(c, value, (int)n);
  if (!esc) return qb_err_set(err, QB_ENOMEM, "out of memory");
  int rc = qb_buf_printf(q, err, "%s%s=%s", q->len ? "&" : "", key, esc);
  C->free(esc);
  return rc;
}

/* Build the query string of an upload into q: format, project, branch, commit, machine, one
 * tag=KEY%3DVALUE per tag in order, then the baseline options and summary. */
static int build_query(const qb_curl_api *C, CURL *c, const qb_upload_opts *o, qb_buf *q,
                       qb_err *err) {
  int rc = QB_OK;
  const char *fmt = o->format && strcmp(o->format, "auto") ? o->format : NULL;
  if ((rc = add_param(C, c, q, "upload", "format", fmt, err)) ||
      (rc = add_param(C, c, q, "upload", "project", o->project, err)) ||
      (rc = add_param(C, c, q, "upload", "branch", o->branch, err)) ||
      (rc = add_param(C, c, q, "upload", "commit", o->commit, err)) ||
      (rc = add_param(C, c, q, "upload", "machine", o->machine, err)) ||
      (rc = add_param(C, c, q, "upload", "default_machine", o->default_machine, err)))
    return rc;
  for (size_t i = 0; i < o->n_tags; i++) {
    const qb_tag *t = &o->tags[i];
    if (!t->key || !*t->key || !t->value)
      return qb_err_set(err, QB_EUSAGE, "upload: tag %zu: expected KEY=VALUE", i + 1);
    /* the value of tag= is "KEY=VALUE": escaping both halves and '=' as %3D escapes it whole */
    if ((rc = add_param(C, c, q, "upload", "tag", t->key, err)) ||
        (rc = qb_buf_adds(q, "%3D", err)))
      return rc;
    size_t n = strlen(t->value);
    char *esc = n <= INT_MAX ? C->easy_escape(c, t->value, (int)n) : NULL;
    if (!esc) return qb_err_set(err, QB_ENOMEM, "out of memory");
    rc = qb_buf_adds(q, esc, err);
    C->free(esc);
    if (rc) return rc;
  }
  if (o->base_runs < 0 || o->base_runs > QB_BASE_RUNS_MAX)
    return qb_err_set(err, QB_EUSAGE, "upload: base_runs %d: expected 1 to %d", o->base_runs,
                      QB_BASE_RUNS_MAX);
  char runs[16];
  snprintf(runs, sizeof runs, "%d", o->base_runs);
  if ((rc = add_param(C, c, q, "upload", "base", o->base_ref, err)) ||
      (rc = add_param(C, c, q, "upload", "base_branch", o->base_branch, err)) ||
      (rc = add_param(C, c, q, "upload", "base_branch_source", o->base_branch_source, err)) ||
      (rc = add_param(C, c, q, "upload", "base_commit", o->base_commit, err)) ||
      (rc = add_param(C, c, q, "upload", "base_runs", o->base_runs ? runs : NULL, err)) ||
      (rc = add_param(C, c, q, "upload", "any_machine", o->any_machine ? "true" : NULL, err)) ||
      (rc = add_param(C, c, q, "upload", "all_metrics", o->all_metrics ? "true" : NULL, err)) ||
      (rc = add_param(C, c, q, "upload", "summary", o->want_summary ? "markdown" : NULL, err)))
    return rc;
  return rc;
}

/* 1 when s holds a control character (it would break a header line). */
static int has_ctl(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) return 1;
  return 0;
}

/* Overwrite the bytes of b (a header holding the token) before they are freed. */
static void wipe(qb_buf *b) {
  volatile char *p = b->data;
  for (size_t i = 0; p && i < b->len; i++) p[i] = 0;
}

/* Append the header line to *hdrs (curl_slist_append copies it; the list is freed by the caller
 * with slist_free_all). */
static int add_header(const qb_curl_api *C, struct curl_slist **hdrs, const char *line,
                      qb_err *err) {
  struct curl_slist *h = C->slist_append(*hdrs, line);
  if (!h) return qb_err_set(err, QB_ENOMEM, "out of memory");
  *hdrs = h;
  return QB_OK;
}

/* Append `Authorization: Bearer TOKEN` to *hdrs when token is set; the line built in a scratch
 * buffer is wiped before it is freed (curl keeps its own copy). */
static int add_auth(const qb_curl_api *C, struct curl_slist **hdrs, const char *token,
                    qb_err *err) {
  if (!token || !*token) return QB_OK;
  qb_buf line;
  qb_buf_init(&line, MAX_QUERY);
  int rc = qb_buf_printf(&line, err, "Authorization: Bearer %s", token);
  if (!rc) rc = add_header(C, hdrs, line.data, err);
  wipe(&line);
  qb_buf_dispose(&line);
  return rc;
}

/* Sleep ms milliseconds (resumed after a signal). */
static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

/* 1 when a failed transfer is worth retrying: the connection could not be made or broke. */
static int transient(CURLcode cc) {
  switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return 1;
    default:
      return 0;
  }
}

/* Copy into msg (n bytes, NUL-terminated) what an error answer says: error.message of
 * {"error":{"code","message"}}, else the first line of a short plain-text body, else "". */
static void server_message(const char *body, size_t len, char *msg, size_t n) {
  msg[0] = '\0';
  if (!body || !len) return;
  json_t *a = json_loadb(body, len, 0, NULL);
  if (a) {
    json_t *e = json_object_get(a, "error");
    const char *m = json_string_value(json_object_get(e, "message"));
    if (!m) m = json_string_value(json_object_get(e, "code"));
    if (m) snprintf(msg, n, "%s", m);
    json_decref(a);
    return;
  }
  size_t k = 0;
  while (k < len && k < 200 && body[k] != '\n' && body[k] != '\r') k++;
  for (size_t i = 0; i < k; i++)
    if ((unsigned char)body[i] < 0x20) return; /* not text: say nothing */
  snprintf(msg, n, "%.*s", (int)k, body);
}

/* The code and words for a final non-2xx status (>= 400). A 400 is bad data for an upload
 * (QB_EFORMAT) and a bad argument for a read (QB_EUSAGE). */
static int status_code(long st, int read, const char **what) {
  switch (st) {
    case 400:
      *what = "bad request";
      return read ? QB_EUSAGE : QB_EFORMAT;
    case 401:
      *what = "unauthorized";
      return QB_EUSAGE;
    case 403:
      *what = "forbidden";
      return QB_EUSAGE;
    case 404:
      *what = "not found";
      return QB_ENOTFOUND;
    case 409:
      *what = "conflict";
      return QB_EUSAGE;
    case 413:
      *what = "too large";
      return QB_EFORMAT;
    case 422:
      *what = "unprocessable";
      return QB_EFORMAT;
    case 429:
      *what = "too many requests";
      return QB_EIO;
    default:
      *what = st >= 500 ? "server error" : "refused";
      return st >= 500 ? QB_EIO : QB_EUSAGE;
  }
}

/* How one request is made: the parts qb_upload and qb_http_get set differently. */
typedef struct xfer {
  const char *label; /* starts every message: "run.json: upload to URL" */
  int read;          /* a GET: 400 is QB_EUSAGE */
  int max_attempts;
  long backoff_ms, connect_timeout_ms, timeout_ms;
} xfer;

/* Make the request prepared on c (URL, headers, body already set) with retries: connection
 * failures, 429 and 5xx again after x->backoff_ms, doubled each time, x->max_attempts in all.
 * body and verdict (QB_VERDICT_HEADER_MAX bytes) hold the last answer's body and Qbdb-Verdict
 * header, *attempts and *status what happened. QB_OK for a 2xx, else the error mapped from the
 * failure or the status, with the server's message. */
static int perform(const qb_curl_api *C, CURL *c, const xfer *x, qb_buf *body, char *verdict,
                   int *attempts, long *status, qb_err *err) {
  char errbuf[CURL_ERROR_SIZE];
  int rc = QB_OK;
  CURLcode cc = CURLE_OK;
  answer_headers hd = {verdict, -1};
  if ((cc = C->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body)) ||
#if LIBCURL_VERSION_NUM >= 0x075500
      (cc = C->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https")) ||
#endif
      (cc = C->easy_setopt(c, CURLOPT_WRITEDATA, body)) ||
      (cc = C->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header)) ||
      (cc = C->easy_setopt(c, CURLOPT_HEADERDATA, &hd)) ||
      (cc = C->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf)) ||
      (cc = C->easy_setopt(c, CURLOPT_NOSIGNAL, 1L)) ||
      (cc = C->easy_setopt(c, CURLOPT_USERAGENT, "qbdb/" QB_VERSION)) ||
      (cc = C->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, x->connect_timeout_ms)) ||
      (cc = C->easy_setopt(c, CURLOPT_TIMEOUT_MS, x->timeout_ms))) {
    rc = qb_err_set(err, QB_EUSAGE, "%s: %s", x->label, C->easy_strerror(cc));
    goto done;
  }

  int max = x->max_attempts < 1 ? 1 : x->max_attempts;
  long delay = x->backoff_ms < 0 ? 0 : x->backoff_ms, st = 0, waited = 0;
  for (int attempt = 1;; attempt++) {
    qb_buf_dispose(body);
    errbuf[0] = '\0';
    verdict[0] = '\0';
    hd.retry_after = -1;
    cc = C->easy_perform(c);
    *attempts = attempt;
    st = 0;
    if (cc == CURLE_OK) C->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    *status = st;
    int retry = cc != CURLE_OK ? transient(cc) : st == 429 || st >= 500;
    /* a 503 that says when to come back (a busy server, a database restarting or failing
     * over) is waited out for up to UNAVAILABLE_BUDGET_MS in all, beyond max attempts */
    long wait = delay;
    int asked = st == 503 && hd.retry_after >= 0;
    if (asked) wait = hd.retry_after * 1000L > delay ? hd.retry_after * 1000L : delay;
    if (wait > MAX_RETRY_AFTER_MS) wait = MAX_RETRY_AFTER_MS;
    if (!retry || (attempt >= max && !(asked && waited + wait <= UNAVAILABLE_BUDGET_MS))) break;
    sleep_ms(wait);
    waited += wait;
    delay = delay > MAX_DELAY_MS / 2 ? MAX_DELAY_MS : delay * 2;
  }

  if (cc == CURLE_WRITE_ERROR) {
    rc = qb_err_set(err, QB_EIO, "%s: answer larger than %zu bytes", x->label, body->max);
  } else if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL) {
    rc = qb_err_set(err, QB_EUSAGE, "%s: not an http(s) server URL (%s)", x->label,
                    errbuf[0] ? errbuf : C->easy_strerror(cc));
  } else if (cc != CURLE_OK) {
    rc =
        qb_err_set(err, QB_EIO, "%s: %s%s after %d attempt%s", x->label,
                   transient(cc) ? "cannot reach the server: " : "",
                   errbuf[0] ? errbuf : C->easy_strerror(cc), *attempts, *attempts == 1 ? "" : "s");
  } else if (st >= 200 && st < 300) {
    rc = QB_OK;
  } else if (st < 400) {
    char *loc = NULL;
    C->easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
    rc = qb_err_set(err, QB_EIO, "%s: unexpected answer %ld%s%s", x->label, st,
                    loc ? ", redirected to " : "", loc ? loc : "");
  } else {
    const char *what;
    char msg[256];
    int code = status_code(st, x->read, &what);
    server_message(body->data, body->len, msg, sizeof msg);
    /* "unauthorized: no token" after "unauthorized (401)" would say it twice */
    size_t wl = strlen(what);
    const char *said = msg;
    if (!strncmp(msg, what, wl) && (msg[wl] == ':' || !msg[wl])) said = msg[wl] ? msg + wl + 1 : "";
    while (*said == ' ') said++;
    char tail[64] = "";
    if (st == 429 || st >= 500)
      snprintf(tail, sizeof tail, ", after %d attempt%s", *attempts, *attempts == 1 ? "" : "s");
    rc = qb_err_set(err, code, "%s: %s (%ld)%s%s%s", x->label, what, st, said[0] ? ": " : "", said,
                    tail);
  }
done:
  C->easy_setopt(c, CURLOPT_ERRORBUFFER, NULL); /* errbuf goes out of scope */
  return rc;
}

/* String member key of o, or NULL (borrowed from o). */
static const char *get_str(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

/* Number member key of o (integer or real), or dflt. */
static double get_num(const json_t *o, const char *key, double dflt) {
  const json_t *v = json_object_get(o, key);
  return json_is_number(v) ? json_number_value(v) : dflt;
}

/* Integer member key of o, or dflt. */
static int64_t get_int(const json_t *o, const char *key, int64_t dflt) {
  const json_t *v = json_object_get(o, key);
  return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* Count member key of o (a non-negative integer, or the length of an array), or 0. */
static size_t get_count(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  if (json_is_array(v)) return json_array_size(v);
  return json_is_integer(v) && json_integer_value(v) > 0 ? (size_t)json_integer_value(v) : 0;
}

/* The verdict named name (qb_verdict_name), QB_VERDICT_UNCHANGED for NULL or another word. */
static qb_verdict verdict_of(const char *name) {
  for (int v = QB_VERDICT_UNCHANGED; name && v <= QB_VERDICT_REMOVED; v++)
    if (!strcmp(name, qb_verdict_name((qb_verdict)v))) return (qb_verdict)v;
  return QB_VERDICT_UNCHANGED;
}

/* Fill out->changed from the compare's rows that are not unchanged: "changed" of the answer, or
 * the "rows" of a whole comparison. Allocates out->changed (freed by qb_upload_result_dispose). */
static int parse_changed(qb_upload_result *out, const json_t *cmp, qb_err *err) {
  const json_t *rows = json_object_get(cmp, "changed");
  if (!json_is_array(rows)) rows = json_object_get(cmp, "rows");
  size_t n = json_array_size(rows);
  if (n && !(out->changed = calloc(n, sizeof *out->changed)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const json_t *r = json_array_get(rows, i);
    qb_verdict v = verdict_of(get_str(r, "verdict"));
    if (v == QB_VERDICT_UNCHANGED) continue;
    qb_upload_change *x = &out->changed[out->n_changed++];
    x->benchmark = get_str(r, "benchmark");
    x->metric = get_str(r, "metric");
    x->unit = get_str(r, "unit");
    x->change_pct = get_num(r, "change_pct", NAN);
    const char *sev = get_str(r, "severity");
    if (!sev || qb_severity_parse(sev, &x->severity)) x->severity = QB_SEV_NONE;
    x->verdict = v;
    const json_t *p = json_object_get(r, "primary");
    x->primary = json_is_boolean(p) ? json_is_true(p) : 1;
    x->note = get_str(r, "note");
    const json_t *t = json_object_get(r, "target");
    x->target_broken = json_is_object(t) && json_is_false(json_object_get(t, "met"));
  }
  return QB_OK;
}

/* Fill out from a success answer body: takes the parsed JSON into out->answer (freed by
 * qb_upload_result_dispose) and allocates out->broken and out->changed. QB_EIO when it is not
 * the documented answer (an object with run.id). */
static int parse_answer(qb_upload_result *out, const char *where, const char *body, size_t len,
                        qb_err *err) {
  json_error_t je;
  json_t *a = json_loadb(body ? body : "", len, 0, &je);
  if (!json_is_object(a)) {
    json_decref(a);
    return qb_err_set(err, QB_EIO, "%s: answer %ld is not a JSON object (%s)", where, out->status,
                      a ? "another JSON value" : je.text);
  }
  out->answer = a;
  const json_t *run = json_object_get(a, "run");
  if (!json_is_integer(json_object_get(run, "id")))
    return qb_err_set(err, QB_EIO, "%s: answer %ld: run.id: expected an integer", where,
                      out->status);
  out->run_id = get_int(run, "id", 0);
  out->existed = json_is_true(json_object_get(a, "existed")) || out->status == 200;
  out->project = get_str(run, "project");
  out->branch = get_str(run, "branch");
  out->machine = get_str(run, "machine");
  out->commit = get_str(run, "commit");
  out->format = get_str(run, "format");
  out->n_benchmarks = get_int(run, "n_benchmarks", -1);
  out->n_results = get_int(run, "n_results", -1);
  out->n_samples = get_int(run, "n_samples", -1);

  /* compare: a summary, or a whole comparison holding one (docs/cli/compare.md) */
  const json_t *cmp = json_object_get(a, "compare");
  out->geomean_change_pct = NAN;
  out->compare_error = get_str(a, "compare_error");
  if (json_is_object(cmp)) {
    const json_t *sum = json_object_get(cmp, "summary");
    if (!json_is_object(sum)) sum = cmp;
    out->has_compare = 1;
    out->base_run_id = get_int(json_object_get(cmp, "base"), "id", get_int(cmp, "base_id", 0));
    out->regressions = get_count(sum, "regressions");
    out->improvements = get_count(sum, "improvements");
    out->unchanged = get_count(sum, "unchanged");
    out->geomean_change_pct = get_num(sum, "geomean_change_pct", NAN);
    out->other_regressions = get_count(sum, "other_regressions");
    out->noise_unknown = get_count(sum, "noise_unknown");
    out->all_metrics = json_is_true(json_object_get(sum, "all_metrics"));
    const char *w = get_str(sum, "worst_regression");
    if (!w || qb_severity_parse(w, &out->worst)) out->worst = QB_SEV_NONE;
    /* regressions without a named severity still count as the least one */
    if (out->regressions && out->worst == QB_SEV_NONE) out->worst = QB_SEV_MINOR;
    int rc = parse_changed(out, cmp, err);
    if (rc) return rc;
  }
  /* the baseline: always in the answer now; inside compare from servers before it */
  const json_t *bl = json_object_get(a, "baseline");
  if (!json_is_object(bl)) bl = json_object_get(cmp, "baseline");
  if (json_is_object(bl)) {
    out->baseline_rule = get_str(bl, "rule");
    out->baseline_reason = get_str(bl, "reason");
    out->n_baseline_runs = json_array_size(json_object_get(bl, "runs"));
  }
  out->summary_markdown = get_str(a, "summary_markdown");
  /* the change points this upload's history step recorded first ("new_changes"); a server
   * without that field gives the changes found in the run's series */
  if (json_is_integer(json_object_get(a, "new_changes"))) {
    out->n_detected = get_count(a, "new_changes");
  } else {
    out->n_detected = get_count(a, "regressions");
    if (!out->n_detected) out->n_detected = get_count(a, "changes");
  }

  const json_t *tb = json_object_get(a, "targets_broken");
  size_t nb = json_array_size(tb);
  if (nb && !(out->broken = calloc(nb, sizeof *out->broken)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; i < nb; i++) {
    const json_t *t = json_array_get(tb, i);
    qb_upload_target *x = &out->broken[out->n_broken++];
    x->benchmark = get_str(t, "benchmark");
    if (!x->benchmark) x->benchmark = get_str(t, "bench");
    x->metric = get_str(t, "metric");
    x->unit = get_str(t, "unit");
    x->op = get_str(t, "op");
    x->value = get_num(t, "value", NAN);
    x->target = get_num(t, "target", NAN);
  }

  const json_t *g = json_object_get(a, "grade");
  out->score = NAN;
  if (json_is_object(g)) {
    out->has_grade = 1;
    out->score = get_num(g, "score", NAN);
    out->letter = get_str(g, "letter");
  }
  return QB_OK;
}

/* The server URL without its trailing slashes: its length in s. */
static int server_len(const char *s) {
  size_t n = strlen(s);
  while (n > 0 && s[n - 1] == '/') n--;
  return n > INT_MAX ? INT_MAX : (int)n;
}

int qb_upload(qb_upload_result *out, const qb_upload_opts *o, const char *name, const char *data,
              size_t len, qb_err *err) {
  const qb_curl_api *C = NULL;
  CURL *c = NULL;
  struct curl_slist *hdrs = NULL;
  qb_buf query, url, line, body, label;
  int rc = QB_OK;
  qb_buf_init(&query, MAX_QUERY);
  qb_buf_init(&url, MAX_QUERY + 4096);
  qb_buf_init(&line, MAX_QUERY);
  qb_buf_init(&body, QB_UPLOAD_MAX_ANSWER);
  qb_buf_init(&label, QB_ERR_MSG_MAX);
  memset(out, 0, sizeof *out);
  out->geomean_change_pct = NAN;
  out->score = NAN;
  if (!name) name = "<data>";
  if (!o->server || !*o->server) {
    rc = qb_err_set(err, QB_EUSAGE, "%s: upload: no server URL given", name);
    goto done;
  }
  const char *where = o->server; /* named in every message */
  if (o->token && has_ctl(o->token)) {
    rc = qb_err_set(err, QB_EUSAGE, "%s: upload to %s: the token holds a control character", name,
                    where);
    goto done;
  }
  if (!(C = qb_curl(err))) {
    rc = qb_err_prefix(err, "upload");
    goto done;
  }
  if (!(c = C->easy_init())) {
    rc = qb_err_set(err, QB_ENOMEM, "upload: out of memory for a libcurl handle");
    goto done;
  }
  if ((rc = build_query(C, c, o, &query, err))) goto done;

  /* the key: sha256 over the content, a newline and the query, as lower-case hex */
  qb_sha256 sh;
  qb_sha256_init(&sh);
  qb_sha256_update(&sh, data ? data : "", len);
  qb_sha256_update(&sh, "\n", 1);
  qb_sha256_update(&sh, query.data ? query.data : "", query.len);
  qb_sha256_hex(&sh, out->idempotency_key);

  if ((rc = qb_buf_printf(&url, err, "%.*s/api/v1/runs%s%s", server_len(o->server), o->server,
                          query.len ? "?" : "", query.len ? query.data : "")))
    goto done;

  /* headers (curl_slist_append copies each line) */
  if ((rc = qb_buf_printf(&line, err, "Idempotency-Key: %s", out->idempotency_key))) goto done;
  /* A body over 1 MiB asks for "100 Continue" first: a server that refuses it on its headers
   * (a bad token: 401) answers at once and closes, and a client still sending would get a
   * reset instead of the answer; `qbdb serve` reads smaller bodies before refusing them. */
  const char *fixed[] = {
      "Content-Type: application/octet-stream", "Accept: application/json",
      len > QB_UPLOAD_EXPECT_MIN ? "Expect: 100-continue" : "Expect:", line.data};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    if ((rc = add_header(C, &hdrs, fixed[i], err))) goto done;
  if ((rc = add_auth(C, &hdrs, o->token, err))) goto done;

  CURLcode cc = CURLE_OK;
  if ((cc = C->easy_setopt(c, CURLOPT_URL, url.data)) ||
      (cc = C->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs)) ||
      (cc = C->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len)) ||
      (cc = C->easy_setopt(c, CURLOPT_POSTFIELDS, data ? data : ""))) {
    rc = qb_err_set(err, QB_EUSAGE, "%s: upload to %s: %s", name, where, C->easy_strerror(cc));
    goto done;
  }
  /* a label cut to fit a message is fine: the message is cut there anyway */
  qb_buf_printf(&label, NULL, "%.200s: upload to %.200s", name, where);
  xfer x = {label.data ? label.data : "upload",
            0,
            o->max_attempts,
            o->backoff_ms,
            o->connect_timeout_ms,
            o->timeout_ms};
  if ((rc = perform(C, c, &x, &body, out->verdict, &out->attempts, &out->status, err))) goto done;
  rc = parse_answer(out, x.label, body.data, body.len, err);
done:
  if (C) {
    C->slist_free_all(hdrs);
    C->easy_cleanup(c);
  }
  qb_buf_dispose(&label);
  qb_buf_dispose(&body);
  qb_buf_dispose(&line);
  qb_buf_dispose(&url);
  qb_buf_dispose(&query);
  return rc;
}

void qb_upload_result_dispose(qb_upload_result *r) {
  if (!r) return;
  json_decref(r->answer);
  free(r->broken);
  free(r->changed);
  memset(r, 0, sizeof *r);
  r->geomean_change_pct = NAN;
  r->score = NAN;
}

qb_severity qb_upload_worst(const qb_upload_result *r) {
  qb_severity w = r->has_compare && r->regressions ? r->worst : QB_SEV_NONE;
  if (r->n_broken && w < QB_SEV_MAJOR) w = QB_SEV_MAJOR;
  return w;
}

/* 1 when row i of r is a regression that counts: its primary metric, a broken target, or any
 * with all_metrics (service/compare.c counts the summary so). */
static int counted_regression(const qb_upload_result *r, size_t i) {
  const qb_upload_change *x = &r->changed[i];
  return x->verdict == QB_VERDICT_REGRESSION && (x->primary || x->target_broken || r->all_metrics);
}

/* 1 when changed row a comes before row b among the worst: higher severity, then the larger
 * change (a NAN change last), then the server's order. */
static int worse(const qb_upload_result *r, size_t a, size_t b) {
  const qb_upload_change *x = &r->changed[a], *y = &r->changed[b];
  if (x->severity != y->severity) return x->severity > y->severity;
  double cx = isnan(x->change_pct) ? -1 : fabs(x->change_pct);
  double cy = isnan(y->change_pct) ? -1 : fabs(y->change_pct);
  if (cx != cy) return cx > cy;
  return a < b;
}

size_t qb_upload_top_regressions(const qb_upload_result *r, const qb_upload_change **out,
                                 size_t max) {
  size_t total = 0, prev = 0;
  for (size_t i = 0; i < r->n_changed; i++) total += (size_t)counted_regression(r, i);
  /* a selection, max passes: each picks the worst row after the previous pick in the order */
  for (size_t k = 0; k < max && k < total; k++) {
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < r->n_changed; i++) {
      if (!counted_regression(r, i) || (k > 0 && !worse(r, prev, i))) continue;
      if (best == SIZE_MAX || worse(r, i, best)) best = i;
    }
    if (best == SIZE_MAX) break;
    out[k] = &r->changed[best];
    prev = best;
  }
  return total;
}

int qb_http_get(qb_http_answer *out, const qb_http_opts *o, const char *what, const char *path,
                const qb_http_arg *args, size_t n_args, qb_err *err) {
  const qb_curl_api *C = NULL;
  CURL *c = NULL;
  struct curl_slist *hdrs = NULL;
  qb_buf query, url, body, label;
  int rc = QB_OK;
  qb_buf_init(&query, MAX_QUERY);
  qb_buf_init(&url, MAX_QUERY + 4096);
  qb_buf_init(&body, QB_UPLOAD_MAX_ANSWER);
  qb_buf_init(&label, QB_ERR_MSG_MAX);
  memset(out, 0, sizeof *out);
  if (!what) what = "get";
  if (!path || path[0] != '/') {
    rc = qb_err_set(err, QB_EUSAGE, "%s: the path must start with /", what);
    goto done;
  }
  if (!o->server || !*o->server) {
    rc = qb_err_set(err, QB_EUSAGE, "%s: no server URL given", what);
    goto done;
  }
  const char *where = o->server;
  if (o->token && has_ctl(o->token)) {
    rc = qb_err_set(err, QB_EUSAGE, "%s: %s: the token holds a control character", what, where);
    goto done;
  }
  if (!(C = qb_curl(err))) {
    rc = qb_err_prefix(err, "%s", what);
    goto done;
  }
  if (!(c = C->easy_init())) {
    rc = qb_err_set(err, QB_ENOMEM, "%s: out of memory for a libcurl handle", what);
    goto done;
  }
  for (size_t i = 0; i < n_args; i++)
    if ((rc = add_param(C, c, &query, what, args[i].key, args[i].value, err))) goto done;
  if ((rc = qb_buf_printf(&url, err, "%.*s%s%s%s", server_len(o->server), o->server, path,
                          query.len ? "?" : "", query.len ? query.data : "")) ||
      (rc = add_header(C, &hdrs, "Expect:", err)) || (rc = add_auth(C, &hdrs, o->token, err)))
    goto done;
  CURLcode cc = CURLE_OK;
  if ((cc = C->easy_setopt(c, CURLOPT_URL, url.data)) ||
      (cc = C->easy_setopt(c, CURLOPT_HTTPGET, 1L)) ||
      (cc = C->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs))) {
    rc = qb_err_set(err, QB_EUSAGE, "%s: %s: %s", what, where, C->easy_strerror(cc));
    goto done;
  }
  qb_buf_printf(&label, NULL, "%.100s: GET %.100s from %.200s", what, path, where);
  xfer x = {label.data ? label.data : what,
            1,
            o->max_attempts,
            o->backoff_ms,
            o->connect_timeout_ms,
            o->timeout_ms};
  if ((rc = perform(C, c, &x, &body, out->verdict, &out->attempts, &out->status, err))) goto done;
  out->body = qb_buf_take(&body, &out->len);
  if (!out->body) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
done:
  if (C) {
    C->slist_free_all(hdrs);
    C->easy_cleanup(c);
  }
  qb_buf_dispose(&label);
  qb_buf_dispose(&body);
  qb_buf_dispose(&url);
  qb_buf_dispose(&query);
  return rc;
}

void qb_http_answer_dispose(qb_http_answer *a) {
  if (!a) return;
  free(a->body);
  memset(a, 0, sizeof *a);
}

int qb_http_verdict_parse(const char *header, size_t *regressions, qb_severity *worst,
                          size_t *improvements, qb_err *err) {
  int seen = 0; /* bits: 1 regressions, 2 worst, 4 improvements */
  const char *p = header ? header : "";
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ';') p++;
    if (!*p) break;
    size_t n = strcspn(p, ";");
    char item[64];
    snprintf(item, sizeof item, "%.*s", (int)(n < sizeof item ? n : sizeof item - 1), p);
    p += n;
    size_t k = strlen(item);
    while (k > 0 && (item[k - 1] == ' ' || item[k - 1] == '\t')) item[--k] = '\0';
    char *eq = strchr(item, '=');
    if (!eq) continue;
    *eq = '\0';
    const char *key = item, *val = eq + 1;
    if (!strcmp(key, "regressions") || !strcmp(key, "improvements")) {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(val, &end, 10);
      if (!*val || *end || *val == '-' || errno)
        return qb_err_set(err, QB_EFORMAT, "Qbdb-Verdict '%.80s': %s: expected a count", header,
                          key);
      if (key[0] == 'r') {
        *regressions = (size_t)v;
        seen |= 1;
      } else {
        *improvements = (size_t)v;
        seen |= 4;
      }
    } else if (!strcmp(key, "worst")) {
      if (qb_severity_parse(val, worst))
        return qb_err_set(err, QB_EFORMAT, "Qbdb-Verdict '%.80s': worst: expected a severity",
                          header);
      seen |= 2;
    }
  }
  if (seen != 7)
    return qb_err_set(err, QB_EFORMAT,
                      "Qbdb-Verdict '%.80s': expected regressions=N; worst=SEV; improvements=M",
                      header ? header : "");
  return QB_OK;
}
