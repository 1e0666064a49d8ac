/* view/compare.c - a comparison as text (benchstat-like), markdown, csv or json. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapters/json_out.h"
#include "view/compare.h"
#include "view/json.h"
#include "core/table.h"
#include "core/time.h"
#include "core/units.h"

int qb_compare_format_parse(const char *name, qb_compare_format *out) {
  static const char *const NAMES[] = {"text", "json", "markdown", "csv"};
  for (int i = 0; i < 4; i++)
    if (!strcmp(name, NAMES[i])) {
      *out = (qb_compare_format)i;
      return QB_OK;
    }
  return QB_EUSAGE;
}

/* "run 4 (main @ 9d3b2c41, 2026-11-25T16:37:19Z)". */
static void run_label(const qb_run_info *r, char *buf, size_t n) {
  char t[40], sha[13];
  qb_time_format(r->started_at, t, sizeof t);
  char *dot = strchr(t, '.');
  if (dot) strcpy(dot, "Z");
  snprintf(sha, sizeof sha, "%s", r->commit_sha ? r->commit_sha : "");
  snprintf(buf, n, "run %lld (%s%s%s, %s)", (long long)r->id, r->branch, *sha ? " @ " : "", sha, t);
}

double qb_compare_side_pm(const qb_compare_side *s) {
  double half = fmax(s->centre - s->ci_lo, s->ci_hi - s->centre);
  if (!s->present || isnan(half) || s->centre == 0) return NAN;
  return half / fabs(s->centre) * 100.0;
}

/* "312.6 ns ± 2%": the centre in human units and the half-width of its interval in percent. */
static void side_cell(const qb_compare_side *s, const char *unit, char *buf, size_t n) {
  char v[32];
  if (!s->present) {
    snprintf(buf, n, "-");
    return;
  }
  qb_unit_format(s->centre, unit, v, sizeof v);
  double pct = qb_compare_side_pm(s);
  if (isnan(pct))
    snprintf(buf, n, "%s", v);
  else
    snprintf(buf, n, pct < 10 ? "%s ± %.1f%%" : "%s ± %.0f%%", v, pct);
}

static void pct_cell(double pct, char *buf, size_t n) {
  if (isnan(pct))
    snprintf(buf, n, "-");
  else
    snprintf(buf, n, "%+.2f%%", pct);
}

static void p_cell(double p, char *buf, size_t n) {
  qb_pvalue_format(p, buf, n);
}

/* "regression (major)", "improvement (minor)", "~", "added", "removed". */
static void verdict_cell(const qb_compare_row *r, char *buf, size_t n) {
  if (r->verdict == QB_VERDICT_REGRESSION || r->verdict == QB_VERDICT_IMPROVEMENT)
    snprintf(buf, n, "%s (%s)", qb_verdict_name(r->verdict), qb_severity_name(r->severity));
  else if (r->verdict == QB_VERDICT_UNCHANGED)
    snprintf(buf, n, "~");
  else
    snprintf(buf, n, "%s", qb_verdict_name(r->verdict));
}

static void tests_used(const qb_compare *c, char *buf, size_t n);

static int any_noise(const qb_compare *c) {
  for (size_t i = 0; i < c->n_rows; i++)
    if (c->rows[i].base.present && c->rows[i].head.present) return 1;
  return 0;
}

/* "±3.4%" (the run-to-run noise band), "?" when unknown, "-" for added or removed rows. */
static void noise_cell(const qb_compare_row *r, char *buf, size_t n) {
  if (!r->base.present || !r->head.present)
    snprintf(buf, n, "-");
  else if (!r->noise_known || isnan(r->noise_pct))
    snprintf(buf, n, "?");
  else
    snprintf(buf, n, r->noise_pct < 10 ? "±%.1f%%" : "±%.0f%%", r->noise_pct);
}

