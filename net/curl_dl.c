/* net/curl_dl.c - load libcurl with dlopen once per process (net/curl_dl.h). */
#include "net/curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static qb_curl_api api;
static int loaded;               /* 1 when api is complete and curl_global_init succeeded */
static char why[QB_ERR_MSG_MAX]; /* otherwise, the reason */

/* dlsym into a function-pointer slot: POSIX guarantees the object/function pointer round trip
 * for dlsym; memcpy keeps -Wpedantic quiet about the conversion. */
static int sym(void *lib, const char *name, void *slot, size_t size) {
  void *p = dlsym(lib, name);
  if (!p) {
    snprintf(why, sizeof why, "libcurl lacks %s", name);
    return -1;
  }
  memcpy(slot, &p, size);
  return 0;
}

#define SYM(field, name) sym(lib, name, &api.field, sizeof api.field)

static void load(void) {
  /* The soname the build was linked against first, then Debian's GnuTLS flavour. The handle is
   * never closed: libcurl stays loaded until the process exits. */
  static const char *const names[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};
  void *lib = NULL;
  for (size_t i = 0; !lib && i < sizeof names / sizeof names[0]; i++)
    lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *e = dlerror();
    snprintf(why, sizeof why, "cannot load libcurl (install libcurl4): %s", e ? e : "not found");
    return;
  }
  CURLcode (*global_init)(long flags) = NULL;
  if (SYM(easy_init, "curl_easy_init") || SYM(easy_cleanup, "curl_easy_cleanup") ||
      SYM(easy_setopt, "curl_easy_setopt") || SYM(easy_getinfo, "curl_easy_getinfo") ||
      SYM(easy_perform, "curl_easy_perform") || SYM(easy_strerror, "curl_easy_strerror") ||
      SYM(easy_escape, "curl_easy_escape") || SYM(free, "curl_free") ||
      SYM(slist_append, "curl_slist_append") || SYM(slist_free_all, "curl_slist_free_all") ||
      sym(lib, "curl_global_init", &global_init, sizeof global_init))
    return;
  /* curl_global_init is not thread-safe, hence pthread_once; it is never cleaned up (exit does) */
  CURLcode cc = global_init(CURL_GLOBAL_DEFAULT);
  if (cc != CURLE_OK) {
    snprintf(why, sizeof why, "libcurl initialisation failed: %s", api.easy_strerror(cc));
    return;
  }
  loaded = 1;
}

const qb_curl_api *qb_curl(qb_err *err) {
  if (pthread_once(&once, load) != 0) {
    qb_err_set(err, QB_EINTERNAL, "libcurl: pthread_once failed");
    return NULL;
  }
  if (!loaded) {
    qb_err_set(err, QB_EINTERNAL, "%s", why);
    return NULL;
  }
  return &api;
}
