/* adapters/json.h - jansson helpers shared by the JSON adapters: parsing with positioned errors
 * and typed field access whose errors name the file and the field path.
 *
 * Ownership: qb_json_parse gives a new reference (json_decref it); getters return borrowed
 * references or copy scalars; qb_json_dump returns a malloc'd string the caller frees.
 * `where` is the JSON path of the object being read, e.g. "benchmarks[3].stats" ("" = root). */
#ifndef QB_ADAPTERS_JSON_H
#define QB_ADAPTERS_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"

/* Parse data (len bytes) as one JSON value. Errors: "PATH: invalid JSON at line L, column C
 * (byte B): TEXT" with QB_EFORMAT. Duplicate object keys are refused. */
int qb_json_parse(const char *path, const char *data, size_t len, json_t **out, qb_err *err);

/* What Python's json module writes beyond JSON, read by qb_json_parse_py: the bare tokens NaN,
 * Infinity and -Infinity where a value goes, and integers that do not fit in 64 bits. Each is
 * put in the tree as a JSON string holding its text exactly ("NaN", "-Infinity",
 * "1180591620717411303424") and listed here, so that a caller can tell it from a string the file
 * wrote and say where it stood. */
typedef struct qb_json_special {
  const json_t *value; /* the string standing for it in the tree (borrowed from the tree) */
  size_t offset;       /* byte offset of the token in the input */
} qb_json_special;
typedef struct qb_json_specials {
  qb_json_special *v; /* sorted by value pointer once the parse is done */
  size_t n, cap;
} qb_json_specials;
#define QB_JSON_SPECIALS_INIT                                                                      \
  { NULL, 0, 0 }
/* Free the list (not the values, which belong to the tree) and empty it. */
void qb_json_specials_dispose(qb_json_specials *s);
/* The entry of s for the tree value v, or NULL when v is not one of them. */
const qb_json_special *qb_json_specials_find(const qb_json_specials *s, const json_t *v);
/* Line and column (both from 1, the column in bytes) of byte offset in data. */
void qb_json_position(const char *data, size_t len, size_t offset, int *line, int *column);

/* The scanner of the readers of bare tokens (qb_json_parse_py, the Google Benchmark adapter):
 * walks data outside strings and, at each place where a value may start (after ':', ',' or '[',
 * and at the start of the text when at_start), asks token for the length of a token of its own
 * starting there (0: none); for each one found calls found(ctx, offset, length) and goes on after
 * it. Returns 0, or the first non-zero value found returned (the scan then stops). */
int qb_json_scan_values(const char *data, size_t len, int at_start,
                        size_t (*token)(const char *s, size_t n),
                        int (*found)(void *ctx, size_t at, size_t n), void *ctx);

/* Parse like qb_json_parse, and also accept what Python's json.dumps writes (pytest-benchmark
 * files): see qb_json_special. *specials (caller-initialised with QB_JSON_SPECIALS_INIT, disposed
 * by the caller, also on failure) lists them. An error in the rest of the text is reported as
 * qb_json_parse reports it, at its own line, column and byte. */
int qb_json_parse_py(const char *path, const char *data, size_t len, json_t **out,
                     qb_json_specials *specials, qb_err *err);

/* The fast path of the parsers here (adapters/json_fast.c): the value jansson's json_loadb would
 * give for data with JSON_REJECT_DUPLICATES (plus JSON_ALLOW_NUL when allow_nul), or NULL when
 * the input is malformed or is a rare case left to jansson (then call json_loadb for the value
 * or the error). A new reference. */
json_t *qb_json_parse_fast(const char *data, size_t len, int allow_nul);
/* The same with Python's extensions (qb_json_parse_py): non-NULL specials turns them on, and then
 * nothing valid is left to jansson (nesting up to jansson's 2048 levels, numbers of any length);
 * NULL when the input is malformed (or memory is short). */
json_t *qb_json_parse_fast_py(const char *data, size_t len, int allow_nul,
                              qb_json_specials *specials);

/* Length of the valid UTF-8 sequence starting at s (lead byte >= 0x80, end: the end of the
 * text), or 0 when it is not one: overlong forms, surrogates and code points above U+10FFFF are
 * invalid, as in jansson (its parser and its dumper agree on this). */
