/* runner/qbdb_runner.c - qbr: registry, timing loop, native JSON Lines writer and command line
 * (docs/runner.md, docs/formats/native.md).
 *
 * Ownership: qbr_run builds a plan (one malloc'd qbr_inst per selected benchmark instance, with
 * its name, group and params text) and the per-sample arrays, and frees them all before it
 * returns; registered qbr_bench structs are only linked, never copied or freed. C99 + POSIX
 * (clock_gettime, getrusage, regcomp, gethostname, uname; fork, execve and waitpid for the
 * callgrind re-run); libc and libm only. Instruction counts: perf_event_open on Linux (one file
 * descriptor, open for the run), and valgrind's callgrind client requests, header-only macros
 * compiled in when <valgrind/callgrind.h> is found. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* syscall() for perf_event_open */
#endif

#include "qbdb_runner.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#endif

/* Valgrind's client requests: header-only macros, compiled in only when the headers are there. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>) && __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#include <valgrind/valgrind.h>
#define QBR_HAVE_CALLGRIND 1
#endif
#endif

/* The hardware event counted (the tests build a copy with a software event, to exercise the
 * perf_event path on machines without hardware counters). */
#ifndef QBR_PERF_TYPE
#define QBR_PERF_TYPE       PERF_TYPE_HARDWARE
#define QBR_PERF_CONFIG     PERF_COUNT_HW_INSTRUCTIONS
#define QBR_PERF_EVENT_NAME "instructions:u"
#endif

#ifdef CLOCK_MONOTONIC_RAW
#define QBR_CLOCK_ID   CLOCK_MONOTONIC_RAW
#define QBR_CLOCK_NAME "CLOCK_MONOTONIC_RAW"
#else
#define QBR_CLOCK_ID   CLOCK_MONOTONIC
#define QBR_CLOCK_NAME "CLOCK_MONOTONIC"
#endif

#define MAX_SAMPLES   10000000u /* --samples above this is refused */
#define MAX_INSTANCES 100000u   /* instances one family may expand to */

/* ---- globals (documented in the header) ---------------------------------------------------- */

static qbr_registry default_registry = QBR_REGISTRY_INIT;
const void *volatile qbr_sink;

/* The default registry, which QBR_BENCH fills and qbr_main runs. */
qbr_registry *qbr_registry_default(void) {
  return &default_registry;
}

/* An opaque call for compilers without GNU inline assembly (see qbr_clobber). */
void qbr_clobber_fallback(void) {
  const void *p = qbr_sink;
  qbr_sink = p;
}

/* ---- errors ---------------------------------------------------------------------------------- */

/* Set err (may be NULL) to code and a printf-style message; returns code. */
static int set_err(qbr_err *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* ---- a growable string buffer ---------------------------------------------------------------- */

/* Text being built; p is malloc'd (freed by sb_free). oom sticks once an allocation failed. */
typedef struct sbuf {
  char *p;
  size_t n, cap;
  int oom;
} sbuf;

/* Make room for extra more bytes plus a NUL. */
static int sb_reserve(sbuf *b, size_t extra) {
  if (b->oom) return 0;
  if (b->n + extra + 1 <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->n + extra + 1) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = 1;
    return 0;
  }
  b->p = p;
  b->cap = cap;
  return 1;
}

/* Append the n bytes at s. */
static void sb_putn(sbuf *b, const char *s, size_t n) {
  if (!sb_reserve(b, n)) return;
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

/* Append the string s. */
static void sb_puts(sbuf *b, const char *s) {
  sb_putn(b, s, strlen(s));
}

/* Append printf-style text. */
static void sb_printf(sbuf *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    sb_putn(b, tmp, (size_t)n);
    return;
  }
  if (!sb_reserve(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->n += (size_t)n;
}

/* Free b's text and empty it. */
static void sb_free(sbuf *b) {
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
  b->oom = 0;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes there are not one. */
static size_t utf8_len(const unsigned char *s) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return (s[1] & 0xc0) == 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
  }
  return 0;
}

/* Append s as a JSON string: quotes, \" \\ and control characters escaped, and every byte that
 * is not valid UTF-8 replaced by U+FFFD (JSON text must be UTF-8). */
static void sb_str(sbuf *b, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  sb_putn(b, "\"", 1);
  while (*p) {
    size_t n = utf8_len(p);
    if (n == 0) {
      sb_puts(b, "\\ufffd");
      p++;
      continue;
    }
    if (n > 1) {
      sb_putn(b, (const char *)p, n);
      p += n;
      continue;
    }
    switch (*p) {
      case '"':
        sb_puts(b, "\\\"");
        break;
      case '\\':
        sb_puts(b, "\\\\");
        break;
      case '\n':
        sb_puts(b, "\\n");
        break;
      case '\r':
        sb_puts(b, "\\r");
        break;
      case '\t':
        sb_puts(b, "\\t");
        break;
      case '\b':
        sb_puts(b, "\\b");
        break;
      case '\f':
        sb_puts(b, "\\f");
        break;
      default:
        if (*p < 0x20)
          sb_printf(b, "\\u%04x", *p);
        else
          sb_putn(b, (const char *)p, 1);
    }
    p++;
  }
  sb_putn(b, "\"", 1);
}

/* Append v with %.17g (it reads back as the same double). Whatever the locale's decimal point,
 * "." is written; a value that is not finite (never produced here) is written as 0. */
static void sb_num(sbuf *b, double v) {
  char tmp[64], out[64];
  size_t k = 0;
  int dot = 0;
  if (!isfinite(v)) v = 0;
  snprintf(tmp, sizeof tmp, "%.17g", v);
  for (const char *p = tmp; *p && k + 1 < sizeof out; p++) {
    if ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == 'e' || *p == 'E') {
      out[k++] = *p;
      dot = 0;
    } else if (!dot) { /* the radix character, maybe several bytes long */
      out[k++] = '.';
      dot = 1;
    }
  }
  sb_putn(b, out, k);
}

/* Append v in decimal. */
static void sb_u64(sbuf *b, uint64_t v) {
  sb_printf(b, "%llu", (unsigned long long)v);
}

/* Append "[v0,v1,...]". */
static void sb_array(sbuf *b, const double *v, size_t n) {
  sb_putn(b, "[", 1);
  for (size_t i = 0; i < n; i++) {
    if (i) sb_putn(b, ",", 1);
    sb_num(b, v[i]);
  }
  sb_putn(b, "]", 1);
}

/* ---- registry ------------------------------------------------------------------------------ */

/* Link b at the end of reg (NULL: the default registry). */
int qbr_register(qbr_registry *reg, qbr_bench *b, qbr_err *err) {
  if (!reg) reg = &default_registry;
  if (!b || !b->name || !*b->name || !b->fn)
    return set_err(err, QBR_EUSAGE, "qbr_register: a benchmark needs a name and a function");
  if (b->owner_ || b->next_)
    return set_err(err, QBR_EUSAGE, "qbr_register: benchmark \"%s\" is already registered",
                   b->name);
  b->owner_ = reg;
  b->next_ = NULL;
  if (reg->tail)
    reg->tail->next_ = b;
  else
    reg->head = b;
  reg->tail = b;
  reg->n++;
  return QBR_OK;
}

/* Unlink every benchmark of reg (NULL: the default registry). */
void qbr_registry_reset(qbr_registry *reg) {
  if (!reg) reg = &default_registry;
  for (qbr_bench *b = reg->head, *next; b; b = next) {
    next = b->next_;
    b->next_ = NULL;
    b->owner_ = NULL;
  }
  reg->head = reg->tail = NULL;
  reg->n = 0;
}

/* ---- the plan: benchmark instances ------------------------------------------------------- */

/* One benchmark as run: a registered benchmark, or one member of its family. */
typedef struct qbr_inst {
  const qbr_bench *bench;
  char *name;   /* full name (malloc'd) */
  char *group;  /* malloc'd, or NULL */
  char *params; /* JSON object text (malloc'd), or NULL */
  size_t n_params;
  char *pnames[QBR_MAX_PARAMS]; /* malloc'd */
  double pvals[QBR_MAX_PARAMS];
  int selected; /* matches the filter */
} qbr_inst;

/* ---- display width of a name, for the summary's columns ---------------------------------- */

/* Terminal columns of code point c: 0 for combining marks, zero-width and format characters,
 * variation selectors and Hangul medial/final jamo; 2 for East Asian wide and fullwidth ranges
 * and the emoji blocks; else 1. A compact table of the main ranges (qbdb itself uses the full
 * Unicode table in core/utf8width.c; the runner stays one file). */
