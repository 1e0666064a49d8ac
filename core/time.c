/* core/time.c - civil-date arithmetic for ISO 8601 timestamps (proleptic Gregorian, UTC). */
#include "core/time.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/err.h"

/* Days from 1970-01-01 to y-m-d. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i])) return -1;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

static int days_in_month(int y, int m) {
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dm[m - 1];
}

int qb_time_parse(const char *s, int64_t *out_us) {
  if (!s) return QB_EFORMAT;
  const char *p = s;
  int y, mo, d, h = 0, mi = 0, se = 0;
  int64_t frac = 0;
  if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
    return QB_EFORMAT;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return QB_EFORMAT;
  if (*p == 'T' || *p == ' ') {
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi)) return QB_EFORMAT;
    if (*p == ':') {
      p++;
      if (digits(&p, 2, &se)) return QB_EFORMAT;
      if (*p == '.' || *p == ',') {
        p++;
        int nd = 0;
        int64_t scale = 100000;
        if (!isdigit((unsigned char)*p)) return QB_EFORMAT;
        while (isdigit((unsigned char)*p)) {
          if (nd < 6) frac += (*p - '0') * scale;
          scale /= 10;
          nd++;
          p++;
        }
      }
    }
    if (h > 23 || mi > 59 || se > 60) return QB_EFORMAT;
  }
  int64_t off_s = 0;
  if (*p == 'Z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p == '-' ? -1 : 1, oh, om = 0;
    p++;
    if (digits(&p, 2, &oh)) return QB_EFORMAT;
    if (*p == ':') p++;
    if (isdigit((unsigned char)*p) && digits(&p, 2, &om)) return QB_EFORMAT;
    if (oh > 23 || om > 59) return QB_EFORMAT;
    off_s = sign * (oh * 3600 + om * 60);
  }
  if (*p) return QB_EFORMAT;
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off_s;
  *out_us = secs * 1000000 + frac;
  return QB_OK;
}

char *qb_time_format(int64_t us, char *out, size_t n) {
  if (us == QB_TIME_NONE) {
    if (n) out[0] = '\0';
    return out;
  }
  int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  int64_t frac = us - secs * 1000000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int64_t y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  if (frac)
    snprintf(out, n, "%04lld-%02d-%02dT%02d:%02d:%02d.%06lldZ", (long long)y, m, d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (long long)frac);
  else
    snprintf(out, n, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
  return out;
}

int64_t qb_time_now(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

int qb_time_parse_since(const char *s, int64_t now_us, int64_t *out_us) {
  /* "N" + unit: how long ago; else a timestamp */
  const char *p = s;
  if (*p >= '0' && *p <= '9') {
    char *end;
    errno = 0;
    unsigned long long n = strtoull(p, &end, 10);
    int64_t unit = 0;
    if (!strcmp(end, "s"))
      unit = 1000000LL;
    else if (!strcmp(end, "m") || !strcmp(end, "min"))
      unit = 60LL * 1000000LL;
    else if (!strcmp(end, "h"))
      unit = 3600LL * 1000000LL;
    else if (!strcmp(end, "d"))
      unit = 86400LL * 1000000LL;
    else if (!strcmp(end, "w"))
      unit = 7LL * 86400LL * 1000000LL;
    if (unit) {
      if (errno || n > (unsigned long long)(INT64_MAX / unit) || (int64_t)n * unit > now_us)
        return QB_EFORMAT;
      *out_us = now_us - (int64_t)n * unit;
      return QB_OK;
    }
  }
  return qb_time_parse(s, out_us);
}
