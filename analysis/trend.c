/* analysis/trend.c - Theil-Sen slopes, Kendall's tau, the trend rule, complexity (scaling) fits
 * and the run grade. The rules and their numbers are documented in docs/statistics.md (Trends,
 * Scaling, Grades); the constants below are those numbers. Scratch memory is allocated and
 * freed inside each function; nothing is handed to the caller. */
#include "analysis/trend.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/describe.h"

/* The trend rule. */
#define TREND_MIN_POINTS    5    /* fewer points: stable with strength 0 */
#define TREND_VOLATILE_PCT  10.0 /* volatile when the noise exceeds 10% of the median */
#define TREND_VOLATILE_FULL 20.0 /* volatile strength: 0 at 10%, 1 at 10 + 20 = 30% */
#define TREND_MIN_DRIFT_PCT 1.0  /* a trend moves the fitted line by >= 1% over the segment */
#define TREND_ALPHA         0.05 /* and Kendall's two-sided p-value is <= 0.05 */
#define TREND_EXACT_MAX     33   /* exact Kendall p-value up to 33 points without ties (scipy) */
#define MAD_TO_SIGMA        1.4826
#define MEAN_AD_TO_SIGMA    1.2533141373155003 /* sqrt(pi / 2) */

/* Scaling: two RMS errors this close count as a tie (the simpler model wins). */
#define SCALING_TIE_REL 1e-9
#define SCALING_TIE_ABS 1e-12

/* The grade: component weights, severity penalties and letter boundaries. */
#define GRADE_W_REGRESSIONS 40.0
#define GRADE_W_TARGETS     25.0
#define GRADE_W_STABILITY   15.0
#define GRADE_W_COVERAGE    20.0
#define GRADE_CAP_CRITICAL  50.0  /* regressions score with any critical regression, at most */
#define GRADE_CAP_MAJOR     75.0  /* with any major (and no critical) regression, at most */
#define GRADE_NOISE_FULL    1.0   /* noise <= 1%: stability 100 */
#define GRADE_NOISE_ZERO    10.0  /* noise >= 10%: stability 0 */
#define GRADE_COVERAGE_RATE 200.0 /* points lost per unit share of baseline benchmarks missing */

static const double SEVERITY_PENALTY[5] = {0.0, 2.0, 5.0, 15.0, 30.0};

/* ---- selection ------------------------------------------------------------------------- */

/* Rearrange a[0..n) (no NaN) so that a[k] is its k-th smallest value (0-based), everything
 * before it <= a[k] and everything after it >= a[k]; returns a[k]. Quickselect with a
 * median-of-three pivot and a three-way partition (runs of equal values, common among slopes of
 * rounded data, end a round at once); after 2 log2(n) + 16 rounds the remaining range is sorted
 * instead, so adversarial inputs cost O(n log n) at worst. No allocation beyond what
 * qb_sort_doubles may take. */
static double select_kth(double *a, size_t n, size_t k) {
  size_t lo = 0, hi = n; /* the answer lies in a[lo..hi) */
  int budget = 16;
  for (size_t m = n; m > 1; m >>= 1) budget += 2;
  while (hi - lo > 16 && budget-- > 0) {
    double p0 = a[lo], p1 = a[lo + (hi - lo) / 2], p2 = a[hi - 1];
    double pivot =
        p0 < p1 ? (p1 < p2 ? p1 : (p0 < p2 ? p2 : p0)) : (p0 < p2 ? p0 : (p1 < p2 ? p2 : p1));
    /* Dijkstra's three-way partition: [lo, lt) < pivot, [lt, i) == pivot, (gt, hi) > pivot. */
    size_t lt = lo, i = lo, gt = hi;
    while (i < gt) {
      double v = a[i];
      if (v < pivot) {
        a[i++] = a[lt];
        a[lt++] = v;
      } else if (v > pivot) {
        a[i] = a[--gt];
        a[gt] = v;
      } else {
        i++;
      }
    }
    if (k < lt) {
      hi = lt;
    } else if (k >= gt) {
      lo = gt;
    } else {
      return a[k];
    }
  }
  qb_sort_doubles(a + lo, hi - lo);
  return a[k];
}

