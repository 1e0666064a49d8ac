/* cli/util.c - option parsing and text tables for the subcommands. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"

int qb_cli_opt(int argc, char **argv, int *i, const char *name, const char **value, qb_err *err) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0) return 0;
  if (a[n] == '=') {
    *value = a + n + 1;
    (*i)++;
    return 1;
  }
  if (a[n] != '\0') return 0;
  if (*i + 1 >= argc) return qb_err_set(err, QB_EUSAGE, "option %s needs a value", name);
  *value = argv[*i + 1];
  *i += 2;
  return 1;
}

int qb_cli_bad_arg(const char *cmd, const char *arg, qb_err *err) {
  if (arg[0] == '-')
    return qb_err_set(err, QB_EUSAGE, "%s: unknown option '%s' (see: qbdb help %s)", cmd, arg, cmd);
  return qb_err_set(err, QB_EUSAGE, "%s: unexpected argument '%s' (see: qbdb help %s)", cmd, arg,
                    cmd);
}

int qb_cli_output_format(const char *cmd, const char *value, qb_err *err) {
  if (!strcmp(value, "text")) return 0;
  if (!strcmp(value, "json")) return 1;
  return qb_err_set(err, QB_EUSAGE, "%s: --format '%s': expected text or json", cmd, value);
}

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

void qb_table_print(const qb_table *t, FILE *f) {
  size_t *w = calloc(t->ncols, sizeof *w);
  if (!w) return;
  for (size_t r = 0; r <= t->nrows; r++)
    for (size_t c = 0; c < t->ncols; c++) {
      size_t x = width(t->cells[r * t->ncols + c]);
      if (x > w[c]) w[c] = x;
    }
  for (size_t r = 0; r <= t->nrows; r++) {
    for (size_t c = 0; c < t->ncols; c++) {
      const char *v = t->cells[r * t->ncols + c];
      size_t pad = w[c] - width(v);
      int last = c + 1 == t->ncols;
      if (c) fputs("  ", f);
      if (t->right & (1u << c))
        fprintf(f, "%*s%s", (int)pad, "", v);
      else
        fprintf(f, "%s%*s", v, last ? 0 : (int)pad, "");
    }
    fputc('\n', f);
  }
  free(w);
}

void qb_table_dispose(qb_table *t) {
  if (t->cells)
    for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++) free(t->cells[i]);
  free(t->cells);
  memset(t, 0, sizeof *t);
}
