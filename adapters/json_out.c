/* adapters/json_out.c - json_dumps, rewritten around a growable buffer and qb_dtoa_g17.
 *
 * It follows jansson 2.14's dump.c step for step so the bytes agree: separators "," and ": "
 * (":" with JSON_COMPACT, ", " without an indent), a newline and depth * n spaces per level with
 * JSON_INDENT(n), "[]" and "{}" for empty containers, object keys in insertion order, integers
 * as "%lld", reals as "%.17g" with ".0" appended when that has neither '.' nor 'e' and the
 * exponent's '+' and leading zeros removed ("1e20", "1e-5"). Strings escape '"', '\\', \b \f
 * \n \r \t and other control characters as \u00XX (upper-case hex); '/' and UTF-8 go as they
 * are. A string value that is not valid UTF-8 fails the dump; an invalid key does not (jansson
 * ignores that error): it is written up to its last escape before the bad byte, without the
 * closing quote, and the dump goes on. */
#include "adapters/json_out.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/json.h"
#include "core/dtoa.h"

/* The flags handled here; any other goes to json_dumps itself. */
#define JO_INDENT_MASK 0x1FU
#define JO_PREC_MASK   (0x1FU << 11)
#define JO_OWN_FLAGS                                                                               \
  (JO_INDENT_MASK | JO_PREC_MASK | JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |          \
   JSON_SORT_KEYS)

typedef struct jo_out {
  char *p;
  size_t len, cap;
  unsigned indent; /* JSON_INDENT(n): n */
  int compact;     /* JSON_COMPACT */
  int sort;        /* JSON_SORT_KEYS */
} jo_out;

/* An object member, for JSON_SORT_KEYS. */
typedef struct jo_member {
  const char *key;
  size_t len;
  const json_t *v;
} jo_member;

/* jansson's key order with JSON_SORT_KEYS: bytes compared, then the shorter first. */
static int jo_cmp_member(const void *pa, const void *pb) {
  const jo_member *a = pa, *b = pb;
  int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
  return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* An open container and the one holding it, to refuse a tree that contains itself. */
typedef struct jo_parent {
  const json_t *j;
  const struct jo_parent *up;
} jo_parent;

/* String bytes: 0 goes as it is, 1 is escaped, 2 starts (or breaks) a multi-byte sequence. */
static const unsigned char byte_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static const char hex_upper[] = "0123456789ABCDEF";

/* Make room for n more bytes plus a NUL: 0, or -1 when out of memory. */
static int jo_grow(jo_out *o, size_t n) {
  if (n > SIZE_MAX / 2 - o->len) return -1;
  size_t need = o->len + n + 1, cap = o->cap ? o->cap : 1024;
  while (cap < need) cap *= 2;
  char *p = realloc(o->p, cap);
  if (!p) return -1;
  o->p = p;
  o->cap = cap;
  return 0;
}

/* Make room for n more bytes plus a NUL (the common case inline). */
static inline int jo_reserve(jo_out *o, size_t n) {
  return o->cap - o->len > n ? 0 : jo_grow(o, n);
}

/* Append n bytes. */
static inline int jo_add(jo_out *o, const char *s, size_t n) {
  if (jo_reserve(o, n)) return -1;
  memcpy(o->p + o->len, s, n);
  o->len += n;
  return 0;
}

/* jansson's dump_indent: a newline and depth * indent spaces with an indent, else one space
 * when space is set and the output is not compact. */
static int jo_indent(jo_out *o, unsigned depth, int space) {
  if (o->indent > 0) {
    size_t n = (size_t)depth * o->indent;
    if (jo_reserve(o, n + 1)) return -1;
    o->p[o->len++] = '\n';
    memset(o->p + o->len, ' ', n);
    o->len += n;
  } else if (space && !o->compact) {
    return jo_add(o, " ", 1);
  }
  return 0;
}

/* The quoted, escaped string s of n bytes: 0, 1 when s is not valid UTF-8 (the output then ends
 * after the last escape written, as jansson's does), -1 when out of memory. */
static int jo_string(jo_out *o, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str, *end = s + n;
  if (jo_add(o, "\"", 1)) return -1;
  size_t mark = o->len; /* what jansson has written at any point: up to the last escape */
  while (s < end) {
    const unsigned char *run = s;
    for (;;) {
      while (s < end && byte_class[*s] == 0) s++;
      if (s == end || byte_class[*s] == 1) break;
      size_t k = qb_json_utf8_len(s, end);
      if (!k) break;
      s += k;
    }
    if (s > run && jo_add(o, (const char *)run, (size_t)(s - run))) return -1;
    if (s == end) break;
    unsigned c = *s++;
    if (c >= 0x80) { /* a byte no valid sequence starts with */
      o->len = mark;
      return 1;
    }
    if (jo_reserve(o, 6)) return -1;
    char *w = o->p + o->len;
    w[0] = '\\';
    switch (c) {
      case '"':
      case '\\':
        w[1] = (char)c;
        break;
      case '\b':
        w[1] = 'b';
        break;
      case '\f':
        w[1] = 'f';
        break;
      case '\n':
        w[1] = 'n';
        break;
      case '\r':
        w[1] = 'r';
        break;
      case '\t':
        w[1] = 't';
        break;
      default:
        memcpy(w + 1, "u00", 3);
        w[4] = hex_upper[c >> 4];
        w[5] = hex_upper[c & 15];
        o->len += 4;
        break;
    }
    o->len += 2;
    mark = o->len;
  }
  return jo_add(o, "\"", 1);
}

/* A JSON integer as "%lld". */
static int jo_integer(jo_out *o, json_int_t v) {
  char t[24], *e = t + sizeof t, *p = e;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) *--p = '-';
  return jo_add(o, p, (size_t)(e - p));
}

