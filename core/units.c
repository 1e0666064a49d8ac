/* core/units.c - unit tables and human formatting. */
#include "core/units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"

typedef struct unit_row {
  const char *name;
  qb_unit_kind kind;
  double factor;
} unit_row;

static const unit_row UNITS[] = {
    {"ps", QB_UNIT_TIME, 1e-3},
    {"ns", QB_UNIT_TIME, 1.0},
    {"us", QB_UNIT_TIME, 1e3},
    {"\xc2\xb5s", QB_UNIT_TIME, 1e3}, /* U+00B5 micro sign */
    {"\xce\xbcs", QB_UNIT_TIME, 1e3}, /* U+03BC greek mu */
    {"ms", QB_UNIT_TIME, 1e6},
    {"s", QB_UNIT_TIME, 1e9},
    {"sec", QB_UNIT_TIME, 1e9},
    {"secs", QB_UNIT_TIME, 1e9},
    {"seconds", QB_UNIT_TIME, 1e9},
    {"min", QB_UNIT_TIME, 60e9},
    {"B", QB_UNIT_BYTES, 1.0},
    {"bytes", QB_UNIT_BYTES, 1.0},
    {"KB", QB_UNIT_BYTES, 1e3},
    {"kB", QB_UNIT_BYTES, 1e3},
    {"MB", QB_UNIT_BYTES, 1e6},
    {"GB", QB_UNIT_BYTES, 1e9},
    {"TB", QB_UNIT_BYTES, 1e12},
    {"KiB", QB_UNIT_BYTES, 1024.0},
    {"MiB", QB_UNIT_BYTES, 1048576.0},
    {"GiB", QB_UNIT_BYTES, 1073741824.0},
    {"TiB", QB_UNIT_BYTES, 1099511627776.0},
    {"B/s", QB_UNIT_BYTE_RATE, 1.0},
    {"KB/s", QB_UNIT_BYTE_RATE, 1e3},
    {"kB/s", QB_UNIT_BYTE_RATE, 1e3},
    {"MB/s", QB_UNIT_BYTE_RATE, 1e6},
    {"GB/s", QB_UNIT_BYTE_RATE, 1e9},
    {"TB/s", QB_UNIT_BYTE_RATE, 1e12},
    {"KiB/s", QB_UNIT_BYTE_RATE, 1024.0},
    {"MiB/s", QB_UNIT_BYTE_RATE, 1048576.0},
    {"GiB/s", QB_UNIT_BYTE_RATE, 1073741824.0},
    {"TiB/s", QB_UNIT_BYTE_RATE, 1099511627776.0},
    {"1/s", QB_UNIT_RATE, 1.0},
    {"/s", QB_UNIT_RATE, 1.0},
    {"Hz", QB_UNIT_RATE, 1.0},
    {"ops/s", QB_UNIT_RATE, 1.0},
    {"op/s", QB_UNIT_RATE, 1.0},
    {"Kops/s", QB_UNIT_RATE, 1e3},
    {"Mops/s", QB_UNIT_RATE, 1e6},
    {"Gops/s", QB_UNIT_RATE, 1e9},
    {"elem/s", QB_UNIT_RATE, 1.0},
    {"Kelem/s", QB_UNIT_RATE, 1e3},
    {"Melem/s", QB_UNIT_RATE, 1e6},
    {"Gelem/s", QB_UNIT_RATE, 1e9},
    {"items/s", QB_UNIT_RATE, 1.0},
    {"K items/s", QB_UNIT_RATE, 1e3}, /* as qbdb_runner prints them: "3.496 G items/s" */
    {"M items/s", QB_UNIT_RATE, 1e6},
    {"G items/s", QB_UNIT_RATE, 1e9},
    {"T items/s", QB_UNIT_RATE, 1e12},
    {"Kitems/s", QB_UNIT_RATE, 1e3},
    {"Mitems/s", QB_UNIT_RATE, 1e6},
    {"Gitems/s", QB_UNIT_RATE, 1e9},
    {"K ops/s", QB_UNIT_RATE, 1e3},
    {"M ops/s", QB_UNIT_RATE, 1e6},
    {"G ops/s", QB_UNIT_RATE, 1e9},
    {"K elem/s", QB_UNIT_RATE, 1e3},
    {"M elem/s", QB_UNIT_RATE, 1e6},
    {"G elem/s", QB_UNIT_RATE, 1e9},
    {"K/s", QB_UNIT_RATE, 1e3}, /* as qbdb prints a bare 1/s rate: "3.246 M/s" */
    {"M/s", QB_UNIT_RATE, 1e6},
    {"G/s", QB_UNIT_RATE, 1e9},
    {"T/s", QB_UNIT_RATE, 1e12},
    {"iter/s", QB_UNIT_RATE, 1.0},
    {"1", QB_UNIT_COUNT, 1.0},
    {"count", QB_UNIT_COUNT, 1.0},
    {"ops", QB_UNIT_COUNT, 1.0},
    {"items", QB_UNIT_COUNT, 1.0},
    {"%", QB_UNIT_COUNT, 1.0},
    {"instr", QB_UNIT_COUNT, 1.0}, /* instruction and cycle counts (qbdb_runner --measure) */
    {"instructions", QB_UNIT_COUNT, 1.0},
    {"cycles", QB_UNIT_COUNT, 1.0},
    {"K", QB_UNIT_COUNT, 1e3}, /* as qbdb prints a large count: "1.235 M" */
    {"M", QB_UNIT_COUNT, 1e6},
    {"G", QB_UNIT_COUNT, 1e9},
    {"T", QB_UNIT_COUNT, 1e12},
};

