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

/* Read all of the open descriptor fd (named name in messages) into *out (NUL-terminated, caller
 * frees with free()) and its length into *out_len (may be NULL). At most max + 1 bytes are ever
 * read, so an endless stream (/dev/zero, a pipe that never ends) stops there: more than max is
 * QB_EFORMAT "NAME: file larger than MAX bytes"; a regular file larger than max is refused from
 * its size before anything is read. A read error is QB_EIO. fd is not closed. */
int qb_fd_read(int fd, const char *name, size_t max, char **out, size_t *out_len, qb_err *err);

/* Read a whole file, whatever it is, into *out as qb_fd_read does (at most max + 1 bytes read;
 * more than max is QB_EFORMAT "PATH: file larger than MAX bytes"). A file that cannot be opened
 * is QB_EIO. Errors name the path. */
int qb_file_read(const char *path, size_t max, char **out, size_t *out_len, qb_err *err);

/* What a file of mode m is, for messages: "a character device", "a block device", "a socket",
 * "a pipe", "a directory", "a symbolic link", "a regular file". */
const char *qb_file_kind(unsigned m);

/* Read benchmark output at path ("-": standard input, named "<stdin>" in messages) into *out as
 * qb_fd_read does. Benchmark output is a regular file or a pipe (a fifo, <(...), `cmd | qbdb
 * ingest -`): a character or block device (/dev/zero, /dev/urandom) or a socket is refused
 * before it is opened, since opening some devices acts on them (QB_EFORMAT, "PATH: is a
 * character device, not a file or a pipe of benchmark output"); a file swapped for another
 * between the check and the open is refused too. Standard input may also be a terminal or a
 * socket, not another device (`- < /dev/zero`). A missing path is QB_ENOTFOUND, other failures
 * to reach it QB_EIO. Shared by `qbdb ingest` (adapters/adapter.c) and `qbdb upload`. */
int qb_input_read(const char *path, size_t max, char **out, size_t *out_len, qb_err *err);

/* strdup that returns NULL for NULL. Caller frees. */
char *qb_strdup(const char *s);
/* Copy at most n bytes of s into a new NUL-terminated string. Caller frees. */
char *qb_strndup(const char *s, size_t n);

#endif
