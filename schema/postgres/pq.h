/* schema/postgres/pq.h - libpq, loaded on first use with dlopen (docs/CONVENTIONS.md, "Libraries").
 *
 * Only a `--db postgresql://...` store needs libpq, and libpq maps OpenSSL, Kerberos and LDAP:
 * linked into the binary, every `qbdb` command and every SQLite server would carry them. So the
 * PostgreSQL backend reaches libpq through this table, filled once per process, thread-safely,
 * from libpq.so.5 (Debian's libpq5). The types and constants come from <libpq-fe.h>. */
#ifndef QB_SCHEMA_POSTGRES_PQ_H
#define QB_SCHEMA_POSTGRES_PQ_H

#include <libpq-fe.h>

#include "core/err.h"

typedef struct qb_pq_api {
  PGconn *(*connectdb)(const char *conninfo);
  void (*finish)(PGconn *c);
  void (*reset)(PGconn *c);
  int (*consume_input)(PGconn *c);
  ConnStatusType (*status)(const PGconn *c);
  PGTransactionStatusType (*transaction_status)(const PGconn *c);
  char *(*error_message)(const PGconn *c);
  int (*server_version)(const PGconn *c);
  PQnoticeProcessor (*set_notice_processor)(PGconn *c, PQnoticeProcessor proc, void *arg);
  PGresult *(*exec)(PGconn *c, const char *sql);
  PGresult *(*exec_params)(PGconn *c, const char *sql, int n, const Oid *types,
                           const char *const *values, const int *lengths, const int *formats,
                           int result_format);
  PGresult *(*prepare)(PGconn *c, const char *name, const char *sql, int n, const Oid *types);
  PGresult *(*exec_prepared)(PGconn *c, const char *name, int n, const char *const *values,
                             const int *lengths, const int *formats, int result_format);
  ExecStatusType (*result_status)(const PGresult *r);
  char *(*result_error_field)(const PGresult *r, int field);
  char *(*result_error_message)(const PGresult *r);
  void (*clear)(PGresult *r);
  int (*ntuples)(const PGresult *r);
  int (*nfields)(const PGresult *r);
  Oid (*ftype)(const PGresult *r, int col);
  char *(*getvalue)(const PGresult *r, int row, int col);
  int (*getlength)(const PGresult *r, int row, int col);
  int (*getisnull)(const PGresult *r, int row, int col);
  char *(*cmd_tuples)(PGresult *r);
  char *(*escape_identifier)(PGconn *c, const char *s, size_t n);
  void (*freemem)(void *p);
  PQconninfoOption *(*conninfo_parse)(const char *conninfo, char **errmsg);
  void (*conninfo_free)(PQconninfoOption *o);
} qb_pq_api;

/* The loaded libpq, or NULL with err set (QB_EDB: the library is not installed or lacks a
 * function). The table lives until the process exits. */
const qb_pq_api *qb_pq(qb_err *err);

#endif