/* A JSON real as jansson's jsonp_dtostr writes it with precision 17; -1 when not finite. */
static int jo_real(jo_out *o, double v) {
  if (!isfinite(v)) return -1;
  char t[QB_DTOA_G17_SIZE + 4];
  size_t n = qb_dtoa_g17(v, t);
  char *e = memchr(t, 'e', n);
  if (e) { /* "e+20" -> "e20", "e-05" -> "e-5" */
    char *from = e + 1, *to = e + 1;
    if (*from == '-') {
      from++;
      to++;
    } else if (*from == '+') {
      from++;
    }
    while (*from == '0' && from[1] != '\0') from++;
    if (from != to) {
      memmove(to, from, (size_t)(t + n - from) + 1);
      n -= (size_t)(from - to);
    }
  } else if (!memchr(t, '.', n)) {
    memcpy(t + n, ".0", 3);
    n += 2;
  }
  return jo_add(o, t, n);
}

static int jo_value(jo_out *o, const json_t *j, unsigned depth, const jo_parent *up);

/* An object with its keys in jansson's JSON_SORT_KEYS order (self: j and its parents). */
static int jo_sorted_object(jo_out *o, const json_t *j, unsigned depth, const jo_parent *self) {
  size_t n = json_object_size(j), i = 0;
  jo_member small[16], *m = n <= 16 ? small : malloc(n * sizeof *m);
  if (!m) return -1;
  for (void *it = json_object_iter((json_t *)j); it && i < n;
       it = json_object_iter_next((json_t *)j, it), i++)
    m[i] = (jo_member){json_object_iter_key(it), json_object_iter_key_len(it),
                       json_object_iter_value(it)};
  if (i > 16) {
    qsort(m, i, sizeof *m, jo_cmp_member);
  } else {
    for (size_t a = 1; a < i; a++) /* small objects: no qsort overhead */
      for (size_t b = a; b > 0 && jo_cmp_member(&m[b - 1], &m[b]) > 0; b--) {
        jo_member t = m[b];
        m[b] = m[b - 1];
        m[b - 1] = t;
      }
  }
  int rc = jo_add(o, "{", 1);
  if (!rc && i) rc = jo_indent(o, depth + 1, 0);
  for (size_t k = 0; k < i && !rc; k++) {
    /* an invalid key is not an error in jansson (its result is ignored); only memory is */
    rc = jo_string(o, m[k].key, m[k].len) < 0 || jo_add(o, ": ", o->compact ? 1 : 2) ||
         jo_value(o, m[k].v, depth + 1, self);
    if (!rc)
      rc = k + 1 < i ? jo_add(o, ",", 1) || jo_indent(o, depth + 1, 1) : jo_indent(o, depth, 0);
  }
  if (!rc) rc = jo_add(o, "}", 1);
  if (m != small) free(m);
  return rc ? -1 : 0;
}