/* The verdict's summary: "2 regressions (worst major), 1 improvement, 37 unchanged, ..." */
static int summary_line(const qb_compare *c, qb_buf *out, qb_err *err) {
  int rc;
  if (c->regressions)
    rc = qb_buf_printf(out, err, "%zu regression%s (worst %s)", c->regressions,
                       c->regressions == 1 ? "" : "s", qb_severity_name(c->worst_regression));
  else
    rc = qb_buf_adds(out, "no regressions", err);
  if (!rc)
    rc = qb_buf_printf(out, err, ", %zu improvement%s, %zu unchanged, %zu added, %zu removed",
                       c->improvements, c->improvements == 1 ? "" : "s", c->unchanged, c->added,
                       c->removed);
  return rc;
}

/* The lines after the table that explain the rule: the tests, the noise, what counts. */
static int method_lines(const qb_compare *c, const char *prefix, qb_buf *out, qb_err *err) {
  char tests[256];
  size_t counted = c->regressions + c->improvements + c->unchanged;
  tests_used(c, tests, sizeof tests);
  int rc = qb_buf_printf(
      out, err,
      "%stest: %s; Hodges-Lehmann shift with 95%% CI\n"
      "%scounts when: Benjamini-Hochberg adjusted p <= %.3g within the runs, beyond the "
      "run-to-run noise of the baseline's series since its last change point (Benjamini-Hochberg "
      "over the %zu benchmark%s), and |change| > %.3g%%\n",
      prefix, *tests ? tests : "none", prefix, c->alpha, counted, counted == 1 ? "" : "s",
      c->threshold);
  /* the metrics with a floor of their own (min_change.METRIC), each named once */
  for (size_t i = 0; !rc && i < c->n_rows; i++) {
    const qb_compare_row *r = &c->rows[i];
    int seen = !(r->min_change_pct > 0);
    for (size_t k = 0; k < i && !seen; k++)
      seen = c->rows[k].min_change_pct > 0 && !strcmp(c->rows[k].metric, r->metric);
    if (!seen)
      rc = qb_buf_printf(out, err,
                         "%s%s: |change| > %.3g%% (min_change.%s), whether or not the noise is "
                         "known\n",
                         prefix, r->metric, r->min_change_pct, r->metric);
  }
  if (!rc && c->noise_unknown)
    rc = qb_buf_printf(out, err,
                       "%snoise unknown for %zu benchmark%s (too few baseline runs since the last "
                       "change point): there only larger changes count (noise_unknown)\n",
                       prefix, c->noise_unknown, c->noise_unknown == 1 ? "" : "s");
  if (!rc && (c->other_regressions || c->other_improvements))
    rc = qb_buf_printf(out, err,
                       "%sother metrics: %zu regression%s, %zu improvement%s, not counted (each "
                       "benchmark's primary metric decides; --all-metrics counts every one)\n",
                       prefix, c->other_regressions, c->other_regressions == 1 ? "" : "s",
                       c->other_improvements, c->other_improvements == 1 ? "" : "s");
  return rc;
}

/* Which tests the rows used, as a footer phrase. */
static void tests_used(const qb_compare *c, char *buf, size_t n) {
  int mwu = 0, exact = 0, welch = 0, none = 0;
  for (size_t i = 0; i < c->n_rows; i++) {
    const char *t = c->rows[i].test;
    if (c->rows[i].verdict == QB_VERDICT_ADDED || c->rows[i].verdict == QB_VERDICT_REMOVED)
      continue;
    if (!strcmp(t, "mann-whitney-u")) {
      mwu++;
      exact += c->rows[i].exact;
    } else if (!strcmp(t, "welch-t"))
      welch++;
    else
      none++;
  }
  snprintf(buf, n, "%s%s%s%s%s%s", mwu ? "two-sided Mann-Whitney U on raw samples" : "",
           mwu ? (exact == mwu ? " (exact)"
                  : exact      ? " (exact for small samples)"
                               : " (normal approximation)")
               : "",
           mwu && welch ? "; " : "", welch ? "Welch's t-test on summary statistics" : "",
           (mwu || welch) && none ? "; " : "", none ? "no test where only estimates exist" : "");
}

