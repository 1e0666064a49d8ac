/* core/table.c - padded text tables. */
#include "core/table.h"

#include <stdlib.h>
#include <string.h>

int qb_table_init(qb_table *t, size_t ncols, const char *const *head, unsigned right, qb_err *err) {
  memset(t, 0, sizeof *t);
  t->ncols = ncols;
  t->right = right;
  t->nrows = (size_t)-1; /* the header becomes row 0 */
  return qb_table_add(t, head, err);
}

int qb_table_add(qb_table *t, const char *const *cells, qb_err *err) {
  size_t row = t->nrows + 1;
  if ((row + 1) * t->ncols > t->cap) {
    size_t nc = t->cap ? t->cap * 2 : t->ncols * 16;
    while (nc < (row + 1) * t->ncols) nc *= 2;
    char **p = realloc(t->cells, nc * sizeof *p);
    if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
    t->cells = p;
    t->cap = nc;
  }
  for (size_t c = 0; c < t->ncols; c++) {
    char *v = strdup(cells[c] ? cells[c] : "-");
    if (!v) {
      for (size_t k = 0; k < c; k++) free(t->cells[row * t->ncols + k]);
      return qb_err_set(err, QB_ENOMEM, "out of memory");
    }
    t->cells[row * t->ncols + c] = v;
  }
  t->nrows = row;
  return QB_OK;
}

/* Display width of UTF-8 text: code points (continuation bytes do not count). */
static size_t width(const char *s) {
  size_t w = 0;
  for (; *s; s++) w += ((unsigned char)*s & 0xc0) != 0x80;
  return w;
}

int qb_table_render(const qb_table *t, qb_buf *out, qb_err *err) {
  size_t *w = calloc(t->ncols, sizeof *w);
  int rc = QB_OK;
  if (!w) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t r = 0; r <= t->nrows; r++)
    for (size_t c = 0; c < t->ncols; c++) {
      size_t x = width(t->cells[r * t->ncols + c]);
      if (x > w[c]) w[c] = x;
    }
  for (size_t r = 0; r <= t->nrows && !rc; r++) {
    for (size_t c = 0; c < t->ncols && !rc; c++) {
      const char *v = t->cells[r * t->ncols + c];
      int pad = (int)(w[c] - width(v));
      int last = c + 1 == t->ncols;
      if (t->right & (1u << c))
        rc = qb_buf_printf(out, err, "%s%*s%s", c ? "  " : "", pad, "", v);
      else
        rc = qb_buf_printf(out, err, "%s%s%*s", c ? "  " : "", v, last ? 0 : pad, "");
    }
    if (!rc) rc = qb_buf_add(out, "\n", 1, err);
  }
  free(w);
  return rc;
}

void qb_table_print(const qb_table *t, FILE *f) {
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 30);
  if (qb_table_render(t, &b, NULL) == QB_OK && b.data) fputs(b.data, f);
  qb_buf_dispose(&b);
}

void qb_table_dispose(qb_table *t) {
  if (t->cells)
    for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++) free(t->cells[i]);
  free(t->cells);
  memset(t, 0, sizeof *t);
}
