/* schema/supersede.c - the record that took the place of a change no longer found
 * (schema/supersede.h). */
#include "schema/supersede.h"

/* 1 when row a comes before row b in series order. */
static int before(const qb_supersede_row *a, const qb_supersede_row *b) {
  return a->run_time < b->run_time || (a->run_time == b->run_time && a->run_id < b->run_id);
}

/* How many points the change of row a moved to reach row b; -1 when unknown or farther than
 * QB_SUPERSEDE_MAX_MOVE. */
static int64_t moved(const qb_supersede_row *a, const qb_supersede_row *b) {
  if (a->position < 0 || b->position < 0) return -1;
  int64_t d = a->position > b->position ? a->position - b->position : b->position - a->position;
  return d <= QB_SUPERSEDE_MAX_MOVE ? d : -1;
}

void qb_supersede_match(const qb_supersede_row *rows, size_t n, long *by, long *inherit) {
  for (size_t i = 0; i < n; i++) inherit[i] = -1;
  for (size_t i = 0; i < n; i++) {
    by[i] = -1;
    if (!rows[i].stale) continue;
    long lo = -1, hi = -1; /* the nearest active rows before and after it */
    for (size_t k = 0; k < n; k++) {
      if (!rows[k].active || k == i) continue;
      if (before(&rows[k], &rows[i])) {
        if (lo < 0 || before(&rows[lo], &rows[k])) lo = (long)k;
      } else if (hi < 0 || before(&rows[k], &rows[hi])) {
        hi = (long)k;
      }
    }
    int64_t d_lo = lo >= 0 ? moved(&rows[i], &rows[lo]) : -1;
    int64_t d_hi = hi >= 0 ? moved(&rows[i], &rows[hi]) : -1;
    int lo_ok = d_lo >= 0 && rows[lo].fresh && rows[lo].improvement == rows[i].improvement;
    int hi_ok = d_hi >= 0 && rows[hi].fresh && rows[hi].improvement == rows[i].improvement;
    if (lo_ok && hi_ok)
      by[i] = d_lo < d_hi ? lo : hi;
    else if (lo_ok)
      by[i] = lo;
    else if (hi_ok)
      by[i] = hi;
    long j = by[i];
    if (j >= 0 && rows[i].triaged_at > 0 && rows[j].triaged_at <= 0 &&
        (inherit[j] < 0 || rows[inherit[j]].triaged_at < rows[i].triaged_at))
      inherit[j] = (long)i;
  }
}
