/* core/table.h - a text table with columns padded to their widest cell in terminal display
 * columns (core/utf8width.h: CJK and emoji take two, combining marks none), for CLI output and
 * text reports. A table wider than its max_width shortens its widest text (left-aligned) column
 * with a middle ellipsis ("sort_lo…/n=1000"); numbers (right-aligned columns) are never cut.
 *
 * Ownership: the qb_table struct is the caller's; the cells are copies it owns, freed by
 * qb_table_dispose(). */
#ifndef QB_CORE_TABLE_H
#define QB_CORE_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"

/* A text table printed with columns padded to their widest cell (display columns). */
typedef struct qb_table {
  size_t ncols;
  unsigned right;   /* bit i set: column i is right-aligned (a number: never shortened) */
  unsigned keep;    /* bit i set: left-aligned column i is never shortened either (times,
                       commits); 0 after init */
  size_t max_width; /* 0: no limit; else lines are kept to this many columns where the text
                       columns can give way (set from qb_table_set_default_width at init) */
  char **cells;     /* row-major, (nrows + 1) * ncols, row 0 is the header */
  size_t nrows, cap;
} qb_table;

/* The max_width every table started afterwards gets (0, the initial value: no limit). The CLI
 * sets it once at startup, before any thread, from COLUMNS or the terminal (docs/cli/README.md,
 * "Output: table widths"); a server never does, so its text answers are never shortened. */
void qb_table_set_default_width(size_t cols);

/* Start a table with ncols headers (copied). */
int qb_table_init(qb_table *t, size_t ncols, const char *const *head, unsigned right, qb_err *err);
/* Append a row of ncols cells (copied; NULL prints as "-"). */
int qb_table_add(qb_table *t, const char *const *cells, qb_err *err);
/* Print header and rows, two spaces between columns, no trailing spaces; with max_width set and
 * the table wider, the widest left-aligned column not in keep is narrowed (repeatedly, never below
 * its header or 12 columns) and its longer cells shortened with qb_utf8_ellipsize. */
void qb_table_print(const qb_table *t, FILE *f);
/* The same text appended to out. */
int qb_table_render(const qb_table *t, qb_buf *out, qb_err *err);
void qb_table_dispose(qb_table *t);

#endif
