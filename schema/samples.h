/* schema/samples.h - the compact encoding of a result's raw samples (stored as one BLOB).
 *
 * Layout (version 1; docs/storage.md):
 *   byte 0   encoding version (1)
 *   byte 1   iteration mode: 0 = every sample is 1 iteration, 1 = constant c,
 *            2 = arithmetic progression a + i*d (criterion's linear sampling), 3 = one varint each
 *   varint   n (number of samples)
 *   mode 1: varint c; mode 2: varint a, varint d; mode 3: n varints
 *   n x 8 bytes: the per-iteration values as IEEE-754 binary64, little-endian
 * Varints are unsigned LEB128. So a sample costs 8 bytes plus at most a varint.
 *
 * Ownership: qb_samples_encode appends to the caller's buffer; qb_samples_decode returns
 * malloc'd arrays the caller frees with free(). */
#ifndef QB_SCHEMA_SAMPLES_H
#define QB_SCHEMA_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* Append the encoding of n values (iters may be NULL: 1 each) to out. */
int qb_samples_encode(const double *values, const uint64_t *iters, size_t n, qb_buf *out,
                      qb_err *err);

/* Decode a blob of len bytes. *values gets n doubles; *iters gets n counts, or NULL when every
 * sample is one iteration. iters may be NULL: the counts are checked but not kept. QB_EDB when
 * the blob is malformed. */
int qb_samples_decode(const void *blob, size_t len, double **values, uint64_t **iters, size_t *n,
                      qb_err *err);

#endif
