/* adapters/json_fast.c - a fast path for parsing well-formed JSON into jansson values.
 *
 * jansson's decoder reads its input one character at a time through a callback and runs at
 * ~60 MB/s here; parsing a pytest-benchmark upload was a third of the server's CPU per POST.
 * This parser scans the buffer directly and builds the same jansson tree (same types, same key
 * order, same numbers: integers through strtoll's rules, reals as strtod reads them, most
 * without calling it: qb_json_decimal) for the input jansson accepts with
 * JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL. It never reports errors itself:
 * on anything it does not accept - malformed input, but also rare valid cases it leaves to
 * jansson (integers or reals out of range, nesting deeper than QB_JSON_FAST_DEPTH, NUL in a key)
 * - it gives up, and qb_json_parse runs jansson, which then produces the value or the positioned
 * error message. So the fast path only has to be exact on what it accepts.
 *
 * With a specials list (qb_json_parse_fast_py, for qb_json_parse_py) it also reads what Python's
 * json module writes beyond JSON - the bare tokens NaN, Infinity and -Infinity where a value goes,
 * and integers that do not fit in 64 bits - as strings of their text, listed with their offsets,
 * and leaves nothing valid to jansson (which cannot read those tokens): numbers of any length,
 * nesting up to jansson's own 2048 levels. */
#include <errno.h>
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/json.h"

#define QB_JSON_FAST_DEPTH 512  /* deeper input goes to jansson (its own limit is 2048) */
#define QB_JSON_PY_DEPTH   2048 /* with Python's extensions nothing goes to jansson: its limit */
#define NUM_MAX            64   /* longer number tokens go to jansson */

typedef struct parser {
  const unsigned char *p, *end;
  char *scratch; /* unescaped strings; grown as needed, freed by the caller */
  size_t cap;
  int allow_nul;              /* \u0000 in strings (JSON_ALLOW_NUL) */
  int extended;               /* qb_json_decimal_extended(), asked once per document */
  const unsigned char *start; /* of the input, for the offsets of specials */
  qb_json_specials *specials; /* non-NULL: Python's extensions are on (qb_json_parse_py) */
} parser;

static json_t *value(parser *ps, int depth);

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
    ps->p++;
}

