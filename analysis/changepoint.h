/* analysis/changepoint.h - change-point detection in a series of per-run values: E-Divisive
 * means with a Student's t-test significance check (the deterministic variant of Apache Otava /
 * Hunter) whose merge looks further where that helps (small persistent steps, drifts that look
 * like staircases), its incremental form, and the drifts between change points. Pure functions
 * on arrays; results are caller-owned arrays freed with free(). See docs/statistics.md for the
 * algorithm and where it differs from Otava, asv and Perfherder. */
#ifndef QB_ANALYSIS_CHANGEPOINT_H
#define QB_ANALYSIS_CHANGEPOINT_H

#include <stddef.h>

#include "core/err.h"

/* The version of the algorithm: stored change points found by another version are not a valid
 * start for qb_changepoints_update (callers keep it with the options they store). */
#define QB_CP_VERSION 3

typedef struct qb_cp_opts {
  double max_p;         /* a split is kept only when its p-value (below) is <= this (0.001) */
  double min_magnitude; /* and |after / before - 1| >= this (relative; 0 = any) */
  size_t window;        /* points on each side considered around a candidate (e.g. 30) */
} qb_cp_opts;

#define QB_CP_OPTS_INIT                                                                            \
  { 0.001, 0.0, 30 }

typedef struct qb_changepoint {
  size_t index;  /* first point of the new segment (1 <= index < n) */
  double p;      /* the p-value of the test that kept it (the pooled t-test on the window, or on
                    the long sides, or of the jump between two drifting segments) times the
                    number of splits it was chosen among (Bonferroni), at most 1 */
  double before; /* level before index, outliers replaced: the mean of the segment within the
                    window (or the long sides, when they decided), or on a drift the fitted
                    line's value just before the step */
  double after;  /* the same from index on */
  double change; /* after / before - 1 (relative change; NAN when before is 0) */
} qb_changepoint;

/* A stretch between change points (or the series' ends) whose level moves steadily: a slope,
 * not a step. */
typedef struct qb_cp_drift {
  size_t from, to; /* the drifting runs [from, to) */
  double p;        /* the slope's p-value (t-test allowing for runs that drift together) */
  double before;   /* the fitted level at from, outliers replaced */
  double after;    /* the fitted level at to - 1 */
  double change;   /* after / before - 1 (NAN when before is 0) */
} qb_cp_drift;

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

/* The candidates of a series' complete blocks, kept by a caller between updates. The split step
 * searches blocks x[k w .. k w + 2w) (w the window), and a block's candidates depend on its own
 * points and the options only: an update after points were appended takes those of the blocks
 * it was given instead of searching them again. Zeroed, it holds none; qb_cp_memo_dispose frees
 * it. The fields are the module's. */
typedef struct qb_cp_memo {
  qb_cp_opts opts;     /* the options the candidates were found with */
  size_t k_from, k_to; /* the blocks [k_from, k_to) */
  size_t *start;       /* block k's codes: code[start[k - k_from] .. start[k - k_from + 1]) */
  size_t *code;
} qb_cp_memo;
void qb_cp_memo_dispose(qb_cp_memo *m);
/* A copy of m into *out (zeroed when m holds nothing); QB_ENOMEM. */
int qb_cp_memo_copy(const qb_cp_memo *m, qb_cp_memo *out, qb_err *err);
/* The bytes m holds (for a bounded cache). */
size_t qb_cp_memo_bytes(const qb_cp_memo *m);

/* qb_changepoints_update_tail with memos: the candidates of the blocks `memo` holds are taken
 * from it when it was made with the same options (memo may be NULL), and *memo_out (when not
 * NULL; disposed first) is made to hold those of every complete block of x[0..n) the update read,
 * for the next one. The same result as without. */
int qb_changepoints_update_memo(const double *x, size_t from, size_t n, size_t n_old,
                                const qb_changepoint *prev, size_t n_prev, const qb_cp_opts *o,
                                const qb_cp_memo *memo, qb_cp_memo *memo_out, qb_changepoint **out,
                                size_t *n_out, int *need_all, qb_err *err);

/* The smallest useful `from` for qb_changepoints_update_tail after n_old points (the points its
 * first two searches for a cut read begin there); 0 when the update is a full analysis. */
size_t qb_changepoints_tail_start(size_t n_old, const qb_cp_opts *o);

/* The drifts of x[0..n) between its change points cps[0..n_cps) (what qb_changepoints returned,
 * or any increasing indices within [1, n)): at most one per stretch between change points, in
 * order. A smooth drift is one record here instead of a staircase of change points. Reads every
 * point of the stretches it describes; a caller with a long series may pass its end (x + k,
 * n - k and the change points above k, shifted). *out is malloc'd (NULL when none), caller
 * frees. QB_EUSAGE as qb_changepoints, or for change points not increasing within [1, n). */
int qb_cp_drifts(const double *x, size_t n, const qb_changepoint *cps, size_t n_cps,
                 const qb_cp_opts *o, qb_cp_drift **out, size_t *n_out, qb_err *err);

#endif
