/* api/client.c - the qbdb HTTP client over libcurl: one upload with retries and exponential
 * backoff, error answers mapped to qb_err. */
#include "api/client.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/curl_dl.h"
#include "core/buf.h"
#include "core/sha256.h"

#define MAX_QUERY    ((size_t)1 << 20) /* longest query string built */
#define MAX_DELAY_MS 60000L            /* the doubling stops here */

/* libcurl write callback: append the answer to the qb_buf in userdata, which its owner frees.
 * An answer over the buffer's cap returns 0, which stops the transfer (CURLE_WRITE_ERROR). */
static size_t on_body(char *p, size_t size, size_t n, void *userdata) {
  qb_buf *b = userdata;
  if (qb_buf_add(b, p, size * n, NULL)) return 0;
  return size * n;
}

/* Append "&key=ESCAPED(value)" to q (no "&" first); nothing when value is NULL. The escaped
 * copy curl allocates is freed here. */
static int add_param(const qb_curl_api *C, CURL *c, qb_buf *q, const char *key, const char *value,
                     qb_err *err) {
  if (!value) return QB_OK;
  size_t n = strlen(value);
  if (n > INT_MAX) return qb_err_set(err, QB_EUSAGE, "upload: %s value too long", key);
  char *esc = C->easy_escape(c, value, (int)n);
  if (!esc) return qb_err_set(err, QB_ENOMEM, "out of memory");
  int rc = qb_buf_printf(q, err, "%s%s=%s", q->len ? "&" : "", key, esc);
  C->free(esc);
  return rc;
}

/* Build the query string of an upload into q: format, project, branch, commit, machine, then
 * one tag=KEY%3DVALUE per tag, in order. */
