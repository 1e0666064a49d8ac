/* core/buf.c - growable buffer, capped whole-file and input reads, string copies. */
#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void qb_buf_init(qb_buf *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->alloc = 0;
  b->max = max;
}

void qb_buf_dispose(qb_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
  b->alloc = 0;
}

static int grow(qb_buf *b, size_t extra, qb_err *err) {
  if (extra > b->max || b->len > b->max - extra)
    return qb_err_set(err, QB_EFORMAT, "buffer limit of %zu bytes exceeded", b->max);
  size_t need = b->len + extra + 1;
  if (need <= b->alloc) return QB_OK;
  size_t na = b->alloc ? b->alloc : 64;
  while (na < need) na = na > SIZE_MAX / 2 ? need : na * 2;
  char *p = realloc(b->data, na);
  if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory growing a buffer to %zu bytes", na);
  b->data = p;
  b->alloc = na;
  return QB_OK;
}

int qb_buf_add(qb_buf *b, const void *p, size_t n, qb_err *err) {
  int rc = grow(b, n, err);
  if (rc) return rc;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return QB_OK;
}

int qb_buf_adds(qb_buf *b, const char *s, qb_err *err) {
  return qb_buf_add(b, s, strlen(s), err);
}

int qb_buf_printf(qb_buf *b, qb_err *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return qb_err_set(err, QB_EINTERNAL, "bad format string");
  int rc = grow(b, (size_t)n, err);
  if (rc) return rc;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return QB_OK;
}

int qb_buf_add_varint(qb_buf *b, uint64_t v, qb_err *err) {
  unsigned char tmp[10];
  size_t n = 0;
  do {
    unsigned char c = v & 0x7f;
    v >>= 7;
    tmp[n++] = c | (v ? 0x80 : 0);
  } while (v);
  return qb_buf_add(b, tmp, n, err);
}

char *qb_buf_take(qb_buf *b, size_t *len) {
  char *p = b->data;
  if (!p) p = calloc(1, 1);
  if (len) *len = b->len;
  b->data = NULL;
  b->len = 0;
  b->alloc = 0;
  return p;
}

int qb_fd_read(int fd, const char *name, size_t max, char **out, size_t *out_len, qb_err *err) {
  *out = NULL;
  if (out_len) *out_len = 0;
  if (max > SIZE_MAX - 2) max = SIZE_MAX - 2;
  size_t len = 0, alloc = (size_t)1 << 16;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    if ((uint64_t)st.st_size > max)
      return qb_err_set(err, QB_EFORMAT, "%s: file larger than %zu bytes", name, max);
    if (st.st_size > 0) alloc = (size_t)st.st_size + 2; /* + the byte that shows it grew, NUL */
  }
  if (alloc > max + 2) alloc = max + 2;
  char *buf = malloc(alloc);
  if (!buf) return qb_err_set(err, QB_ENOMEM, "%s: out of memory for %zu bytes", name, alloc);
  for (;;) {
    if (len + 1 >= alloc) { /* full: grow, never past max + 2 (max + 1 bytes and the NUL) */
      if (alloc >= max + 2) break;
      size_t na = alloc > (max + 2) / 2 ? max + 2 : alloc * 2;
      char *p = realloc(buf, na);
      if (!p) {
        free(buf);
        return qb_err_set(err, QB_ENOMEM, "%s: out of memory for %zu bytes", name, na);
      }
      buf = p;
      alloc = na;
    }
    /* never more than alloc - 1 - len <= max + 1 - len: the read stops at max + 1 bytes */
    ssize_t n = read(fd, buf + len, alloc - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      free(buf);
      return qb_err_set(err, QB_EIO, "%s: read error: %s", name, strerror(e));
    }
    if (n == 0) break;
    len += (size_t)n;
    if (len > max) break;
  }
  if (len > max) {
    free(buf);
    return qb_err_set(err, QB_EFORMAT, "%s: file larger than %zu bytes", name, max);
  }
  buf[len] = '\0';
  *out = buf;
  if (out_len) *out_len = len;
  return QB_OK;
}

int qb_file_read(const char *path, size_t max, char **out, size_t *out_len, qb_err *err) {
  *out = NULL;
  if (out_len) *out_len = 0;
  int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return qb_err_set(err, QB_EIO, "%s: cannot open: %s", path, strerror(errno));
  int rc = qb_fd_read(fd, path, max, out, out_len, err);
  close(fd);
  return rc;
}

const char *qb_file_kind(unsigned m) {
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISFIFO(m)) return "a pipe";
  if (S_ISDIR(m)) return "a directory";
  if (S_ISLNK(m)) return "a symbolic link";
  if (S_ISREG(m)) return "a regular file";
  return "not a regular file";
}

int qb_input_read(const char *path, size_t max, char **out, size_t *out_len, qb_err *err) {
  *out = NULL;
  if (out_len) *out_len = 0;
  int is_stdin = !strcmp(path, "-");
  const char *name = is_stdin ? "<stdin>" : path;
  struct stat st, fst;
  int fd = 0, rc;
  if (!is_stdin) {
    if (stat(path, &st) != 0)
      return qb_err_set(err, errno == ENOENT ? QB_ENOTFOUND : QB_EIO, "%s: %s", path,
                        strerror(errno));
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
      return qb_err_set(err, QB_EFORMAT, "%s: is %s, not a file or a pipe of benchmark output",
                        path, qb_file_kind(st.st_mode));
    if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) < 0)
      return qb_err_set(err, errno == ENOENT ? QB_ENOTFOUND : QB_EIO, "%s: cannot open: %s", path,
                        strerror(errno));
  }
  if (fstat(fd, &fst) != 0) {
    rc = qb_err_set(err, QB_EIO, "%s: cannot read: %s", name, strerror(errno));
    goto done;
  }
  int ok = S_ISREG(fst.st_mode) || S_ISFIFO(fst.st_mode);
  if (is_stdin)
    ok = ok || S_ISSOCK(fst.st_mode) || (S_ISCHR(fst.st_mode) && isatty(fd));
  else
    ok = ok && fst.st_dev == st.st_dev && fst.st_ino == st.st_ino; /* not swapped meanwhile */
  if (!ok) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: is %s, not a file or a pipe of benchmark output", name,
                    is_stdin ? qb_file_kind(fst.st_mode)
                             : "a file that changed while it was opened");
    goto done;
  }
  rc = qb_fd_read(fd, name, max, out, out_len, err);
done:
  if (!is_stdin) close(fd);
  return rc;
}

char *qb_strdup(const char *s) {
  return s ? strdup(s) : NULL;
}

char *qb_strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}
