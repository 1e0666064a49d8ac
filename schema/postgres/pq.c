/* schema/postgres/pq.c - load libpq with dlopen once per process (schema/postgres/pq.h). */
#include "schema/postgres/pq.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static qb_pq_api api;
static int loaded;               /* 1 when api is complete */
static char why[QB_ERR_MSG_MAX]; /* otherwise, the reason */

/* dlsym into a function-pointer slot (POSIX guarantees the round trip; memcpy keeps
 * -Wpedantic quiet about the conversion). */
static int sym(void *lib, const char *name, void *slot, size_t size) {
  void *p = dlsym(lib, name);
  if (!p) {
    snprintf(why, sizeof why, "libpq lacks %s", name);
    return -1;
  }
  memcpy(slot, &p, size);
  return 0;
}

#define SYM(field, name) sym(lib, name, &api.field, sizeof api.field)

static void load(void) {
  void *lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL); /* never closed */
  if (!lib) {
    const char *e = dlerror();
    snprintf(why, sizeof why, "cannot load libpq (install libpq5): %s", e ? e : "not found");
    return;
  }
  if (SYM(connectdb, "PQconnectdb") || SYM(finish, "PQfinish") || SYM(reset, "PQreset") ||
      SYM(consume_input, "PQconsumeInput") || SYM(status, "PQstatus") ||
      SYM(transaction_status, "PQtransactionStatus") || SYM(error_message, "PQerrorMessage") ||
      SYM(server_version, "PQserverVersion") || SYM(set_notice_processor, "PQsetNoticeProcessor") ||
      SYM(exec, "PQexec") || SYM(exec_params, "PQexecParams") || SYM(prepare, "PQprepare") ||
      SYM(exec_prepared, "PQexecPrepared") || SYM(result_status, "PQresultStatus") ||
      SYM(result_error_field, "PQresultErrorField") ||
      SYM(result_error_message, "PQresultErrorMessage") || SYM(clear, "PQclear") ||
      SYM(ntuples, "PQntuples") || SYM(nfields, "PQnfields") || SYM(ftype, "PQftype") ||
      SYM(getvalue, "PQgetvalue") || SYM(getlength, "PQgetlength") ||
      SYM(getisnull, "PQgetisnull") || SYM(cmd_tuples, "PQcmdTuples") ||
      SYM(escape_identifier, "PQescapeIdentifier") || SYM(freemem, "PQfreemem") ||
      SYM(conninfo_parse, "PQconninfoParse") || SYM(conninfo_free, "PQconninfoFree"))
    return;
  loaded = 1;
}

const qb_pq_api *qb_pq(qb_err *err) {
  if (pthread_once(&once, load) != 0) {
    qb_err_set(err, QB_EINTERNAL, "libpq: pthread_once failed");
    return NULL;
  }
  if (!loaded) {
    qb_err_set(err, QB_EDB, "%s", why);
    return NULL;
  }
  return &api;
}
