/* core/err.h - return codes and the caller-owned error record.
 *
 * Ownership: a qb_err is owned by the caller (usually on its stack); it holds no heap memory,
 * so out-of-memory can still be reported. Fallible functions return 0 (QB_OK) or a negative
 * qb_rc and, on failure, fill the qb_err passed last. */
#ifndef QB_CORE_ERR_H
#define QB_CORE_ERR_H

#include <stddef.h>

typedef enum qb_rc {
  QB_OK = 0,
  QB_EUSAGE = -1,        /* the caller asked for something malformed (bad flag, bad reference) */
  QB_EFORMAT = -2,       /* input data is malformed or fails validation */
  QB_ENOTFOUND = -3,     /* a referenced run, file or benchmark does not exist */
  QB_EDB = -4,           /* database refused: not a qbdb file, newer schema, corrupt */
  QB_EIO = -5,           /* a file could not be read or written */
  QB_ENOMEM = -6,        /* allocation failed */
  QB_EINTERNAL = -7,     /* a bug or an unexpected library failure (e.g. SQLite) */
  QB_EEXISTS = -8,       /* the object already exists (e.g. same content ingested before) */
  QB_EREGRESSION = -9,   /* a comparison found a regression at or above the severity asked for */
  QB_EUNAVAILABLE = -10, /* the database server cannot be reached now (down, restarting, failing
                            over): the same request may succeed later (HTTP 503) */
  QB_EAUTH = -11,        /* no credentials, or unknown or revoked ones (HTTP 401) */
  QB_EFORBIDDEN = -12,   /* the credentials may not do this (HTTP 403) */
  QB_ETOOLARGE = -13,    /* a request or a value in it exceeds a limit (HTTP 413) */
  QB_EINTERRUPTED = -14  /* stopped by a signal (SIGINT, SIGTERM); resumable (qbdb bisect) */
} qb_rc;

#define QB_ERR_MSG_MAX 512

typedef struct qb_err {
  int code;                 /* a qb_rc */
  char msg[QB_ERR_MSG_MAX]; /* one line, lower case, names file, field and position */
} qb_err;

#define QB_ERR_INIT                                                                                \
  {                                                                                                \
    QB_OK, {                                                                                       \
      0                                                                                            \
    }                                                                                              \
  }

/* Record code and a printf-style message in err (which may be NULL); returns code so callers
 * can write `return qb_err_set(err, QB_EFORMAT, "...")`. Newlines in the message become spaces. */
int qb_err_set(qb_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix err's message with "prefix: " (keeps the code); returns err->code. */
int qb_err_prefix(qb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reset err to QB_OK with an empty message. */
void qb_err_clear(qb_err *err);

/* Stable lower-case name of a code ("format", "notfound", ...), for JSON errors and logs. */
const char *qb_rc_name(int code);

#endif