size_t qb_json_utf8_len(const unsigned char *s, const unsigned char *end);

/* The double strtod gives for the JSON-style decimal s[0..n) ("-12.5e-3"), computed without
 * strtod when that is exact and cheap (at most 19 significant digits, a small power of ten):
 * returns 1 and sets *out, or 0 (out untouched) when the caller must use strtod. */
int qb_json_decimal(const char *s, size_t n, double *out);
/* 1 when qb_json_decimal may use extended precision (x87 arithmetic that really carries 64-bit
 * significands here; checked on every call of qb_json_decimal, and once per document by the
 * parsers, as a program or an emulator can change it). */
int qb_json_decimal_extended(void);

/* An arena for the jansson values of one parse (the tree of a benchmark file is thousands of small
 * values, allocated together and freed together; malloc's bins made that a tenth of an upload's
 * CPU). Between qb_json_arena_begin() and qb_json_arena_end() (nested pairs count), every jansson
 * value the calling thread creates is carved out of a thread-local arena, freeing one is a no-op,
 * and qb_json_arena_end() gives the arena back at once. Values created in the scope must be
 * freed in it (json_decref) and must not be attached to a value from outside it: nothing
 * created there may outlive the scope. Other threads, and this thread outside a scope, use
 * malloc and free as jansson does by default. */
void qb_json_arena_begin(void);
void qb_json_arena_end(void);
/* The bytes the calling thread's arena holds now (0 outside a scope; for tests). */
size_t qb_json_arena_bytes(void);

/* Fetch obj[key] as a number (integer or real). Missing or null: QB_ENOTFOUND when !required
 * (out untouched, no message), QB_EFORMAT when required. Wrong type: QB_EFORMAT naming
 * "PATH: WHERE.KEY: expected a number, got TYPE". */
int qb_json_num(const char *path, const char *where, json_t *obj, const char *key, int required,
                double *out, qb_err *err);
/* Same for an integer (a real with an integral value is accepted). */
int qb_json_int(const char *path, const char *where, json_t *obj, const char *key, int required,
                long long *out, qb_err *err);
/* Same for a string; *out is borrowed from obj. */
int qb_json_str(const char *path, const char *where, json_t *obj, const char *key, int required,
                const char **out, qb_err *err);
/* Same for an object or an array (borrowed). */
int qb_json_obj(const char *path, const char *where, json_t *obj, const char *key, int required,
                json_t **out, qb_err *err);
int qb_json_arr(const char *path, const char *where, json_t *obj, const char *key, int required,
                json_t **out, qb_err *err);

/* Optional variants: absent or null is not an error (returns 0; pointers become NULL, *have
 * becomes 0 and *out is left untouched for numbers); a wrong type is QB_EFORMAT as above. */
int qb_json_opt_str(const char *path, const char *where, json_t *obj, const char *key,
                    const char **out, qb_err *err);
int qb_json_opt_obj(const char *path, const char *where, json_t *obj, const char *key, json_t **out,
                    qb_err *err);
int qb_json_opt_arr(const char *path, const char *where, json_t *obj, const char *key, json_t **out,
                    qb_err *err);
int qb_json_opt_num(const char *path, const char *where, json_t *obj, const char *key, double *out,
                    int *have, qb_err *err);
int qb_json_opt_int(const char *path, const char *where, json_t *obj, const char *key,
                    long long *out, int *have, qb_err *err);

/* Parse one line of a JSON Lines file (n bytes, no newline) as an object. Errors:
 * "PATH:LINE: invalid JSON at column C: TEXT" or "PATH:LINE: expected a JSON object, got T". */
int qb_json_parse_line(const char *path, size_t lineno, const char *s, size_t n, json_t **out,
                       qb_err *err);

/* Replace *field (a malloc'd string owned by a model struct) with qb_json_dump(v); NULL or json
 * null clears it. */
int qb_json_set_text(char **field, const json_t *v, qb_err *err);

/* Compact JSON text with sorted keys; NULL for NULL/json null or out of memory. Caller frees. */
char *qb_json_dump(const json_t *v);

/* jansson's type name of v ("object", "string", "null"...). */
const char *qb_json_type_name(const json_t *v);

#endif