static int build_query(const qb_curl_api *C, CURL *c, const qb_upload_opts *o, qb_buf *q,
                       qb_err *err) {
  int rc = QB_OK;
  const char *fmt = o->format && strcmp(o->format, "auto") ? o->format : NULL;
  if ((rc = add_param(C, c, q, "format", fmt, err)) ||
      (rc = add_param(C, c, q, "project", o->project, err)) ||
      (rc = add_param(C, c, q, "branch", o->branch, err)) ||
      (rc = add_param(C, c, q, "commit", o->commit, err)) ||
      (rc = add_param(C, c, q, "machine", o->machine, err)))
    return rc;
  for (size_t i = 0; i < o->n_tags; i++) {
    const qb_tag *t = &o->tags[i];
    if (!t->key || !*t->key || !t->value)
      return qb_err_set(err, QB_EUSAGE, "upload: tag %zu: expected KEY=VALUE", i + 1);
    /* the value of tag= is "KEY=VALUE": escaping both halves and '=' as %3D escapes it whole */
    if ((rc = add_param(C, c, q, "tag", t->key, err)) || (rc = qb_buf_adds(q, "%3D", err)))
      return rc;
    size_t n = strlen(t->value);
    char *esc = n <= INT_MAX ? C->easy_escape(c, t->value, (int)n) : NULL;
    if (!esc) return qb_err_set(err, QB_ENOMEM, "out of memory");
    rc = qb_buf_adds(q, esc, err);
    C->free(esc);
    if (rc) return rc;
  }
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

/* The code and words for a final non-2xx status (>= 400). */
static int status_code(long st, const char **what) {
  switch (st) {
    case 400:
      *what = "bad request";
      return QB_EFORMAT;
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

/* Fill out from a success answer body: takes the parsed JSON into out->answer (freed by
 * qb_upload_result_dispose) and allocates out->broken. QB_EIO when it is not the documented
 * answer (an object with run.id). */
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
  if (json_is_object(cmp)) {
    const json_t *sum = json_object_get(cmp, "summary");
    if (!json_is_object(sum)) sum = cmp;
    out->has_compare = 1;
    out->base_run_id = get_int(json_object_get(cmp, "base"), "id", get_int(cmp, "base_id", 0));
    out->regressions = get_count(sum, "regressions");
    out->improvements = get_count(sum, "improvements");
    out->geomean_change_pct = get_num(sum, "geomean_change_pct", NAN);
    const char *w = get_str(sum, "worst_regression");
    if (!w || qb_severity_parse(w, &out->worst)) out->worst = QB_SEV_NONE;
    /* regressions without a named severity still count as the least one */
    if (out->regressions && out->worst == QB_SEV_NONE) out->worst = QB_SEV_MINOR;
  }
  /* the change points the history step recorded: "regressions" (docs) or "changes" (a count) */
  out->n_detected = get_count(a, "regressions");
  if (!out->n_detected) out->n_detected = get_count(a, "changes");

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

int qb_upload(qb_upload_result *out, const qb_upload_opts *o, const char *name, const char *data,
              size_t len, qb_err *err) {
  const qb_curl_api *C = NULL;
  CURL *c = NULL;
  struct curl_slist *hdrs = NULL, *h;
  qb_buf query, url, line, body;
  char errbuf[CURL_ERROR_SIZE];
  int rc = QB_OK;
  qb_buf_init(&query, MAX_QUERY);
  qb_buf_init(&url, MAX_QUERY + 4096);
  qb_buf_init(&line, MAX_QUERY);
  qb_buf_init(&body, QB_UPLOAD_MAX_ANSWER);
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

  size_t slen = strlen(o->server);
  while (slen > 0 && o->server[slen - 1] == '/') slen--;
  if ((rc = qb_buf_printf(&url, err, "%.*s/api/v1/runs%s%s", (int)slen, o->server,
                          query.len ? "?" : "", query.len ? query.data : "")))
    goto done;

  /* headers (curl_slist_append copies each line) */
  if ((rc = qb_buf_printf(&line, err, "Idempotency-Key: %s", out->idempotency_key))) goto done;
  const char *fixed[] = {"Content-Type: application/octet-stream", "Accept: application/json",
                         "Expect:", line.data};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    if (!(h = C->slist_append(hdrs, fixed[i]))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    hdrs = h;
  }
  if (o->token && *o->token) {
    qb_buf_dispose(&line);
    if ((rc = qb_buf_printf(&line, err, "Authorization: Bearer %s", o->token))) goto done;
    if (!(h = C->slist_append(hdrs, line.data))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    hdrs = h;
    wipe(&line); /* curl keeps its own copy */
  }

  CURLcode cc = CURLE_OK;
  if ((cc = C->easy_setopt(c, CURLOPT_URL, url.data)) ||
#if LIBCURL_VERSION_NUM >= 0x075500
      (cc = C->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https")) ||
#endif
      (cc = C->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs)) ||
      (cc = C->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len)) ||
      (cc = C->easy_setopt(c, CURLOPT_POSTFIELDS, data ? data : "")) ||
      (cc = C->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body)) ||
      (cc = C->easy_setopt(c, CURLOPT_WRITEDATA, &body)) ||
      (cc = C->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf)) ||
      (cc = C->easy_setopt(c, CURLOPT_NOSIGNAL, 1L)) ||
      (cc = C->easy_setopt(c, CURLOPT_USERAGENT, "qbdb/" QB_VERSION)) ||
      (cc = C->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms)) ||
      (cc = C->easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms))) {
    rc = qb_err_set(err, QB_EUSAGE, "%s: upload to %s: %s", name, where, C->easy_strerror(cc));
    goto done;
  }

  int max = o->max_attempts < 1 ? 1 : o->max_attempts;
  long delay = o->backoff_ms < 0 ? 0 : o->backoff_ms, st = 0;
  for (int attempt = 1;; attempt++) {
    qb_buf_dispose(&body);
    errbuf[0] = '\0';
    cc = C->easy_perform(c);
    out->attempts = attempt;
    st = 0;
    if (cc == CURLE_OK) C->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    out->status = st;
    int retry = cc != CURLE_OK ? transient(cc) : st == 429 || st >= 500;
    if (!retry || attempt >= max) break;
    sleep_ms(delay);
    delay = delay > MAX_DELAY_MS / 2 ? MAX_DELAY_MS : delay * 2;
  }

  if (cc == CURLE_WRITE_ERROR) {
    rc = qb_err_set(err, QB_EIO, "%s: upload to %s: answer larger than %zu bytes", name, where,
                    QB_UPLOAD_MAX_ANSWER);
  } else if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL) {
    rc = qb_err_set(err, QB_EUSAGE, "%s: upload to %s: not an http(s) server URL (%s)", name, where,
                    errbuf[0] ? errbuf : C->easy_strerror(cc));
  } else if (cc != CURLE_OK) {
    rc = qb_err_set(err, QB_EIO, "%s: upload to %s: %s%s after %d attempt%s", name, where,
                    transient(cc) ? "cannot reach the server: " : "",
                    errbuf[0] ? errbuf : C->easy_strerror(cc), out->attempts,
                    out->attempts == 1 ? "" : "s");
  } else if (st >= 200 && st < 300) {
    char w[QB_ERR_MSG_MAX];
    snprintf(w, sizeof w, "%s: upload to %s", name, where);
    rc = parse_answer(out, w, body.data, body.len, err);
  } else if (st < 400) {
    char *loc = NULL;
    C->easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
    rc = qb_err_set(err, QB_EIO, "%s: upload to %s: unexpected answer %ld%s%s", name, where, st,
                    loc ? ", redirected to " : "", loc ? loc : "");
  } else {
    const char *what;
    char msg[256];
    int code = status_code(st, &what);
    server_message(body.data, body.len, msg, sizeof msg);
    /* "unauthorized: no token" after "unauthorized (401)" would say it twice */
    size_t wl = strlen(what);
    const char *said = msg;
    if (!strncmp(msg, what, wl) && (msg[wl] == ':' || !msg[wl])) said = msg[wl] ? msg + wl + 1 : "";
    while (*said == ' ') said++;
    char tail[64] = "";
    if (st == 429 || st >= 500)
      snprintf(tail, sizeof tail, ", after %d attempt%s", out->attempts,
               out->attempts == 1 ? "" : "s");
    rc = qb_err_set(err, code, "%s: upload to %s: %s (%ld)%s%s%s", name, where, what, st,
                    said[0] ? ": " : "", said, tail);
  }
done:
  if (C) {
    C->slist_free_all(hdrs);
    C->easy_cleanup(c);
  }
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
  memset(r, 0, sizeof *r);
  r->geomean_change_pct = NAN;
  r->score = NAN;
}

qb_severity qb_upload_worst(const qb_upload_result *r) {
  qb_severity w = r->has_compare && r->regressions ? r->worst : QB_SEV_NONE;
  if (r->n_broken && w < QB_SEV_MAJOR) w = QB_SEV_MAJOR;
  return w;
}
