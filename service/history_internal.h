/* service/history_internal.h - helpers the history services share (private to service/): none
 * keeps memory beyond what the caller owns. */
#ifndef QB_SERVICE_HISTORY_INTERNAL_H
#define QB_SERVICE_HISTORY_INTERNAL_H

#include <stddef.h>

#include "core/err.h"
#include "schema/store.h"

/* The finite values of points, and for each the index of its point (NaN values are skipped).
 * *x and *idx are malloc'd; the caller frees them (service/detect.c). */
int qb_series_values(const qb_series_point *pts, size_t n, double **x, size_t **idx, size_t *nx,
                     qb_err *err);

/* The centre of a result: its median, else its mean, else its estimate (service/targets.c). */
double qb_result_centre(const qb_stats *x);

/* The single numeric parameter of a benchmark's params JSON: its name and value. 0 when params
 * hold exactly one number (other keys may be strings), else -1 (service/scaling.c). */
int qb_bench_numeric_param(const char *params, char *name, size_t n, double *value);

#endif