/* "note: NAME (METRIC): NOTE" lines for rows with a caveat (at most 10, then a count). */
static int render_notes(const qb_compare *c, int only_changed, const char *prefix, qb_buf *out,
                        qb_err *err) {
  size_t shown = 0, more = 0;
  int rc = QB_OK;
  for (size_t i = 0; i < c->n_rows && !rc; i++) {
    const qb_compare_row *r = &c->rows[i];
    if (!r->note || (only_changed && r->verdict == QB_VERDICT_UNCHANGED)) continue;
    if (shown++ < 10)
      rc = qb_buf_printf(out, err, "%snote: %s (%s): %s\n", prefix, r->benchmark, r->metric,
                         r->note);
    else
      more++;
  }
  if (!rc && more)
    rc = qb_buf_printf(out, err, "%s(%zu more notes in --format json)\n", prefix, more);
  return rc;
}

static int render_text(const qb_compare *c, int only_changed, int color, qb_buf *out, qb_err *err) {
  char bl[160], hl[160];
  run_label(&c->base, bl, sizeof bl);
  run_label(&c->head, hl, sizeof hl);
  int rc = qb_buf_printf(out, err, "base: %s\nhead: %s\nbaseline: %s\n\n", bl, hl,
                         c->baseline.reason[0] ? c->baseline.reason : "as asked");
  if (rc) return rc;
  int noise = any_noise(c);
  static const char *const head8[] = {"benchmark", "metric", "base",  "head",   "change",
                                      "p",         "p adj",  "noise", "verdict"};
  const char *head[9];
  size_t nc = 0;
  for (int i = 0; i < 9; i++)
    if (i != 7 || noise) head[nc++] = head8[i];
  qb_table t;
  unsigned right = noise ? (1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 7)
                         : (1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6);
  if ((rc = qb_table_init(&t, nc, head, right, err))) return rc;
  t.keep = 1u << (nc - 1); /* a narrow terminal shortens benchmark names, never the verdict */
  for (size_t i = 0; i < c->n_rows && !rc; i++) {
    const qb_compare_row *r = &c->rows[i];
    if (only_changed && r->verdict == QB_VERDICT_UNCHANGED) continue;
    char b[64], h[64], ch[32], p[24], pa[24], nz[24], v[48];
    side_cell(&r->base, r->unit, b, sizeof b);
    side_cell(&r->head, r->unit, h, sizeof h);
    pct_cell(r->change_pct, ch, sizeof ch);
    p_cell(r->p_value, p, sizeof p);
    p_cell(r->p_adjusted, pa, sizeof pa);
    noise_cell(r, nz, sizeof nz);
    verdict_cell(r, v, sizeof v);
    const char *row[9] = {r->benchmark, r->metric, b, h, ch, p, pa, nz, v};
    if (!noise) row[7] = v;
    rc = qb_table_add(&t, row, err);
  }
  if (!rc && !isnan(c->geomean_change_pct)) {
    char g[32], label[64];
    snprintf(label, sizeof label, "geomean");
    pct_cell(c->geomean_change_pct, g, sizeof g);
    const char *row[9] = {label, c->geomean_metric, "", "", g, "", "", "", ""};
    rc = qb_table_add(&t, row, err);
  }
  if (!rc) {
    if (!color) {
      rc = qb_table_render(&t, out, err);
    } else {
      /* colour whole lines of regressions (red) and improvements (green) */
      qb_buf plain;
      qb_buf_init(&plain, (size_t)1 << 30);
      rc = qb_table_render(&t, &plain, err);
      const char *line = plain.data;
      size_t k = 0, shown = 0;
      while (!rc && line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        const char *col = NULL;
        if (k > 0) {
          while (shown < c->n_rows && only_changed &&
                 c->rows[shown].verdict == QB_VERDICT_UNCHANGED)
            shown++;
          if (shown < c->n_rows) {
            qb_verdict v = c->rows[shown++].verdict;
            col = v == QB_VERDICT_REGRESSION    ? "\x1b[31m"
                  : v == QB_VERDICT_IMPROVEMENT ? "\x1b[32m"
                                                : NULL;
          }
        }
        rc = qb_buf_printf(out, err, "%s%.*s%s\n", col ? col : "", (int)len, line,
                           col ? "\x1b[0m" : "");
        line = nl ? nl + 1 : NULL;
        k++;
      }
      qb_buf_dispose(&plain);
    }
  }
  qb_table_dispose(&t);
  if (rc) return rc;
  if ((rc = qb_buf_adds(out, "\n", err)) || (rc = render_notes(c, only_changed, "", out, err)) ||
      (rc = method_lines(c, "", out, err)) || (rc = summary_line(c, out, err)))
    return rc;
  return qb_buf_adds(out, "\n", err);
}

