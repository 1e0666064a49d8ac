/* net/notify.c - webhook notifications over libcurl (net/curl_dl.h): one POST of a JSON body,
 * retried with exponential backoff on connection errors, 429 and 5xx, the whole call bounded by
 * o->total_ms (docs/notify.md). */
#include "net/notify.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net/curl_dl.h"

#define MAX_EXCERPT     120   /* bytes of an error answer quoted in the message */
#define KEEP_ANSWER     1024  /* bytes of an answer kept (the rest is read and dropped) */
#define MAX_DELAY_MS    30000 /* the doubling of the backoff stops here */
#define MIN_ATTEMPT_MS  20    /* a retry needs at least this much time left after its wait */
#define DEFAULT_TOTAL   10000 /* total_ms <= 0 */
#define MAX_TOKEN_BYTES 4096

/* Milliseconds on the monotonic clock. */
static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep ms milliseconds (resumed after a signal). */
static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

/* The first KEEP_ANSWER bytes of an answer, in a fixed buffer; the rest is counted, not kept. */
typedef struct answer {
  char data[KEEP_ANSWER];
  size_t len;
} answer;

/* libcurl write callback: keep the start of the answer in the struct answer in userdata. */
static size_t on_body(char *p, size_t size, size_t n, void *userdata) {
  answer *a = userdata;
  size_t got = size * n, room = sizeof a->data - a->len;
  size_t k = got < room ? got : room;
  memcpy(a->data + a->len, p, k);
  a->len += k;
  return got;
}

/* 1 when a failed transfer is worth retrying: the connection could not be made, broke or timed
 * out (a timed-out attempt may have been delivered: receivers get at-least-once). */
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
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return 1;
    default:
      return 0;
  }
}

/* 1 when s holds a control character (it would break a header line). */
static int has_ctl(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) return 1;
  return 0;
}

/* Overwrite the n bytes at p (a header holding the token) before they are freed. */
static void wipe(char *p, size_t n) {
  volatile char *v = p;
  for (size_t i = 0; v && i < n; i++) v[i] = 0;
}

/* Replace every occurrence of secret (when not NULL or empty) in msg by "***" (a secret shorter
 * than that by as many '*'), in place: msg never grows. */
static void redact(char *msg, const char *secret) {
  if (!secret || !*secret) return;
  size_t sl = strlen(secret), mask = sl < 3 ? sl : 3;
  for (char *p = msg; (p = strstr(p, secret));) {
    memset(p, '*', mask);
    memmove(p + mask, p + sl, strlen(p + sl) + 1);
    p += mask;
  }
}

/* Append the bytes [p, end) to out (n bytes) at *len, as far as they fit. */
static void put(char *out, size_t n, size_t *len, const char *p, const char *end) {
  for (; p < end && *len + 1 < n; p++) out[(*len)++] = *p;
}

void qb_notify_url_display(const char *url, char *out, size_t n) {
  if (!n) return;
  out[0] = '\0';
  if (!url) return;
  const char *sep = strstr(url, "://");
  const char *auth = sep ? sep + 3 : url; /* the authority: [user[:password]@]host[:port] */
  const char *auth_end = auth + strcspn(auth, "/?#");
  const char *at = memchr(auth, '@', (size_t)(auth_end - auth));
  const char *path_end = auth_end + strcspn(auth_end, "?#");
  size_t len = 0;
  put(out, n, &len, url, auth);
  put(out, n, &len, at ? at + 1 : auth, auth_end);
  put(out, n, &len, auth_end, path_end);
  out[len] = '\0';
  for (size_t i = 0; i < len; i++) /* never a control character in a log line */
    if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) out[i] = '?';
}

/* A one-line excerpt of an answer into out (n bytes): its first line, at most MAX_EXCERPT
 * bytes, control bytes as '?'; "" for an empty answer. */
