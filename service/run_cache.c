/* service/run_cache.c - what the server keeps of the data it read, shared by its threads and
 * bounded: decoded runs, the histories of the noise model and the ends of series (see
 * service/run_cache.h). */
#include "service/run_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/describe.h"

enum { BUCKETS = 256 };

typedef struct entry {
  int64_t id, generation;
  char hash[65];
  qb_run *run;
  size_t n_sorted;
  size_t *first;   /* per benchmark: the index of its first result in sorted */
  double **sorted; /* per result, in run order: its samples sorted ascending (NULL: none) */
  size_t bytes;
  int refs;                  /* references handed out and not released */
  int cached;                /* still in the table (0: dropped, freed on the last release) */
  struct entry *prev, *next; /* the LRU list, most recent first */
  struct entry *chain;       /* the bucket */
} entry;

/* A run's history for the noise model, kept while the data generation stays the same (a run's
 * history changes only by a run stored before it in one of its series, or by a prune, and both
 * bump the generation): at most HISTORIES of them and HIST_BYTES in all. */
enum { HISTORIES = 64 };
#define HIST_BYTES ((size_t)16 << 20)
typedef struct hist_entry {
  int64_t run_id;
  int per_series;
  int64_t generation;       /* the data generation it was read at */
  qb_history_point *points; /* NULL with n 0: an empty history */
  size_t n, bytes;
  int used;     /* a slot in use */
  uint64_t age; /* for replacing the least recently used */
} hist_entry;

/* A series' end under its detection marker (qb_run_cache_tail_get). */
enum { TAIL_BUCKETS = 1024 };
#define TAIL_BYTES ((size_t)16 << 20)
typedef struct tail_entry {
  int64_t series, run, time;
  size_t n, from; /* the marker's point count; the points kept are [from, n) */
  int64_t *ids;
  double *x;
  qb_cp_memo memo;                        /* the candidates of the series' complete blocks */
  size_t bytes;                           /* counted in tail_bytes */
  struct tail_entry *prev, *next, *chain; /* the LRU list (most recent first), the bucket */
} tail_entry;

struct qb_run_cache {
  pthread_mutex_t mu;
  tail_entry *tail_bucket[TAIL_BUCKETS], *tail_head, *tail_tail;
  size_t tails, tail_bytes;
  uint64_t tail_hits, tail_misses;
  size_t max_bytes, bytes, runs;
  uint64_t hits, misses, evictions, history_hits, history_misses, clock;
  size_t hist_bytes;
  entry *head, *tail;
  entry *bucket[BUCKETS];
  hist_entry hist[HISTORIES];
};

qb_run_cache *qb_run_cache_new(size_t max_bytes) {
  qb_run_cache *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  pthread_mutex_init(&c->mu, NULL);
  c->max_bytes = max_bytes;
  return c;
}

/* Free an entry and its run. */
static void entry_free(entry *e) {
  for (size_t i = 0; e->sorted && i < e->n_sorted; i++) free(e->sorted[i]);
  free(e->sorted);
  free(e->first);
  qb_run_free(e->run);
  free(e);
}

/* Give e the sorted samples of every result of its run (sorting once per load, not once per
 * compare); their bytes are added to e->bytes. QB_ENOMEM when out of memory. */
static int sort_samples(entry *e) {
  const qb_run *r = e->run;
  size_t n = 0;
  if (!(e->first = calloc(r->n_benches ? r->n_benches : 1, sizeof *e->first))) return QB_ENOMEM;
  for (size_t i = 0; i < r->n_benches; i++) {
    e->first[i] = n;
    n += r->benches[i].n_results;
  }
  if (!(e->sorted = calloc(n ? n : 1, sizeof *e->sorted))) return QB_ENOMEM;
  e->n_sorted = n;
  e->bytes += (r->n_benches + n) * sizeof(void *);
  for (size_t i = 0, k = 0; i < r->n_benches; i++)
    for (size_t j = 0; j < r->benches[i].n_results; j++, k++) {
      const qb_result *x = &r->benches[i].results[j];
      if (!x->n_samples) continue;
      if (!(e->sorted[k] = malloc(x->n_samples * sizeof *x->samples))) return QB_ENOMEM;
      memcpy(e->sorted[k], x->samples, x->n_samples * sizeof *x->samples);
      qb_sort_doubles(e->sorted[k], x->n_samples);
      e->bytes += x->n_samples * sizeof *x->samples + 16;
    }
  return QB_OK;
}

