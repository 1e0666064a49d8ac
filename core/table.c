/* core/table.c - padded text tables. */
#include "core/table.h"

#include <stdlib.h>
#include <string.h>

#include "core/utf8width.h"

/* Narrowest a shortened column gets (unless its header is wider): enough for "sort…=1000". */
#define QB_TABLE_MIN_TEXT 12

static size_t default_width;

void qb_table_set_default_width(size_t cols) {
  default_width = cols;
}

int qb_table_init(qb_table *t, size_t ncols, const char *const *head, unsigned right, qb_err *err) {
  memset(t, 0, sizeof *t);
  t->ncols = ncols;
  t->right = right;
  t->max_width = default_width;
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

/* Narrow the widest left-aligned columns of w (widths of the ncols columns) a column at a time
 * until the line fits max columns or none can give more (floor: its header's width or
 * QB_TABLE_MIN_TEXT), so two long text columns end up sharing the cut. */
static void fit_width(const qb_table *t, size_t *w, size_t max) {
  if (!t->ncols) return;
  size_t total = 2 * (t->ncols - 1);
  for (size_t c = 0; c < t->ncols; c++) total += w[c];
  while (total > max) {
    size_t best = t->ncols;
    for (size_t c = 0; c < t->ncols; c++) {
      if ((t->right | t->keep) & (1u << c)) continue;
      size_t floor = qb_utf8_width(t->cells[c]);
      if (floor < QB_TABLE_MIN_TEXT) floor = QB_TABLE_MIN_TEXT;
      if (w[c] > floor && (best == t->ncols || w[c] > w[best])) best = c;
    }
    if (best == t->ncols) return;
    w[best]--;
    total--;
  }
}

int qb_table_render(const qb_table *t, qb_buf *out, qb_err *err) {
  size_t *w = calloc(t->ncols, sizeof *w);
  int rc = QB_OK;
  qb_buf cut;
  qb_buf_init(&cut, (size_t)1 << 20);
  if (!w) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t r = 0; r <= t->nrows; r++)
    for (size_t c = 0; c < t->ncols; c++) {
      size_t x = qb_utf8_width(t->cells[r * t->ncols + c]);
      if (x > w[c]) w[c] = x;
    }
  if (t->max_width) fit_width(t, w, t->max_width);
  for (size_t r = 0; r <= t->nrows && !rc; r++) {
    size_t start = out->len;
    for (size_t c = 0; c < t->ncols && !rc; c++) {
      const char *v = t->cells[r * t->ncols + c];
      size_t vw = qb_utf8_width(v);
      if (vw > w[c]) { /* a narrowed column: the middle of the cell gives way */
        qb_buf_dispose(&cut);
        if ((rc = qb_utf8_ellipsize(v, w[c], &cut, err))) break;
        v = cut.data ? cut.data : "";
        vw = qb_utf8_width(v);
      }
      int pad = (int)(w[c] - vw);
      int last = c + 1 == t->ncols;
      if (t->right & (1u << c))
        rc = qb_buf_printf(out, err, "%s%*s%s", c ? "  " : "", pad, "", v);
      else
        rc = qb_buf_printf(out, err, "%s%s%*s", c ? "  " : "", v, last ? 0 : pad, "");
    }
    /* no trailing spaces, also where the last cells are empty (compare's geomean row) */
    while (!rc && out->len > start && out->data[out->len - 1] == ' ') out->data[--out->len] = '\0';
    if (!rc) rc = qb_buf_add(out, "\n", 1, err);
  }
  qb_buf_dispose(&cut);
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