/* The median of a[0..n) (n >= 1, no NaN) exactly as np.median computes it: the middle value,
 * or (a + b) / 2 of the two middle ones. Reorders a. */
static double median_inplace(double *a, size_t n) {
  size_t k = n / 2;
  double hi = select_kth(a, n, k);
  if (n % 2) return hi;
  double lo = a[0]; /* the largest of a[0..k), all <= hi after the selection */
  for (size_t i = 1; i < k; i++)
    if (a[i] > lo) lo = a[i];
  return (lo + hi) / 2.0;
}

/* ---- Theil-Sen ------------------------------------------------------------------------- */

int qb_theil_sen(const double *x, const double *y, size_t n, double *slope, double *intercept,
                 qb_err *err) {
  /* All pairs with x_i != x_j give the slope (y_a - y_b) / (x_a - x_b) oriented so that
   * x_a > x_b (the same operands as scipy's deltay / deltax, so bit for bit the same values);
   * slope = their median; intercept = median(y) - slope * median(x). O(n^2) time and memory:
   * one malloc'd array of max(n(n-1)/2, n) doubles, freed here. */
  int rc = QB_OK;
  double *s = NULL;
  if (n < 2 || n > QB_THEIL_SEN_MAX)
    return qb_err_set(err, QB_EUSAGE, "theil-sen: n = %zu, expected 2..%d points", n,
                      QB_THEIL_SEN_MAX);
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]) || !isfinite(y[i]))
      return qb_err_set(err, QB_EUSAGE, "theil-sen: point %zu (%g, %g) is not finite", i, x[i],
                        y[i]);
  size_t pairs = n * (n - 1) / 2, cap = pairs > n ? pairs : n, k = 0;
  s = malloc(cap * sizeof *s);
  if (!s) {
    rc = qb_err_set(err, QB_ENOMEM, "theil-sen: out of memory for %zu slopes", pairs);
    goto done;
  }
  for (size_t i = 0; i + 1 < n; i++)
    for (size_t j = i + 1; j < n; j++) {
      double dx = x[j] - x[i];
      if (dx > 0)
        s[k++] = (y[j] - y[i]) / dx;
      else if (dx < 0)
        s[k++] = (y[i] - y[j]) / (x[i] - x[j]);
    }
  if (k == 0) {
    rc = qb_err_set(err, QB_EUSAGE, "theil-sen: all %zu x values are equal", n);
    goto done;
  }
  for (size_t i = 0; i < k; i++)
    if (isnan(s[i])) {
      rc = qb_err_set(err, QB_EUSAGE, "theil-sen: slope %zu overflows (values near the limits)", i);
      goto done;
    }
  double b = median_inplace(s, k);
  memcpy(s, y, n * sizeof *s);
  double my = median_inplace(s, n);
  memcpy(s, x, n * sizeof *s);
  double mx = median_inplace(s, n);
  *slope = b;
  *intercept = my - b * mx;
done:
  free(s);
  return rc;
}

/* ---- Kendall's tau against the run index ----------------------------------------------- */

/* Two-sided exact p-value of Kendall's tau for m untied points with c concordant pairs, as
 * scipy's _kendall_p_exact: c is folded into the lower tail, p = 2 P(C <= c) clipped to 1, 1 at
 * the centre. P(C <= c) is the share of permutations of m with at most c inversions, built one
 * element at a time (f_j(k) = (1/j) sum_{i < j} f_{j-1}(k - i), a sum of positive terms, so no
 * cancellation). scratch holds 2 (c + 1) doubles. */
static double kendall_exact_p(size_t m, size_t c, double *scratch) {
  size_t tot = m * (m - 1) / 2;
  if (c > tot - c) c = tot - c;
  if (4 * c == m * (m - 1)) return 1.0;
  double *f = scratch, *g = scratch + c + 1;
  memset(f, 0, (c + 1) * sizeof *f);
  f[0] = 1.0; /* one element: no inversion */
  for (size_t j = 2; j <= m; j++) {
    for (size_t kk = 0; kk <= c; kk++) {
      double sum = 0.0;
      for (size_t i = 0; i < j && i <= kk; i++) sum += f[kk - i];
      g[kk] = sum / (double)j;
    }
    double *t = f;
    f = g;
    g = t;
  }
  double p = 0.0;
  for (size_t kk = 0; kk <= c; kk++) p += f[kk];
  p *= 2.0;
  return p > 1.0 ? 1.0 : p;
}