static void excerpt(const answer *a, char *out, size_t n) {
  size_t k = 0;
  while (k < a->len && k < MAX_EXCERPT && a->data[k] != '\n' && a->data[k] != '\r' && k + 1 < n) {
    unsigned char ch = (unsigned char)a->data[k];
    out[k] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    k++;
  }
  out[k] = '\0';
  if (k && k < a->len && a->data[k] != '\n' && a->data[k] != '\r' && k + 4 < n)
    memcpy(out + k, "...", 4);
}

/* "1 attempt" / "N attempts" into out (n bytes). */
static const char *attempts_words(int k, char *out, size_t n) {
  snprintf(out, n, "%d attempt%s", k, k == 1 ? "" : "s");
  return out;
}

int qb_notify_post(const qb_notify_opts *o, const char *body, size_t len, qb_notify_result *res,
                   qb_err *err) {
  const qb_curl_api *C = NULL;
  CURL *c = NULL;
  struct curl_slist *hdrs = NULL, *h;
  char *auth_line = NULL;
  size_t auth_len = 0;
  char where[256], errbuf[CURL_ERROR_SIZE], words[32];
  answer *ans = NULL;
  int rc = QB_OK;
  errbuf[0] = '\0';
  qb_notify_result local;
  if (!res) res = &local;
  memset(res, 0, sizeof *res);
  qb_notify_url_display(o ? o->url : NULL, where, sizeof where);
  const char *token = o ? o->token : NULL;
  if (!o || !o->url || !*o->url) {
    rc = qb_err_set(err, QB_EUSAGE, "notify: no URL given");
    goto done;
  }
  if (strncasecmp(o->url, "http://", 7) != 0 && strncasecmp(o->url, "https://", 8) != 0) {
    rc = qb_err_set(err, QB_EUSAGE, "notify %s: not an http(s) URL", where);
    goto done;
  }
  if (has_ctl(o->url)) {
    rc = qb_err_set(err, QB_EUSAGE, "notify %s: the URL holds a control character", where);
    goto done;
  }
  if (token && (has_ctl(token) || strlen(token) > MAX_TOKEN_BYTES)) {
    rc = qb_err_set(err, QB_EUSAGE, "notify %s: the token holds a control character or is too long",
                    where);
    goto done;
  }
  long total = o->total_ms > 0 ? o->total_ms : DEFAULT_TOTAL;
  long per = o->attempt_ms > 0 && o->attempt_ms < total ? o->attempt_ms : total;
  int max = o->max_attempts < 1 ? 1 : o->max_attempts;
  long delay = o->backoff_ms < 0 ? 0 : o->backoff_ms;
  int64_t deadline = mono_ms() + total;

  if (!(C = qb_curl(err))) {
    rc = qb_err_prefix(err, "notify %s", where);
    goto done;
  }
  if (!(ans = calloc(1, sizeof *ans)) || !(c = C->easy_init())) {
    rc = qb_err_set(err, QB_ENOMEM, "notify %s: out of memory", where);
    goto done;
  }
  const char *fixed[] = {"Content-Type: application/json", "Accept: */*", "Expect:"};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    if (!(h = C->slist_append(hdrs, fixed[i]))) {
      rc = qb_err_set(err, QB_ENOMEM, "notify %s: out of memory", where);
      goto done;
    }
    hdrs = h;
  }
  if (token && *token) {
    auth_len = strlen("Authorization: Bearer ") + strlen(token) + 1;
    if (!(auth_line = malloc(auth_len))) {
      rc = qb_err_set(err, QB_ENOMEM, "notify %s: out of memory", where);
      goto done;
    }
    snprintf(auth_line, auth_len, "Authorization: Bearer %s", token);
    h = C->slist_append(hdrs, auth_line);
    wipe(auth_line, auth_len); /* curl keeps its own copy */
    if (!h) {
      rc = qb_err_set(err, QB_ENOMEM, "notify %s: out of memory", where);
      goto done;
    }
    hdrs = h;
  }
  CURLcode cc = CURLE_OK;
  if ((cc = C->easy_setopt(c, CURLOPT_URL, o->url)) ||
      (cc = C->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs)) ||
      (cc = C->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len)) ||
      (cc = C->easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "")) ||
      (cc = C->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body)) ||
      (cc = C->easy_setopt(c, CURLOPT_WRITEDATA, ans)) ||
      (cc = C->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf)) ||
      (cc = C->easy_setopt(c, CURLOPT_NOSIGNAL, 1L)) ||
      (cc = C->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L)) ||
      (cc = C->easy_setopt(c, CURLOPT_USERAGENT, "qbdb/" QB_VERSION))) {
    rc = qb_err_set(err, QB_EUSAGE, "notify %s: %s", where, C->easy_strerror(cc));
    goto done;
  }
