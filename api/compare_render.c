/* api/compare_render.c - a comparison as text (benchstat-like), markdown, csv or json. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/compare.h"
#include "api/view.h"
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

/* "312.6 ns ± 2%": the centre in human units and the half-width of its interval in percent. */
static void side_cell(const qb_compare_side *s, const char *unit, char *buf, size_t n) {
  char v[32];
  if (!s->present) {
    snprintf(buf, n, "-");
    return;
  }
  qb_unit_format(s->centre, unit, v, sizeof v);
  double half = fmax(s->centre - s->ci_lo, s->ci_hi - s->centre);
  if (isnan(half) || s->centre == 0)
    snprintf(buf, n, "%s", v);
  else {
    double pct = half / fabs(s->centre) * 100.0;
    snprintf(buf, n, pct < 10 ? "%s ± %.1f%%" : "%s ± %.0f%%", v, pct);
  }
}

static void pct_cell(double pct, char *buf, size_t n) {
  if (isnan(pct))
    snprintf(buf, n, "-");
  else
    snprintf(buf, n, "%+.2f%%", pct);
}

static void p_cell(double p, char *buf, size_t n) {
  if (isnan(p))
    snprintf(buf, n, "-");
  else if (p > 0 && p < 1e-4)
    snprintf(buf, n, "%.1e", p);
  else
    snprintf(buf, n, "%.4f", p);
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

static int any_noise(const qb_compare *c) {
  for (size_t i = 0; i < c->n_rows; i++)
    if (!isnan(c->rows[i].noise_pct)) return 1;
  return 0;
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
  int rc = qb_buf_printf(out, err, "base: %s\nhead: %s\n\n", bl, hl);
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
  for (size_t i = 0; i < c->n_rows && !rc; i++) {
    const qb_compare_row *r = &c->rows[i];
    if (only_changed && r->verdict == QB_VERDICT_UNCHANGED) continue;
    char b[64], h[64], ch[32], p[24], pa[24], nz[24], v[48];
    side_cell(&r->base, r->unit, b, sizeof b);
    side_cell(&r->head, r->unit, h, sizeof h);
    pct_cell(r->change_pct, ch, sizeof ch);
    p_cell(r->p_value, p, sizeof p);
    p_cell(r->p_adjusted, pa, sizeof pa);
    if (isnan(r->noise_pct))
      snprintf(nz, sizeof nz, "-");
    else
      snprintf(nz, sizeof nz, "±%.1f%%", r->noise_pct);
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
  char tests[256];
  tests_used(c, tests, sizeof tests);
  if ((rc = qb_buf_adds(out, "\n", err)) || (rc = render_notes(c, only_changed, "", out, err)))
    return rc;
  return qb_buf_printf(
      out, err,
      "test: %s; Hodges-Lehmann shift with 95%% CI\n"
      "significant: Benjamini-Hochberg adjusted p <= alpha %.3g over %zu comparisons, and |change| "
      "> max(threshold %.3g%%, the series' run-to-run noise band)\n"
      "%zu regression%s, %zu improvement%s, %zu unchanged, %zu added, %zu removed\n",
      *tests ? tests : "none", c->alpha, c->n_tests, c->threshold, c->regressions,
      c->regressions == 1 ? "" : "s", c->improvements, c->improvements == 1 ? "" : "s",
      c->unchanged, c->added, c->removed);
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

static int render_markdown(const qb_compare *c, int only_changed, qb_buf *out, qb_err *err) {
  char bl[160], hl[160];
  run_label(&c->base, bl, sizeof bl);
  run_label(&c->head, hl, sizeof hl);
  int rc = qb_buf_printf(out, err,
                         "**qbdb compare** %s → %s: %zu regression%s, %zu improvement%s, %zu "
                         "unchanged, %zu added, %zu removed\n\n"
                         "| benchmark | metric | base | head | change | p (adj) | verdict |\n"
                         "|---|---|---:|---:|---:|---:|---|\n",
                         bl, hl, c->regressions, c->regressions == 1 ? "" : "s", c->improvements,
                         c->improvements == 1 ? "" : "s", c->unchanged, c->added, c->removed);
  for (size_t i = 0; i < c->n_rows && !rc; i++) {
    const qb_compare_row *r = &c->rows[i];
    if (only_changed && r->verdict == QB_VERDICT_UNCHANGED) continue;
    char b[64], h[64], ch[32], pa[24], v[48];
    side_cell(&r->base, r->unit, b, sizeof b);
    side_cell(&r->head, r->unit, h, sizeof h);
    pct_cell(r->change_pct, ch, sizeof ch);
    p_cell(r->p_adjusted, pa, sizeof pa);
    verdict_cell(r, v, sizeof v);
    const char *em = r->verdict == QB_VERDICT_REGRESSION ? "**" : "";
    if ((rc = qb_buf_adds(out, "| ", err)) || (rc = md_text(out, r->benchmark, err)) ||
        (rc = qb_buf_printf(out, err, " | %s | %s | %s | %s%s%s | %s | %s%s%s |\n", r->metric, b, h,
                            em, ch, em, pa, em, v, em)))
      break;
  }
  if (!rc && !isnan(c->geomean_change_pct)) {
    char g[32];
    pct_cell(c->geomean_change_pct, g, sizeof g);
    rc = qb_buf_printf(out, err, "| *geomean* | %s | | | %s | | |\n", c->geomean_metric, g);
  }
  char tests[256];
  tests_used(c, tests, sizeof tests);
  if (!rc) rc = qb_buf_adds(out, "\n", err);
  if (!rc) rc = render_notes(c, only_changed, "> ", out, err);
  if (!rc)
    rc = qb_buf_printf(out, err,
                       "<sub>%s; Benjamini-Hochberg adjusted p ≤ %.3g; changes under max(%.3g%%, "
                       "run-to-run noise) count as unchanged.</sub>\n",
                       *tests ? tests : "no test", c->alpha, c->threshold);
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
                       "verdict\r\n",
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
      rc = qb_buf_printf(out, err, "%s,%s,%s\r\n", r->significant ? "true" : "false",
                         qb_severity_name(r->severity), qb_verdict_name(r->verdict));
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
      json_t *o = qb_view_compare(c, only_changed);
      char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
      json_decref(o);
      if (!s) return qb_err_set(err, QB_ENOMEM, "out of memory");
      int rc = qb_buf_printf(out, err, "%s\n", s);
      free(s);
      return rc;
    }
  }
  return qb_err_set(err, QB_EINTERNAL, "unknown compare format");
}