size_t qb_json_utf8_len(const unsigned char *s, const unsigned char *end) {
  unsigned c = s[0];
  size_t n;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if ((size_t)(end - s) < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

static int hex4(const unsigned char *s, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= c - '0';
    else if (c >= 'a' && c <= 'f')
      v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v |= c - 'A' + 10;
    else
      return -1;
  }
  *out = v;
  return 0;
}

static int scratch_room(parser *ps, size_t need) {
  if (need <= ps->cap) return 0;
  size_t cap = ps->cap ? ps->cap : 256;
  while (cap < need) cap *= 2;
  char *p = realloc(ps->scratch, cap);
  if (!p) return -1;
  ps->scratch = p;
  ps->cap = cap;
  return 0;
}

/* A string at ps->p (after the opening quote). Sets *s and *n to its bytes (in the input when it
 * had no escape, else in ps->scratch). -1: not accepted. */
static int string(parser *ps, const char **s, size_t *n) {
  const unsigned char *start = ps->p, *q = ps->p;
  /* fast scan: no escapes */
  while (q < ps->end) {
    unsigned c = *q;
    if (c == '"') {
      *s = (const char *)start;
      *n = (size_t)(q - start);
      ps->p = q + 1;
      return 0;
    }
    if (c == '\\') break;
    if (c < 0x20) return -1;
    if (c < 0x80) {
      q++;
    } else {
      size_t k = qb_json_utf8_len(q, ps->end);
      if (!k) return -1;
      q += k;
    }
  }
  if (q >= ps->end) return -1;
  /* with escapes: copy into scratch, sized by the raw length up to the closing quote (the
   * unescaped text is never longer) */
  const unsigned char *close = q;
  while (close < ps->end && *close != '"') close += *close == '\\' ? 2 : 1;
  if (close >= ps->end) return -1;
  size_t out = (size_t)(q - start);
  if (scratch_room(ps, (size_t)(close - start) + 1)) return -1;
  memcpy(ps->scratch, start, out);
  while (q < ps->end) {
    unsigned c = *q;
    if (c == '"') {
      *s = ps->scratch;
      *n = out;
      ps->p = q + 1;
      return 0;
    }
    if (c < 0x20) return -1;
    if (c >= 0x80) {
      size_t k = qb_json_utf8_len(q, ps->end);
      if (!k) return -1;
      memcpy(ps->scratch + out, q, k);
      out += k;
      q += k;
      continue;
    }
    if (c != '\\') {
      ps->scratch[out++] = (char)c;
      q++;
      continue;
    }
    if (ps->end - q < 2) return -1;
    char e = (char)q[1];
    q += 2;
    switch (e) {
      case '"':
      case '\\':
      case '/':
        ps->scratch[out++] = e;
        continue;
      case 'b':
        ps->scratch[out++] = '\b';
        continue;
      case 'f':
        ps->scratch[out++] = '\f';
        continue;
      case 'n':
        ps->scratch[out++] = '\n';
        continue;
      case 'r':
        ps->scratch[out++] = '\r';
        continue;
      case 't':
        ps->scratch[out++] = '\t';
        continue;
      case 'u':
        break;
      default:
        return -1;
    }
    uint32_t cp, lo;
    if (ps->end - q < 4 || hex4(q, &cp)) return -1;
    q += 4;
    if (cp == 0 && !ps->allow_nul) return -1;
    if (cp >= 0xdc00 && cp <= 0xdfff) return -1; /* a lone low surrogate */
    if (cp >= 0xd800 && cp <= 0xdbff) {          /* a high surrogate: its pair must follow */
      if (ps->end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) || lo < 0xdc00 ||
          lo > 0xdfff)
        return -1;
      q += 6;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    /* UTF-8 of cp: at most 4 bytes, never longer than the 6 input bytes of its escape */
    char *o = ps->scratch + out;
    if (cp < 0x80) {
      o[0] = (char)cp;
      out += 1;
    } else if (cp < 0x800) {
      o[0] = (char)(0xc0 | (cp >> 6));
      o[1] = (char)(0x80 | (cp & 0x3f));
      out += 2;
    } else if (cp < 0x10000) {
      o[0] = (char)(0xe0 | (cp >> 12));
      o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
      o[2] = (char)(0x80 | (cp & 0x3f));
      out += 3;
    } else {
      o[0] = (char)(0xf0 | (cp >> 18));
      o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
      o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
      o[3] = (char)(0x80 | (cp & 0x3f));
      out += 4;
    }
  }
  return -1;
}

#if LDBL_MANT_DIG == 64
/* 10^0 .. 10^27: exact in x87 extended precision (5^27 < 2^64). */
static const long double POW10_X[] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,
                                      1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
                                      1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L,
                                      1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
#define POW10_X_MAX 27
#endif
/* 10^0 .. 10^22: exact in binary64 (5^22 < 2^53). */
static const double POW10_D[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#define POW10_D_MAX 22

int qb_json_decimal_extended(void) {
#if LDBL_MANT_DIG == 64
  /* the arithmetic as it runs here, not as the type promises: valgrind computes x87 operations
   * in double precision, and a program may have set the x87 precision control to 53 bits */
  volatile long double one = 1.0L, tiny = 0x1p-63L;
  return one + tiny != one;
#else
  return 0;
#endif
}

/* Convert the decimal number s[0..n) exactly as strtod would (round to nearest even), without
 * strtod: the digits must fit in 19 significant digits w and the power of ten e must be small,
 * so that w * 10^e (or w / 10^-e) is one correctly rounded operation on exact operands. With
 * x87 extended precision (64-bit significands, w and 10^e up to 10^27 exact) that operation
 * rounds to 64 bits, and rounding that to a double gives strtod's double unless the 64-bit
 * result lies exactly halfway between two doubles (its 11 low bits are 10000000000): then, and
 * for everything else (more digits, larger exponents, malformed text), 0 is returned and the
 * caller uses strtod. Where the arithmetic is not extended (qb_json_decimal_extended: another
 * platform, valgrind, a 53-bit x87 precision control) the classic binary64 fast path (w <= 2^53,
 * e <= 22) is used. */
static int decimal(const char *s, size_t n, int extended, double *out);

int qb_json_decimal(const char *s, size_t n, double *out) {
  return decimal(s, n, qb_json_decimal_extended(), out);
}

/* qb_json_decimal with the arithmetic's precision known (qb_json_decimal_extended, asked once
 * per document by the parser). */
static int decimal(const char *s, size_t n, int extended, double *out) {
  (void)extended; /* used only where long double is x87 extended */
  const char *p = s, *end = s + n;
  uint64_t w = 0; /* wraps when there are more than 19 digits: then nd says so */
  int e10 = 0, neg = 0;
  size_t nd;
  if (n > 200) return 0; /* keeps e10 far from overflow */
  if (p < end && *p == '-') {
    neg = 1;
    p++;
  }
  const char *start = p;
  while (p < end && *p == '0') p++; /* leading zeros are not significant */
  const char *sig = p;
  for (; p < end && (unsigned)(*p - '0') < 10; p++) w = w * 10 + (uint64_t)(*p - '0');
  nd = (size_t)(p - sig);
  if (p == start) return 0;
  if (p < end && *p == '.') {
    const char *frac = ++p;
    if (nd == 0)
      while (p < end && *p == '0') p++; /* "0.000123": still leading zeros */
    const char *digits = p;
    for (; p < end && (unsigned)(*p - '0') < 10; p++) w = w * 10 + (uint64_t)(*p - '0');
    if (p == frac) return 0;
    nd += (size_t)(p - digits);
    e10 = -(int)(p - frac);
  }
  if (nd > 19) return 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    int eneg = 0, x = 0;
    p++;
    if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
    const char *digits = p;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
      if (x > 100000) return 0;
      x = x * 10 + (*p - '0');
    }
    if (p == digits) return 0;
    e10 += eneg ? -x : x;
  }
  if (p != end) return 0;
  if (w == 0) {
    *out = neg ? -0.0 : 0.0;
    return 1;
  }
  double r;
#if LDBL_MANT_DIG == 64
  if (e10 >= -POW10_X_MAX && e10 <= POW10_X_MAX && extended) {
    long double y = e10 < 0 ? (long double)w / POW10_X[-e10] : (long double)w * POW10_X[e10];
    uint64_t bits;
    memcpy(&bits, &y, sizeof bits); /* the 64-bit significand, explicit leading bit included */
    if ((bits & 0x7FF) == 0x400) return 0;
    r = (double)y;
    *out = neg ? -r : r;
    return 1;
  }
#endif
  if (e10 < -POW10_D_MAX || e10 > POW10_D_MAX || w > (UINT64_C(1) << 53)) return 0;
  r = e10 < 0 ? (double)w / POW10_D[-e10] : (double)w * POW10_D[e10];
  *out = neg ? -r : r;
  return 1;
}