#if LIBCURL_VERSION_NUM >= 0x075500
  /* http and https only (the scheme was checked above; a libcurl older than 7.85 at run time
   * does not know the option, which is then left out) */
  cc = C->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (cc != CURLE_OK && cc != CURLE_UNKNOWN_OPTION) {
    rc = qb_err_set(err, QB_EUSAGE, "notify %s: %s", where, C->easy_strerror(cc));
    goto done;
  }
#endif

  long st = 0;
  int out_of_time = 0; /* stopped retrying because of total_ms */
  for (int attempt = 1;; attempt++) {
    int64_t left = deadline - mono_ms();
    if (left < 1) {
      out_of_time = 1;
      break;
    }
    long t = per < left ? per : (long)left;
    C->easy_setopt(c, CURLOPT_TIMEOUT_MS, t);
    C->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, t);
    ans->len = 0;
    errbuf[0] = '\0';
    cc = C->easy_perform(c);
    res->attempts = attempt;
    st = 0;
    if (cc == CURLE_OK) C->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    res->status = st ? st : res->status;
    int retry = cc != CURLE_OK ? transient(cc) : st == 429 || st >= 500;
    if (!retry || attempt >= max) break;
    left = deadline - mono_ms();
    if (left - delay < MIN_ATTEMPT_MS) { /* no wait past the deadline, no pointless attempt */
      out_of_time = 1;
      break;
    }
    sleep_ms(delay);
    delay = delay > MAX_DELAY_MS / 2 ? MAX_DELAY_MS : delay * 2;
  }

  char tail[96] = "";
  if (out_of_time) snprintf(tail, sizeof tail, " (time bound of %ld ms reached)", total);
  attempts_words(res->attempts, words, sizeof words);
  if (res->attempts == 0) {
    rc = qb_err_set(err, QB_EIO, "notify %s: no time left for an attempt%s", where, tail);
  } else if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL) {
    rc = qb_err_set(err, QB_EUSAGE, "notify %s: not a usable http(s) URL (%s)", where,
                    errbuf[0] ? errbuf : C->easy_strerror(cc));
  } else if (cc != CURLE_OK) {
    const char *what = cc == CURLE_OPERATION_TIMEDOUT ? "no answer"
                       : transient(cc)                ? "cannot reach the receiver"
                                                      : "failed";
    rc = qb_err_set(err, QB_EIO, "notify %s: %s: %s, after %s%s", where, what,
                    errbuf[0] ? errbuf : C->easy_strerror(cc), words, tail);
  } else if (st < 200 || st >= 300) {
    char ex[MAX_EXCERPT + 8];
    excerpt(ans, ex, sizeof ex);
    rc = qb_err_set(err, QB_EIO, "notify %s: HTTP %ld after %s%s%s%s", where, st, words, tail,
                    ex[0] ? ": " : "", ex);
  }
  if (rc && err) redact(err->msg, token);
done:
  if (C) {
    C->slist_free_all(hdrs);
    if (c) C->easy_cleanup(c);
  }
  free(auth_line);
  free(ans);
  return rc;
}