static const char *const BASE[] = {"ns", "1/s", "B", "B/s", "1"};

int qb_unit_parse(const char *name, qb_unit *out) {
  if (!name) return QB_EFORMAT;
  for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++) {
    int same = strcmp(UNITS[i].name, name) == 0;
    if (!same && UNITS[i].name[0] == 's' && UNITS[i].name[1] == 'e')
      same = strcasecmp(UNITS[i].name, name) == 0;
    if (same) {
      out->kind = UNITS[i].kind;
      out->factor = UNITS[i].factor;
      out->base = BASE[UNITS[i].kind];
      return QB_OK;
    }
  }
  return QB_EFORMAT;
}

typedef struct scale {
  double div;
  const char *name;
} scale;

static const scale TIME_SCALES[] = {
    {1e9, "s"}, {1e6, "ms"}, {1e3, "\xc2\xb5s"}, {1.0, "ns"}, {1e-3, "ps"}};
static const scale BYTE_SCALES[] = {{1099511627776.0, "TiB"},
                                    {1073741824.0, "GiB"},
                                    {1048576.0, "MiB"},
                                    {1024.0, "KiB"},
                                    {1.0, "B"}};
static const scale RATE_SCALES[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "K"}, {1.0, ""}};

static void fmt_num(double v, const char *unit, const char *suffix, char *out, size_t n) {
  double a = fabs(v);
  int dec = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;
  snprintf(out, n, "%.*f %s%s", dec, v, unit, suffix);
}

static void fmt_scaled(double v, const scale *sc, size_t n_sc, const char *suffix, char *out,
                       size_t n) {
  double a = fabs(v);
  size_t i = 0;
  while (i + 1 < n_sc && a < sc[i].div * 0.9995) i++;
  fmt_num(v / sc[i].div, sc[i].name, suffix, out, n);
}

/* 1 when base is a per-second rate of counted things at factor 1 that qbdb_runner and Google
 * Benchmark spell with their noun: "items/s", "ops/s", "elem/s", "iter/s". */
static int rate_noun(const char *base) {
  static const char *const NOUNS[] = {"items/s", "ops/s", "elem/s", "iter/s"};
  for (size_t i = 0; i < sizeof NOUNS / sizeof NOUNS[0]; i++)
    if (!strcmp(base, NOUNS[i])) return 1;
  return 0;
}

/* "2.867 G items/s" (qbdb_runner's summary), "512.0 items/s" below a thousand. */
static void fmt_noun_rate(double v, const char *noun, char *out, size_t n) {
  double a = fabs(v);
  size_t i = 0;
  while (i + 1 < 5 && a < RATE_SCALES[i].div * 0.9995) i++;
  char num[48];
  fmt_num(v / RATE_SCALES[i].div, RATE_SCALES[i].name, "", num, sizeof num);
  /* fmt_num wrote "2.867 G" or "512.0 " */
  snprintf(out, n, "%s%s%s", num, *RATE_SCALES[i].name ? " " : "", noun);
}

char *qb_unit_format(double value, const char *base, char *out, size_t n) {
  if (!n) return out;
  if (isnan(value)) {
    snprintf(out, n, "-");
    return out;
  }
  if (!base) base = "1";
  if (!strcmp(base, "ns"))
    fmt_scaled(value, TIME_SCALES, 5, "", out, n);
  else if (!strcmp(base, "B"))
    fmt_scaled(value, BYTE_SCALES, 5, "", out, n);
  else if (!strcmp(base, "B/s"))
    fmt_scaled(value, BYTE_SCALES, 5, "/s", out, n);
  else if (!strcmp(base, "1/s"))
    fmt_scaled(value, RATE_SCALES, 5, "/s", out, n);
  else if (rate_noun(base))
    fmt_noun_rate(value, base, out, n);
  else if (!strcmp(base, "1") && isfinite(value) && fabs(value) >= 1e4)
    fmt_scaled(value, RATE_SCALES, 4, "", out, n); /* "123.5 K", "1.235 M", "2.000 G" */
  else if (!strcmp(base, "1"))
    snprintf(out, n, "%.6g", value);
  else
    snprintf(out, n, "%.6g %s", value, base);
  return out;
}

int qb_metric_higher_is_better(const char *metric) {
  return metric && (!strcmp(metric, "throughput") || !strcmp(metric, "ops"));
}

char *qb_pvalue_format(double p, char *out, size_t n) {
  if (isnan(p))
    snprintf(out, n, "-");
  else if (p <= 0)
    snprintf(out, n, "<1e-300");
  else if (p < 1e-4)
    snprintf(out, n, "%.1e", p);
  else
    snprintf(out, n, "%.4f", p);
  return out;
}