const double *qb_run_ref_sorted(const qb_run_ref *ref, const qb_bench *b, const qb_result *r) {
  const entry *e = ref->entry;
  if (!e || !e->sorted) return NULL;
  size_t bi = (size_t)(b - e->run->benches), ri = (size_t)(r - b->results);
  if (bi >= e->run->n_benches || ri >= b->n_results) return NULL;
  return e->sorted[e->first[bi] + ri];
}

/* Free a tail entry. */
static void tail_free(tail_entry *t) {
  free(t->ids);
  free(t->x);
  qb_cp_memo_dispose(&t->memo);
  free(t);
}

void qb_run_cache_free(qb_run_cache *c) {
  if (!c) return;
  for (tail_entry *t = c->tail_head, *next; t; t = next) {
    next = t->next;
    tail_free(t);
  }
  for (size_t i = 0; i < HISTORIES; i++) qb_history_free(c->hist[i].points, c->hist[i].n);
  for (entry *e = c->head, *next; e; e = next) {
    next = e->next;
    entry_free(e);
  }
  pthread_mutex_destroy(&c->mu);
  free(c);
}

/* The length of s plus its NUL and a malloc header, 0 for NULL. */
static size_t str_bytes(const char *s) {
  return s ? strlen(s) + 1 + 16 : 0;
}

/* An estimate of the heap held by run. */
static size_t run_bytes(const qb_run *r) {
  size_t n = sizeof *r + str_bytes(r->project) + str_bytes(r->branch) + str_bytes(r->commit_sha) +
             str_bytes(r->machine) + str_bytes(r->machine_info) + str_bytes(r->format) +
             str_bytes(r->tool_version) + str_bytes(r->extra) + r->cap_tags * sizeof *r->tags +
             r->cap_benches * sizeof *r->benches;
  for (size_t i = 0; i < r->n_tags; i++)
    n += str_bytes(r->tags[i].key) + str_bytes(r->tags[i].value);
  for (size_t i = 0; i < r->n_benches; i++) {
    const qb_bench *b = &r->benches[i];
    n += str_bytes(b->name) + str_bytes(b->group) + str_bytes(b->params) + str_bytes(b->extra) +
         b->cap_results * sizeof *b->results;
    for (size_t j = 0; j < b->n_results; j++) {
      const qb_result *x = &b->results[j];
      n += str_bytes(x->metric) + str_bytes(x->unit) + str_bytes(x->extra) +
           x->n_samples * (sizeof *x->samples + (x->iters ? sizeof *x->iters : 0)) + 32;
    }
  }
  return n;
}

/* Take e out of the LRU list. */
static void lru_unlink(qb_run_cache *c, entry *e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    c->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    c->tail = e->prev;
  e->prev = e->next = NULL;
}

/* Put e first in the LRU list. */
static void lru_front(qb_run_cache *c, entry *e) {
  e->prev = NULL;
  e->next = c->head;
  if (c->head) c->head->prev = e;
  c->head = e;
  if (!c->tail) c->tail = e;
}

/* Drop e from the table (freed now when nobody holds it, else on its last release). */
static void drop(qb_run_cache *c, entry *e) {
  entry **p = &c->bucket[(uint64_t)e->id % BUCKETS];
  while (*p != e) p = &(*p)->chain;
  *p = e->chain;
  lru_unlink(c, e);
  c->bytes -= e->bytes;
  c->runs--;
  e->cached = 0;
  if (!e->refs) entry_free(e);
}

/* The entry of run id as stored now (hash, generation), moved to the front and referenced, or
 * NULL; entries of id with another hash or generation are dropped on the way. */
