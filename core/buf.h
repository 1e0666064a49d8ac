/* core/buf.h - a growable byte buffer with a size cap fixed at init.
 *
 * Ownership: the qb_buf struct is the caller's; its data is freed by qb_buf_dispose() or handed
 * over by qb_buf_take() (then the caller frees it with free()). The cap bounds untrusted input:
 * an append that would pass it fails with QB_EFORMAT and leaves the buffer as it was. The data
 * is always NUL-terminated (the NUL is not counted in len). */
#ifndef QB_CORE_BUF_H
#define QB_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct qb_buf {
  char *data;
  size_t len;
  size_t alloc;
  size_t max; /* largest len allowed */
} qb_buf;

/* Start an empty buffer that may grow up to max bytes. Allocates nothing. */
void qb_buf_init(qb_buf *b, size_t max);
/* Free the buffer's data and reset it to empty (keeps max). */
void qb_buf_dispose(qb_buf *b);
/* Append n bytes. */
int qb_buf_add(qb_buf *b, const void *p, size_t n, qb_err *err);
/* Append a NUL-terminated string. */
int qb_buf_adds(qb_buf *b, const char *s, qb_err *err);
/* Append printf-style text. */
int qb_buf_printf(qb_buf *b, qb_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Append an unsigned LEB128 varint. */
int qb_buf_add_varint(qb_buf *b, uint64_t v, qb_err *err);
/* Hand over the data (NUL-terminated, never NULL: an empty buffer gives ""), optionally its
 * length; the buffer is left empty. The caller frees the result with free(). */
char *qb_buf_take(qb_buf *b, size_t *len);

/* Read a whole file into *out (NUL-terminated, caller frees with free()); refuses files larger
 * than max bytes. Errors name the path. */
int qb_file_read(const char *path, size_t max, char **out, size_t *out_len, qb_err *err);

/* strdup that returns NULL for NULL. Caller frees. */
char *qb_strdup(const char *s);
/* Copy at most n bytes of s into a new NUL-terminated string. Caller frees. */
char *qb_strndup(const char *s, size_t n);

#endif