static int cp_width(unsigned long c) {
  static const unsigned long ZERO[][2] = {
      {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD},  {0x0610, 0x061A}, {0x064B, 0x065F},
      {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x1160, 0x11FF},  {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},
      {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064},  {0x20D0, 0x20FF}, {0xFE00, 0xFE0F},
      {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0000, 0xE0FFF}};
  static const unsigned long WIDE[][2] = {
      {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
      {0x23F0, 0x23F0},   {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},
      {0x2648, 0x2653},   {0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
      {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},   {0x26CE, 0x26CE},
      {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
      {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
      {0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},
      {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27B0, 0x27B0},   {0x27BF, 0x27BF},
      {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
      {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
      {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
      {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4},
      {0x17000, 0x18CFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
      {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F2FF}, {0x1F300, 0x1F320},
      {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C}, {0x1F37E, 0x1F393}, {0x1F3A0, 0x1F3CA},
      {0x1F3CF, 0x1F3D3}, {0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E},
      {0x1F440, 0x1F440}, {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D}, {0x1F54B, 0x1F54E},
      {0x1F550, 0x1F567}, {0x1F57A, 0x1F57A}, {0x1F595, 0x1F596}, {0x1F5A4, 0x1F5A4},
      {0x1F5FB, 0x1F64F}, {0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2},
      {0x1F6D5, 0x1F6D7}, {0x1F6DC, 0x1F6DF}, {0x1F6EB, 0x1F6EC}, {0x1F6F4, 0x1F6FC},
      {0x1F7E0, 0x1F7EB}, {0x1F7F0, 0x1F7F0}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
      {0x1F947, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD}};
  for (size_t i = 0; i < sizeof ZERO / sizeof ZERO[0]; i++)
    if (c >= ZERO[i][0] && c <= ZERO[i][1]) return 0;
  for (size_t i = 0; i < sizeof WIDE / sizeof WIDE[0]; i++)
    if (c >= WIDE[i][0] && c <= WIDE[i][1]) return 2;
  return 1;
}

/* Terminal columns of UTF-8 text s; a byte that does not start a valid sequence counts 1. */
static size_t text_width(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t w = 0;
  while (*p) {
    unsigned long c = *p;
    int len = c < 0x80             ? 1
              : (c & 0xE0) == 0xC0 ? 2
              : (c & 0xF0) == 0xE0 ? 3
              : (c & 0xF8) == 0xF0 ? 4
                                   : 0;
    unsigned long min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    int ok = len > 0;
    if (len > 1) {
      c &= 0x7F >> len;
      for (int k = 1; ok && k < len; k++)
        if ((p[k] & 0xC0) != 0x80)
          ok = 0;
        else
          c = (c << 6) | (p[k] & 0x3F);
      ok = ok && c >= min && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF);
    }
    if (!ok) {
      w++;
      p++;
      continue;
    }
    w += (size_t)cp_width(c);
    p += len;
  }
  return w;
}

/* Spaces that pad name to width columns (0 when it is as wide or wider). */
static int name_pad(const char *name, size_t width) {
  size_t w = text_width(name);
  return w < width ? (int)(width - w) : 0;
}

/* Every instance of a registry; owns everything in it (plan_free). */
typedef struct qbr_plan {
  qbr_inst *v;
  size_t n, cap;
  size_t n_selected;
  size_t name_width; /* longest selected name, for the summary */
} qbr_plan;

/* Free every instance of the plan and the plan's array. */
static void plan_free(qbr_plan *p) {
  for (size_t i = 0; i < p->n; i++) {
    free(p->v[i].name);
    free(p->v[i].group);
    free(p->v[i].params);
    for (size_t k = 0; k < p->v[i].n_params; k++) free(p->v[i].pnames[k]);
  }
  free(p->v);
  memset(p, 0, sizeof *p);
}

/* A piece of the params spec. */
typedef struct tok {
  const char *p;
  size_t n;
} tok;

/* One parameter of a family and its values (vals malloc'd, freed by axes_free). */
typedef struct axis {
  tok name;
  tok *vals;
  size_t n_vals, cap;
} axis;

/* Free the value arrays of ax[0..n). */
static void axes_free(axis *ax, size_t n) {
  for (size_t i = 0; i < n; i++) free(ax[i].vals);
}

/* 1 for the white space a params spec may hold. */
static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* 1 when c may appear in a parameter name (first: as its first character). */
static int is_ident(char c, int first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

/* 1 for 0-9. */
static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* 1 when the n bytes at s are exactly one JSON number. */
static int is_json_number(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && s[i] == '-') i++;
  if (i < n && s[i] == '0') {
    i++;
  } else if (i < n && s[i] >= '1' && s[i] <= '9') {
    while (i < n && is_digit(s[i])) i++;
  } else {
    return 0;
  }
  if (i < n && s[i] == '.') {
    i++;
    if (i >= n || !is_digit(s[i])) return 0;
    while (i < n && is_digit(s[i])) i++;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || !is_digit(s[i])) return 0;
    while (i < n && is_digit(s[i])) i++;
  }
  return i == n;
}

/* Parse the params spec of bench b ("n=1,2; k=3") into ax[0..*n_ax); values point into the spec.
 * The arrays are freed by axes_free, also on failure. */
static int parse_spec(const qbr_bench *b, axis *ax, size_t *n_ax, qbr_err *err) {
  const char *spec = b->params, *p = spec;
  *n_ax = 0;
  for (;;) {
    while (is_space(*p)) p++;
    if (!*p) break;
    if (*n_ax == QBR_MAX_PARAMS)
      return set_err(err, QBR_EUSAGE, "%s: params \"%s\": more than %d parameters", b->name, spec,
                     QBR_MAX_PARAMS);
    axis *a = &ax[(*n_ax)++];
    memset(a, 0, sizeof *a);
    a->name.p = p;
    while (is_ident(*p, p == a->name.p)) p++;
    a->name.n = (size_t)(p - a->name.p);
    if (!a->name.n)
      return set_err(err, QBR_EUSAGE, "%s: params \"%s\": expected a parameter name at \"%s\"",
                     b->name, spec, p);
    for (size_t k = 0; k + 1 < *n_ax; k++)
      if (ax[k].name.n == a->name.n && !memcmp(ax[k].name.p, a->name.p, a->name.n))
        return set_err(err, QBR_EUSAGE, "%s: params \"%s\": parameter \"%.*s\" given twice",
                       b->name, spec, (int)a->name.n, a->name.p);
    while (is_space(*p)) p++;
    if (*p != '=')
      return set_err(err, QBR_EUSAGE, "%s: params \"%s\": expected '=' after \"%.*s\"", b->name,
                     spec, (int)a->name.n, a->name.p);
    p++;
    for (;;) {
      while (is_space(*p)) p++;
      tok v = {p, 0};
      while (*p && *p != ',' && *p != ';' && !is_space(*p)) p++;
      v.n = (size_t)(p - v.p);
      if (!v.n)
        return set_err(err, QBR_EUSAGE, "%s: params \"%s\": \"%.*s\" has an empty value", b->name,
                       spec, (int)a->name.n, a->name.p);
      if (!is_json_number(v.p, v.n) || !isfinite(strtod(v.p, NULL)))
        return set_err(err, QBR_EUSAGE, "%s: params \"%s\": \"%.*s\" is not a number", b->name,
                       spec, (int)v.n, v.p);
      if (a->n_vals == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        tok *nv = realloc(a->vals, cap * sizeof *nv);
        if (!nv) return set_err(err, QBR_ENOMEM, "out of memory");
        a->vals = nv;
        a->cap = cap;
      }
      a->vals[a->n_vals++] = v;
      while (is_space(*p)) p++;
      if (*p != ',') break;
      p++;
    }
    if (*p == ';') {
      p++;
      continue;
    }
    if (*p)
      return set_err(err, QBR_EUSAGE, "%s: params \"%s\": unexpected \"%s\"", b->name, spec, p);
  }
  if (!*n_ax) return set_err(err, QBR_EUSAGE, "%s: params \"%s\": no parameters", b->name, spec);
  return QBR_OK;
}

/* Hand over b's text (malloc'd, the caller frees it) and empty b; NULL when out of memory. */
static char *sb_take(sbuf *b) {
  if (b->oom || !b->p) {
    sb_free(b);
    return NULL;
  }
  char *p = b->p;
  b->p = NULL;
  b->n = b->cap = 0;
  return p;
}

/* A malloc'd copy of s, or NULL when out of memory. */
static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

/* Append a new zeroed instance of b to the plan; *out points to it. */
static int plan_add(qbr_plan *plan, const qbr_bench *b, qbr_inst **out, qbr_err *err) {
  if (plan->n == plan->cap) {
    size_t cap = plan->cap ? plan->cap * 2 : 16;
    qbr_inst *v = realloc(plan->v, cap * sizeof *v);
    if (!v) return set_err(err, QBR_ENOMEM, "out of memory");
    plan->v = v;
    plan->cap = cap;
  }
  *out = &plan->v[plan->n++];
  memset(*out, 0, sizeof **out);
  (*out)->bench = b;
  return QBR_OK;
}

/* Add the instances of b: one, or one per combination of its params (the first parameter varies
 * slowest). Names are "[group/]name[/p=v...]"; a family's group is its group, else its name. */
static int expand(qbr_plan *plan, const qbr_bench *b, qbr_err *err) {
  axis ax[QBR_MAX_PARAMS];
  size_t n_ax = 0, idx[QBR_MAX_PARAMS] = {0}, total = 1;
  sbuf base = {0}, nb = {0}, pb = {0};
  int rc = QBR_OK;

  if (b->group && *b->group) sb_printf(&base, "%s/", b->group);
  sb_puts(&base, b->name);
  if (base.oom) {
    rc = set_err(err, QBR_ENOMEM, "out of memory");
    goto done;
  }
  if (b->params && *b->params && (rc = parse_spec(b, ax, &n_ax, err))) goto done;
  for (size_t a = 0; a < n_ax; a++) {
    if (total > MAX_INSTANCES / ax[a].n_vals) {
      rc = set_err(err, QBR_EUSAGE, "%s: params \"%s\": more than %u combinations", b->name,
                   b->params, MAX_INSTANCES);
      goto done;
    }
    total *= ax[a].n_vals;
  }
  for (size_t i = 0; i < total; i++) {
    qbr_inst *in = NULL;
    if ((rc = plan_add(plan, b, &in, err))) goto done;
    sb_puts(&nb, base.p);
    if (n_ax) sb_putn(&pb, "{", 1);
    for (size_t a = 0; a < n_ax; a++) {
      const tok *v = &ax[a].vals[idx[a]];
      sb_printf(&nb, "/%.*s=%.*s", (int)ax[a].name.n, ax[a].name.p, (int)v->n, v->p);
      sb_printf(&pb, "%s\"%.*s\":%.*s", a ? "," : "", (int)ax[a].name.n, ax[a].name.p, (int)v->n,
                v->p);
      in->pnames[a] = malloc(ax[a].name.n + 1);
      if (in->pnames[a]) {
        memcpy(in->pnames[a], ax[a].name.p, ax[a].name.n);
        in->pnames[a][ax[a].name.n] = '\0';
        in->n_params = a + 1;
      }
      in->pvals[a] = strtod(v->p, NULL);
    }
    if (n_ax) sb_putn(&pb, "}", 1);
    if (b->group && *b->group)
      in->group = dup_str(b->group);
    else if (n_ax)
      in->group = dup_str(b->name);
    in->name = sb_take(&nb);
    if (n_ax) in->params = sb_take(&pb);
    if (!in->name || in->n_params != n_ax || (n_ax && (!in->params || !in->group)) ||
        (b->group && *b->group && !in->group)) {
      rc = set_err(err, QBR_ENOMEM, "out of memory");
      goto done;
    }
    for (size_t a = n_ax; a-- > 0;) { /* next combination, last parameter fastest */
      if (++idx[a] < ax[a].n_vals) break;
      idx[a] = 0;
    }
  }

done:
  axes_free(ax, n_ax);
  sb_free(&base);
  sb_free(&nb);
  sb_free(&pb);
  return rc;
}

/* qsort order of name pointers. */
static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Build the plan of reg and select the instances filter matches (NULL: all). Refuses a bad
 * params spec, a duplicate name, a bad regex, and a selection that is empty. */
static int plan_build(qbr_plan *plan, qbr_registry *reg, const char *filter, qbr_err *err) {
  regex_t re;
  int have_re = 0, rc = QBR_OK;
  char **names = NULL;
  memset(plan, 0, sizeof *plan);
  if (!reg) reg = &default_registry;
  for (const qbr_bench *b = reg->head; b; b = b->next_)
    if ((rc = expand(plan, b, err))) goto done;

  if (plan->n) { /* names must be unique within a run */
    if (!(names = malloc(plan->n * sizeof *names))) {
      rc = set_err(err, QBR_ENOMEM, "out of memory");
      goto done;
    }
    for (size_t i = 0; i < plan->n; i++) names[i] = plan->v[i].name;
    qsort(names, plan->n, sizeof *names, cmp_name);
    for (size_t i = 1; i < plan->n; i++)
      if (!strcmp(names[i - 1], names[i])) {
        rc = set_err(err, QBR_EUSAGE, "benchmark \"%s\" is registered twice", names[i]);
        goto done;
      }
  }

  if (filter && *filter) {
    int e = regcomp(&re, filter, REG_EXTENDED | REG_NOSUB);
    if (e) {
      char why[128];
      regerror(e, &re, why, sizeof why);
      rc = set_err(err, QBR_EUSAGE, "--filter \"%s\": %s", filter, why);
      goto done;
    }
    have_re = 1;
  }
  for (size_t i = 0; i < plan->n; i++) {
    qbr_inst *in = &plan->v[i];
    in->selected = !have_re || regexec(&re, in->name, 0, NULL, 0) == 0;
    if (!in->selected) continue;
    plan->n_selected++;
    if (text_width(in->name) > plan->name_width) plan->name_width = text_width(in->name);
  }
  if (!plan->n_selected)
    rc = plan->n ? set_err(err, QBR_EUSAGE, "no benchmark matches --filter \"%s\"", filter)
                 : set_err(err, QBR_EUSAGE, "no benchmarks are registered");

done:
  if (have_re) regfree(&re);
  free(names);
  if (rc) plan_free(plan);
  return rc;
}

/* ---- the state a body sees --------------------------------------------------------------- */

struct qbr_state {
  uint64_t iters;
  const qbr_inst *in;
  void *data;
  uint64_t bytes, items;
  int failed;
  char msg[QBR_ERR_MSG_MAX];
};

/* The accessors of the header: they read or set the instance's state. */
uint64_t qbr_iters(const qbr_state *s) {
  return s->iters;
}

const char *qbr_name(const qbr_state *s) {
  return s->in->name;
}

double qbr_param(const qbr_state *s, const char *name) {
  for (size_t i = 0; i < s->in->n_params; i++)
    if (!strcmp(s->in->pnames[i], name)) return s->in->pvals[i];
  return NAN;
}

int64_t qbr_param_int(const qbr_state *s, const char *name) {
  double v = qbr_param(s, name);
  if (!(v == v)) return 0;
  if (v >= 9223372036854775807.0) return INT64_MAX;
  if (v <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)v;
}

void *qbr_data(const qbr_state *s) {
  return s->data;
}

void qbr_set_data(qbr_state *s, void *data) {
  s->data = data;
}

void qbr_set_bytes(qbr_state *s, uint64_t bytes_per_iter) {
  s->bytes = bytes_per_iter;
}

void qbr_set_items(qbr_state *s, uint64_t items_per_iter) {
  s->items = items_per_iter;
}

void qbr_fail(qbr_state *s, const char *msg) {
  s->failed = 1;
  snprintf(s->msg, sizeof s->msg, "%s", msg && *msg ? msg : "failed");
}

/* ---- clocks and resource usage ----------------------------------------------------------- */

/* The built-in clock in ns. */
static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(QBR_CLOCK_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The configured clock in ns. */
static uint64_t now_ns(const qbr_config *cfg) {
  return cfg->clock ? cfg->clock(cfg->clock_ctx) : mono_ns();
}

/* The built-in clock's resolution: the larger of what clock_getres says and the smallest step
 * seen between two reads (which includes the cost of a read). */
static double clock_resolution_ns(void) {
  struct timespec r;
  double res = 1, step = 1e18;
  if (clock_getres(QBR_CLOCK_ID, &r) == 0) res = (double)r.tv_sec * 1e9 + (double)r.tv_nsec;
  for (int k = 0; k < 16; k++) {
    uint64_t a = mono_ns(), b = a;
    for (long tries = 0; b == a && tries < 10000000L; tries++) b = mono_ns();
    if (b > a && (double)(b - a) < step) step = (double)(b - a);
  }
  if (step < 1e18 && step > res) res = step;
  return res < 1 ? 1 : res;
}

/* A struct timeval in ns. */
static double tv_ns(struct timeval tv) {
  return (double)tv.tv_sec * 1e9 + (double)tv.tv_usec * 1e3;
}

/* Peak resident set size of the process so far, in KiB. */
static long peak_rss_kib(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
#ifdef __APPLE__
  return (long)(ru.ru_maxrss / 1024); /* bytes there */
#else
  return (long)ru.ru_maxrss;
#endif
}

/* ---- statistics for the summary ---------------------------------------------------------- */

/* qsort order of doubles. */
static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median of x[0..n), sorting x in place. */
static double median_sorted(double *x, size_t n) {
  qsort(x, n, sizeof *x, cmp_double);
  return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

/* Median and median absolute deviation of x[0..n) (n >= 1), using tmp[0..n) as scratch. */
static void median_mad(const double *x, size_t n, double *tmp, double *med, double *mad) {
  memcpy(tmp, x, n * sizeof *x);
  *med = median_sorted(tmp, n);
  for (size_t i = 0; i < n; i++) tmp[i] = fabs(x[i] - *med);
  *mad = median_sorted(tmp, n);
}

/* ---- the calibration rule ---------------------------------------------------------------- */

/* The next iteration count to try (see the header). */
uint64_t qbr_next_iters(uint64_t n, double elapsed_ns, double target_ns) {
  double next;
  if (n >= QBR_MAX_ITERS) return QBR_MAX_ITERS;
  if (elapsed_ns > target_ns / 10)
    next = ceil((double)n * target_ns * 1.2 / elapsed_ns);
  else
    next = (double)n * 10;
  if (next < (double)n + 1) next = (double)n + 1;
  if (next > (double)QBR_MAX_ITERS) next = (double)QBR_MAX_ITERS;
  return (uint64_t)next;
}

/* The instruction mode's next iteration count (see the header): 1-2-5 steps. */
uint64_t qbr_next_iters_instr(uint64_t n, double count, double target) {
  static const double STEPS[] = {1, 2, 5};
  double need = count > 0 ? (double)n * target / count : (double)n * 10;
  if (n >= QBR_MAX_ITERS) return QBR_MAX_ITERS;
  if (need < (double)n + 1) need = (double)n + 1;
  for (double p = 1; p <= (double)QBR_MAX_ITERS; p *= 10)
    for (size_t i = 0; i < 3; i++)
      if (STEPS[i] * p >= need)
        return STEPS[i] * p > (double)QBR_MAX_ITERS ? QBR_MAX_ITERS : (uint64_t)(STEPS[i] * p);
  return QBR_MAX_ITERS;
}

/* ---- instruction counters ---------------------------------------------------------------- */

#define CTR_NONE      0
#define CTR_PERF      1 /* perf_event_open: the hardware counter, user space only */
#define CTR_CALLGRIND 2 /* under valgrind's callgrind: a dump per sample */

#define PROBE_LOOPS 1000 /* the probe's loop, to see whether callgrind is collecting */

/* The instruction counter of a run: a perf_event file descriptor, or where callgrind writes its
 * dumps and how many it wrote. */
typedef struct qbr_counter {
  int kind;
  int fd;                    /* perf_event: the counter (closed by counter_close), else -1 */
  uint64_t enabled, running; /* perf_event: its times at the last read */
  size_t scaled;             /* perf_event: samples of the current benchmark scaled (multiplexed) */
  char out[1024];            /* callgrind: the dump path without its ".N" */
  unsigned long dumps;       /* callgrind: the number of the last dump */
  char tool[64];             /* callgrind: the dump's creator ("callgrind-3.19.0") */
} qbr_counter;

/* Open a disabled counter of the instructions this thread executes in user space, into *fd.
 * 0, or -1 with why set to "perf_event_open: REASON". */
static int perf_open(int *fd, char *why, size_t size) {
#if defined(__linux__) && defined(SYS_perf_event_open)
  struct perf_event_attr a;
  unsigned long flags = 0;
  long r;
  memset(&a, 0, sizeof a);
  a.type = QBR_PERF_TYPE;
  a.size = sizeof a;
  a.config = QBR_PERF_CONFIG;
  a.disabled = 1;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
#ifdef PERF_FLAG_FD_CLOEXEC
  flags = PERF_FLAG_FD_CLOEXEC;
#endif
  r = syscall(SYS_perf_event_open, &a, 0, -1, -1, flags);
  if (r < 0) {
    snprintf(why, size, "perf_event_open: %s", strerror(errno));
    return -1;
  }
  *fd = (int)r;
  return 0;
#else
  (void)fd;
  snprintf(why, size, "perf_event_open: not available on this system");
  return -1;
#endif
}

/* Zero and start the perf_event counter (just before the body's call). */
static void perf_begin(const qbr_counter *c) {
#ifdef __linux__
  ioctl(c->fd, PERF_EVENT_IOC_RESET, 0);
  ioctl(c->fd, PERF_EVENT_IOC_ENABLE, 0);
#else
  (void)c;
#endif
}

/* Stop the perf_event counter (just after the body's call). */
static void perf_end(const qbr_counter *c) {
#ifdef __linux__
  ioctl(c->fd, PERF_EVENT_IOC_DISABLE, 0);
#else
  (void)c;
#endif
}

/* Read the perf_event count since perf_begin into *count; when the kernel shared the counter
 * with other users for part of the time, the count is scaled to the whole (as perf does) and
 * the sample counted in c->scaled. */
static int perf_take(qbr_counter *c, double *count, qbr_err *err) {
  uint64_t v[3];
  errno = 0;
  if (read(c->fd, v, sizeof v) != (ssize_t)sizeof v)
    return set_err(err, QBR_EIO, "reading the instruction counter: %s",
                   errno ? strerror(errno) : "short read");
  uint64_t en = v[1] - c->enabled, run = v[2] - c->running;
  c->enabled = v[1];
  c->running = v[2];
  *count = (double)v[0];
  if (run < en) {
    if (!run) return set_err(err, QBR_EIO, "the instruction counter did not run (in use?)");
    *count = (double)v[0] * (double)en / (double)run;
    c->scaled++;
  }
  return QBR_OK;
}

#ifdef QBR_HAVE_CALLGRIND
/* Copy the string src into dst of size bytes, cut short when it does not fit. */
static void str_copy(char *dst, size_t size, const char *src) {
  size_t n = strlen(src);
  if (n >= size) n = size - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* A small fixed amount of work for the probe. */
static void probe_work(void) {
  volatile unsigned long x = 0;
  for (int i = 0; i < PROBE_LOOPS; i++) x = x + 1;
}

/* Read a callgrind dump: its instructions (Ir of the "summary:" line, else of "totals:"), its
 * creator and the text after "desc: Trigger: " (each "" when absent). 0, or -1 when the file
 * cannot be opened or has no Ir. */
static int cg_read(const char *path, double *ir, char *creator, size_t csize, char *trigger,
                   size_t tsize) {
  char line[4096];
  int col = -1, found = 0;
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  *creator = *trigger = '\0';
  while (!found && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (!strncmp(line, "creator: ", 9)) {
      str_copy(creator, csize, line + 9);
    } else if (!strncmp(line, "desc: Trigger: ", 15)) {
      str_copy(trigger, tsize, line + 15);
    } else if (!strncmp(line, "events:", 7)) { /* the column of Ir */
      char *p = line + 7;
      col = -1;
      for (int k = 0; *p; k++) {
        p += strspn(p, " \t");
        size_t l = strcspn(p, " \t");
        if (!l) break;
        if (l == 2 && !strncmp(p, "Ir", 2)) col = k;
        p += l;
      }
    } else if (col >= 0 && (!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7))) {
      char *p = strchr(line, ':') + 1, *end;
      for (int k = 0; k <= col; k++) {
        double v = strtod(p, &end);
        if (end == p) break;
        if (k == col) {
          *ir = v;
          found = 1;
        }
        p = end;
      }
    }
  }
  fclose(f);
  return found ? 0 : -1;
}

/* Make callgrind dump its counts (which zeroes them), read the instructions of the dump into
 * *count, and remove the file. Dumps are numbered from 1 in the process; c->dumps is the last. */
static int cg_dump(qbr_counter *c, double *count, qbr_err *err) {
  char tag[64], want[96], path[1100], creator[64], trigger[256];
  unsigned long k = ++c->dumps;
  snprintf(tag, sizeof tag, "qbr %lu", k);
  CALLGRIND_DUMP_STATS_AT(tag);
  snprintf(path, sizeof path, "%s.%lu", c->out, k);
  errno = 0;
  if (cg_read(path, count, creator, sizeof creator, trigger, sizeof trigger) != 0)
    return set_err(err, QBR_EIO, "callgrind dump %s: %s", path,
                   errno ? strerror(errno) : "no instruction count (Ir) in it");
  snprintf(want, sizeof want, "Client Request: %s", tag);
  if (strcmp(trigger, want) != 0)
    return set_err(err, QBR_EIO, "callgrind dump %s: made by \"%s\", not by qbr's \"%s\"", path,
                   trigger, tag);
  unlink(path);
  return QBR_OK;
}

/* Expand valgrind's %p (pid), %q{VAR} (environment) and %% in fmt into out. */
static void cg_expand(char *out, size_t size, const char *fmt) {
  size_t n = 0;
  for (const char *p = fmt; *p && n + 1 < size; p++) {
    char tmp[1024];
    const char *add = tmp;
    tmp[0] = *p;
    tmp[1] = '\0';
    if (p[0] == '%' && p[1] == 'p') {
      snprintf(tmp, sizeof tmp, "%ld", (long)getpid());
      p++;
    } else if (p[0] == '%' && p[1] == '%') {
      p++;
    } else if (p[0] == '%' && p[1] == 'q' && p[2] == '{' && strchr(p + 3, '}')) {
      size_t l = (size_t)(strchr(p + 3, '}') - (p + 3));
      snprintf(tmp, sizeof tmp, "%.*s", (int)l, p + 3);
      add = getenv(tmp) ? getenv(tmp) : "";
      p += 3 + l;
    }
    size_t l = strlen(add);
    if (l > size - 1 - n) l = size - 1 - n;
    memcpy(out + n, add, l);
    n += l;
  }
  out[n] = '\0';
}

/* Under callgrind: where its dumps go (QBR_CALLGRIND_OUT, as given to --callgrind-out-file;
 * default valgrind's callgrind.out.%p), a probe dump to find its number and check that the
 * dumps are there, and collection left off (turned off when the probe saw it on). */
static int cg_open(qbr_counter *c, qbr_err *err) {
  const char *fmt = getenv("QBR_CALLGRIND_OUT"), *slash, *base;
  char dir[1024], tag[64], want[96], path[1100], creator[64], trigger[256];
  unsigned long best = 0;
  double ir = 0, best_ir = 0;
  size_t bl;
  DIR *d;
  struct dirent *e;
  if (!fmt || !*fmt) fmt = "callgrind.out.%p";
  cg_expand(c->out, sizeof c->out, fmt);
  c->kind = CTR_CALLGRIND;
  CALLGRIND_START_INSTRUMENTATION;
  CALLGRIND_ZERO_STATS;
  probe_work();
  snprintf(tag, sizeof tag, "qbr probe %ld", (long)getpid());
  CALLGRIND_DUMP_STATS_AT(tag);
  snprintf(want, sizeof want, "Client Request: %s", tag);
  /* find the probe's number: the dumps before it may be ours or the program's */
  slash = strrchr(c->out, '/');
  base = slash ? slash + 1 : c->out;
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else if (slash == c->out)
    snprintf(dir, sizeof dir, "/");
  else
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - c->out), c->out);
  bl = strlen(base);
  if ((d = opendir(dir))) {
    while ((e = readdir(d))) {
      const char *name = e->d_name;
      char *end;
      if (strncmp(name, base, bl) || name[bl] != '.' || !is_digit(name[bl + 1])) continue;
      unsigned long k = strtoul(name + bl + 1, &end, 10);
      if (*end || k <= best) continue;
      snprintf(path, sizeof path, "%s.%lu", c->out, k);
      if (cg_read(path, &ir, creator, sizeof creator, trigger, sizeof trigger) == 0 &&
          !strcmp(trigger, want)) {
        best = k;
        best_ir = ir;
        snprintf(c->tool, sizeof c->tool, "%s", creator);
      }
    }
    closedir(d);
  }
  if (!best)
    return set_err(err, QBR_EUSAGE,
                   "--measure instructions: running under valgrind, but no callgrind dump "
                   "appeared at %s.N (not callgrind? with --callgrind-out-file=X, set "
                   "QBR_CALLGRIND_OUT=X)",
                   c->out);
  snprintf(path, sizeof path, "%s.%lu", c->out, best);
  unlink(path);
  c->dumps = best;
  if (best_ir >= PROBE_LOOPS) CALLGRIND_TOGGLE_COLLECT; /* it was collecting: now off */
  return QBR_OK;
}
#endif

/* Choose and open the counter of a run measuring instructions (measure: QBR_MEASURE_...):
 * callgrind when under valgrind, else perf_event. QBR_EUSAGE, saying why, when neither is
 * there, or for --measure both under valgrind. */
static int counter_open(qbr_counter *c, int measure, qbr_err *err) {
  char why[160];
  memset(c, 0, sizeof *c);
  c->fd = -1;
#ifdef QBR_HAVE_CALLGRIND
  if (RUNNING_ON_VALGRIND) {
    if (measure == QBR_MEASURE_BOTH)
      return set_err(err, QBR_EUSAGE,
                     "--measure both: refused under valgrind, whose times are not the "
                     "program's (use --measure instructions)");
    return cg_open(c, err);
  }
#endif
  if (perf_open(&c->fd, why, sizeof why) == 0) {
    c->kind = CTR_PERF;
    return QBR_OK;
  }
  if (measure == QBR_MEASURE_BOTH)
    return set_err(err, QBR_EUSAGE, "--measure both: no hardware instruction counter (%s)", why);
#ifdef QBR_HAVE_CALLGRIND
  return set_err(err, QBR_EUSAGE,
                 "--measure instructions: no hardware instruction counter (%s) and not running "
                 "under callgrind",
                 why);
#else
  return set_err(err, QBR_EUSAGE,
                 "--measure instructions: no hardware instruction counter (%s) and this program "
                 "was built without valgrind's headers (valgrind/callgrind.h)",
                 why);
#endif
}

/* Close the counter's file descriptor, if any. */
static void counter_close(qbr_counter *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

/* Call b's body once (st->iters iterations) and count the instructions it executes: *count. A
 * count of 0 is an error (a call executes at least its return). */
static int counted_call(qbr_counter *c, const qbr_bench *b, qbr_state *st, double *count,
                        qbr_err *err) {
  int rc;
  if (c->kind == CTR_PERF) {
    perf_begin(c);
    b->fn(st);
    perf_end(c);
    rc = perf_take(c, count, err);
  } else {
#ifdef QBR_HAVE_CALLGRIND
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
    b->fn(st);
    CALLGRIND_TOGGLE_COLLECT;
    rc = cg_dump(c, count, err);
#else
    rc = set_err(err, QBR_EUSAGE, "no instruction counter");
#endif
  }
  if (!rc && !(*count > 0))
    rc = set_err(err, QBR_EIO, "the %s counter saw no instructions in a call of the body",
                 c->kind == CTR_PERF ? "perf_event" : "callgrind");
  return rc;
}

/* Append the source of counter c's counts as JSON members: "source", and "tool" (callgrind) or
 * "event". */
static void counter_members(sbuf *b, const qbr_counter *c) {
  if (c->kind == CTR_CALLGRIND) {
    sb_puts(b, "\"source\":\"callgrind\"");
    if (*c->tool) {
      sb_puts(b, ",\"tool\":");
      sb_str(b, c->tool);
    }
    sb_puts(b, ",\"event\":\"Ir\"");
  } else {
    sb_puts(b, "\"source\":\"perf_event\",\"event\":\"" QBR_PERF_EVENT_NAME "\"");
  }
}

/* ---- run metadata ------------------------------------------------------------------------ */

/* The first of the environment variables names[] that is set and not empty, or NULL. */
static const char *env_first(const char *const *names) {
  for (; *names; names++) {
    const char *v = getenv(*names);
    if (v && *v) return v;
  }
  return NULL;
}

/* Copy into buf the value of the first line of /proc/cpuinfo whose key is one of keys (the text
 * after ':', trimmed). 1 when found. */
static int cpuinfo_value(char *buf, size_t size) {
  static const char *const keys[] = {"model name", "Hardware", "cpu model", "cpu", "Processor"};
  char line[512];
  int found = 0;
  buf[0] = '\0';
  for (size_t k = 0; k < sizeof keys / sizeof keys[0] && !found; k++) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return 0;
    size_t kl = strlen(keys[k]);
    while (!found && fgets(line, sizeof line, f)) {
      if (strncmp(line, keys[k], kl) != 0) continue;
      char *p = line + kl;
      while (*p == ' ' || *p == '\t') p++;
      if (*p != ':') continue;
      p++;
      while (*p == ' ' || *p == '\t') p++;
      size_t n = strcspn(p, "\r\n");
      while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
      if (!n) continue;
      snprintf(buf, size, "%.*s", (int)n, p);
      found = 1;
    }
    fclose(f);
  }
  return found;
}

/* The first line of a small text file into buf (trimmed); 1 when read. */
static int first_line(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int ok = fgets(buf, (int)size, f) != NULL;
  fclose(f);
  if (ok) buf[strcspn(buf, "\r\n")] = '\0';
  return ok && *buf;
}

/* A metadata value: the configured one ("" means leave it out), else the environment's. */
static const char *meta(const char *configured, const char *const *env) {
  if (configured) return *configured ? configured : NULL;
  return env_first(env);
}

/* Append the header line (line 1 of docs/formats/native.md) for cfg. */
static void header_line(sbuf *b, const qbr_config *cfg, double res_ns, const qbr_counter *c) {
  static const char *const E_PROJECT[] = {"QBR_PROJECT", NULL};
  static const char *const E_COMMIT[] = {"QBR_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA", NULL};
  static const char *const E_BRANCH[] = {"QBR_BRANCH", "GITHUB_HEAD_REF", "GITHUB_REF_NAME",
                                         "CI_COMMIT_REF_NAME", NULL};
  static const char *const E_MACHINE[] = {"QBR_MACHINE", NULL};
  const char *keys[] = {"project", "branch", "commit", "machine"};
  const char *vals[4];
  char host[256], text[512];
  struct utsname u;
  time_t now = time(NULL);
  struct tm tm;

  vals[0] = meta(cfg->project, E_PROJECT);
  vals[1] = meta(cfg->branch, E_BRANCH);
  vals[2] = meta(cfg->commit, E_COMMIT);
  vals[3] = meta(cfg->machine, E_MACHINE);
  if (!cfg->machine && !vals[3] && gethostname(host, sizeof host) == 0) {
    host[sizeof host - 1] = '\0';
    if (*host) vals[3] = host;
  }

  sb_puts(b, "{\"format\":\"qbdb-native\",\"version\":1");
  for (size_t i = 0; i < 4; i++) {
    if (!vals[i]) continue;
    sb_printf(b, ",\"%s\":", keys[i]);
    sb_str(b, vals[i]);
  }

  sb_puts(b, ",\"machine_info\":{");
  int first = 1;
  if (cpuinfo_value(text, sizeof text)) {
    sb_puts(b, "\"cpu\":");
    sb_str(b, text);
    first = 0;
  }
#ifdef _SC_NPROCESSORS_ONLN
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (cores > 0) {
    sb_printf(b, "%s\"cores\":%ld", first ? "" : ",", cores);
    first = 0;
  }
#endif
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
  if (pages > 0 && psize > 0) {
    sb_printf(b, "%s\"memory\":\"%.1f GiB\"", first ? "" : ",",
              (double)pages * (double)psize / (1024.0 * 1024.0 * 1024.0));
    first = 0;
  }
#endif
  if (uname(&u) == 0) {
    snprintf(text, sizeof text, "%s %s %s", u.sysname, u.release, u.machine);
    sb_printf(b, "%s\"os\":", first ? "" : ",");
    sb_str(b, text);
    first = 0;
  }
  if (first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", text, sizeof text)) {
    sb_printf(b, "%s\"governor\":", first ? "" : ",");
    sb_str(b, text);
  }
  sb_puts(b, "}");

  if (gmtime_r(&now, &tm)) {
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    sb_printf(b, ",\"started_at\":\"%s\"", text);
  }
  sb_puts(b, ",\"tool\":\"qbr " QBR_VERSION "\"");

  if (cfg->n_tags) { /* a later tag replaces an earlier one with the same key */
    sb_puts(b, ",\"tags\":{");
    first = 1;
    for (size_t i = 0; i < cfg->n_tags; i++) {
      const char *t = cfg->tags[i], *eq = strchr(t, '=');
      size_t kl = (size_t)(eq - t);
      int later = 0;
      for (size_t j = i + 1; j < cfg->n_tags && !later; j++)
        later = !strncmp(cfg->tags[j], t, kl) && cfg->tags[j][kl] == '=';
      if (later) continue;
      snprintf(text, sizeof text, "%.*s", (int)kl, t);
      if (!first) sb_putn(b, ",", 1);
      sb_str(b, text);
      sb_putn(b, ":", 1);
      sb_str(b, eq + 1);
      first = 0;
    }
    sb_puts(b, "}");
  }

  if (cfg->compiler && *cfg->compiler) {
    size_t n = strlen(cfg->compiler);
    while (n && cfg->compiler[n - 1] == ' ') n--;
    snprintf(text, sizeof text, "%.*s", (int)n, cfg->compiler);
    sb_puts(b, ",\"compiler\":");
    sb_str(b, text);
  }
  if (cfg->optimized >= 0) sb_printf(b, ",\"optimized\":%s", cfg->optimized ? "true" : "false");
  sb_printf(b,
            ",\"clock\":\"%s\",\"clock_resolution_ns\":", cfg->clock ? "custom" : QBR_CLOCK_NAME);
  sb_num(b, res_ns);
  if (cfg->measure != QBR_MEASURE_TIME) { /* the time mode's header stays as it was */
    sb_printf(b, ",\"measure\":\"%s\",\"counter\":{",
              cfg->measure == QBR_MEASURE_BOTH ? "both" : "instructions");
    counter_members(b, c);
    sb_puts(b, "}");
  }
  sb_puts(b, ",\"runner\":{\"samples\":");
  sb_u64(b, cfg->samples);
  sb_puts(b, ",\"warmup\":");
  sb_u64(b, cfg->warmup);
  sb_puts(b, ",\"min_sample_time_s\":");
  sb_num(b, cfg->min_sample_time);
  sb_puts(b, ",\"time_budget_s\":");
  sb_num(b, cfg->time_budget);
  sb_puts(b, ",\"iters\":");
  sb_u64(b, cfg->iters);
  if (cfg->filter && *cfg->filter) {
    sb_puts(b, ",\"filter\":");
    sb_str(b, cfg->filter);
  }
  sb_puts(b, "}}\n");
}

/* ---- the summary ------------------------------------------------------------------------- */

/* v (ns) with 4 significant digits in ns, us, ms or s. */
static void fmt_time(char *buf, size_t size, double v) {
  static const char *const units[] = {"ns", "us", "ms", "s"};
  size_t u = 0;
  while (u < 3 && fabs(v) >= 1000) {
    v /= 1000;
    u++;
  }
  snprintf(buf, size, "%.*f %s", fabs(v) < 10 ? 3 : fabs(v) < 100 ? 2 : 1, v, units[u]);
}

/* A rate with 4 significant digits: binary prefixes for bytes, decimal ones for items. */
static void fmt_rate(char *buf, size_t size, double v, int bytes) {
  static const char *const bu[] = {"B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"};
  static const char *const iu[] = {"items/s", "K items/s", "M items/s", "G items/s", "T items/s"};
  double step = bytes ? 1024 : 1000;
  size_t u = 0;
  while (u < 4 && v >= step) {
    v /= step;
    u++;
  }
  snprintf(buf, size, "%.*f %s", v < 10 ? 3 : v < 100 ? 2 : 1, v, bytes ? bu[u] : iu[u]);
}

/* An instruction count with 4 significant digits and a decimal prefix: "12.35 k instr". */
static void fmt_count(char *buf, size_t size, double v) {
  static const char *const pre[] = {"", "k ", "M ", "G ", "T "};
  size_t u = 0;
  while (u < 4 && v >= 1000) {
    v /= 1000;
    u++;
  }
  snprintf(buf, size, "%.*f %sinstr", v < 10 ? 3 : v < 100 ? 2 : 1, v, pre[u]);
}

/* ---- running one instance ---------------------------------------------------------------- */

/* What qbr_run keeps while it runs: the configuration, streams, and scratch arrays of
 * cfg->samples values each (malloc'd, freed at the end of qbr_run). */
typedef struct run_ctx {
  const qbr_config *cfg;
  FILE *out, *summary;
  double target_ns, res_ns;
  size_t width;
  double *wall, *cpu, *bps, *ips, *tmp;
  double *instr; /* instructions per iteration (measure instructions or both), else NULL */
  qbr_counter ctr;
  sbuf line;
} run_ctx;

/* Append one result line's common start: name, and group/params when with_ids. */
static void line_start(sbuf *b, const qbr_inst *in, int with_ids) {
  sb_puts(b, "{\"name\":");
  sb_str(b, in->name);
  if (with_ids && in->group) {
    sb_puts(b, ",\"group\":");
    sb_str(b, in->group);
  }
  if (with_ids && in->params) {
    sb_puts(b, ",\"params\":");
    sb_puts(b, in->params);
  }
}

static const char *const MODES[] = {"auto", "fixed", "capped"}; /* qbr_result.iters_mode */

/* Append the memory line of r. */
static void memory_line(sbuf *b, const qbr_inst *in, const qbr_result *r) {
  line_start(b, in, 0);
  sb_printf(b, ",\"metric\":\"memory\",\"unit\":\"KiB\",\"value\":%ld", r->peak_rss_kib);
  sb_printf(b, ",\"extra\":{\"source\":\"ru_maxrss\",\"peak_rss_before_kib\":%ld}}\n",
            r->peak_rss_before_kib);
}

/* Append the instructions line of r; alone (measure instructions), it is the benchmark's first
 * line, with its group, params and the sampling settings. */
static void instr_line(sbuf *b, const qbr_inst *in, const qbr_result *r, const qbr_config *cfg,
                       const qbr_counter *c, int alone) {
  line_start(b, in, alone);
  sb_puts(b, ",\"metric\":\"instructions\",\"unit\":\"1\",\"iterations\":");
  sb_u64(b, r->iters);
  sb_puts(b, ",\"samples\":");
  sb_array(b, r->instructions, r->n_samples);
  sb_puts(b, ",\"extra\":{");
  counter_members(b, c);
  if (c->scaled) sb_printf(b, ",\"scaled_samples\":%lu", (unsigned long)c->scaled);
  if (alone) {
    sb_printf(b, ",\"iters_mode\":\"%s\",\"samples_requested\":", MODES[r->iters_mode]);
    sb_u64(b, cfg->samples);
    sb_puts(b, ",\"warmup\":");
    sb_u64(b, cfg->warmup);
    sb_puts(b, ",\"min_instructions\":");
    sb_num(b, QBR_MIN_INSTR);
  }
  sb_puts(b, "}}\n");
}

/* Append the lines of a finished benchmark r (docs/runner.md, "Output"). */
static void result_lines(sbuf *b, const qbr_inst *in, const qbr_result *r, const qbr_config *cfg,
                         const qbr_counter *c) {
  if (cfg->measure == QBR_MEASURE_INSTRUCTIONS) { /* the program's own memory, not valgrind's */
    instr_line(b, in, r, cfg, c, 1);
    if (c->kind != CTR_CALLGRIND) memory_line(b, in, r);
    return;
  }
  line_start(b, in, 1);
  sb_puts(b, ",\"unit\":\"ns\",\"iterations\":");
  sb_u64(b, r->iters);
  sb_puts(b, ",\"samples\":");
  sb_array(b, r->samples, r->n_samples);
  sb_printf(b, ",\"extra\":{\"iters_mode\":\"%s\",\"samples_requested\":", MODES[r->iters_mode]);
  sb_u64(b, cfg->samples);
  sb_puts(b, ",\"warmup\":");
  sb_u64(b, cfg->warmup);
  sb_puts(b, ",\"wall_ns\":");
  sb_num(b, r->wall_ns);
  sb_puts(b, "}}\n");

  line_start(b, in, 0);
  sb_puts(b, ",\"metric\":\"cpu\",\"unit\":\"ns\",\"iterations\":");
  sb_u64(b, r->iters);
  sb_puts(b, ",\"samples\":");
  sb_array(b, r->cpu, r->n_samples);
  sb_puts(b, ",\"extra\":{\"source\":\"getrusage\",\"user_ns\":");
  sb_num(b, r->cpu_user_ns);
  sb_puts(b, ",\"sys_ns\":");
  sb_num(b, r->cpu_sys_ns);
  sb_puts(b, "}}\n");

  memory_line(b, in, r);

  if (r->bytes_per_s) {
    line_start(b, in, 0);
    sb_puts(b, ",\"metric\":\"throughput\",\"unit\":\"B/s\",\"iterations\":");
    sb_u64(b, r->iters);
    sb_puts(b, ",\"samples\":");
    sb_array(b, r->bytes_per_s, r->n_samples);
    sb_puts(b, ",\"extra\":{\"bytes_per_iter\":");
    sb_u64(b, r->bytes_per_iter);
    sb_puts(b, "}}\n");
  }
  if (r->items_per_s) {
    line_start(b, in, 0);
    sb_printf(b, ",\"metric\":\"%s\",\"unit\":\"items/s\",\"direction\":\"higher\",\"iterations\":",
              r->bytes_per_s ? "items_throughput" : "throughput");
    sb_u64(b, r->iters);
    sb_puts(b, ",\"samples\":");
    sb_array(b, r->items_per_s, r->n_samples);
    sb_puts(b, ",\"extra\":{\"items_per_iter\":");
    sb_u64(b, r->items_per_iter);
    sb_puts(b, "}}\n");
  }
  if (r->instructions) instr_line(b, in, r, cfg, c, 0);
}

/* Print the summary line of r: name, median +- MAD (as % of the median), samples x iterations,
 * and the median throughput when there is one. */
static void summary_line(run_ctx *rc, const qbr_result *r) {
  char med[32], rate[32], line[512];
  double pct = r->median > 0 ? 100 * r->mad / r->median : 0;
  size_t n;
  if (!r->samples) { /* instructions only */
    fmt_count(med, sizeof med, r->instr_median);
    pct = r->instr_median > 0 ? 100 * r->instr_mad / r->instr_median : 0;
  } else {
    fmt_time(med, sizeof med, r->median);
  }
  n = (size_t)snprintf(line, sizeof line, "%s%*s %*s +- %5.2f%%  %7lu x %-10llu", r->name,
                       name_pad(r->name, rc->width), "", r->samples ? 12 : 14, med, pct,
                       (unsigned long)r->n_samples, (unsigned long long)r->iters);
  if (r->bytes_per_s && n < sizeof line) {
    memcpy(rc->tmp, r->bytes_per_s, r->n_samples * sizeof *rc->tmp);
    fmt_rate(rate, sizeof rate, median_sorted(rc->tmp, r->n_samples), 1);
    n += (size_t)snprintf(line + n, sizeof line - n, " %s", rate);
  }
  if (r->items_per_s && n < sizeof line) {
    memcpy(rc->tmp, r->items_per_s, r->n_samples * sizeof *rc->tmp);
    fmt_rate(rate, sizeof rate, median_sorted(rc->tmp, r->n_samples), 0);
    n += (size_t)snprintf(line + n, sizeof line - n, " %s", rate);
  }
  if (r->samples && r->instructions && n < sizeof line) {
    fmt_count(rate, sizeof rate, r->instr_median);
    n += (size_t)snprintf(line + n, sizeof line - n, " %s", rate);
  }
  if (r->iters_mode == 2 && n < sizeof line)
    n += (size_t)snprintf(line + n, sizeof line - n, " (iterations capped: body optimised away?)");
  if (n >= sizeof line) n = sizeof line - 1;
  while (n && line[n - 1] == ' ') n--;
  fprintf(rc->summary, "%.*s\n", (int)n, line);
  fflush(rc->summary);
}

/* Instruction mode's calibration and samples of b (set up and warmed up): with --iters that
 * many iterations, else n from 1 up by qbr_next_iters_instr until a call executes QBR_MIN_INSTR
 * instructions; then the samples (rc->instr, per iteration) until cfg->samples or the time
 * budget. Returns n; a counter error is written to why. */
static uint64_t sample_instructions(run_ctx *rc, const qbr_bench *b, qbr_state *st, qbr_result *r,
                                    char *why, size_t size) {
  const qbr_config *cfg = rc->cfg;
  uint64_t n = cfg->iters, start, t1;
  double count = 0, budget_ns = cfg->time_budget * 1e9;
  qbr_err e = {0, ""};
  if (n) {
    r->iters_mode = 1;
  } else {
    for (n = 1;;) {
      st->iters = n;
      if (counted_call(&rc->ctr, b, st, &count, &e)) goto fail;
      if (st->failed || count >= QBR_MIN_INSTR) break;
      if (n >= QBR_MAX_ITERS) {
        r->iters_mode = 2;
        break;
      }
      n = qbr_next_iters_instr(n, count, QBR_MIN_INSTR);
    }
  }
  start = now_ns(cfg);
  for (size_t k = 0; k < cfg->samples && !st->failed; k++) {
    st->iters = n;
    if (counted_call(&rc->ctr, b, st, &count, &e)) goto fail;
    if (st->failed) break;
    rc->instr[k] = count / (double)n;
    r->n_samples = k + 1;
    t1 = now_ns(cfg);
    r->wall_ns = (double)(t1 - start);
    if (budget_ns > 0 && (double)(t1 - start) >= budget_ns) break;
  }
  return n;
fail:
  snprintf(why, size, "%s", e.msg);
  return n;
}

/* Run instance in: setup, warm-up, calibration, samples, teardown; then write its lines and
 * summary and call on_result. *failed is set (with err) when the benchmark failed; the return
 * value is an error that stops the run (output). */
static int run_one(run_ctx *rc, const qbr_inst *in, int *failed, qbr_err *err) {
  const qbr_config *cfg = rc->cfg;
  const qbr_bench *b = in->bench;
  qbr_state st;
  qbr_result r;
  struct rusage r0, r1;
  uint64_t n = cfg->iters, t0, t1, start;
  double budget_ns = cfg->time_budget * 1e9;
  char why[QBR_ERR_MSG_MAX + 32] = "";
  int ret = QBR_OK;

  memset(&st, 0, sizeof st);
  memset(&r, 0, sizeof r);
  st.in = in;
  st.data = b->data;
  *failed = 0;
  rc->ctr.scaled = 0;
  r.peak_rss_before_kib = peak_rss_kib();

  if (b->setup && (b->setup(&st) != 0 || st.failed)) {
    snprintf(why, sizeof why, "setup failed%s%s", st.failed ? ": " : "", st.failed ? st.msg : "");
    goto report;
  }
  if (cfg->warmup) {
    st.iters = cfg->warmup;
    b->fn(&st);
  }
  if (cfg->measure == QBR_MEASURE_INSTRUCTIONS) { /* calibration and samples by instructions */
    if (!st.failed) n = sample_instructions(rc, b, &st, &r, why, sizeof why);
    r.peak_rss_kib = rc->ctr.kind == CTR_CALLGRIND ? 0 : peak_rss_kib();
    goto sampled;
  }
  if (!n && !st.failed) { /* calibrate: grow n until one sample lasts target_ns */
    for (n = 1;;) {
      st.iters = n;
      t0 = now_ns(cfg);
      b->fn(&st);
      t1 = now_ns(cfg);
      if (st.failed || (double)(t1 - t0) >= rc->target_ns) break;
      if (n >= QBR_MAX_ITERS) {
        r.iters_mode = 2;
        break;
      }
      n = qbr_next_iters(n, (double)(t1 - t0), rc->target_ns);
    }
  } else if (n) {
    r.iters_mode = 1;
  }

  start = now_ns(cfg);
  for (size_t k = 0; k < cfg->samples && !st.failed; k++) {
    getrusage(RUSAGE_SELF, &r0);
    if (rc->instr) perf_begin(&rc->ctr); /* measure both: outside the clock reads */
    st.iters = n;
    t0 = now_ns(cfg);
    b->fn(&st);
    t1 = now_ns(cfg);
    if (rc->instr) perf_end(&rc->ctr);
    getrusage(RUSAGE_SELF, &r1);
    if (st.failed) break;
    if (rc->instr) {
      double count;
      qbr_err e = {0, ""};
      if (perf_take(&rc->ctr, &count, &e)) {
        snprintf(why, sizeof why, "%s", e.msg);
        break;
      }
      rc->instr[k] = count / (double)n;
    }
    double el = (double)(t1 - t0), user = tv_ns(r1.ru_utime) - tv_ns(r0.ru_utime);
    double sys = tv_ns(r1.ru_stime) - tv_ns(r0.ru_stime);
    rc->wall[k] = el / (double)n;
    rc->cpu[k] = (user + sys) / (double)n;
    r.cpu_user_ns += user;
    r.cpu_sys_ns += sys;
    r.n_samples = k + 1;
    r.wall_ns = (double)(t1 - start);
    if (budget_ns > 0 && (double)(t1 - start) >= budget_ns) break;
  }
  r.peak_rss_kib = peak_rss_kib();
  for (size_t k = 0; k < r.n_samples; k++) { /* throughput from the counts set last */
    double el = rc->wall[k] * (double)n;
    if (el < 1) el = 1; /* a clock too coarse to see the sample: at most 1 ns */
    rc->bps[k] = (double)st.bytes * 1e9 * (double)n / el;
    rc->ips[k] = (double)st.items * 1e9 * (double)n / el;
  }
sampled:
  if (st.failed) snprintf(why, sizeof why, "%s", st.msg);
  if (b->teardown) b->teardown(&st);

report:
  if (*why) {
    *failed = 1;
    set_err(err, QBR_EBENCH, "%s: %s", in->name, why);
    if (rc->summary) {
      fprintf(rc->summary, "%s%*s FAILED: %s\n", in->name, name_pad(in->name, rc->width), "", why);
      fflush(rc->summary);
    }
    return QBR_OK;
  }
  r.name = in->name;
  r.group = in->group;
  r.params = in->params;
  r.iters = n;
  r.bytes_per_iter = st.bytes;
  r.items_per_iter = st.items;
  if (cfg->measure != QBR_MEASURE_INSTRUCTIONS) {
    r.samples = rc->wall;
    r.cpu = rc->cpu;
    r.bytes_per_s = st.bytes ? rc->bps : NULL;
    r.items_per_s = st.items ? rc->ips : NULL;
    median_mad(rc->wall, r.n_samples, rc->tmp, &r.median, &r.mad);
  }
  if (rc->instr) {
    r.instructions = rc->instr;
    r.instr_source = rc->ctr.kind == CTR_CALLGRIND ? "callgrind" : "perf_event";
    median_mad(rc->instr, r.n_samples, rc->tmp, &r.instr_median, &r.instr_mad);
  }

  if (rc->out) {
    rc->line.n = 0;
    result_lines(&rc->line, in, &r, cfg, &rc->ctr);
    if (rc->line.oom) return set_err(err, QBR_ENOMEM, "out of memory");
    if (fwrite(rc->line.p, 1, rc->line.n, rc->out) != rc->line.n || fflush(rc->out) != 0)
      ret = set_err(err, QBR_EIO, "writing the results of %s: %s", in->name, strerror(errno));
  }
  if (rc->summary) summary_line(rc, &r);
  if (cfg->on_result) cfg->on_result(&r, cfg->on_result_ctx);
  return ret;
}

/* Refuse a configuration qbr_run cannot follow. */
static int check_config(const qbr_config *cfg, qbr_err *err) {
  if (cfg->samples < 1 || cfg->samples > MAX_SAMPLES)
    return set_err(err, QBR_EUSAGE, "--samples %lu: expected 1 to %u", (unsigned long)cfg->samples,
                   MAX_SAMPLES);
  if (!(cfg->time_budget >= 0) || !isfinite(cfg->time_budget))
    return set_err(err, QBR_EUSAGE, "--time-budget: expected a number of seconds >= 0");
  if (!(cfg->min_sample_time >= 0) || !isfinite(cfg->min_sample_time))
    return set_err(err, QBR_EUSAGE, "--min-time: expected a number of seconds >= 0");
  if (cfg->iters > QBR_MAX_ITERS)
    return set_err(err, QBR_EUSAGE, "--iters: at most %llu", (unsigned long long)QBR_MAX_ITERS);
  if (cfg->measure < QBR_MEASURE_TIME || cfg->measure > QBR_MEASURE_BOTH)
    return set_err(err, QBR_EUSAGE, "--measure: expected time, instructions or both");
  if (cfg->n_tags > QBR_MAX_TAGS) return set_err(err, QBR_EUSAGE, "at most %d tags", QBR_MAX_TAGS);
  for (size_t i = 0; i < cfg->n_tags; i++) {
    const char *eq = cfg->tags[i] ? strchr(cfg->tags[i], '=') : NULL;
    if (!eq || eq == cfg->tags[i])
      return set_err(err, QBR_EUSAGE, "--tag \"%s\": expected KEY=VALUE",
                     cfg->tags[i] ? cfg->tags[i] : "");
  }
  return QBR_OK;
}

/* Run the selected benchmarks (see the header). Allocates the plan and sample arrays and
 * frees them before returning. */
int qbr_run(qbr_registry *reg, const qbr_config *cfg, qbr_err *err) {
  qbr_plan plan = {0};
  run_ctx rc;
  qbr_err first = {0, ""};
  int ret, n_failed = 0, close_out = 0;

  memset(&rc, 0, sizeof rc);
  rc.cfg = cfg;
  rc.summary = cfg->summary;
  rc.ctr.fd = -1;
  if ((ret = check_config(cfg, err))) return ret;
  if ((ret = plan_build(&plan, reg, cfg->filter, err))) return ret;
  size_t ns = cfg->samples;
  rc.wall = malloc(ns * sizeof *rc.wall);
  rc.cpu = malloc(ns * sizeof *rc.cpu);
  rc.bps = malloc(ns * sizeof *rc.bps);
  rc.ips = malloc(ns * sizeof *rc.ips);
  rc.tmp = malloc(ns * sizeof *rc.tmp);
  if (cfg->measure != QBR_MEASURE_TIME) rc.instr = malloc(ns * sizeof *rc.instr);
  if (!rc.wall || !rc.cpu || !rc.bps || !rc.ips || !rc.tmp ||
      (cfg->measure != QBR_MEASURE_TIME && !rc.instr)) {
    ret = set_err(err, QBR_ENOMEM, "out of memory for %lu samples", (unsigned long)ns);
    goto done;
  }
  /* the instruction counter, before anything is written */
  if (cfg->measure != QBR_MEASURE_TIME && (ret = counter_open(&rc.ctr, cfg->measure, err)))
    goto done;
  rc.res_ns = cfg->clock ? 1 : clock_resolution_ns();
  rc.target_ns = cfg->min_sample_time * 1e9;
  if (rc.target_ns < 1000 * rc.res_ns) rc.target_ns = 1000 * rc.res_ns;
  rc.width = plan.name_width < 24 ? 24 : plan.name_width > 60 ? 60 : plan.name_width;

  if (cfg->out_path && strcmp(cfg->out_path, "-") != 0) {
    if (!(rc.out = fopen(cfg->out_path, "w"))) {
      ret = set_err(err, QBR_EIO, "%s: %s", cfg->out_path, strerror(errno));
      goto done;
    }
    close_out = 1;
  } else if (cfg->out_path) {
    rc.out = stdout;
  } else {
    rc.out = cfg->out;
  }
  if (rc.out) {
    header_line(&rc.line, cfg, rc.res_ns, &rc.ctr);
    if (rc.line.oom) {
      ret = set_err(err, QBR_ENOMEM, "out of memory");
      goto done;
    }
    if (fwrite(rc.line.p, 1, rc.line.n, rc.out) != rc.line.n || fflush(rc.out) != 0) {
      ret = set_err(err, QBR_EIO, "%s: %s", cfg->out_path ? cfg->out_path : "output",
                    strerror(errno));
      goto done;
    }
  }
  if (rc.summary) {
    fprintf(rc.summary, "%-*s %*s %10s  %7s x %s\n", (int)rc.width, "benchmark",
            cfg->measure == QBR_MEASURE_INSTRUCTIONS ? 14 : 12, "median", "MAD", "samples",
            "iterations");
    fflush(rc.summary);
  }

  for (size_t i = 0; i < plan.n; i++) {
    qbr_err e = {0, ""};
    int failed;
    if (!plan.v[i].selected) continue;
    if ((ret = run_one(&rc, &plan.v[i], &failed, &e))) {
      if (err) *err = e;
      goto done;
    }
    if (failed && !n_failed++) first = e;
  }
  if (n_failed) {
    ret = QBR_EBENCH;
    if (err) {
      *err = first;
      if (n_failed > 1) {
        size_t l = strlen(err->msg);
        snprintf(err->msg + l, sizeof err->msg - l, " (and %d more failed)", n_failed - 1);
      }
    }
  }

done:
  if (close_out && fclose(rc.out) != 0 && !ret)
    ret = set_err(err, QBR_EIO, "%s: %s", cfg->out_path, strerror(errno));
  counter_close(&rc.ctr);
  sb_free(&rc.line);
  free(rc.instr);
  free(rc.wall);
  free(rc.cpu);
  free(rc.bps);
  free(rc.ips);
  free(rc.tmp);
  plan_free(&plan);
  return ret;
}

/* Refuse what qbr_run would refuse before running anything: the configuration and the plan. */
static int run_check(qbr_registry *reg, const qbr_config *cfg, qbr_err *err) {
  qbr_plan plan;
  int rc = check_config(cfg, err);
  if (!rc && !(rc = plan_build(&plan, reg, cfg->filter, err))) plan_free(&plan);
  return rc;
}

/* Print the selected names (see the header). */
int qbr_list(qbr_registry *reg, const qbr_config *cfg, FILE *f, qbr_err *err) {
  qbr_plan plan;
  int rc = plan_build(&plan, reg, cfg ? cfg->filter : NULL, err);
  if (rc) return rc;
  for (size_t i = 0; i < plan.n; i++)
    if (plan.v[i].selected) fprintf(f, "%s\n", plan.v[i].name);
  if (fflush(f) != 0) rc = set_err(err, QBR_EIO, "writing the list: %s", strerror(errno));
  plan_free(&plan);
  return rc;
}

/* ---- the command line -------------------------------------------------------------------- */

static const char USAGE[] =
    "usage: PROGRAM [--filter REGEX] [--samples N] [--warmup N] [--time-budget S]\n"
    "               [--min-time S] [--iters N] [--measure time|instructions|both]\n"
    "               [--out FILE] [--list] [--quiet]\n"
    "               [--project P] [--commit SHA] [--branch B] [--machine M] [--tag K=V]...\n"
    "\n"
    "Run the benchmarks of this program (qbr " QBR_VERSION ", docs/runner.md) and print a\n"
    "summary; with --out, write qbdb's native JSON Lines as each benchmark finishes.\n"
    "\n"
    "  --filter REGEX    run only benchmarks whose name matches (POSIX extended regex)\n"
    "  --samples N       samples per benchmark (default 100)\n"
    "  --warmup N        untimed iterations before calibration (default 10)\n"
    "  --time-budget S   stop sampling a benchmark after S seconds (default: no limit)\n"
    "  --min-time S      a sample lasts at least S seconds (default 0.001)\n"
    "  --iters N         fixed iterations per sample (default: chosen automatically)\n"
    "  --measure M       time (default), instructions (hardware counter, else under\n"
    "                    valgrind's callgrind; 10 samples unless --samples), or both\n"
    "                    (hardware counter only)\n"
    "  --out FILE        write results to FILE ('-': stdout, the summary goes to stderr)\n"
    "  --list            print the benchmark names and exit\n"
    "  --quiet           no summary\n"
    "  --project P, --commit SHA, --branch B, --machine M\n"
    "                    run metadata (default: QBR_PROJECT, QBR_COMMIT or GITHUB_SHA,\n"
    "                    QBR_BRANCH or GITHUB_REF_NAME, QBR_MACHINE or the host name)\n"
    "  --tag K=V         label the run (repeatable)\n"
    "  --help            this text\n"
    "\n"
    "Exit status: 0 ok, 1 a benchmark failed or the output could not be written, 2 usage\n"
    "(or no way to count instructions).\n";

/* The flags' usage text (static). */
const char *qbr_usage(void) {
  return USAGE;
}

/* An unsigned decimal integer, the whole of s. */
static int parse_u64(const char *flag, const char *s, uint64_t *out, qbr_err *err) {
  char *end;
  errno = 0;
  if (!is_digit(*s)) return set_err(err, QBR_EUSAGE, "%s \"%s\": expected an integer", flag, s);
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || errno) return set_err(err, QBR_EUSAGE, "%s \"%s\": expected an integer", flag, s);
  *out = v;
  return QBR_OK;
}

/* A finite number >= 0, the whole of s. */
static int parse_secs(const char *flag, const char *s, double *out, qbr_err *err) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || !isfinite(v) || v < 0)
    return set_err(err, QBR_EUSAGE, "%s \"%s\": expected a number of seconds >= 0", flag, s);
  *out = v;
  return QBR_OK;
}

/* Read flags into cfg (see the header); strings point into argv. */
int qbr_args_parse(qbr_config *cfg, int argc, char **argv, qbr_err *err) {
  static const char *const WITH_VALUE[] = {
      "--filter",  "--samples", "--warmup", "--time-budget", "--min-time", "--iters",  "--out",
      "--project", "--commit",  "--branch", "--machine",     "--tag",      "--measure"};
  int samples_given = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *val = NULL, *eq = strchr(arg, '=');
    char flag[32];
    size_t fl = eq && !strncmp(arg, "--", 2) ? (size_t)(eq - arg) : strlen(arg);
    uint64_t u = 0;
    int rc = QBR_OK, takes = 0;
    if (fl >= sizeof flag) return set_err(err, QBR_EUSAGE, "%s: unknown option", arg);
    memcpy(flag, arg, fl);
    flag[fl] = '\0';
    for (size_t k = 0; k < sizeof WITH_VALUE / sizeof WITH_VALUE[0]; k++)
      takes |= !strcmp(flag, WITH_VALUE[k]);
    if (takes) {
      if (eq && arg[fl] == '=')
        val = eq + 1;
      else if (i + 1 < argc)
        val = argv[++i];
      else
        return set_err(err, QBR_EUSAGE, "%s: missing value", flag);
    } else if (arg[fl]) {
      return set_err(err, QBR_EUSAGE, "%s: takes no value", flag);
    }
    if (!strcmp(flag, "--filter")) {
      cfg->filter = val;
    } else if (!strcmp(flag, "--samples")) {
      if (!(rc = parse_u64(flag, val, &u, err))) {
        if (u < 1 || u > MAX_SAMPLES)
          return set_err(err, QBR_EUSAGE, "--samples %s: expected 1 to %u", val, MAX_SAMPLES);
        cfg->samples = (size_t)u;
        samples_given = 1;
      }
    } else if (!strcmp(flag, "--warmup")) {
      rc = parse_u64(flag, val, &cfg->warmup, err);
    } else if (!strcmp(flag, "--time-budget")) {
      rc = parse_secs(flag, val, &cfg->time_budget, err);
    } else if (!strcmp(flag, "--min-time")) {
      rc = parse_secs(flag, val, &cfg->min_sample_time, err);
    } else if (!strcmp(flag, "--iters")) {
      if (!(rc = parse_u64(flag, val, &u, err))) {
        if (u < 1 || u > QBR_MAX_ITERS)
          return set_err(err, QBR_EUSAGE, "--iters %s: expected 1 to %llu", val,
                         (unsigned long long)QBR_MAX_ITERS);
        cfg->iters = u;
      }
    } else if (!strcmp(flag, "--measure")) {
      if (!strcmp(val, "time"))
        cfg->measure = QBR_MEASURE_TIME;
      else if (!strcmp(val, "instructions"))
        cfg->measure = QBR_MEASURE_INSTRUCTIONS;
      else if (!strcmp(val, "both"))
        cfg->measure = QBR_MEASURE_BOTH;
      else
        return set_err(err, QBR_EUSAGE, "--measure \"%s\": expected time, instructions or both",
                       val);
    } else if (!strcmp(flag, "--out")) {
      cfg->out_path = val;
    } else if (!strcmp(flag, "--project")) {
      cfg->project = val;
    } else if (!strcmp(flag, "--commit")) {
      cfg->commit = val;
    } else if (!strcmp(flag, "--branch")) {
      cfg->branch = val;
    } else if (!strcmp(flag, "--machine")) {
      cfg->machine = val;
    } else if (!strcmp(flag, "--tag")) {
      const char *e = strchr(val, '=');
      if (!e || e == val) return set_err(err, QBR_EUSAGE, "--tag \"%s\": expected KEY=VALUE", val);
      if (cfg->n_tags == QBR_MAX_TAGS)
        return set_err(err, QBR_EUSAGE, "--tag: at most %d tags", QBR_MAX_TAGS);
      cfg->tags[cfg->n_tags++] = val;
    } else if (!strcmp(flag, "--list")) {
      cfg->list = 1;
    } else if (!strcmp(flag, "--quiet")) {
      cfg->quiet = 1;
    } else if (!strcmp(flag, "--help") || !strcmp(flag, "-h")) {
      cfg->help = 1;
    } else {
      return set_err(err, QBR_EUSAGE, "%s: unknown %s", arg, arg[0] == '-' ? "option" : "argument");
    }
    if (rc) return rc;
  }
  /* a sample under callgrind is slow and the same every time: fewer by default */
  if (cfg->measure == QBR_MEASURE_INSTRUCTIONS && !samples_given && cfg->samples == 100)
    cfg->samples = QBR_INSTR_SAMPLES;
  return QBR_OK;
}

/* ---- the re-run under callgrind ---------------------------------------------------------- */

#ifdef QBR_HAVE_CALLGRIND
extern char **environ;

/* The path of the executable file prog in PATH, into buf; 1 when found. */
static int find_in_path(const char *prog, char *buf, size_t size) {
  const char *path = getenv("PATH");
  struct stat sb;
  if (!path) path = "/usr/bin:/bin";
  for (const char *p = path;; p++) {
    size_t l = strcspn(p, ":");
    snprintf(buf, size, "%.*s/%s", l ? (int)l : 1, l ? p : ".", prog);
    if (access(buf, X_OK) == 0 && stat(buf, &sb) == 0 && S_ISREG(sb.st_mode)) return 1;
    p += l;
    if (!*p) return 0;
  }
}

/* Remove the files in dir, then dir. */
static void remove_dir(const char *dir) {
  char path[4200];
  DIR *d = opendir(dir);
  struct dirent *e;
  if (d) {
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path) unlink(path);
    }
    closedir(d);
  }
  rmdir(dir);
}
#endif

