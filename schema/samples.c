/* schema/samples.c - encode/decode raw samples (see samples.h for the layout). */
#include "schema/samples.h"

#include <stdlib.h>
#include <string.h>

enum { MODE_ONES = 0, MODE_CONST = 1, MODE_ARITH = 2, MODE_LIST = 3 };

/* Pick the cheapest iteration mode for iters[0..n). */
static int pick_mode(const uint64_t *iters, size_t n, uint64_t *a, uint64_t *d) {
  if (!iters || n == 0) return MODE_ONES;
  int all_same = 1;
  for (size_t i = 1; i < n && all_same; i++) all_same = iters[i] == iters[0];
  if (all_same) {
    *a = iters[0];
    return iters[0] == 1 ? MODE_ONES : MODE_CONST;
  }
  if (iters[1] > iters[0]) {
    uint64_t step = iters[1] - iters[0];
    size_t i = 2;
    while (i < n && iters[i] > iters[i - 1] && iters[i] - iters[i - 1] == step) i++;
    if (i == n) {
      *a = iters[0];
      *d = step;
      return MODE_ARITH;
    }
  }
  return MODE_LIST;
}

int qb_samples_encode(const double *values, const uint64_t *iters, size_t n, qb_buf *out,
                      qb_err *err) {
  uint64_t a = 0, d = 0;
  int mode = pick_mode(iters, n, &a, &d), rc;
  unsigned char head[2] = {1, (unsigned char)mode};
  if ((rc = qb_buf_add(out, head, 2, err)) || (rc = qb_buf_add_varint(out, n, err))) return rc;
  if (mode == MODE_CONST) rc = qb_buf_add_varint(out, a, err);
  if (mode == MODE_ARITH && !(rc = qb_buf_add_varint(out, a, err)))
    rc = qb_buf_add_varint(out, d, err);
  for (size_t i = 0; mode == MODE_LIST && !rc && i < n; i++)
    rc = qb_buf_add_varint(out, iters[i], err);
  if (rc) return rc;
  /* values: little-endian binary64 */
  size_t at = out->len;
  if ((rc = qb_buf_add(out, values, n * sizeof(double), err))) return rc;
  for (size_t i = 0; i < n; i++) {
    uint64_t bits;
    memcpy(&bits, &values[i], 8);
    unsigned char *p = (unsigned char *)out->data + at + 8 * i;
    for (int k = 0; k < 8; k++) p[k] = (unsigned char)(bits >> (8 * k));
  }
  return QB_OK;
}

/* Read a varint at *p (before end); returns 0, or -1 when truncated/overlong. */
static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*p >= end) return -1;
    unsigned char c = *(*p)++;
    r |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *v = r;
      return 0;
    }
  }
  return -1;
}

int qb_samples_decode(const void *blob, size_t len, double **values, uint64_t **iters,
                      size_t *n_out, qb_err *err) {
  const unsigned char *p = blob, *end = p + len;
  *values = NULL;
  if (iters) *iters = NULL;
  *n_out = 0;
  uint64_t n, a = 0, d = 0;
  if (len < 3 || p[0] != 1 || p[1] > MODE_LIST)
    return qb_err_set(err, QB_EDB, "sample blob: unknown encoding");
  int mode = p[1];
  p += 2;
  if (get_varint(&p, end, &n) || n > len)
    return qb_err_set(err, QB_EDB, "sample blob: bad sample count");
  if ((mode == MODE_CONST && get_varint(&p, end, &a)) ||
      (mode == MODE_ARITH && (get_varint(&p, end, &a) || get_varint(&p, end, &d))))
    return qb_err_set(err, QB_EDB, "sample blob: truncated header");
  int keep = iters && mode != MODE_ONES; /* the counts are wanted and not all 1 */
  double *v = malloc((n ? n : 1) * sizeof *v);
  uint64_t *it = keep ? malloc((n ? n : 1) * sizeof *it) : NULL, skip;
  if (!v || (keep && !it)) {
    free(v);
    free(it);
    return qb_err_set(err, QB_ENOMEM, "out of memory decoding %llu samples", (unsigned long long)n);
  }
  for (uint64_t i = 0; i < n && keep; i++) {
    if (mode == MODE_CONST) it[i] = a;
    if (mode == MODE_ARITH) it[i] = a + i * d;
    if (mode == MODE_LIST && get_varint(&p, end, &it[i])) goto bad;
  }
  for (uint64_t i = 0; i < n && !keep && mode == MODE_LIST; i++) /* read past them */
    if (get_varint(&p, end, &skip)) goto bad;
  if ((size_t)(end - p) != n * 8) goto bad;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(v, p, n * 8); /* stored little-endian: the bytes are the doubles */
#else
  for (uint64_t i = 0; i < n; i++, p += 8) {
    uint64_t bits = 0;
    for (int k = 0; k < 8; k++) bits |= (uint64_t)p[k] << (8 * k);
    memcpy(&v[i], &bits, 8);
  }
#endif
  *values = v;
  if (iters) *iters = it;
  *n_out = n;
  return QB_OK;
bad:
  free(v);
  free(it);
  return qb_err_set(err, QB_EDB, "sample blob: truncated data");
}
