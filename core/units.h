/* core/units.h - unit parsing, normalisation to base units, and human-readable formatting.
 *
 * Base units (what the store holds): time "ns", event rate "1/s", bytes "B", byte rate "B/s",
 * dimensionless "1". Nothing here allocates. */
#ifndef QB_CORE_UNITS_H
#define QB_CORE_UNITS_H

#include <stddef.h>

typedef enum qb_unit_kind {
  QB_UNIT_TIME,      /* base "ns" */
  QB_UNIT_RATE,      /* base "1/s": operations, elements or iterations per second */
  QB_UNIT_BYTES,     /* base "B" */
  QB_UNIT_BYTE_RATE, /* base "B/s" */
  QB_UNIT_COUNT      /* base "1": counts and other dimensionless values */
} qb_unit_kind;

typedef struct qb_unit {
  qb_unit_kind kind;
  double factor;    /* multiply a value in the parsed unit by this to get base units */
  const char *base; /* static string: "ns", "1/s", "B", "B/s", "1" */
} qb_unit;

/* Parse a unit name such as "ns", "µs", "ms", "s", "MiB/s", "KB", "ops/s", "Melem/s", "count",
 * "instr", "cycles", a count as qbdb prints it ("K", "M", "G", "T": "< 1.5 M"),
 * and the rates as qbdb_runner and qbdb print them ("G items/s", "M ops/s", "M/s"), so a value
 * copied from either parses back (a target "> 2.5 G items/s").
 * Returns 0 and fills out, or QB_EFORMAT for an unknown unit (out untouched). Case-sensitive
 * except for the "sec"/"secs" spellings. */
int qb_unit_parse(const char *name, qb_unit *out);

/* Format value (in the base unit `base`) in a human unit with 4-5 significant digits, e.g.
 * "1.235 ms", "871.0 MiB/s" (bytes: binary multiples, as qbdb_runner, Google Benchmark's
 * bytes_per_second and Criterion's Bytes mean them), "3.246 M/s". A count (base "1") prints
 * with "%.6g" below 10000 ("12", "0.5") and scaled from there ("123.5 K", "1.235 M": an
 * instruction count; the metric, shown beside it, names what is counted). A rate whose base names
 * what is counted ("items/s", "ops/s", "elem/s", "iter/s", factor 1) keeps its noun the way
 * qbdb_runner prints it: "2.867 G items/s". Writes at most n bytes (NUL-terminated); returns
 * out. NaN prints as "-". An unknown base prints the number followed by base. */
char *qb_unit_format(double value, const char *base, char *out, size_t n);

/* Format a p-value the one way every text output does: "-" for NaN, "%.4f" from 1e-4 up,
 * "%.1e" below ("1.5e-51"), and "<1e-300" for a p that underflowed to 0 (never "0" or
 * "0.0000", which would claim certainty). Returns out. */
char *qb_pvalue_format(double p, char *out, size_t n);

/* The default direction for a metric name: 1 when higher is better ("throughput"), 0 otherwise
 * (latency, cpu, memory, and counts: "instructions", "cycles"). */
int qb_metric_higher_is_better(const char *metric);

#endif