/* jansson's do_dump: j at the given depth, inside the containers listed by up. */
static int jo_value(jo_out *o, const json_t *j, unsigned depth, const jo_parent *up) {
  if (!j) return -1;
  switch (json_typeof(j)) {
    case JSON_NULL:
      return jo_add(o, "null", 4);
    case JSON_TRUE:
      return jo_add(o, "true", 4);
    case JSON_FALSE:
      return jo_add(o, "false", 5);
    case JSON_INTEGER:
      return jo_integer(o, json_integer_value(j));
    case JSON_REAL:
      return jo_real(o, json_real_value(j));
    case JSON_STRING:
      return jo_string(o, json_string_value(j), json_string_length(j)) ? -1 : 0;
    case JSON_ARRAY:
    case JSON_OBJECT:
      break;
    default:
      return -1;
  }
  for (const jo_parent *p = up; p; p = p->up)
    if (p->j == j) return -1; /* the tree contains itself */
  jo_parent self = {j, up};

  if (json_is_array(j)) {
    size_t n = json_array_size(j);
    if (jo_add(o, "[", 1)) return -1;
    if (n == 0) return jo_add(o, "]", 1);
    if (jo_indent(o, depth + 1, 0)) return -1;
    for (size_t i = 0; i < n; i++) {
      if (jo_value(o, json_array_get(j, i), depth + 1, &self)) return -1;
      if (i + 1 < n) {
        if (jo_add(o, ",", 1) || jo_indent(o, depth + 1, 1)) return -1;
      } else if (jo_indent(o, depth, 0)) {
        return -1;
      }
    }
    return jo_add(o, "]", 1);
  }

  if (o->sort) return jo_sorted_object(o, j, depth, &self);
  void *iter = json_object_iter((json_t *)j);
  if (jo_add(o, "{", 1)) return -1;
  if (!iter) return jo_add(o, "}", 1);
  if (jo_indent(o, depth + 1, 0)) return -1;
  while (iter) {
    void *next = json_object_iter_next((json_t *)j, iter);
    /* an invalid key is not an error in jansson (its result is ignored); only memory is */
    if (jo_string(o, json_object_iter_key(iter), json_object_iter_key_len(iter)) < 0) return -1;
    if (jo_add(o, ": ", o->compact ? 1 : 2) ||
        jo_value(o, json_object_iter_value(iter), depth + 1, &self))
      return -1;
    if (next) {
      if (jo_add(o, ",", 1) || jo_indent(o, depth + 1, 1)) return -1;
    } else if (jo_indent(o, depth, 0)) {
      return -1;
    }
    iter = next;
  }
  return jo_add(o, "}", 1);
}

/* 1 when flags ask for something only json_dumps does (its flags are then in *jflags). */
static int jo_delegate(size_t flags, size_t *jflags) {
  size_t prec = (flags & JO_PREC_MASK) >> 11;
  *jflags = prec == 0 ? flags | JSON_REAL_PRECISION(17) : flags;
  return (flags & ~(size_t)JO_OWN_FLAGS) != 0 || (prec != 0 && prec != 17);
}

/* The text into o (o->p malloc'ed, NUL-terminated): 0, or -1 with o->p freed. */
static int jo_dump(jo_out *o, const json_t *j, size_t flags) {
  o->p = NULL;
  o->len = o->cap = 0;
  o->indent = (unsigned)(flags & JO_INDENT_MASK);
  o->compact = (flags & JSON_COMPACT) != 0;
  o->sort = (flags & JSON_SORT_KEYS) != 0;
  if (!(flags & JSON_ENCODE_ANY) && !json_is_array(j) && !json_is_object(j)) return -1;
  if (jo_reserve(o, 0) || jo_value(o, j, 0, NULL)) {
    free(o->p);
    o->p = NULL;
    return -1;
  }
  o->p[o->len] = '\0';
  return 0;
}

char *qb_json_dumps(const json_t *j, size_t flags) {
  size_t jflags;
  if (jo_delegate(flags, &jflags)) return json_dumps(j, jflags);
  jo_out o;
  if (jo_dump(&o, j, flags)) return NULL;
  if (o.cap - o.len > o.len / 4 + 64) { /* give back a large unused tail */
    char *p = realloc(o.p, o.len + 1);
    if (p) o.p = p;
  }
  return o.p;
}

int qb_json_dumpf(const json_t *j, FILE *f, size_t flags) {
  size_t jflags;
  if (jo_delegate(flags, &jflags)) return json_dumpf(j, f, jflags);
  jo_out o;
  if (jo_dump(&o, j, flags)) return -1;
  int rc = o.len == 0 || fwrite(o.p, o.len, 1, f) == 1 ? 0 : -1;
  free(o.p);
  return rc;
}

/* ---- the writer ---- */

