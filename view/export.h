/* view/export.h - `qbdb export`: stored runs, their results and (optionally) raw samples as CSV
 * or JSON, written as they are read (docs/cli/export.md has the columns and the JSON shape).
 *
 * Ownership: the options are borrowed; qb_export writes to the caller's stream and keeps
 * nothing. */
#ifndef QB_VIEW_EXPORT_H
#define QB_VIEW_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "schema/store.h"

typedef enum qb_export_format { QB_EXPORT_CSV = 0, QB_EXPORT_JSON } qb_export_format;

typedef struct qb_export_opts {
  qb_run_filter filter;    /* project, branch, machine (limit is ignored) */
  int64_t since;           /* runs started at or after this (us); QB_TIME_NONE: all */
  int samples;             /* 1: the raw samples too */
  qb_export_format format; /* CSV: one row per result (per sample with samples); JSON: runs */
  /* called after each run written with how many are written and how many will be (NULL: not
   * called); the caller may show it (the view prints nothing but the export) */
  void (*progress)(void *ctx, size_t done, size_t total);
  void *progress_ctx;
} qb_export_opts;

#define QB_EXPORT_OPTS_INIT                                                                        \
  { QB_RUN_FILTER_INIT, QB_TIME_NONE, 0, QB_EXPORT_CSV, NULL, NULL }

/* The CSV columns, in order, comma-separated (the header rows without their newline): one row
 * per result; with samples one row per raw sample, keyed by run_id, benchmark and metric, the
 * columns that identify its result in the first layout (join on them for the statistics). */
extern const char qb_export_csv_header[];
extern const char qb_export_csv_samples_header[];

/* Write the runs matching o, oldest first, to out. *n_runs: how many were written. QB_EIO when
 * the stream fails. */
int qb_export(qb_store *s, const qb_export_opts *o, FILE *out, size_t *n_runs, qb_err *err);

#endif