/* Markdown-escape a cell (pipes and backticks). */
static int md_text(qb_buf *out, const char *s, qb_err *err) {
  int rc = QB_OK;
  for (; *s && !rc; s++) {
    if (*s == '|' || *s == '`' || *s == '*' || *s == '_' || *s == '\\')
      rc = qb_buf_add(out, "\\", 1, err);
    if (!rc) rc = qb_buf_add(out, s, 1, err);
  }
  return rc;
}

/* Rows for a markdown section, worst first (severity, then the size of the change). */
static int cmp_row_ptr(const void *a, const void *b) {
  const qb_compare_row *x = *(const qb_compare_row *const *)a;
  const qb_compare_row *y = *(const qb_compare_row *const *)b;
  if (x->severity != y->severity) return (int)y->severity - (int)x->severity;
  double ax = isnan(x->change_pct) ? 0 : fabs(x->change_pct);
  double ay = isnan(y->change_pct) ? 0 : fabs(y->change_pct);
  if (ax != ay) return ax < ay ? 1 : -1;
  return strcmp(x->benchmark, y->benchmark);
}

/* One markdown table row of r. */
static int md_row(const qb_compare_row *r, int with_verdict, qb_buf *out, qb_err *err) {
  char b[64], h[64], ch[32], nz[24], v[48];
  side_cell(&r->base, r->unit, b, sizeof b);
  side_cell(&r->head, r->unit, h, sizeof h);
  pct_cell(r->change_pct, ch, sizeof ch);
  noise_cell(r, nz, sizeof nz);
  verdict_cell(r, v, sizeof v);
  int rc = qb_buf_adds(out, "| ", err);
  if (!rc) rc = md_text(out, r->benchmark, err);
  if (!rc) rc = qb_buf_adds(out, " | ", err);
  if (!rc) rc = md_text(out, r->metric, err);
  if (!rc) rc = qb_buf_printf(out, err, " | %s | %s | %s | %s |", b, h, ch, nz);
  if (!rc && with_verdict) rc = qb_buf_printf(out, err, " %s |", v);
  if (!rc && !with_verdict) rc = qb_buf_printf(out, err, " %s |", qb_severity_name(r->severity));
  if (!rc) rc = qb_buf_adds(out, "\n", err);
  return rc;
}

/* A section of the changed rows of one verdict (counted or not), worst first. */
static int md_section(const qb_compare *c, qb_verdict v, int counted, const char *title,
                      qb_buf *out, qb_err *err) {
  const qb_compare_row **rows = calloc(c->n_rows + 1, sizeof *rows);
  size_t n = 0;
  if (!rows) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; i < c->n_rows; i++) {
    const qb_compare_row *r = &c->rows[i];
    int counts = r->primary || c->all_metrics || (r->has_target && !r->target_met);
    if (r->verdict == v && counts == counted) rows[n++] = r;
  }
  int rc = QB_OK;
  if (n) {
    qsort(rows, n, sizeof *rows, cmp_row_ptr);
    rc = qb_buf_printf(out, err,
                       "\n#### %s (%zu)\n\n| benchmark | metric | base | head | change | noise | "
                       "severity |\n|---|---|---:|---:|---:|---:|---|\n",
                       title, n);
    for (size_t i = 0; i < n && !rc; i++) rc = md_row(rows[i], 0, out, err);
  }
  free(rows);
  return rc;
}

