/* analysis/changepoint.h - change-point detection in a series of per-run values: E-Divisive
 * means with a Student's t-test significance check (the deterministic variant of Apache Otava /
 * Hunter), and its incremental form. Pure functions on arrays; results are caller-owned arrays
 * freed with free(). See docs/statistics.md for the algorithm and where it differs from Otava,
 * asv and Perfherder. */
#ifndef QB_ANALYSIS_CHANGEPOINT_H
#define QB_ANALYSIS_CHANGEPOINT_H

#include <stddef.h>

#include "core/err.h"

typedef struct qb_cp_opts {
  double max_p;         /* a split is kept only when its p-value (below) is <= this (0.001) */
  double min_magnitude; /* and |after / before - 1| >= this (relative; 0 = any) */
  size_t window;        /* points on each side considered around a candidate (e.g. 30) */
} qb_cp_opts;

#define QB_CP_OPTS_INIT                                                                            \
  { 0.001, 0.0, 30 }

typedef struct qb_changepoint {
  size_t index;  /* first point of the new segment (1 <= index < n) */
  double p;      /* the split's pooled t-test p-value times the number of splits it was chosen
                    among (Bonferroni), at most 1 */
  double before; /* mean of the segment (within the window) before index, outliers replaced */
  double after;  /* mean of the segment (within the window) from index on, outliers replaced */
  double change; /* after / before - 1 (relative change; NAN when before is 0) */
} qb_changepoint;

/* Change points of x[0..n), in increasing index order. Deterministic. *out is malloc'd (NULL when
 * none) and freed by the caller. o NULL means QB_CP_OPTS_INIT. QB_EUSAGE for a NaN or infinite
 * value, a window below 3, max_p outside [0, 1] or a negative min_magnitude. */
int qb_changepoints(const double *x, size_t n, const qb_cp_opts *o, qb_changepoint **out,
                    size_t *n_out, qb_err *err);

/* The change points of x[0..n) given those of its prefix x[0..n_old) (prev, n_prev: what
 * qb_changepoints(x, n_old, o) returned), re-analysing only the tail that new points can affect.
 * The result equals qb_changepoints(x, n, o) exactly. *out is malloc'd, caller frees. QB_EUSAGE
 * as qb_changepoints, or for n_old > n or prev indices not increasing within [1, n_old). */
int qb_changepoints_update(const double *x, size_t n, size_t n_old, const qb_changepoint *prev,
                           size_t n_prev, const qb_cp_opts *o, qb_changepoint **out, size_t *n_out,
                           qb_err *err);

/* The update for a caller that has only the tail of the series (the store reads the points of a
 * long series from the end): x[from..n) are the series' values and x[0..from) are ignored (any
 * finite value, e.g. 0). When the update would have to read a point below from (its first search
 * for a cut failed, or it is a full analysis), *need_all is set to 1 and nothing is returned:
 * call again with every point. Otherwise *need_all is 0 and the result is exactly that of
 * qb_changepoints_update (prev entries below from are only copied). */
int qb_changepoints_update_tail(const double *x, size_t from, size_t n, size_t n_old,
                                const qb_changepoint *prev, size_t n_prev, const qb_cp_opts *o,
                                qb_changepoint **out, size_t *n_out, int *need_all, qb_err *err);

/* The smallest useful `from` for qb_changepoints_update_tail after n_old points (the points its
 * first search for a cut reads begin there); 0 when the update is a full analysis. */
size_t qb_changepoints_tail_start(size_t n_old, const qb_cp_opts *o);

#endif