/* A string value holding text[0..n) that stands for a token Python writes beyond JSON (at `at` in
 * the input), listed in ps->specials. NULL when memory is short. */
static json_t *special(parser *ps, const char *text, size_t n, const unsigned char *at) {
  qb_json_specials *sp = ps->specials;
  if (sp->n == sp->cap) {
    size_t cap = sp->cap ? 2 * sp->cap : 16;
    qb_json_special *v = realloc(sp->v, cap * sizeof *v);
    if (!v) return NULL;
    sp->v = v;
    sp->cap = cap;
  }
  json_t *s = json_stringn_nocheck(text, n);
  if (s) sp->v[sp->n++] = (qb_json_special){s, (size_t)(at - ps->start)};
  return s;
}

/* A number at ps->p, with JSON's grammar (no leading zeros, no '+', digits after '.' and 'e'). */
static json_t *number(parser *ps) {
  const unsigned char *s = ps->p, *q = s;
  int real = 0;
  if (q < ps->end && *q == '-') q++;
  if (q >= ps->end) return NULL;
  if (*q == '0') {
    q++;
  } else if (*q >= '1' && *q <= '9') {
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  } else {
    return NULL;
  }
  if (q < ps->end && *q == '.') {
    real = 1;
    q++;
    if (q >= ps->end || *q < '0' || *q > '9') return NULL;
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < ps->end && (*q == 'e' || *q == 'E')) {
    real = 1;
    q++;
    if (q < ps->end && (*q == '+' || *q == '-')) q++;
    if (q >= ps->end || *q < '0' || *q > '9') return NULL;
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  size_t n = (size_t)(q - s);
  if (n >= NUM_MAX && !ps->specials) return NULL;
  ps->p = q;
  if (!real) {
    /* up to 18 digits cannot overflow a long long: accumulate directly */
    const unsigned char *d = s + (*s == '-');
    if ((size_t)(q - d) <= 18) {
      long long v = 0;
      for (; d < q; d++) v = v * 10 + (*d - '0');
      return json_integer(*s == '-' ? -v : v);
    }
  }
  double v;
  if (real && decimal((const char *)s, n, ps->extended, &v)) return json_real(v);
  char small[NUM_MAX], *buf = n < NUM_MAX ? small : malloc(n + 1); /* long: Python mode only */
  if (!buf) return NULL;
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *e;
  json_t *out = NULL;
  errno = 0;
  if (!real) {
    long long iv = strtoll(buf, &e, 10);
    if (errno != ERANGE && !*e)
      out = json_integer(iv);
    else if (ps->specials) /* beyond 64 bits: kept as its digits */
      out = special(ps, (const char *)s, n, s);
    /* else jansson says "too big integer" */
  } else {
    v = strtod(buf, &e);
    /* strtod stops at a locale decimal point other than '.'; overflow is jansson's error */
    if (!*e && !(errno == ERANGE && (v > 1.0 || v < -1.0))) out = json_real(v);
  }
  if (buf != small) free(buf);
  return out;
}

static int literal(parser *ps, const char *word, size_t n) {
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n)) return -1;
  ps->p += n;
  return 0;
}