/* The pull-request comment: the verdict line first, then regressions and improvements by
 * severity, the baseline, and the whole table collapsed. */
static int render_markdown(const qb_compare *c, int only_changed, qb_buf *out, qb_err *err) {
  char bl[160], hl[160];
  run_label(&c->base, bl, sizeof bl);
  run_label(&c->head, hl, sizeof hl);
  int rc = qb_buf_printf(out, err, "### %s qbdb: ",
                         c->regressions    ? ":x:"
                         : c->improvements ? ":rocket:"
                                           : ":white_check_mark:");
  if (!rc) rc = summary_line(c, out, err);
  if (!rc && !isnan(c->geomean_change_pct))
    rc = qb_buf_printf(out, err, ", geomean %+.2f%%", c->geomean_change_pct);
  if (!rc) rc = qb_buf_printf(out, err, "\n\nhead %s, compared with %s: ", hl, bl);
  if (!rc) rc = md_text(out, c->baseline.reason[0] ? c->baseline.reason : "as asked", err);
  if (!rc) rc = qb_buf_adds(out, "\n", err);
  if (!rc) rc = md_section(c, QB_VERDICT_REGRESSION, 1, "Regressions", out, err);
  if (!rc) rc = md_section(c, QB_VERDICT_IMPROVEMENT, 1, "Improvements", out, err);
  if (!rc)
    rc = md_section(c, QB_VERDICT_REGRESSION, 0, "Other metrics, regressions (not counted)", out,
                    err);
  if (!rc)
    rc = md_section(c, QB_VERDICT_IMPROVEMENT, 0, "Other metrics, improvements (not counted)", out,
                    err);
  size_t shown = 0;
  for (size_t i = 0; i < c->n_rows; i++)
    shown += !only_changed || c->rows[i].verdict != QB_VERDICT_UNCHANGED;
  if (!rc)
    rc = qb_buf_printf(out, err,
                       "\n<details><summary>All %zu rows</summary>\n\n"
                       "| benchmark | metric | base | head | change | noise | verdict |\n"
                       "|---|---|---:|---:|---:|---:|---|\n",
                       shown);
  for (size_t i = 0; i < c->n_rows && !rc; i++) {
    const qb_compare_row *r = &c->rows[i];
    if (only_changed && r->verdict == QB_VERDICT_UNCHANGED) continue;
    rc = md_row(r, 1, out, err);
  }
  if (!rc && !isnan(c->geomean_change_pct)) {
    char g[32];
    pct_cell(c->geomean_change_pct, g, sizeof g);
    rc = qb_buf_printf(out, err, "| *geomean* | %s | | | %s | | |\n", c->geomean_metric, g);
  }
  if (!rc) rc = qb_buf_adds(out, "\n", err);
  if (!rc) rc = render_notes(c, only_changed, "> ", out, err);
  if (!rc) rc = qb_buf_adds(out, "\n</details>\n\n", err);
  if (!rc) {
    qb_buf m;
    qb_buf_init(&m, (size_t)1 << 20);
    rc = method_lines(c, "", &m, err);
    if (!rc) { /* one <sub> line per method line */
      const char *line = m.data;
      while (!rc && line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        rc = qb_buf_printf(out, err, "<sub>%.*s</sub><br>\n", (int)len, line);
        line = nl ? nl + 1 : NULL;
      }
    }
    qb_buf_dispose(&m);
  }
  return rc;
}

/* A CSV field: numbers as %.17g (empty when unknown), text quoted when it needs it. */
static int csv_num(qb_buf *out, double v, qb_err *err) {
  return isnan(v) ? qb_buf_adds(out, ",", err) : qb_buf_printf(out, err, "%.17g,", v);
}

