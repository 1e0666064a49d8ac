/* adapters/json.c - jansson helpers with positioned, field-naming errors. */
#include "adapters/json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/json_out.h"

/* ---- the parse arena (json.h) ---------------------------------------------------------- */
/* Chunks of at least ARENA_CHUNK bytes, each twice the last up to ARENA_CHUNK_MAX. */
#define ARENA_CHUNK     ((size_t)64 << 10)
#define ARENA_CHUNK_MAX ((size_t)1 << 20)
#define ARENA_ALIGN     16

typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t size, used;
  _Alignas(ARENA_ALIGN) unsigned char data[];
} arena_chunk;

static _Thread_local struct {
  arena_chunk *head; /* newest chunk first */
  size_t bytes;      /* of all chunks */
  int depth;         /* open scopes */
} arena;

static void *arena_malloc(size_t n) {
  if (!arena.depth) return malloc(n);
  n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  arena_chunk *c = arena.head;
  if (!c || c->size - c->used < n) {
    size_t size = c ? 2 * c->size : ARENA_CHUNK;
    if (size > ARENA_CHUNK_MAX) size = ARENA_CHUNK_MAX;
    if (size < n) size = n;
    if (!(c = malloc(sizeof *c + size))) return NULL;
    c->next = arena.head;
    c->size = size;
    c->used = 0;
    arena.head = c;
    arena.bytes += size;
  }
  void *p = c->data + c->used;
  c->used += n;
  return p;
}

/* A pointer from the arena is freed with it; any other (made outside a scope) is free()d. */
static void arena_free(void *p) {
  if (!p) return;
  if (arena.depth)
    for (const arena_chunk *c = arena.head; c; c = c->next)
      if ((unsigned char *)p >= c->data && (unsigned char *)p < c->data + c->size) return;
  free(p);
}

/* Installed before main: from then on every jansson allocation goes through the two above. */
__attribute__((constructor)) static void arena_install(void) {
  json_set_alloc_funcs(arena_malloc, arena_free);
}

void qb_json_arena_begin(void) {
  arena.depth++;
}

void qb_json_arena_end(void) {
  if (arena.depth == 0 || --arena.depth > 0) return;
  for (arena_chunk *c = arena.head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  arena.head = NULL;
  arena.bytes = 0;
}

size_t qb_json_arena_bytes(void) {
  return arena.bytes;
}

int qb_json_parse(const char *path, const char *data, size_t len, json_t **out, qb_err *err) {
  json_error_t je;
  if ((*out = qb_json_parse_fast(data, len, 1))) return QB_OK;
  /* not accepted by the fast path: jansson parses it or says where it is wrong */
  *out = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
  if (!*out)
    return qb_err_set(err, QB_EFORMAT, "%s: invalid JSON at line %d, column %d (byte %d): %s", path,
                      je.line, je.column, je.position, je.text);
  return QB_OK;
}

/* ---- Python's extensions (json.h: qb_json_special) -------------------------------------- */

void qb_json_specials_dispose(qb_json_specials *s) {
  free(s->v);
  s->v = NULL;
  s->n = s->cap = 0;
}

static int cmp_special(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const qb_json_special *)a)->value;
  uintptr_t y = (uintptr_t)((const qb_json_special *)b)->value;
  return (x > y) - (x < y);
}

const qb_json_special *qb_json_specials_find(const qb_json_specials *s, const json_t *v) {
  if (!s || !s->n || !json_is_string(v)) return NULL;
  qb_json_special key = {v, 0};
  return bsearch(&key, s->v, s->n, sizeof *s->v, cmp_special);
}

void qb_json_position(const char *data, size_t len, size_t offset, int *line, int *column) {
  size_t l = 1, start = 0;
  if (offset > len) offset = len;
  for (size_t i = 0; i < offset; i++)
    if (data[i] == '\n') l++, start = i + 1;
  *line = (int)l;
  *column = (int)(offset - start + 1);
}

/* Length of the token Python writes beyond JSON that starts at s[0..n) (NaN, Infinity,
 * -Infinity, or an integer that strtoll cannot hold), or 0. */
static size_t py_token(const char *s, size_t n) {
  static const char *const TOKENS[] = {"NaN", "Infinity", "-Infinity"};
  for (size_t k = 0; k < 3; k++) {
    size_t l = strlen(TOKENS[k]);
    if (l <= n && !memcmp(s, TOKENS[k], l)) return l;
  }
  size_t i = s[0] == '-', d;
  for (d = i; d < n && s[d] >= '0' && s[d] <= '9';) d++;
  if (d == i || (d < n && (s[d] == '.' || s[d] == 'e' || s[d] == 'E'))) return 0;
  if (d - i < 19) return 0; /* fits */
  char buf[32];
  if (d < sizeof buf) {
    memcpy(buf, s, d);
    buf[d] = '\0';
    errno = 0;
    (void)strtoll(buf, NULL, 10);
    if (errno != ERANGE) return 0;
  }
  return d;
}

