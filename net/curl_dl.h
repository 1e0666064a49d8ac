/* net/curl_dl.h - libcurl, loaded on first use with dlopen (docs/CONVENTIONS.md, "Libraries").
 *
 * Only the HTTP client (`qbdb upload`, `qbdb compare --server`, notifications) needs libcurl,
 * and libcurl pulls in OpenSSL, Kerberos, LDAP, SSH and more: linking it into the binary would
 * map all of them into `qbdb serve` too (about 3 MB of its idle RSS). So the client reaches
 * libcurl through this table, filled once per process, thread-safely, from libcurl.so.4 (or
 * libcurl-gnutls.so.4). The types and constants still come from <curl/curl.h>; response headers
 * (Qbdb-Verdict) are read with CURLOPT_HEADERFUNCTION through easy_setopt. */
#ifndef QB_NET_CURL_DL_H
#define QB_NET_CURL_DL_H

#include <curl/curl.h>

#include "core/err.h"

typedef struct qb_curl_api {
  CURL *(*easy_init)(void);
  void (*easy_cleanup)(CURL *c);
  CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
  CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
  CURLcode (*easy_perform)(CURL *c);
  const char *(*easy_strerror)(CURLcode cc);
  char *(*easy_escape)(CURL *c, const char *s, int n);
  void (*free)(void *p);
  struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
  void (*slist_free_all)(struct curl_slist *l);
} qb_curl_api;

/* The loaded and globally initialised libcurl, or NULL with err set (QB_EINTERNAL: the library
 * is not installed or lacks a function, or curl_global_init failed). The table lives until the
 * process exits. */
const qb_curl_api *qb_curl(qb_err *err);

#endif