/* --measure instructions where there is no counter: run argv again under callgrind (see
 * qbr_main_ex in the header) and return its exit status; -1 when not needed or not possible
 * here (a hardware counter works, the program is under valgrind already or is the re-run, or it
 * was built without valgrind's headers), and qbr_run decides. Errors are printed (status 2). */
static int rerun_under_callgrind(int argc, char **argv, const char *prog) {
#ifdef QBR_HAVE_CALLGRIND
  static const char *const FIXED[] = {"--tool=callgrind", "-q", "--collect-atstart=no"};
  char why[160], vg[4096], dir[4096], out[4200], outarg[4300], outenv[4300];
  const char *tmp = getenv("TMPDIR");
  char **args = NULL, **env = NULL;
  size_t n_env = 0, k = 0;
  int fd, status = 2;
  pid_t pid;
  if (RUNNING_ON_VALGRIND || getenv("QBR_REEXEC")) return -1;
  if (perf_open(&fd, why, sizeof why) == 0) {
    close(fd);
    return -1;
  }
  if (!find_in_path("valgrind", vg, sizeof vg)) {
    fprintf(stderr,
            "%s: --measure instructions: no hardware instruction counter (%s) and valgrind is "
            "not installed\n",
            prog, why);
    return 2;
  }
  snprintf(dir, sizeof dir, "%s/qbr-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    fprintf(stderr, "%s: --measure instructions: a directory for callgrind's dumps (%s): %s\n",
            prog, dir, strerror(errno));
    return 2;
  }
  snprintf(out, sizeof out, "%s/cg.out", dir);
  snprintf(outarg, sizeof outarg, "--callgrind-out-file=%s", out);
  snprintf(outenv, sizeof outenv, "QBR_CALLGRIND_OUT=%s", out);
  while (environ && environ[n_env]) n_env++;
  args = malloc(((size_t)argc + 6) * sizeof *args);
  env = malloc((n_env + 3) * sizeof *env);
  if (!args || !env) {
    fprintf(stderr, "%s: out of memory\n", prog);
    goto done;
  }
  args[k++] = vg;
  for (size_t i = 0; i < sizeof FIXED / sizeof FIXED[0]; i++) args[k++] = (char *)FIXED[i];
  args[k++] = outarg;
  for (int i = 0; i < argc; i++) args[k++] = argv[i];
  args[k] = NULL;
  k = 0; /* the environment, with the re-run's two variables in place of any given */
  for (size_t i = 0; i < n_env; i++)
    if (strncmp(environ[i], "QBR_CALLGRIND_OUT=", 18) && strncmp(environ[i], "QBR_REEXEC=", 11))
      env[k++] = environ[i];
  env[k++] = outenv;
  env[k++] = "QBR_REEXEC=1";
  env[k] = NULL;
  fflush(NULL);
  if ((pid = fork()) < 0) {
    fprintf(stderr, "%s: --measure instructions: fork: %s\n", prog, strerror(errno));
    goto done;
  }
  if (pid == 0) {
    execve(vg, args, env);
    fprintf(stderr, "%s: --measure instructions: %s: %s\n", prog, vg, strerror(errno));
    _exit(2);
  }
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      fprintf(stderr, "%s: waiting for valgrind: %s\n", prog, strerror(errno));
      status = 1 << 8;
      break;
    }
  status = WIFEXITED(status)     ? WEXITSTATUS(status)
           : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                 : 1;