/* Kendall's tau-b of y[0..m) against x = 0..m-1 and its two-sided p-value, as
 * scipy.stats.kendalltau(x, y) (method 'auto'): exact without ties when m <= 33 or at most one
 * pair is discordant (or concordant), otherwise the normal approximation with the tie-corrected
 * variance and no continuity correction. NAN and NAN when all y are equal. sorted is scratch
 * of m doubles, exact_scratch of 2 (TREND_EXACT_MAX^2 / 4 + 1) doubles. O(m^2). */
static void kendall_index(const double *y, size_t m, double *sorted, double *exact_scratch,
                          double *tau, double *p) {
  size_t tot = m * (m - 1) / 2, dis = 0, ytie = 0;
  for (size_t i = 0; i + 1 < m; i++)
    for (size_t j = i + 1; j < m; j++) {
      dis += y[j] < y[i];
      ytie += y[j] == y[i];
    }
  if (ytie == tot) {
    *tau = *p = NAN;
    return;
  }
  double cmd = (double)tot - (double)ytie - 2.0 * (double)dis; /* concordant - discordant */
  double t = cmd / sqrt((double)tot) / sqrt((double)(tot - ytie));
  *tau = t > 1.0 ? 1.0 : t < -1.0 ? -1.0 : t;
  size_t con = tot - dis, fold = con < dis ? con : dis;
  if (ytie == 0 && (m <= TREND_EXACT_MAX || fold <= 1)) {
    *p = kendall_exact_p(m, con, exact_scratch);
    return;
  }
  /* sum over tie groups of y of t(t - 1)(2t + 5) */
  memcpy(sorted, y, m * sizeof *sorted);
  qb_sort_doubles(sorted, m);
  double y1 = 0.0;
  for (size_t i = 0; i < m;) {
    size_t j = i + 1;
    while (j < m && sorted[j] == sorted[i]) j++;
    double g = (double)(j - i);
    if (j - i > 1) y1 += g * (g - 1.0) * (2.0 * g + 5.0);
    i = j;
  }
  double mm = (double)m * ((double)m - 1.0);
  double var = (mm * (2.0 * (double)m + 5.0) - y1) / 18.0;
  double z = cmd / sqrt(var);
  *p = 2.0 * gsl_cdf_ugaussian_Q(fabs(z));
}

/* ---- trends ---------------------------------------------------------------------------- */

/* The stable lower-case name of a direction, "unknown" for a value outside the enum. */
const char *qb_trend_name(qb_trend_direction d) {
  switch (d) {
    case QB_TREND_STABLE:
      return "stable";
    case QB_TREND_IMPROVING:
      return "improving";
    case QB_TREND_DEGRADING:
      return "degrading";
    case QB_TREND_VOLATILE:
      return "volatile";
  }
  return "unknown";
}