static entry *find(qb_run_cache *c, int64_t id, const char *hash, int64_t generation) {
  entry *e = c->bucket[(uint64_t)id % BUCKETS], *next;
  for (; e; e = next) {
    next = e->chain;
    if (e->id != id) continue;
    if (e->generation == generation && !strcmp(e->hash, hash)) {
      lru_unlink(c, e);
      lru_front(c, e);
      e->refs++;
      return e;
    }
    drop(c, e);
  }
  return NULL;
}

static void keep(qb_run_cache *c, int64_t id, const char *hash, int64_t generation, qb_run *run,
                 int miss, qb_run_ref *out);

int qb_run_cache_load(qb_run_cache *c, qb_store *s, int64_t id, qb_run_info *info, qb_run_ref *out,
                      qb_err *err) {
  out->run = NULL;
  out->entry = NULL;
  qb_run *run = NULL;
  int64_t generation;
  int rc;
  if (!c) {
    if ((rc = qb_store_load_run(s, id, QB_LOAD_VALUES, info, &run, err))) return rc;
    out->run = run;
    return QB_OK;
  }
  /* the generation before the run: a prune after this read gives a newer generation, so what is
   * loaded below is never kept under a generation it is older than */
  if ((rc = qb_store_generation(s, &generation, err)) ||
      (rc = qb_store_load_run(s, id, 0, info, NULL, err)))
    return rc;
  const char *hash = info->content_hash ? info->content_hash : "";
  pthread_mutex_lock(&c->mu);
  entry *e = find(c, id, hash, generation);
  if (e) c->hits++;
  pthread_mutex_unlock(&c->mu);
  if (e) {
    out->run = e->run;
    out->entry = e;
    return QB_OK;
  }
  qb_run_info again;
  if ((rc = qb_store_load_run(s, id, QB_LOAD_VALUES, &again, &run, err))) return rc;
  int same = !strcmp(again.content_hash ? again.content_hash : "", hash);
  qb_run_info_dispose(&again);
  if (!same) { /* replaced meanwhile: not kept */
    out->run = run;
    return QB_OK;
  }
  keep(c, id, hash, generation, run, 1, out);
  return QB_OK;
}

/* Keep run (id's, with content hash and data generation, as loaded) in c and reference it in
 * *out; a run too big to keep, or out of memory, is handed out uncached (owned by *out). miss:
 * count a lookup that missed. */
static void keep(qb_run_cache *c, int64_t id, const char *hash, int64_t generation, qb_run *run,
                 int miss, qb_run_ref *out) {
  entry *e = NULL;
  size_t bytes = run_bytes(run);
  if (2 * bytes <= c->max_bytes && (e = calloc(1, sizeof *e))) {
    e->run = run;
    e->bytes = bytes;
    if (sort_samples(e)) { /* out of memory: give the run back uncached */
      e->run = NULL;
      entry_free(e);
      e = NULL;
    }
  }
  if (!e || e->bytes > c->max_bytes) {
    if (e) {
      e->run = NULL;
      entry_free(e);
    }
    out->run = run; /* too big or out of memory: not kept */
    return;
  }
  bytes = e->bytes;
  e->id = id;
  e->generation = generation;
  snprintf(e->hash, sizeof e->hash, "%s", hash);
  e->refs = 1;
  e->cached = 1;
  pthread_mutex_lock(&c->mu);
  c->misses += miss != 0;
  entry *other = find(c, id, hash, generation); /* another thread loaded it meanwhile */
  if (other) {
    pthread_mutex_unlock(&c->mu);
    entry_free(e);
    out->run = other->run;
    out->entry = other;
    return;
  }
  while (c->tail && c->bytes + bytes > c->max_bytes) {
    c->evictions++;
    drop(c, c->tail);
  }
  e->chain = c->bucket[(uint64_t)id % BUCKETS];
  c->bucket[(uint64_t)id % BUCKETS] = e;
  lru_front(c, e);
  c->bytes += bytes;
  c->runs++;
  pthread_mutex_unlock(&c->mu);
  out->run = run;
  out->entry = e;
}