static json_t *object(parser *ps, int depth) {
  json_t *o = json_object();
  if (!o) return NULL;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
    return o;
  }
  for (;;) {
    const char *k;
    size_t kn;
    json_t *v;
    if (ps->p >= ps->end || *ps->p != '"') goto fail;
    ps->p++;
    if (string(ps, &k, &kn) || memchr(k, '\0', kn)) goto fail;
    /* k may point into scratch, which the value can overwrite: copy the key first */
    char small[128], *key = kn < sizeof small ? small : malloc(kn + 1);
    if (!key) goto fail;
    memcpy(key, k, kn);
    key[kn] = '\0';
    skip_ws(ps);
    int bad = ps->p >= ps->end || *ps->p != ':' || json_object_getn(o, key, kn) != NULL;
    if (!bad) {
      ps->p++;
      skip_ws(ps);
      v = value(ps, depth);
      bad = !v || json_object_setn_new_nocheck(o, key, kn, v) != 0;
    }
    if (key != small) free(key);
    if (bad) goto fail;
    skip_ws(ps);
    if (ps->p >= ps->end) goto fail;
    if (*ps->p == ',') {
      ps->p++;
      skip_ws(ps);
      continue;
    }
    if (*ps->p == '}') {
      ps->p++;
      return o;
    }
    goto fail;
  }
fail:
  json_decref(o);
  return NULL;
}

static json_t *array(parser *ps, int depth) {
  json_t *a = json_array();
  if (!a) return NULL;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
    return a;
  }
  for (;;) {
    json_t *v = value(ps, depth);
    if (!v || json_array_append_new(a, v) != 0) goto fail;
    skip_ws(ps);
    if (ps->p >= ps->end) goto fail;
    if (*ps->p == ',') {
      ps->p++;
      skip_ws(ps);
      continue;
    }
    if (*ps->p == ']') {
      ps->p++;
      return a;
    }
    goto fail;
  }
fail:
  json_decref(a);
  return NULL;
}

/* One value at ps->p (whitespace already skipped); a new reference, or NULL: not accepted. */
static json_t *value(parser *ps, int depth) {
  if (ps->p >= ps->end) return NULL;
  int max_depth = ps->specials ? QB_JSON_PY_DEPTH : QB_JSON_FAST_DEPTH;
  if (ps->specials) { /* Python's NaN, Infinity, -Infinity */
    static const char *const TOKENS[] = {"NaN", "Infinity", "-Infinity"};
    for (size_t k = 0; k < 3; k++) {
      const unsigned char *at = ps->p;
      if (*at == (unsigned char)TOKENS[k][0] && !literal(ps, TOKENS[k], strlen(TOKENS[k])))
        return special(ps, TOKENS[k], strlen(TOKENS[k]), at);
    }
  }
  switch (*ps->p) {
    case '{':
      if (depth >= max_depth) return NULL;
      ps->p++;
      return object(ps, depth + 1);
    case '[':
      if (depth >= max_depth) return NULL;
      ps->p++;
      return array(ps, depth + 1);
    case '"': {
      const char *s;
      size_t n;
      ps->p++;
      if (string(ps, &s, &n)) return NULL;
      return json_stringn_nocheck(s, n);
    }
    case 't':
      return literal(ps, "true", 4) ? NULL : json_true();
    case 'f':
      return literal(ps, "false", 5) ? NULL : json_false();
    case 'n':
      return literal(ps, "null", 4) ? NULL : json_null();
    default:
      return number(ps);
  }
}

json_t *qb_json_parse_fast(const char *data, size_t len, int allow_nul) {
  return qb_json_parse_fast_py(data, len, allow_nul, NULL);
}

json_t *qb_json_parse_fast_py(const char *data, size_t len, int allow_nul,
                              qb_json_specials *specials) {
  parser ps = {
      (const unsigned char *)data, (const unsigned char *)data + len, NULL,    0, allow_nul,
      qb_json_decimal_extended(),  (const unsigned char *)data,       specials};
  size_t n_before = specials ? specials->n : 0;
  skip_ws(&ps);
  json_t *v = NULL;
  /* like jansson without JSON_DECODE_ANY: the top level is an object or an array */
  if (ps.p < ps.end && (*ps.p == '{' || *ps.p == '[')) v = value(&ps, 0);
  if (v) {
    skip_ws(&ps);
    if (ps.p != ps.end) { /* "end of file expected" */
      json_decref(v);
      v = NULL;
    }
  }
  free(ps.scratch);
  if (!v && specials) specials->n = n_before; /* the values they named are gone */
  return v;
}