int qb_trend_of(const double *y, size_t n, size_t from, int higher_is_better, qb_trend *out,
                qb_err *err) {
  /* The rule of docs/statistics.md (Trends) on the last min(n - from, QB_TREND_MAX_POINTS)
   * points. Scratch: one malloc'd array of 3m + (TREND_EXACT_MAX^2 / 2 + 2) doubles (the run
   * indices, residuals and a sorted copy; the exact Kendall table), freed here; qb_theil_sen and
   * qb_mad allocate and free their own. */
  int rc = QB_OK;
  double *buf = NULL;
  if (from > n)
    return qb_err_set(err, QB_EUSAGE, "trend: from = %zu is past the end of the %zu points", from,
                      n);
  size_t start = n - from > QB_TREND_MAX_POINTS ? n - QB_TREND_MAX_POINTS : from, m = n - start;
  *out = (qb_trend){.direction = QB_TREND_STABLE,
                    .strength = 0.0,
                    .slope_pct_per_run = NAN,
                    .noise_pct = NAN,
                    .from = start,
                    .n = m,
                    .tau = NAN,
                    .p = NAN};
  const double *v = m ? y + start : y; /* y may be NULL when n = 0 */
  for (size_t i = 0; i < m; i++)
    if (!isfinite(v[i]))
      return qb_err_set(err, QB_EUSAGE, "trend: y[%zu] = %g is not finite", start + i, v[i]);
  if (m < TREND_MIN_POINTS) return QB_OK;

  size_t exact_len = 2 * (TREND_EXACT_MAX * TREND_EXACT_MAX / 4 + 1);
  buf = malloc((3 * m + exact_len) * sizeof *buf);
  if (!buf) {
    rc = qb_err_set(err, QB_ENOMEM, "trend: out of memory for %zu points", m);
    goto done;
  }
  double *x = buf, *r = buf + m, *sorted = buf + 2 * m, *exact = buf + 3 * m;

  memcpy(sorted, v, m * sizeof *sorted);
  qb_sort_doubles(sorted, m);
  double level = fabs(qb_quantile_sorted(sorted, m, 0.5));
  if (level == 0.0) goto done; /* percentages undefined: stable, strength 0 */

  for (size_t i = 0; i < m; i++) x[i] = (double)i;
  double b, a;
  if ((rc = qb_theil_sen(x, v, m, &b, &a, err))) goto done;
  for (size_t i = 0; i < m; i++) r[i] = v[i] - b * x[i];
  double mad;
  if ((rc = qb_mad(r, m, &mad, err))) goto done;
  memcpy(sorted, r, m * sizeof *sorted);
  qb_sort_doubles(sorted, m);
  double med_r = qb_quantile_sorted(sorted, m, 0.5), sum_ad = 0.0;
  for (size_t i = 0; i < m; i++) sum_ad += fabs(r[i] - med_r);

  double slope_pct = 100.0 * b / level;
  double drift = slope_pct * (double)(m - 1); /* fitted last - fitted first, % of the median */
  double noise = 100.0 * MAD_TO_SIGMA * mad / level;
  double wild = 100.0 * MEAN_AD_TO_SIGMA * (sum_ad / (double)m) / level;
  double tau, p;
  kendall_index(v, m, sorted, exact, &tau, &p);
  out->slope_pct_per_run = slope_pct;
  out->noise_pct = noise;
  out->tau = tau;
  out->p = p;
  double tau_r = isnan(tau) ? 0.0 : tau, p_r = isnan(p) ? 1.0 : p; /* all equal: no trend */
  double vol = noise > wild ? noise : wild;
  if (vol > TREND_VOLATILE_PCT) {
    out->direction = QB_TREND_VOLATILE;
    double s = (vol - TREND_VOLATILE_PCT) / TREND_VOLATILE_FULL;
    out->strength = s < 1.0 ? s : 1.0;
  } else if (p_r <= TREND_ALPHA && fabs(drift) >= TREND_MIN_DRIFT_PCT) {
    int up = b > 0;
    out->direction = up == !!higher_is_better ? QB_TREND_IMPROVING : QB_TREND_DEGRADING;
    out->strength = fabs(tau_r);
  } else {
    out->direction = QB_TREND_STABLE;
    out->strength = 1.0 - fabs(tau_r);
  }
done:
  free(buf);
  return rc;
}

/* ---- scaling --------------------------------------------------------------------------- */

/* The display name of a model ("O(n log n)"), "unknown" for a value outside the enum. */
const char *qb_complexity_name(qb_complexity c) {
  static const char *const NAMES[QB_N_COMPLEXITIES] = {"O(1)",       "O(log n)", "O(n)",
                                                       "O(n log n)", "O(n^2)",   "O(n^3)"};
  return (unsigned)c < QB_N_COMPLEXITIES ? NAMES[c] : "unknown";
}

/* f(n) of model c: 1, log2 n, n, n log2 n, n^2, n^3. */
static double complexity_f(qb_complexity c, double n) {
  switch (c) {
    case QB_O_1:
      return 1.0;
    case QB_O_LOG_N:
      return log2(n);
    case QB_O_N:
      return n;
    case QB_O_N_LOG_N:
      return n * log2(n);
    case QB_O_N2:
      return n * n;
    case QB_O_N3:
      return n * n * n;
  }
  return NAN;
}