int qb_json_scan_values(const char *data, size_t len, int at_start,
                        size_t (*token)(const char *s, size_t n),
                        int (*found)(void *ctx, size_t at, size_t n), void *ctx) {
  int in_str = 0;
  char prev = at_start ? '[' : 0; /* the last structural character outside strings */
  for (size_t i = 0; i < len; i++) {
    char c = data[i];
    if (in_str) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_str = 0, prev = '"';
      continue;
    }
    if (c == '"') {
      in_str = 1;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    size_t l;
    if ((prev == ':' || prev == ',' || prev == '[') && (l = token(data + i, len - i))) {
      int rc = found(ctx, i, l);
      if (rc) return rc;
      i += l - 1;
      prev = '0';
      continue;
    }
    prev = c;
  }
  return 0;
}

typedef struct py_blank {
  char *copy;
  int replaced;
} py_blank;

/* qb_json_scan_values' found for py_error: the token becomes a 0 padded with spaces. */
static int py_blank_token(void *ctx, size_t at, size_t n) {
  py_blank *b = ctx;
  b->copy[at] = '0';
  memset(b->copy + at + 1, ' ', n - 1);
  b->replaced = 1;
  return 0;
}

/* The error for data that the Python-mode fast path refused: jansson's, on a copy in which every
 * token Python writes beyond JSON that stands where a value goes is replaced by a 0 padded with
 * spaces to the same length, so that lines, columns and bytes are those of the original. */
