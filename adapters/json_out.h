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
 * (jansson 2.14, C locale): flags combine JSON_INDENT(n), JSON_COMPACT, JSON_ENCODE_ANY and
 * JSON_PRESERVE_ORDER (a no-op). Other flags (JSON_SORT_KEYS, JSON_ENSURE_ASCII,
 * JSON_ESCAPE_SLASH, JSON_EMBED, a JSON_REAL_PRECISION other than 17) are handed to json_dumps
 * itself. NULL, as json_dumps, when j is NULL, is neither an array nor an object (without
 * JSON_ENCODE_ANY), contains itself, holds a string value that is not valid UTF-8 or a real
 * that is not finite, or on out of memory. The caller frees the result with free(). */
char *qb_json_dumps(const json_t *j, size_t flags);

/* Write qb_json_dumps(j, flags) to f: 0, or -1 when the text cannot be made (nothing is written
 * then) or f fails. */
int qb_json_dumpf(const json_t *j, FILE *f, size_t flags);

#endif