int qb_scaling(const double *n, const double *t, size_t k, qb_scaling_fit *out, qb_err *err) {
  /* For each model, a = sum(f t) / sum(f^2) (0 when every f is 0, as lstsq's minimum-norm
   * solution), rms = sqrt(sum((t - a f)^2) / k) / mean(t). best = the simplest model whose rms
   * is within a tie (1e-9 relative, 1e-12 absolute) of the smallest. No allocation. */
  if (k < 2) return qb_err_set(err, QB_EUSAGE, "scaling: %zu points, expected at least 2", k);
  double sum_t = 0.0;
  for (size_t i = 0; i < k; i++) {
    if (!(n[i] > 0) || !isfinite(n[i]))
      return qb_err_set(err, QB_EUSAGE, "scaling: n[%zu] = %g, expected a finite n > 0", i, n[i]);
    if (!isfinite(t[i]))
      return qb_err_set(err, QB_EUSAGE, "scaling: t[%zu] = %g is not finite", i, t[i]);
    if (!isfinite(complexity_f(QB_O_N3, n[i])))
      return qb_err_set(err, QB_EUSAGE, "scaling: n[%zu] = %g is too large for n^3", i, n[i]);
    sum_t += t[i];
  }
  double mean_t = sum_t / (double)k;
  if (!(mean_t > 0))
    return qb_err_set(err, QB_EUSAGE, "scaling: mean of t = %g, expected a positive mean", mean_t);
  double best_rms = INFINITY;
  for (int c = 0; c < QB_N_COMPLEXITIES; c++) {
    double sff = 0.0, sft = 0.0, sse = 0.0;
    for (size_t i = 0; i < k; i++) {
      double f = complexity_f((qb_complexity)c, n[i]);
      sff += f * f;
      sft += f * t[i];
    }
    double a = sff > 0 ? sft / sff : 0.0;
    for (size_t i = 0; i < k; i++) {
      double e = t[i] - a * complexity_f((qb_complexity)c, n[i]);
      sse += e * e;
    }
    out->coef[c] = a;
    out->rms[c] = sqrt(sse / (double)k) / mean_t;
    if (out->rms[c] < best_rms) best_rms = out->rms[c];
  }
  out->best = QB_O_1;
  for (int c = 0; c < QB_N_COMPLEXITIES; c++)
    if (out->rms[c] <= best_rms * (1.0 + SCALING_TIE_REL) + SCALING_TIE_ABS) {
      out->best = (qb_complexity)c;
      break;
    }
  return QB_OK;
}

/* The relative noise sigma of point i (se / t, at least QB_SCALING_MIN_REL_SE); NAN when se is
 * unknown. */
static double rel_noise(const double *t, const double *se, size_t i) {
  if (!se || isnan(se[i])) return NAN;
  double r = se[i] / t[i];
  return r > QB_SCALING_MIN_REL_SE ? r : QB_SCALING_MIN_REL_SE;
}

/* The median of the known (non-NAN) relative noises, without allocating: the j-th smallest is
 * found by counting (k is a family's size, a few dozen at most). NAN when none is known. */
static double median_noise(const double *t, const double *se, size_t k) {
  size_t m = 0;
  for (size_t i = 0; i < k; i++) m += !isnan(rel_noise(t, se, i));
  if (!m) return NAN;
  double lo = NAN, hi = NAN;
  for (size_t i = 0; i < k; i++) {
    double v = rel_noise(t, se, i);
    if (isnan(v)) continue;
    size_t below = 0, equal = 0;
    for (size_t j = 0; j < k; j++) {
      double u = rel_noise(t, se, j);
      if (isnan(u)) continue;
      below += u < v;
      equal += u == v;
    }
    /* v holds the sorted positions below .. below + equal - 1 */
    if (below <= (m - 1) / 2 && (m - 1) / 2 < below + equal) lo = v;
    if (below <= m / 2 && m / 2 < below + equal) hi = v;
  }
  return (lo + hi) / 2.0;
}