static int py_error(const char *path, const char *data, size_t len, json_t **out, qb_err *err) {
  char *copy = malloc(len ? len : 1);
  int rc;
  if (!copy) return qb_err_set(err, QB_ENOMEM, "%s: out of memory", path);
  memcpy(copy, data, len);
  py_blank b = {copy, 0};
  qb_json_scan_values(data, len, 1, py_token, py_blank_token, &b);
  json_error_t je;
  *out = json_loadb(copy, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
  free(copy);
  if (!*out)
    return qb_err_set(err, QB_EFORMAT, "%s: invalid JSON at line %d, column %d (byte %d): %s", path,
                      je.line, je.column, je.position, je.text);
  if (!b.replaced) return QB_OK; /* valid JSON the fast path left to jansson: its tree */
  /* not expected: the fast path reads everything valid in this mode */
  json_decref(*out);
  *out = NULL;
  rc = qb_err_set(err, QB_EFORMAT,
                  "%s: invalid JSON: not readable with NaN, Infinity or an "
                  "integer beyond 64 bits in it",
                  path);
  return rc;
}

int qb_json_parse_py(const char *path, const char *data, size_t len, json_t **out,
                     qb_json_specials *specials, qb_err *err) {
  specials->n = 0;
  if ((*out = qb_json_parse_fast_py(data, len, 1, specials))) {
    if (specials->n > 1) qsort(specials->v, specials->n, sizeof *specials->v, cmp_special);
    return QB_OK;
  }
  specials->n = 0;
  return py_error(path, data, len, out, err);
}

const char *qb_json_type_name(const json_t *v) {
  if (!v) return "nothing";
  switch (json_typeof(v)) {
    case JSON_OBJECT:
      return "object";
    case JSON_ARRAY:
      return "array";
    case JSON_STRING:
      return "string";
    case JSON_INTEGER:
      return "integer";
    case JSON_REAL:
      return "number";
    case JSON_TRUE:
    case JSON_FALSE:
      return "boolean";
    case JSON_NULL:
      return "null";
  }
  return "unknown";
}

static int lookup(const char *path, const char *where, json_t *obj, const char *key, int required,
                  json_t **v, qb_err *err) {
  *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
  if (*v && !json_is_null(*v)) return QB_OK;
  if (!required) return QB_ENOTFOUND;
  return qb_err_set(err, QB_EFORMAT, "%s: %s%s%s: required field is %s", path, where,
                    *where ? "." : "", key, *v ? "null" : "missing");
}

static int wrong(const char *path, const char *where, const char *key, const char *want,
                 const json_t *v, qb_err *err) {
  return qb_err_set(err, QB_EFORMAT, "%s: %s%s%s: expected %s, got %s", path, where,
                    *where ? "." : "", key, want, qb_json_type_name(v));
}

int qb_json_num(const char *path, const char *where, json_t *obj, const char *key, int required,
                double *out, qb_err *err) {
  json_t *v;
  int rc = lookup(path, where, obj, key, required, &v, err);
  if (rc) return rc;
  if (!json_is_number(v)) return wrong(path, where, key, "a number", v, err);
  *out = json_number_value(v);
  return QB_OK;
}

int qb_json_int(const char *path, const char *where, json_t *obj, const char *key, int required,
                long long *out, qb_err *err) {
  json_t *v;
  int rc = lookup(path, where, obj, key, required, &v, err);
  if (rc) return rc;
  if (json_is_integer(v)) {
    *out = json_integer_value(v);
    return QB_OK;
  }
  if (json_is_real(v)) {
    double d = json_real_value(v);
    if (d == floor(d) && fabs(d) < 9.0e18) {
      *out = (long long)d;
      return QB_OK;
    }
  }
  return wrong(path, where, key, "an integer", v, err);
}

int qb_json_str(const char *path, const char *where, json_t *obj, const char *key, int required,
                const char **out, qb_err *err) {
  json_t *v;
  int rc = lookup(path, where, obj, key, required, &v, err);
  if (rc) return rc;
  if (!json_is_string(v)) return wrong(path, where, key, "a string", v, err);
  *out = json_string_value(v);
  return QB_OK;
}

int qb_json_obj(const char *path, const char *where, json_t *obj, const char *key, int required,
                json_t **out, qb_err *err) {
  json_t *v;
  int rc = lookup(path, where, obj, key, required, &v, err);
  if (rc) return rc;
  if (!json_is_object(v)) return wrong(path, where, key, "an object", v, err);
  *out = v;
  return QB_OK;
}

int qb_json_arr(const char *path, const char *where, json_t *obj, const char *key, int required,
                json_t **out, qb_err *err) {
  json_t *v;
  int rc = lookup(path, where, obj, key, required, &v, err);
  if (rc) return rc;
  if (!json_is_array(v)) return wrong(path, where, key, "an array", v, err);
  *out = v;
  return QB_OK;
}

int qb_json_opt_str(const char *path, const char *where, json_t *obj, const char *key,
                    const char **out, qb_err *err) {
  *out = NULL;
  int rc = qb_json_str(path, where, obj, key, 0, out, err);
  return rc == QB_ENOTFOUND ? QB_OK : rc;
}

int qb_json_opt_obj(const char *path, const char *where, json_t *obj, const char *key, json_t **out,
                    qb_err *err) {
  *out = NULL;
  int rc = qb_json_obj(path, where, obj, key, 0, out, err);
  return rc == QB_ENOTFOUND ? QB_OK : rc;
}

int qb_json_opt_arr(const char *path, const char *where, json_t *obj, const char *key, json_t **out,
                    qb_err *err) {
  *out = NULL;
  int rc = qb_json_arr(path, where, obj, key, 0, out, err);
  return rc == QB_ENOTFOUND ? QB_OK : rc;
}

int qb_json_opt_num(const char *path, const char *where, json_t *obj, const char *key, double *out,
                    int *have, qb_err *err) {
  int rc = qb_json_num(path, where, obj, key, 0, out, err);
  *have = rc == QB_OK;
  return rc == QB_ENOTFOUND ? QB_OK : rc;
}

int qb_json_opt_int(const char *path, const char *where, json_t *obj, const char *key,
                    long long *out, int *have, qb_err *err) {
  int rc = qb_json_int(path, where, obj, key, 0, out, err);
  *have = rc == QB_OK;
  return rc == QB_ENOTFOUND ? QB_OK : rc;
}

int qb_json_parse_line(const char *path, size_t lineno, const char *s, size_t n, json_t **out,
                       qb_err *err) {
  json_error_t je;
  if (!(*out = qb_json_parse_fast(s, n, 0))) *out = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
  if (!*out)
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: invalid JSON at column %d: %s", path, lineno,
                      je.column, je.text);
  if (!json_is_object(*out)) {
    int rc = qb_err_set(err, QB_EFORMAT, "%s:%zu: expected a JSON object, got %s", path, lineno,
                        qb_json_type_name(*out));
    json_decref(*out);
    *out = NULL;
    return rc;
  }
  return QB_OK;
}

int qb_json_set_text(char **field, const json_t *v, qb_err *err) {
  char *text = NULL;
  if (v && !json_is_null(v) && !(text = qb_json_dump(v)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  free(*field);
  *field = text;
  return QB_OK;
}

char *qb_json_dump(const json_t *v) {
  if (!v || json_is_null(v)) return NULL;
  /* json_dumps's bytes without printf for the reals (several times faster on the stats objects
   * of benchmark files) */
  return qb_json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}
