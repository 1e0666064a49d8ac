/* tests/http_client.h - the libcurl client and server fixture of the HTTP API tests
 * (header-only, test code only; include it after <cmocka.h>).
 *
 * qbt_http sends one request to a qb_server on 127.0.0.1 and a port (with a bearer token, an
 * Idempotency-Key and a body when given) and keeps the status and body of the answer;
 * qbt_get_json reads a JSON answer; qbt_db_with_token and qbt_serve make the usual fixture: a
 * fresh database (tests/dbutil.h, so SQLite or the _pg twin's PostgreSQL) with one token, and a
 * server on it listening on a free port.
 *
 * Ownership: the caller disposes a qbt_answer's body (qb_buf_dispose) and decrefs the JSON it
 * is given. */
#ifndef QB_TESTS_HTTP_CLIENT_H
#define QB_TESTS_HTTP_CLIENT_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "http/server.h"
#include "service/auth.h"
#include "tests/dbutil.h"

typedef struct qbt_answer {
  long status; /* -1 when curl failed (qbt_http_try) */
  qb_buf body; /* up to 64 MiB, the rest dropped */
} qbt_answer;

static inline size_t qbt_on_data(char *p, size_t size, size_t n, void *ud) {
  qbt_answer *a = ud;
  qb_buf_add(&a->body, p, size * n, NULL);
  return size * n;
}

/* One request `method` to http://127.0.0.1:port followed by path, with "Authorization: Bearer
 * token" and "Idempotency-Key: idem" when they are not NULL and the len bytes of body when body
 * is not NULL (no Expect: 100-continue). Calls no cmocka function, so any thread may use it:
 * returns curl's code, a->status being -1 when that is not CURLE_OK. */
static inline CURLcode qbt_http_try(unsigned short port, const char *method, const char *path,
                                    const char *token, const char *idem, const char *body,
                                    size_t len, qbt_answer *a) {
  char url[16384], auth[160], key[160];
  snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, path);
  qb_buf_init(&a->body, (size_t)1 << 26);
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;
  if (token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  if (idem) {
    snprintf(key, sizeof key, "Idempotency-Key: %s", idem);
    h = curl_slist_append(h, key);
  }
  h = curl_slist_append(h, "Expect:");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, qbt_on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
  }
  CURLcode rc = curl_easy_perform(c);
  a->status = -1;
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return rc;
}

/* qbt_http_try, failing the test when curl fails. */
static inline void qbt_http(unsigned short port, const char *method, const char *path,
                            const char *token, const char *idem, const char *body, size_t len,
                            qbt_answer *a) {
  CURLcode rc = qbt_http_try(port, method, path, token, idem, body, len, a);
  if (rc != CURLE_OK) fail_msg("curl %s %s: %s", method, path, curl_easy_strerror(rc));
}

/* The answer's JSON (the caller decrefs), failing the test when it is not JSON. */
static inline json_t *qbt_body_json(const qbt_answer *a) {
  json_t *v = json_loads(a->body.data ? a->body.data : "", 0, NULL);
  if (!v) fail_msg("not JSON (%ld): %s", a->status, a->body.data ? a->body.data : "(empty)");
  return v;
}

/* GET path on port (with token when it is not NULL): its JSON (the caller decrefs), failing the
 * test when it is not JSON; *status is the answer's status. */
static inline json_t *qbt_get_json(unsigned short port, const char *path, const char *token,
                                   long *status) {
  qbt_answer a;
  qbt_http(port, "GET", path, token, NULL, NULL, 0, &a);
  json_t *v = json_loads(a.body.data ? a.body.data : "", 0, NULL);
  if (!v) fail_msg("GET %s: %ld, not JSON: %s", path, a.status, a.body.data ? a.body.data : "");
  *status = a.status;
  qb_buf_dispose(&a.body);
  return v;
}

/* A fresh database file in dir (qbt_db_fresh), its location copied into db (db_n bytes), with
 * one write token `name` for project, copied into tok. 0, or -1 with the error on stderr. */
static inline int qbt_db_with_token(const char *dir, const char *file, const char *name,
                                    const char *project, char *db, size_t db_n,
                                    char tok[QB_TOKEN_MAX]) {
  snprintf(db, db_n, "%s", qbt_db_fresh(dir, file));
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  int64_t id;
  if (qb_store_open(&s, db, QB_STORE_CREATE, &err) ||
      qb_token_create(s, name, project, "write", tok, &id, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  qb_store_close(s);
  return 0;
}

/* Start a server with o (port 0: a free one) into *srv and its port into *port. 0, or -1 with
 * the error on stderr. */
static inline int qbt_serve(const qb_server_opts *o, qb_server **srv, unsigned short *port) {
  qb_err err = QB_ERR_INIT;
  if (qb_server_start(srv, o, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  *port = qb_server_port(*srv);
  return 0;
}

#endif