/* The run that qb_store_load_run(QB_LOAD_VALUES) reads back of `stored` once it is stored with
 * the run-level fields info: the benchmarks that have results, in order, each with its results
 * in order (their statistics, extra and sample values; no iteration counts), counts below zero
 * read as -1 (the store keeps them as NULL). The texts and sample arrays of stored's benchmarks
 * and results are moved, not copied (stored keeps its names and loses its samples). NULL when
 * out of memory. */
static qb_run *run_as_stored(const qb_run_info *info, qb_run *stored) {
  qb_run *run = qb_run_from_info(info);
  qb_err err = QB_ERR_INIT;
  int bad = !run;
  for (size_t i = 0; i < stored->n_benches && !bad; i++) {
    qb_bench *sb = &stored->benches[i];
    qb_bench *b;
    if (!sb->n_results) continue;
    if (qb_run_add_bench(run, sb->name, sb->group, &b, &err)) {
      bad = 1;
      break;
    }
    b->params = sb->params;
    b->extra = sb->extra;
    sb->params = sb->extra = NULL;
    for (size_t j = 0; j < sb->n_results && !bad; j++) {
      qb_result *sr = &sb->results[j];
      qb_result *r;
      if (qb_bench_add_result(b, sr->metric, sr->unit, sr->direction, &r, &err)) {
        bad = 1;
        break;
      }
      r->stats = sr->stats;
      if (r->stats.n < 0) r->stats.n = -1;
      if (r->stats.outliers < 0) r->stats.outliers = -1;
      r->extra = sr->extra;
      sr->extra = NULL;
      if (!sr->n_samples) continue;
      qb_result_take_samples(r, sr->samples, NULL, sr->n_samples);
      sr->samples = NULL;
      sr->n_samples = 0;
    }
  }
  if (bad) {
    qb_run_free(run);
    return NULL;
  }
  return run;
}

int qb_run_cache_seed(qb_run_cache *c, qb_store *s, int64_t id, int64_t generation, qb_run *stored,
                      qb_err *err) {
  if (!c) return QB_OK;
  qb_run_info info;
  int rc = qb_store_load_run(s, id, 0, &info, NULL, err);
  if (rc) return rc;
  const char *hash = info.content_hash ? info.content_hash : "";
  qb_run *run = strcmp(hash, stored->content_hash) ? NULL : run_as_stored(&info, stored);
  if (run) {
    qb_run_ref ref = {NULL, NULL};
    keep(c, id, hash, generation, run, 0, &ref);
    qb_run_cache_release(c, &ref);
  }
  qb_run_info_dispose(&info);
  return QB_OK;
}

void qb_run_cache_release(qb_run_cache *c, qb_run_ref *ref) {
  entry *e = ref->entry;
  if (!e) {
    qb_run_free((qb_run *)ref->run);
  } else {
    pthread_mutex_lock(&c->mu);
    int last = --e->refs == 0 && !e->cached;
    pthread_mutex_unlock(&c->mu);
    if (last) entry_free(e);
  }
  ref->run = NULL;
  ref->entry = NULL;
}

/* qb_history_lookup over the kept histories (ctx: the cache). */
static int history_lookup(void *ctx, int64_t run, int per_series, int64_t generation,
                          qb_history_point **out, size_t *n) {
  qb_run_cache *c = ctx;
  int found = 0;
  pthread_mutex_lock(&c->mu);
  for (size_t i = 0; i < HISTORIES && !found; i++) {
    hist_entry *h = &c->hist[i];
    if (!h->used || h->run_id != run || h->per_series != per_series || h->generation != generation)
      continue;
    h->age = ++c->clock;
    found = qb_history_copy(h->points, h->n, out, NULL) == QB_OK;
    if (found) *n = h->n;
  }
  pthread_mutex_unlock(&c->mu);
  return found;
}