/* The writer's text as a jo_out, and back. */
static jo_out jw_out(const qb_jw *w) {
  jo_out o = {w->p, w->len, w->cap, w->indent, w->compact, 0};
  return o;
}
static void jw_back(qb_jw *w, const jo_out *o, int rc) {
  w->p = o->p;
  w->len = o->len;
  w->cap = o->cap;
  if (rc) w->failed = 1;
}

void qb_jw_init(qb_jw *w, size_t flags) {
  memset(w, 0, sizeof *w);
  w->indent = (unsigned)(flags & JO_INDENT_MASK);
  w->compact = (flags & JSON_COMPACT) != 0;
}

void qb_jw_init_tree(qb_jw *w) {
  memset(w, 0, sizeof *w);
  w->tree = 1;
}

/* Text mode: what comes before a value or key in the innermost container (jansson's separators
 * and indentation); a value in an object needs its key first. 0, or 1 when failed. */
static int jw_prefix(qb_jw *w, int is_key) {
  if (w->failed) return 1;
  if (!w->depth) {
    if (is_key || w->root || w->len) return w->failed = 1;
    return 0;
  }
  int object = w->stack[w->depth - 1].object;
  if (object && !is_key) { /* the value after its key */
    if (!w->key) return w->failed = 1;
    w->key = NULL;
    return 0;
  }
  if (object != is_key || w->key) return w->failed = 1;
  if (w->tree) return 0;
  jo_out o = jw_out(w);
  int rc = w->stack[w->depth - 1].count++ == 0 ? jo_indent(&o, w->depth, 0)
                                               : jo_add(&o, ",", 1) || jo_indent(&o, w->depth, 1);
  jw_back(w, &o, rc);
  return w->failed;
}

/* Tree mode: place v (owned) where the next value goes. */
static void jw_place(qb_jw *w, json_t *v, const char *key) {
  if (!v) {
    w->failed = 1;
    return;
  }
  int rc;
  if (!w->depth) {
    w->root = v;
    return;
  }
  json_t *c = w->stack[w->depth - 1].j;
  rc = w->stack[w->depth - 1].object ? json_object_set_new(c, key, v) : json_array_append_new(c, v);
  if (rc) w->failed = 1;
}

/* A scalar: its text, or its tree node (made by make). */
static void jw_scalar(qb_jw *w, const char *text, size_t n, json_t *node) {
  const char *key = w->key;
  if (jw_prefix(w, 0)) {
    json_decref(node);
    return;
  }
  if (w->tree) {
    jw_place(w, node, key);
    return;
  }
  jo_out o = jw_out(w);
  jw_back(w, &o, jo_add(&o, text, n));
  if (!w->depth) w->root = (json_t *)1; /* text mode: the outer value is done */
}

/* Open a container. */
static void jw_open(qb_jw *w, int object) {
  const char *key = w->key;
  if (jw_prefix(w, 0)) return;
  if (w->depth == QB_JW_MAX_DEPTH) {
    w->failed = 1;
    return;
  }
  json_t *c = NULL;
  if (w->tree) {
    c = object ? json_object() : json_array();
    json_incref(c); /* one reference for the stack, one for the parent */
    jw_place(w, c, key);
    if (w->failed) {
      json_decref(c);
      return;
    }
  } else {
    jo_out o = jw_out(w);
    jw_back(w, &o, jo_add(&o, object ? "{" : "[", 1));
  }
  w->stack[w->depth].j = c;
  w->stack[w->depth].count = 0;
  w->stack[w->depth].object = object;
  w->depth++;
}

void qb_jw_obj(qb_jw *w) {
  jw_open(w, 1);
}

void qb_jw_arr(qb_jw *w) {
  jw_open(w, 0);
}

void qb_jw_end(qb_jw *w) {
  if (w->failed) return;
  if (!w->depth || w->key) {
    w->failed = 1;
    return;
  }
  w->depth--;
  if (w->tree) {
    json_decref(w->stack[w->depth].j);
    return;
  }
  jo_out o = jw_out(w);
  int rc = 0;
  if (w->stack[w->depth].count) rc = jo_indent(&o, w->depth, 0);
  if (!rc) rc = jo_add(&o, w->stack[w->depth].object ? "}" : "]", 1);
  jw_back(w, &o, rc);
  if (!w->depth) w->root = (json_t *)1;
}