done:
  remove_dir(dir);
  free(args);
  free(env);
  return status;
#else
  (void)argc;
  (void)argv;
  (void)prog;
  return -1;
#endif
}

/* A whole benchmark program (see the header): the exit status. */
int qbr_main_ex(qbr_registry *reg, int argc, char **argv, const char *compiler, int optimized) {
  qbr_config cfg = QBR_CONFIG_INIT;
  qbr_err err = {0, ""};
  const char *prog = argc > 0 && argv[0] ? argv[0] : "qbr";
  const char *slash = strrchr(prog, '/');
  int rc;
  if (slash) prog = slash + 1;
  cfg.compiler = compiler;
  cfg.optimized = optimized;
  if (qbr_args_parse(&cfg, argc, argv, &err)) {
    fprintf(stderr, "%s: %s (see --help)\n", prog, err.msg);
    return 2;
  }
  if (cfg.help) {
    fputs(USAGE, stdout);
    return 0;
  }
  if (cfg.list) {
    rc = qbr_list(reg, &cfg, stdout, &err);
  } else if (cfg.measure == QBR_MEASURE_INSTRUCTIONS && (rc = run_check(reg, &cfg, &err))) {
    /* refused here rather than after valgrind's start */
  } else if (cfg.measure == QBR_MEASURE_INSTRUCTIONS &&
             (rc = rerun_under_callgrind(argc, argv, prog)) >= 0) {
    return rc;
  } else {
    int to_stdout = cfg.out_path && !strcmp(cfg.out_path, "-");
    cfg.summary = cfg.quiet ? NULL : to_stdout ? stderr : stdout;
    rc = qbr_run(reg, &cfg, &err);
  }
  if (rc) fprintf(stderr, "%s: %s\n", prog, err.msg);
  return rc == QBR_OK ? 0 : rc == QBR_EUSAGE ? 2 : 1;
}
