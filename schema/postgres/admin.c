/* schema/postgres/admin.c - settings, targets, tokens, idempotency keys, fingerprint and data
 * generation in PostgreSQL. Each op is one statement (in the caller's transaction when one is
 * open); the writes that two servers may race on are decided by a unique key (ON CONFLICT) or by
 * the row their UPDATE or DELETE matches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "core/time.h"
#include "schema/postgres/pg.h"

/* Make room for one more element of elem bytes in *arr (n used, *cap allocated). */
static int grow(void **arr, size_t *cap, size_t n, size_t elem, qb_err *err) {
  if (n < *cap) return QB_OK;
  size_t nc = *cap ? *cap * 2 : 16;
  void *p = realloc(*arr, nc * elem);
  if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
  *arr = p;
  *cap = nc;
  return QB_OK;
}

/* A stored number: -0 as 0, as SQLite stores it (it keeps a whole REAL as an integer). */
static double stored(double v) {
  return v == 0 ? 0.0 : v;
}

/* ---- settings ------------------------------------------------------------------------------- */

static int pg_settings(qb_store *base, const char *project, qb_setting **out, size_t *n_out,
                       qb_err *err) {
  pg_store *s = PG(base);
  qb_setting *arr = NULL;
  size_t n = 0, cap = 0;
  PGresult *r;
  pg_q q;
  *out = NULL;
  *n_out = 0;
  pg_q_init(&q, s, P_ADM_SETTINGS);
  pg_text(&q, ":project", project);
  int rc = pg_run(&q, "settings", &r, err), oom = 0;
  if (rc) return rc;
  int rows = s->pq->ntuples(r);
  for (int i = 0; i < rows && !oom; i++) {
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) break;
    qb_setting *x = &arr[n++];
    memset(x, 0, sizeof *x);
    x->project = pg_col_dup(s, r, i, 0, &oom);
    x->bench_glob = pg_col_dup(s, r, i, 1, &oom);
    x->key = pg_col_dup(s, r, i, 2, &oom);
    x->value = pg_col_real(s, r, i, 3);
    x->text = pg_col_dup(s, r, i, 4, &oom);
  }
  s->pq->clear(r);
  if (!rc && oom) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  if (rc) {
    qb_settings_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

/* Run P_ADM_SETTING_SET or P_ADM_SETTING_UNSET; unsetting nothing is QB_ENOTFOUND. */
static int pg_setting_write(qb_store *base, int id, const char *project, const char *glob,
                            const char *key, double value, const char *text, qb_err *err) {
  pg_store *s = PG(base);
  int64_t changed = 0;
  pg_q q;
  pg_q_init(&q, s, id);
  pg_text(&q, ":project", project ? project : "");
  pg_text(&q, ":glob", glob ? glob : "");
  pg_text(&q, ":key", key);
  if (id == P_ADM_SETTING_SET) {
    pg_real(&q, ":value", text ? 0 : stored(value));
    pg_text(&q, ":text", text);
  }
  int rc = pg_do(&q, id == P_ADM_SETTING_SET ? "set setting" : "unset setting", &changed, err);
  if (rc) return rc;
  if (id == P_ADM_SETTING_UNSET && changed == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no setting %s for project '%s' and benchmarks '%s'", key,
                      project && *project ? project : "*", glob && *glob ? glob : "*");
  return QB_OK;
}

static int pg_setting_set(qb_store *base, const char *project, const char *glob, const char *key,
                          double value, const char *text, qb_err *err) {
  return pg_setting_write(base, P_ADM_SETTING_SET, project, glob, key, value, text, err);
}

static int pg_setting_unset(qb_store *base, const char *project, const char *glob, const char *key,
                            qb_err *err) {
  return pg_setting_write(base, P_ADM_SETTING_UNSET, project, glob, key, 0, NULL, err);
}

/* ---- targets -------------------------------------------------------------------------------- */

static int pg_target_set(qb_store *base, const qb_target *t, int64_t *out_id, qb_err *err) {
  pg_store *s = PG(base);
  int found = 0;
  pg_q q;
  pg_q_init(&q, s, P_ADM_TARGET_SET);
  pg_text(&q, ":project", t->project ? t->project : "");
  pg_text(&q, ":glob", t->bench_glob);
  pg_text(&q, ":metric", t->metric);
  pg_text(&q, ":op", t->op);
  pg_real(&q, ":value", stored(t->value));
  pg_text(&q, ":unit", t->unit);
  pg_int(&q, ":now", qb_time_now());
  int rc = pg_one(&q, "set target", out_id, &found, err);
  if (!rc && !found) rc = qb_err_set(err, QB_EINTERNAL, "%s: set target: no id", s->where);
  return rc;
}

static int pg_targets(qb_store *base, const char *project, qb_target **out, size_t *n_out,
                      qb_err *err) {
  pg_store *s = PG(base);
  qb_target *arr = NULL;
  size_t n = 0, cap = 0;
  PGresult *r;
  pg_q q;
  *out = NULL;
  *n_out = 0;
  pg_q_init(&q, s, P_ADM_TARGETS);
  pg_text(&q, ":project", project);
  int rc = pg_run(&q, "targets", &r, err), oom = 0;
  if (rc) return rc;
  int rows = s->pq->ntuples(r);
  for (int i = 0; i < rows && !oom; i++) {
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) break;
    qb_target *t = &arr[n++];
    memset(t, 0, sizeof *t);
    t->id = pg_col_int(s, r, i, 0);
    t->project = pg_col_dup(s, r, i, 1, &oom);
    t->bench_glob = pg_col_dup(s, r, i, 2, &oom);
    t->metric = pg_col_dup(s, r, i, 3, &oom);
    t->op = pg_col_dup(s, r, i, 4, &oom);
    t->value = pg_col_real(s, r, i, 5);
    t->unit = pg_col_dup(s, r, i, 6, &oom);
  }
  s->pq->clear(r);
  if (!rc && oom) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  if (rc) {
    qb_targets_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int pg_target_rm(qb_store *base, int64_t id, qb_err *err) {
  pg_store *s = PG(base);
  int64_t changed = 0;
  pg_q q;
  pg_q_init(&q, s, P_ADM_TARGET_RM);
  pg_int(&q, ":id", id);
  int rc = pg_do(&q, "remove target", &changed, err);
  if (rc) return rc;
  if (changed == 0) return qb_err_set(err, QB_ENOTFOUND, "no target with id %lld", (long long)id);
  return QB_OK;
}

/* ---- tokens --------------------------------------------------------------------------------- */

static int pg_token_add(qb_store *base, const char *name, const char *project, const char *scope,
                        const char *hash, int64_t *out_id, qb_err *err) {
  pg_store *s = PG(base);
  int64_t id = 0;
  int found = 0;
  pg_q q;
  pg_q_init(&q, s, P_ADM_TOKEN_ADD);
  pg_text(&q, ":name", name ? name : "");
  pg_text(&q, ":project", project ? project : "");
  pg_text(&q, ":scope", scope);
  pg_text(&q, ":hash", hash);
  pg_int(&q, ":now", qb_time_now());
  int rc = pg_one(&q, "add token", &id, &found, err);
  if (rc) return rc;
  if (!found) return qb_err_set(err, QB_EINTERNAL, "%s: add token: no id", s->where);
  if (out_id) *out_id = id;
  return QB_OK;
}

/* Fill t from row `row` of a token result (id, name, project, scope, hash, created_at,
 * revoked_at). */
static int read_token(pg_store *s, const PGresult *r, int row, qb_token *t, qb_err *err) {
  int oom = 0;
  memset(t, 0, sizeof *t);
  t->id = pg_col_int(s, r, row, 0);
  t->name = pg_col_dup(s, r, row, 1, &oom);
  t->project = pg_col_dup(s, r, row, 2, &oom);
  t->scope = pg_col_dup(s, r, row, 3, &oom);
  const char *h = pg_col_text(s, r, row, 4);
  snprintf(t->hash, sizeof t->hash, "%s", h ? h : "");
  t->created_at = pg_col_int(s, r, row, 5);
  t->revoked_at = pg_col_time(s, r, row, 6);
  if (oom) return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

static int pg_token_find(qb_store *base, const char *hash, qb_token *out, qb_err *err) {
  pg_store *s = PG(base);
  PGresult *r;
  pg_q q;
  memset(out, 0, sizeof *out);
  pg_q_init(&q, s, P_ADM_TOKEN_FIND);
  pg_text(&q, ":hash", hash);
  int rc = pg_run(&q, "token", &r, err);
  if (rc) return rc;
  if (s->pq->ntuples(r) > 0)
    rc = read_token(s, r, 0, out, err);
  else
    rc = qb_err_set(err, QB_ENOTFOUND, "unknown or revoked token");
  s->pq->clear(r);
  if (rc) qb_token_dispose(out);
  return rc;
}

static int pg_tokens(qb_store *base, qb_token **out, size_t *n_out, qb_err *err) {
  pg_store *s = PG(base);
  qb_token *arr = NULL;
  size_t n = 0, cap = 0;
  PGresult *r;
  pg_q q;
  *out = NULL;
  *n_out = 0;
  pg_q_init(&q, s, P_ADM_TOKENS);
  int rc = pg_run(&q, "tokens", &r, err);
  if (rc) return rc;
  int rows = s->pq->ntuples(r);
  for (int i = 0; i < rows && !rc; i++)
    if (!(rc = grow((void **)&arr, &cap, n, sizeof *arr, err)))
      rc = read_token(s, r, i, &arr[n++], err);
  s->pq->clear(r);
  if (rc) {
    qb_tokens_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

/* Only a valid token's row matches: of two servers revoking it, one changes it. */
static int pg_token_revoke(qb_store *base, int64_t id, qb_err *err) {
  pg_store *s = PG(base);
  int64_t changed = 0;
  pg_q q;
  pg_q_init(&q, s, P_ADM_TOKEN_REVOKE);
  pg_int(&q, ":now", qb_time_now());
  pg_int(&q, ":id", id);
  int rc = pg_do(&q, "revoke token", &changed, err);
  if (rc) return rc;
  if (changed == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no valid token with id %lld", (long long)id);
  return QB_OK;
}

/* ---- idempotency keys, fingerprint, generation ---------------------------------------------- */

static int pg_idem_get(qb_store *base, const char *project, const qb_idem *k, qb_idem_hit *hit,
                       qb_err *err) {
  pg_store *s = PG(base);
  PGresult *r;
  pg_q q;
  pg_q_init(&q, s, P_IDEM_GET);
  pg_text(&q, ":project", project);
  pg_int(&q, ":token", k->token_id);
  pg_text(&q, ":key", k->key);
  int rc = pg_run(&q, "idempotency key", &r, err);
  if (rc) return rc;
  if (s->pq->ntuples(r) > 0) {
    hit->run_id = pg_col_int(s, r, 0, 0);
    const char *h = pg_col_text(s, r, 0, 1);
    snprintf(hit->request_hash, sizeof hit->request_hash, "%s", h ? h : "");
  } else {
    rc = QB_ENOTFOUND;
  }
  s->pq->clear(r);
  return rc;
}

/* The sha256 hex of the whole fingerprint text (settings and targets may make it long). */
static int pg_fingerprint(qb_store *base, char *out, size_t n, qb_err *err) {
  pg_store *s = PG(base);
  PGresult *r;
  pg_q q;
  pg_q_init(&q, s, P_ADM_FINGERPRINT);
  int rc = pg_run(&q, "fingerprint", &r, err);
  if (rc) return rc;
  if (s->pq->ntuples(r) < 1) {
    s->pq->clear(r);
    return qb_err_set(err, QB_EINTERNAL, "%s: fingerprint: no row", s->where);
  }
  const char *t = pg_col_text(s, r, 0, 0);
  char hex[65];
  qb_sha256 h;
  qb_sha256_init(&h);
  qb_sha256_update(&h, t ? t : "", t ? strlen(t) : 0);
  qb_sha256_hex(&h, hex);
  snprintf(out, n, "%s", hex);
  s->pq->clear(r);
  return QB_OK;
}

static int pg_generation(qb_store *base, int64_t *out, qb_err *err) {
  pg_store *s = PG(base);
  int found = 0;
  pg_q q;
  pg_q_init(&q, s, P_ADM_GENERATION);
  int rc = pg_one(&q, "generation", out, &found, err);
  if (!rc && !found) rc = qb_err_set(err, QB_EINTERNAL, "%s: generation: no row", s->where);
  return rc;
}

void pg_ops_admin(qb_store_ops *ops) {
  ops->settings = pg_settings;
  ops->setting_set = pg_setting_set;
  ops->setting_unset = pg_setting_unset;
  ops->target_set = pg_target_set;
  ops->targets = pg_targets;
  ops->target_rm = pg_target_rm;
  ops->token_add = pg_token_add;
  ops->token_find = pg_token_find;
  ops->tokens = pg_tokens;
  ops->token_revoke = pg_token_revoke;
  ops->idem_get = pg_idem_get;
  ops->fingerprint = pg_fingerprint;
  ops->generation = pg_generation;
}