int qb_run_cache_history(qb_run_cache *c, qb_store *s, int64_t run_id, int per_series,
                         qb_history_point **out, size_t *n, qb_err *err) {
  *out = NULL;
  *n = 0;
  if (!c) return qb_store_history(s, run_id, per_series, out, n, err);
  int64_t generation;
  int rc = qb_store_generation(s, &generation, err);
  if (rc) return rc;
  pthread_mutex_lock(&c->mu);
  hist_entry *hit = NULL;
  for (size_t i = 0; i < HISTORIES && !hit; i++)
    if (c->hist[i].used && c->hist[i].run_id == run_id && c->hist[i].per_series == per_series &&
        c->hist[i].generation == generation)
      hit = &c->hist[i];
  if (hit) {
    hit->age = ++c->clock;
    c->history_hits++;
    rc = qb_history_copy(hit->points, hit->n, out, err);
    if (!rc) *n = hit->n;
  }
  pthread_mutex_unlock(&c->mu);
  if (hit) /* the change points as stored now: a detection may have run since */
    return rc ? rc : qb_store_history_marks(s, run_id, *out, *n, err);
  /* read, with the kept history of the run before where it serves (qb_store_history_with) */
  if ((rc = qb_store_history_with(s, run_id, per_series, history_lookup, c, &generation, out, n,
                                  err)))
    return rc;
  size_t bytes = *n * sizeof **out;
  for (size_t i = 0; i < *n; i++)
    if ((*out)[i].owns) bytes += strlen((*out)[i].bench) + strlen((*out)[i].metric) + 2 + 32;
  qb_history_point *copy;
  pthread_mutex_lock(&c->mu);
  c->history_misses++;
  pthread_mutex_unlock(&c->mu);
  if (bytes > HIST_BYTES / 4 || qb_history_copy(*out, *n, &copy, err))
    return QB_OK; /* too big to keep, or out of memory */
  pthread_mutex_lock(&c->mu);
  for (size_t i = 0; i < HISTORIES; i++) { /* the run's history of an older generation: out */
    hist_entry *h = &c->hist[i];
    if (h->used && h->run_id == run_id && h->per_series == per_series) {
      c->hist_bytes -= h->bytes;
      qb_history_free(h->points, h->n);
      memset(h, 0, sizeof *h);
    }
  }
  for (;;) { /* a free slot once the new history fits, the least recently used ones out first */
    hist_entry *free_slot = NULL, *lru = NULL;
    for (size_t i = 0; i < HISTORIES; i++) {
      hist_entry *h = &c->hist[i];
      if (!h->used) {
        if (!free_slot) free_slot = h;
      } else if (!lru || h->age < lru->age) {
        lru = h;
      }
    }
    if (free_slot && c->hist_bytes + bytes <= HIST_BYTES) {
      *free_slot = (hist_entry){run_id, per_series, generation, copy, *n, bytes, 1, ++c->clock};
      c->hist_bytes += bytes;
      break;
    }
    if (!lru) { /* cannot happen (bytes <= HIST_BYTES / 4): not kept */
      qb_history_free(copy, *n);
      break;
    }
    c->hist_bytes -= lru->bytes;
    qb_history_free(lru->points, lru->n);
    memset(lru, 0, sizeof *lru);
  }
  pthread_mutex_unlock(&c->mu);
  return QB_OK;
}

/* Take t out of the tail LRU list and its bucket (the caller frees or reuses it). */
static void tail_unlink(qb_run_cache *c, tail_entry *t) {
  if (t->prev)
    t->prev->next = t->next;
  else
    c->tail_head = t->next;
  if (t->next)
    t->next->prev = t->prev;
  else
    c->tail_tail = t->prev;
  tail_entry **p = &c->tail_bucket[(uint64_t)t->series % TAIL_BUCKETS];
  while (*p != t) p = &(*p)->chain;
  *p = t->chain;
  c->tails--;
  c->tail_bytes -= t->bytes;
}

/* The tail entry of series, or NULL (the caller holds the lock). */
static tail_entry *tail_find(qb_run_cache *c, int64_t series) {
  tail_entry *t = c->tail_bucket[(uint64_t)series % TAIL_BUCKETS];
  while (t && t->series != series) t = t->chain;
  return t;
}

