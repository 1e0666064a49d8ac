/* view/report.h - the nightly report (service/report.h) as JSON (the contract, docs/cli/report.md),
 * markdown or one self-contained HTML file, and the body of its notification. Output goes into a
 * caller-owned qb_buf (or a json_t the caller frees). */
#ifndef QB_VIEW_REPORT_H
#define QB_VIEW_REPORT_H

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "service/report.h"

typedef enum qb_report_format {
  QB_REPORT_MARKDOWN = 0,
  QB_REPORT_HTML,
  QB_REPORT_JSON
} qb_report_format;

/* "markdown" (also "md"), "html" or "json"; QB_EUSAGE otherwise. */
int qb_report_format_parse(const char *name, qb_report_format *out);
const char *qb_report_format_name(qb_report_format f);

/* The JSON contract (docs/cli/report.md). NULL when out of memory. */
json_t *qb_report_json(const qb_report *r);

/* Render r as fmt into out. */
int qb_report_render(const qb_report *r, qb_report_format fmt, qb_buf *out, qb_err *err);

/* The notification body: a JSON summary with a "text" field for Slack-compatible webhooks
 * (docs/cli/report.md). */
int qb_report_notify_body(const qb_report *r, qb_buf *out, qb_err *err);

#endif
