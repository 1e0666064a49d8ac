/* view/compare.h - a comparison (service/compare.h) as text (benchstat-like), markdown, CSV or
 * JSON: what `qbdb compare` prints and GET /api/v1/compare answers. Output goes into a caller-owned
 * qb_buf. */
#ifndef QB_VIEW_COMPARE_H
#define QB_VIEW_COMPARE_H

#include "core/buf.h"
#include "core/err.h"
#include "service/compare.h"

/* Output formats of a comparison. */
typedef enum qb_compare_format {
  QB_CMP_TEXT,
  QB_CMP_JSON,
  QB_CMP_MARKDOWN,
  QB_CMP_CSV
} qb_compare_format;

int qb_compare_format_parse(const char *name, qb_compare_format *out); /* 0 or QB_EUSAGE */

/* The "±" of one side of a row, in percent of its centre: the larger distance from the centre
 * to an end of its 95% interval, max(centre - ci_lo, ci_hi - centre) / |centre| * 100 (the
 * interval need not be symmetric: the median's order statistics seldom are). NAN when the side is
 * absent, has no interval or its centre is 0. The text table prints it with one decimal below
 * 10%, none from there ("± 2.0%", "± 12%"); the JSON answer has it as "pm". */
double qb_compare_side_pm(const qb_compare_side *s);

/* Render c into out. only_changed keeps rows whose verdict is not "unchanged"; color adds ANSI
 * colours to text (regressions red, improvements green). Markdown is the pull-request comment:
 * the verdict line first, regressions and improvements by severity, the baseline, the rest in a
 * collapsed table. */
int qb_compare_render(const qb_compare *c, qb_compare_format fmt, int only_changed, int color,
                      qb_buf *out, qb_err *err);

#endif