int qb_scaling_weighted(const double *n, const double *t, const double *se, size_t k,
                        qb_scaling_wfit *out, qb_err *err) {
  /* sigma_i = max(se_i / t_i, 0.1%), an unknown one the median of the known ones (all unknown:
   * 0.1% each). Per model, with r_i = ln t_i - ln f(n_i) and w_i = 1 / sigma_i^2: ln a =
   * sum(w r) / sum(w), chi2 = sum(w (r - ln a)^2), s^2 = max(1, chi2 / k) (the maximum-likelihood
   * scatter factor, never below the measured noise), aic = chi2 / s^2 + k ln s^2 + 2. */
  memset(out, 0, sizeof *out);
  if (k < 2) return qb_err_set(err, QB_EUSAGE, "scaling: %zu points, expected at least 2", k);
  for (size_t i = 0; i < k; i++) {
    if (!(n[i] > 0) || !isfinite(n[i]))
      return qb_err_set(err, QB_EUSAGE, "scaling: n[%zu] = %g, expected a finite n > 0", i, n[i]);
    if (!(t[i] > 0) || !isfinite(t[i]))
      return qb_err_set(err, QB_EUSAGE, "scaling: t[%zu] = %g, expected a finite t > 0", i, t[i]);
    if (se && (se[i] < 0 || isinf(se[i])))
      return qb_err_set(err, QB_EUSAGE, "scaling: se[%zu] = %g, expected a finite se >= 0", i,
                        se[i]);
    if (!isfinite(complexity_f(QB_O_N3, n[i])))
      return qb_err_set(err, QB_EUSAGE, "scaling: n[%zu] = %g is too large for n^3", i, n[i]);
  }
  double fill = median_noise(t, se, k);
  out->k = k;
  for (size_t i = 0; i < k; i++) out->n_noise += !isnan(rel_noise(t, se, i));
  if (isnan(fill)) fill = QB_SCALING_MIN_REL_SE;
  double best_aic = INFINITY;
  for (int c = 0; c < QB_N_COMPLEXITIES; c++) {
    double sw = 0.0, swr = 0.0, chi2 = 0.0, ss = 0.0;
    int applies = 1;
    for (size_t i = 0; i < k && applies; i++) {
      double f = complexity_f((qb_complexity)c, n[i]), sg = rel_noise(t, se, i);
      if (!(f > 0)) applies = 0;
      if (isnan(sg)) sg = fill;
      sw += 1.0 / (sg * sg);
      swr += (log(t[i]) - log(f)) / (sg * sg);
    }
    if (!applies) {
      out->coef[c] = out->rms[c] = out->chi2[c] = out->scale[c] = out->aic[c] = NAN;
      continue;
    }
    double la = swr / sw;
    for (size_t i = 0; i < k; i++) {
      double sg = rel_noise(t, se, i);
      if (isnan(sg)) sg = fill;
      double r = log(t[i]) - log(complexity_f((qb_complexity)c, n[i])) - la;
      chi2 += r * r / (sg * sg);
      ss += r * r;
    }
    double s2 = chi2 / (double)k > 1.0 ? chi2 / (double)k : 1.0;
    out->coef[c] = exp(la);
    out->rms[c] = sqrt(ss / (double)k);
    out->chi2[c] = chi2;
    out->scale[c] = s2;
    out->aic[c] = chi2 / s2 + (double)k * log(s2) + 2.0;
    if (out->aic[c] < best_aic) best_aic = out->aic[c];
  }
  /* the best and the runner-up: the smallest aic, ties (1e-9 relative) to the simpler model */
  double tie = fabs(best_aic) * SCALING_TIE_REL + SCALING_TIE_ABS;
  int best = -1, second = -1;
  for (int c = 0; c < QB_N_COMPLEXITIES; c++)
    if (!isnan(out->aic[c]) && out->aic[c] <= best_aic + tie) {
      best = c;
      break;
    }
  double second_aic = INFINITY;
  for (int c = 0; c < QB_N_COMPLEXITIES; c++)
    if (c != best && !isnan(out->aic[c]) && out->aic[c] < second_aic) second_aic = out->aic[c];
  for (int c = 0; c < QB_N_COMPLEXITIES; c++)
    if (c != best && !isnan(out->aic[c]) && out->aic[c] <= second_aic + tie) {
      second = c;
      break;
    }
  double sum_w = 0.0;
  for (int c = 0; c < QB_N_COMPLEXITIES; c++) {
    /* the best's delta is 0 even when it won a tie by a hair */
    out->delta[c] = isnan(out->aic[c]) ? NAN : c == best ? 0.0 : out->aic[c] - out->aic[best];
    out->weight[c] = isnan(out->aic[c]) ? 0.0 : exp(-out->delta[c] / 2.0);
    sum_w += out->weight[c];
  }
  for (int c = 0; c < QB_N_COMPLEXITIES; c++) out->weight[c] /= sum_w;
  out->best = (qb_complexity)best;
  out->second = (qb_complexity)second;
  out->distinguishable = !(out->delta[second] < QB_SCALING_DELTA_AIC);
  out->p = out->n_noise ? gsl_cdf_chisq_Q(out->chi2[best], (double)(k - 1)) : NAN;
  return QB_OK;
}

