/* service/family.h - a benchmark name split into its family and its parameters, by one rule from
 * the name alone (docs/api/README.md, "Families"), so that every tool's spelling of a
 * parametrized benchmark groups the same way:
 *
 *   "sort/n=100"          -> "sort"        {"n": "100"}
 *   "BM_Sort/1024/8"      -> "BM_Sort"     {"0": "1024", "1": "8"}
 *   "BM_Sort/threads:4"   -> "BM_Sort"     {"threads": "4"}
 *   "hash/lookup/1000"    -> "hash/lookup" {"0": "1000"}
 *   "test_x[100]"         -> "test_x"      {"0": "100"}
 *   "parse/config_large"  -> "parse/config_large" {} (no parameter)
 *
 * A name ending in "]" with a "[" after its first character (pytest's parametrized tests) is its
 * text before the first "[" and one parameter "0": the text between (pytest's id, whole). Else
 * the name's "/"-separated components after the first: the first component that is a parameter
 * starts the parameters, and every component from there is one: "key=value" and "key:value" (a
 * non-empty key and value) are named, anything else is positional, numbered from "0" in order.
 * A component is a parameter when it is named, or a number (an optional sign, digits, an
 * optional fraction and exponent) with an optional unit of letters ("64", "1.5", "1e6", "4KiB",
 * "10ms"). The family is the name before that component's "/".
 *
 * Ownership: a split borrows the name it was made from (pointers into it, and static keys for
 * the positional parameters); nothing is allocated. */
#ifndef QB_SERVICE_FAMILY_H
#define QB_SERVICE_FAMILY_H

#include <stddef.h>

/* At most this many parameters are kept (a name with more keeps its first ones). */
#define QB_FAMILY_MAX_PARAMS 8

/* One parameter: key[0..key_len) and value[0..value_len). */
typedef struct qb_bench_param {
  const char *key, *value;
  size_t key_len, value_len;
} qb_bench_param;

typedef struct qb_bench_split {
  size_t family_len; /* the family is name[0..family_len) */
  size_t n_params;
  qb_bench_param params[QB_FAMILY_MAX_PARAMS];
} qb_bench_split;

/* Split name (not NULL) by the rule above into *out. */
void qb_bench_family_split(const char *name, qb_bench_split *out);

#endif