int qb_run_cache_tail_get(qb_run_cache *c, int64_t series, size_t n, int64_t run, int64_t time,
                          size_t from_max, size_t *from, int64_t **ids, double **x,
                          qb_cp_memo *memo) {
  *ids = NULL;
  *x = NULL;
  if (memo) memset(memo, 0, sizeof *memo);
  if (!c) return 0;
  pthread_mutex_lock(&c->mu);
  tail_entry *t = tail_find(c, series);
  int hit = t && t->n == n && t->run == run && t->time == time && t->from <= from_max;
  if (hit) {
    size_t k = n - t->from;
    *ids = malloc(k * sizeof **ids);
    *x = malloc(k * sizeof **x);
    if (*ids && *x) {
      memcpy(*ids, t->ids, k * sizeof **ids);
      memcpy(*x, t->x, k * sizeof **x);
      *from = t->from;
      if (memo) qb_cp_memo_copy(&t->memo, memo, NULL); /* none when short of memory */
    } else {
      free(*ids);
      free(*x);
      *ids = NULL;
      *x = NULL;
      hit = 0;
    }
  }
  if (hit)
    c->tail_hits++;
  else
    c->tail_misses++;
  pthread_mutex_unlock(&c->mu);
  return hit;
}

void qb_run_cache_tail_put(qb_run_cache *c, int64_t series, size_t n, int64_t run, int64_t time,
                           size_t from, const int64_t *ids, const double *x, qb_cp_memo *memo) {
  qb_cp_memo m = {0};
  if (memo) { /* taken */
    m = *memo;
    memset(memo, 0, sizeof *memo);
  }
  if (!c || from >= n) {
    qb_cp_memo_dispose(&m);
    return;
  }
  size_t k = n - from, bytes = sizeof(tail_entry) + k * (sizeof *ids + sizeof *x);
  bytes += qb_cp_memo_bytes(&m);
  tail_entry *t = bytes > TAIL_BYTES / 4 ? NULL : calloc(1, sizeof *t);
  if (!t || !(t->ids = malloc(k * sizeof *ids)) || !(t->x = malloc(k * sizeof *x))) {
    if (t) tail_free(t);
    qb_cp_memo_dispose(&m);
    return;
  }
  *t = (tail_entry){series, run, time, n, from, t->ids, t->x, m, bytes, NULL, NULL, NULL};
  memcpy(t->ids, ids + from, k * sizeof *ids);
  memcpy(t->x, x + from, k * sizeof *x);
  pthread_mutex_lock(&c->mu);
  tail_entry *old = tail_find(c, series);
  if (old) tail_unlink(c, old);
  while (c->tail_tail && c->tail_bytes + bytes > TAIL_BYTES) {
    tail_entry *last = c->tail_tail;
    tail_unlink(c, last);
    tail_free(last);
  }
  t->chain = c->tail_bucket[(uint64_t)series % TAIL_BUCKETS];
  c->tail_bucket[(uint64_t)series % TAIL_BUCKETS] = t;
  t->next = c->tail_head;
  if (c->tail_head) c->tail_head->prev = t;
  c->tail_head = t;
  if (!c->tail_tail) c->tail_tail = t;
  c->tails++;
  c->tail_bytes += bytes;
  pthread_mutex_unlock(&c->mu);
  if (old) tail_free(old);
}

void qb_run_cache_stats_get(qb_run_cache *c, qb_run_cache_stats *out) {
  memset(out, 0, sizeof *out);
  if (!c) return;
  pthread_mutex_lock(&c->mu);
  out->hits = c->hits;
  out->misses = c->misses;
  out->evictions = c->evictions;
  out->runs = c->runs;
  out->bytes = c->bytes;
  out->history_hits = c->history_hits;
  out->history_misses = c->history_misses;
  for (size_t i = 0; i < HISTORIES; i++) out->histories += c->hist[i].used;
  out->history_bytes = c->hist_bytes;
  out->tail_hits = c->tail_hits;
  out->tail_misses = c->tail_misses;
  out->tails = c->tails;
  out->tail_bytes = c->tail_bytes;
  pthread_mutex_unlock(&c->mu);
}
