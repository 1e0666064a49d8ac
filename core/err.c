/* core/err.c - the qb_err record. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void flatten(char *s) {
  for (; *s; s++)
    if (*s == '\n' || *s == '\r') *s = ' ';
}

int qb_err_set(qb_err *err, int code, const char *fmt, ...) {
  if (!err) return code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  flatten(err->msg);
  err->code = code;
  return code;
}

int qb_err_prefix(qb_err *err, const char *fmt, ...) {
  if (!err) return QB_EINTERNAL;
  char pre[QB_ERR_MSG_MAX], old[QB_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(pre, sizeof pre, fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof old);
  size_t lp = strlen(pre);
  if (lp > sizeof err->msg - 3) lp = sizeof err->msg - 3;
  memcpy(err->msg, pre, lp);
  memcpy(err->msg + lp, ": ", 2);
  size_t room = sizeof err->msg - lp - 3, lo = strlen(old);
  if (lo > room) lo = room;
  memcpy(err->msg + lp + 2, old, lo);
  err->msg[lp + 2 + lo] = '\0';
  flatten(err->msg);
  return err->code;
}

void qb_err_clear(qb_err *err) {
  if (!err) return;
  err->code = QB_OK;
  err->msg[0] = '\0';
}

const char *qb_rc_name(int code) {
  switch (code) {
    case QB_OK:
      return "ok";
    case QB_EUSAGE:
      return "usage";
    case QB_EFORMAT:
      return "format";
    case QB_ENOTFOUND:
      return "not_found";
    case QB_EDB:
      return "database";
    case QB_EIO:
      return "io";
    case QB_ENOMEM:
      return "no_memory";
    case QB_EINTERNAL:
      return "internal";
    case QB_EEXISTS:
      return "exists";
    case QB_EREGRESSION:
      return "regression";
    case QB_EUNAVAILABLE:
      return "unavailable";
    case QB_EAUTH:
      return "unauthorized";
    case QB_EFORBIDDEN:
      return "forbidden";
    case QB_ETOOLARGE:
      return "too_large";
    case QB_EINTERRUPTED:
      return "interrupted";
    default:
      return "unknown";
  }
}