static int csv_text(qb_buf *out, const char *s, const char *sep, qb_err *err) {
  int rc = QB_OK;
  if (!s) return qb_buf_adds(out, sep, err);
  if (!strpbrk(s, ",\"\r\n")) return qb_buf_printf(out, err, "%s%s", s, sep);
  rc = qb_buf_add(out, "\"", 1, err);
  for (; *s && !rc; s++)
    rc = *s == '"' ? qb_buf_adds(out, "\"\"", err) : qb_buf_add(out, s, 1, err);
  if (!rc) rc = qb_buf_printf(out, err, "\"%s", sep);
  return rc;
}

static int render_csv(const qb_compare *c, int only_changed, qb_buf *out, qb_err *err) {
  int rc = qb_buf_adds(out,
                       "benchmark,metric,unit,base_n,base_median,base_mean,base_ci_low,"
                       "base_ci_high,head_n,head_median,head_mean,head_ci_low,head_ci_high,"
                       "change_pct,p_value,p_adjusted,test,noise_pct,significant,severity,"
                       "verdict,primary,noise_known,noise_p_adjusted\r\n",
                       err);
  for (size_t i = 0; i < c->n_rows && !rc; i++) {
    const qb_compare_row *r = &c->rows[i];
    if (only_changed && r->verdict == QB_VERDICT_UNCHANGED) continue;
    const qb_compare_side *sides[2] = {&r->base, &r->head};
    if ((rc = csv_text(out, r->benchmark, ",", err)) || (rc = csv_text(out, r->metric, ",", err)) ||
        (rc = csv_text(out, r->unit, ",", err)))
      break;
    for (int k = 0; k < 2 && !rc; k++) {
      const qb_compare_side *x = sides[k];
      if (x->present && x->n >= 0)
        rc = qb_buf_printf(out, err, "%lld,", (long long)x->n);
      else
        rc = qb_buf_adds(out, ",", err);
      if (!rc) rc = csv_num(out, x->present ? x->median : NAN, err);
      if (!rc) rc = csv_num(out, x->present ? x->mean : NAN, err);
      if (!rc) rc = csv_num(out, x->present ? x->ci_lo : NAN, err);
      if (!rc) rc = csv_num(out, x->present ? x->ci_hi : NAN, err);
    }
    if (!rc) rc = csv_num(out, r->change_pct, err);
    if (!rc) rc = csv_num(out, r->p_value, err);
    if (!rc) rc = csv_num(out, r->p_adjusted, err);
    if (!rc) rc = csv_text(out, r->test, ",", err);
    if (!rc) rc = csv_num(out, r->noise_pct, err);
    if (!rc)
      rc = qb_buf_printf(out, err, "%s,%s,%s,%s,%s,", r->significant ? "true" : "false",
                         qb_severity_name(r->severity), qb_verdict_name(r->verdict),
                         r->primary ? "true" : "false", r->noise_known ? "true" : "false");
    if (!rc)
      rc = isnan(r->noise_p_adjusted) ? QB_OK
                                      : qb_buf_printf(out, err, "%.17g", r->noise_p_adjusted);
    if (!rc) rc = qb_buf_adds(out, "\r\n", err);
  }
  return rc;
}

int qb_compare_render(const qb_compare *c, qb_compare_format fmt, int only_changed, int color,
                      qb_buf *out, qb_err *err) {
  switch (fmt) {
    case QB_CMP_TEXT:
      return render_text(c, only_changed, color, out, err);
    case QB_CMP_MARKDOWN:
      return render_markdown(c, only_changed, out, err);
    case QB_CMP_CSV:
      return render_csv(c, only_changed, out, err);
    case QB_CMP_JSON: {
      char *s = qb_view_compare_text(c, only_changed, JSON_INDENT(2));
      if (!s) return qb_err_set(err, QB_ENOMEM, "out of memory");
      int rc = qb_buf_adds(out, s, err);
      if (!rc) rc = qb_buf_adds(out, "\n", err);
      free(s);
      return rc;
    }
  }
  return qb_err_set(err, QB_EINTERNAL, "unknown compare format");
}