int qb_scaling_close(const qb_scaling_wfit *f, qb_complexity c) {
  return (unsigned)c < QB_N_COMPLEXITIES && c != f->best && f->delta[c] < QB_SCALING_DELTA_AIC;
}

/* ---- grades ---------------------------------------------------------------------------- */

void qb_grade_of(const qb_grade_input *in, qb_grade *out) {
  /* Each component that applies (0..100) enters a weighted mean with the weights above; the
   * ones that do not apply are NAN and left out (the weights of the others are renormalised).
   * The formulas are in docs/statistics.md (Grades). */
  double sum = 0.0, weights = 0.0;
  out->regressions_score = out->targets_score = out->stability_score = out->coverage_score = NAN;
  if (in->compared > 0) {
    double points = 0.0;
    for (int s = 1; s < 5; s++) points += SEVERITY_PENALTY[s] * (double)in->regressions[s];
    double r = 100.0 - sqrt(100.0 / (double)in->compared) * points;
    if (in->regressions[4] > 0 && r > GRADE_CAP_CRITICAL) r = GRADE_CAP_CRITICAL;
    if (in->regressions[4] == 0 && in->regressions[3] > 0 && r > GRADE_CAP_MAJOR)
      r = GRADE_CAP_MAJOR;
    out->regressions_score = r > 0.0 ? r : 0.0;
    sum += GRADE_W_REGRESSIONS * out->regressions_score;
    weights += GRADE_W_REGRESSIONS;
  }
  if (in->targets > 0) {
    size_t met = in->targets_met < in->targets ? in->targets_met : in->targets;
    out->targets_score = 100.0 * (double)met / (double)in->targets;
    sum += GRADE_W_TARGETS * out->targets_score;
    weights += GRADE_W_TARGETS;
  }
  if (!isnan(in->noise_pct)) {
    double z = in->noise_pct;
    out->stability_score = z <= GRADE_NOISE_FULL   ? 100.0
                           : z >= GRADE_NOISE_ZERO ? 0.0
                                                   : 100.0 * (GRADE_NOISE_ZERO - z) /
                                                         (GRADE_NOISE_ZERO - GRADE_NOISE_FULL);
    sum += GRADE_W_STABILITY * out->stability_score;
    weights += GRADE_W_STABILITY;
  }
  if (in->baseline_benchmarks > 0) {
    size_t c = in->compared < in->baseline_benchmarks ? in->compared : in->baseline_benchmarks;
    double missing = 1.0 - (double)c / (double)in->baseline_benchmarks;
    double cov = 100.0 - GRADE_COVERAGE_RATE * missing;
    out->coverage_score = cov > 0.0 ? cov : 0.0;
    sum += GRADE_W_COVERAGE * out->coverage_score;
    weights += GRADE_W_COVERAGE;
  }
  if (weights == 0.0) {
    out->score = NAN;
    strcpy(out->letter, "-");
    return;
  }
  out->score = sum / weights;
  const char *l = out->score >= 95.0   ? "A+"
                  : out->score >= 85.0 ? "A"
                  : out->score >= 70.0 ? "B"
                  : out->score >= 55.0 ? "C"
                                       : "D";
  strcpy(out->letter, l);
}
