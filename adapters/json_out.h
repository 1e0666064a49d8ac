/* adapters/json_out.h - jansson's json_dumps without printf: the same bytes, several times faster
 * on documents full of reals (each real goes through qb_dtoa_g17 instead of snprintf "%.17g").
 *
 * Ownership: the tree is borrowed and left as it was; qb_json_dumps's text belongs to the
 * caller, who frees it with free(). These are drop-ins for json_dumps / json_dumpf, so they
 * fail as those do (NULL, -1) rather than with a qb_err. */
#ifndef QB_ADAPTERS_JSON_OUT_H
#define QB_ADAPTERS_JSON_OUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* The text of j, byte for byte what json_dumps(j, flags | JSON_REAL_PRECISION(17)) returns
 * (jansson 2.14, C locale): flags combine JSON_INDENT(n), JSON_COMPACT, JSON_ENCODE_ANY,
 * JSON_SORT_KEYS and JSON_PRESERVE_ORDER (a no-op). Other flags (JSON_ENSURE_ASCII,
 * JSON_ESCAPE_SLASH, JSON_EMBED, a JSON_REAL_PRECISION other than 17) are handed to json_dumps
 * itself. NULL, as json_dumps, when j is NULL, is neither an array nor an object (without
 * JSON_ENCODE_ANY), contains itself, holds a string value that is not valid UTF-8 or a real
 * that is not finite, or on out of memory. The caller frees the result with free(). */
char *qb_json_dumps(const json_t *j, size_t flags);

/* Write qb_json_dumps(j, flags) to f: 0, or -1 when the text cannot be made (nothing is written
 * then) or f fails. */
int qb_json_dumpf(const json_t *j, FILE *f, size_t flags);

/* ---- a writer: JSON made by calls, as text or as a tree ----
 * The same calls give either the text qb_json_dumps would give for the tree they describe
 * (without building it: no allocation per value) or that tree. Views write through it once and
 * serve both (view/json.c). A call after a failure (out of memory, a misuse such as a value
 * without its key in an object) does nothing; the result is then NULL. */
#define QB_JW_MAX_DEPTH 32
typedef struct qb_jw {
  int tree;   /* 1: build a tree (qb_jw_init_tree) */
  int failed; /* out of memory or misused: the result is NULL */
  char *p;    /* text mode: the text so far */
  size_t len, cap;
  unsigned indent; /* JSON_INDENT(n): n */
  int compact;     /* JSON_COMPACT */
  unsigned depth;  /* open containers */
  struct {
    json_t *j;    /* tree mode: the container */
    size_t count; /* members written */
    int object;
  } stack[QB_JW_MAX_DEPTH];
  const char *key; /* the key waiting for its value (objects) */
  json_t *root;    /* tree mode: the finished value */
} qb_jw;

/* Start text with flags as for qb_json_dumps (JSON_INDENT(n), JSON_COMPACT), or a tree. */
void qb_jw_init(qb_jw *w, size_t flags);
void qb_jw_init_tree(qb_jw *w);
/* Open an object or an array (as a value), close the innermost one. */
void qb_jw_obj(qb_jw *w);
void qb_jw_arr(qb_jw *w);
void qb_jw_end(qb_jw *w);
/* The key of the next value, inside an object (k must stay valid until that value). */
void qb_jw_key(qb_jw *w, const char *k);
/* Values: a string (NULL, or bytes that are not UTF-8: null), a number (NAN or infinite: null), an
 * integer, a boolean, null, and a copy of an existing tree v (NULL: null; borrowed). */
void qb_jw_str(qb_jw *w, const char *s);
void qb_jw_real(qb_jw *w, double v);
void qb_jw_int(qb_jw *w, long long v);
void qb_jw_bool(qb_jw *w, int v);
void qb_jw_null(qb_jw *w);
void qb_jw_json(qb_jw *w, const json_t *v);
/* The result, handed over (NULL after a failure or before the outer value is closed): the text
 * (free with free()) or the tree (json_decref). Either call ends the writer's use. */
char *qb_jw_text(qb_jw *w);
json_t *qb_jw_take_tree(qb_jw *w);

#endif