void qb_jw_key(qb_jw *w, const char *k) {
  /* text, a key of printable ASCII: its separator, indentation and quoted text in one copy */
  if (!w->tree && !w->failed && w->depth && !w->key && w->stack[w->depth - 1].object) {
    const unsigned char *u = (const unsigned char *)k;
    size_t n = 0, pad = (size_t)w->depth * w->indent;
    while (u[n] >= 0x20 && u[n] < 0x80 && u[n] != '"' && u[n] != '\\') n++;
    if (!k[n] && w->cap - w->len > n + pad + 6) {
      char *p = w->p + w->len;
      if (w->stack[w->depth - 1].count++) {
        *p++ = ',';
        if (!w->indent && !w->compact) *p++ = ' ';
      }
      if (w->indent) {
        *p++ = '\n';
        memset(p, ' ', pad);
        p += pad;
      }
      *p++ = '"';
      memcpy(p, k, n);
      p += n;
      *p++ = '"';
      *p++ = ':';
      if (!w->compact) *p++ = ' ';
      w->len = (size_t)(p - w->p);
      w->key = k;
      return;
    }
  }
  if (jw_prefix(w, 1)) return;
  w->key = k;
  if (w->tree) return;
  jo_out o = jw_out(w);
  int rc = jo_string(&o, k, strlen(k)) < 0 || jo_add(&o, ": ", o.compact ? 1 : 2);
  jw_back(w, &o, rc);
}

void qb_jw_str(qb_jw *w, const char *s) {
  if (!s) {
    qb_jw_null(w);
    return;
  }
  size_t n = strlen(s);
  if (w->tree) {
    json_t *v = json_stringn(s, n);
    if (v) {
      jw_scalar(w, NULL, 0, v);
      return;
    }
    for (size_t i = 0; i < n; i++) /* not UTF-8 (null, as in text), or out of memory */
      if ((unsigned char)s[i] >= 0x80) {
        qb_jw_null(w);
        return;
      }
    w->failed = 1;
    return;
  }
  if (jw_prefix(w, 0)) return;
  jo_out o = jw_out(w);
  size_t at = o.len;
  int rc = jo_string(&o, s, n);
  if (rc == 1) { /* not valid UTF-8: null */
    o.len = at;
    rc = jo_add(&o, "null", 4);
  }
  jw_back(w, &o, rc);
  if (!w->depth) w->root = (json_t *)1;
}

void qb_jw_real(qb_jw *w, double v) {
  if (!isfinite(v)) {
    qb_jw_null(w);
    return;
  }
  if (w->tree) {
    jw_scalar(w, NULL, 0, json_real(v));
    return;
  }
  if (jw_prefix(w, 0)) return;
  jo_out o = jw_out(w);
  jw_back(w, &o, jo_real(&o, v));
  if (!w->depth) w->root = (json_t *)1;
}

void qb_jw_int(qb_jw *w, long long v) {
  if (w->tree) {
    jw_scalar(w, NULL, 0, json_integer(v));
    return;
  }
  if (jw_prefix(w, 0)) return;
  jo_out o = jw_out(w);
  jw_back(w, &o, jo_integer(&o, v));
  if (!w->depth) w->root = (json_t *)1;
}

void qb_jw_bool(qb_jw *w, int v) {
  jw_scalar(w, v ? "true" : "false", v ? 4 : 5, w->tree ? json_boolean(v) : NULL);
}

void qb_jw_null(qb_jw *w) {
  jw_scalar(w, "null", 4, w->tree ? json_null() : NULL);
}

void qb_jw_json(qb_jw *w, const json_t *v) {
  if (!v) {
    qb_jw_null(w);
    return;
  }
  if (w->tree) {
    jw_scalar(w, NULL, 0, json_deep_copy(v));
    return;
  }
  if (jw_prefix(w, 0)) return;
  jo_out o = jw_out(w);
  jw_back(w, &o, jo_value(&o, v, w->depth, NULL));
  if (!w->depth) w->root = (json_t *)1;
}

char *qb_jw_text(qb_jw *w) {
  char *p = w->p;
  int ok = !w->failed && !w->tree && !w->depth && w->root && p;
  w->p = NULL;
  if (!ok) {
    free(p);
    return NULL;
  }
  if (w->cap - w->len > w->len / 4 + 64) { /* give back a large unused tail */
    char *q = realloc(p, w->len + 1);
    if (q) p = q;
  }
  p[w->len] = '\0';
  return p;
}

json_t *qb_jw_take_tree(qb_jw *w) {
  for (; w->depth; w->depth--) json_decref(w->stack[w->depth - 1].j);
  json_t *root = w->tree ? w->root : NULL;
  w->root = NULL;
  if (w->failed || !w->tree) {
    json_decref(root);
    return NULL;
  }
  return root;
}
