/* core/table.h - a text table with columns padded to their widest cell (UTF-8 aware), for
 * CLI output and text reports.
 *
 * Ownership: the qb_table struct is the caller's; the cells are copies it owns, freed by
 * qb_table_dispose(). */
#ifndef QB_CORE_TABLE_H
#define QB_CORE_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"

/* A text table printed with columns padded to their widest cell (UTF-8 aware). */
typedef struct qb_table {
  size_t ncols;
  unsigned right; /* bit i set: column i is right-aligned */
  char **cells;   /* row-major, (nrows + 1) * ncols, row 0 is the header */
  size_t nrows, cap;
} qb_table;

/* Start a table with ncols headers (copied). */
int qb_table_init(qb_table *t, size_t ncols, const char *const *head, unsigned right, qb_err *err);
/* Append a row of ncols cells (copied; NULL prints as "-"). */
int qb_table_add(qb_table *t, const char *const *cells, qb_err *err);
/* Print header and rows, two spaces between columns, no trailing spaces. */
void qb_table_print(const qb_table *t, FILE *f);
/* The same text appended to out. */
int qb_table_render(const qb_table *t, qb_buf *out, qb_err *err);
void qb_table_dispose(qb_table *t);

#endif
