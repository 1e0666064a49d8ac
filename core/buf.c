/* core/buf.c - growable buffer, whole-file reads, string copies. */
#include "core/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int qb_file_read(const char *path, size_t max, char **out, size_t *out_len, qb_err *err) {
  *out = NULL;
  if (out_len) *out_len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return qb_err_set(err, QB_EIO, "%s: cannot open: %s", path, strerror(errno));
  int rc = QB_OK;
  qb_buf b;
  qb_buf_init(&b, max);
  /* A regular file is read in one piece into a buffer of its size; pipes grow as they go. */
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    if ((size_t)st.st_size > max) {
      rc = qb_err_set(err, QB_EFORMAT, "%s: file larger than %zu bytes", path, max);
      goto done;
    }
    if (!(b.data = malloc((size_t)st.st_size + 1))) {
      rc = qb_err_set(err, QB_ENOMEM, "%s: out of memory for %lld bytes", path,
                      (long long)st.st_size);
      goto done;
    }
    b.alloc = (size_t)st.st_size + 1;
    b.len = fread(b.data, 1, (size_t)st.st_size, f);
    b.data[b.len] = '\0';
  }
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if ((rc = qb_buf_add(&b, chunk, n, err))) {
      if (rc == QB_EFORMAT)
        qb_err_set(err, QB_EFORMAT, "%s: file larger than %zu bytes", path, max);
      goto done;
    }
  }
  if (ferror(f)) {
    rc = qb_err_set(err, QB_EIO, "%s: read error: %s", path, strerror(errno));
    goto done;
  }
  *out = qb_buf_take(&b, out_len);
  if (!*out) rc = qb_err_set(err, QB_ENOMEM, "%s: out of memory", path);
done:
  qb_buf_dispose(&b);
  fclose(f);
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
