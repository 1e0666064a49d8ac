/* schema/sqlite/admin.c - settings, targets, tokens, idempotency keys, fingerprint and data
 * generation in SQLite. Each op is one statement (in the caller's transaction when one is
 * open). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "core/time.h"
#include "schema/sqlite/sq.h"

/* ---- settings ------------------------------------------------------------------------------- */

static int sq_settings(qb_store *base, const char *project, qb_setting **out, size_t *n_out,
                       qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_setting *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = sq_stmt(s, S_SETTINGS, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_text(st, ":project", project);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 16;
      qb_setting *p = realloc(arr, nc * sizeof *p);
      if (!p) {
        rc = qb_err_set(err, QB_ENOMEM, "out of memory");
        goto done;
      }
      arr = p;
      cap = nc;
    }
    qb_setting *x = &arr[n++];
    x->project = col_text(st, 0);
    x->bench_glob = col_text(st, 1);
    x->key = col_text(st, 2);
    x->value = sqlite3_column_double(st, 3);
    x->text = sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL : col_text(st, 4);
    if (!x->project || !x->bench_glob || !x->key ||
        (!x->text && sqlite3_column_type(st, 4) != SQLITE_NULL)) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "settings", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_settings_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

/* Run S_SETTING_SET or S_SETTING_UNSET; unsetting nothing is QB_ENOTFOUND. */
static int sq_setting_write(qb_store *base, int id, const char *project, const char *glob,
                            const char *key, double value, const char *text, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, id, &st, err);
  if (rc) return rc;
  b_text(st, ":project", project ? project : "");
  b_text(st, ":glob", glob ? glob : "");
  b_text(st, ":key", key);
  if (id == S_SETTING_SET) {
    sqlite3_bind_double(st, pidx(st, ":value"), text ? 0 : value);
    b_text(st, ":text", text);
  }
  if ((rc = sq_step_insert(s, st, NULL, err))) return rc;
  if (id == S_SETTING_UNSET && sqlite3_changes(s->db) == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no setting %s for project '%s' and benchmarks '%s'", key,
                      project && *project ? project : "*", glob && *glob ? glob : "*");
  return QB_OK;
}

static int sq_setting_set(qb_store *base, const char *project, const char *glob, const char *key,
                          double value, const char *text, qb_err *err) {
  return sq_setting_write(base, S_SETTING_SET, project, glob, key, value, text, err);
}

static int sq_setting_unset(qb_store *base, const char *project, const char *glob, const char *key,
                            qb_err *err) {
  return sq_setting_write(base, S_SETTING_UNSET, project, glob, key, 0, NULL, err);
}

/* ---- targets -------------------------------------------------------------------------------- */

static int sq_target_set(qb_store *base, const qb_target *t, int64_t *out_id, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int found, rc = sq_stmt(s, S_TARGET_SET, &st, err);
  if (rc) return rc;
  b_text(st, ":project", t->project ? t->project : "");
  b_text(st, ":glob", t->bench_glob);
  b_text(st, ":metric", t->metric);
  b_text(st, ":op", t->op);
  sqlite3_bind_double(st, pidx(st, ":value"), t->value);
  b_text(st, ":unit", t->unit);
  b_int(st, ":now", qb_time_now());
  rc = sq_step_id(s, st, out_id, &found, err);
  sqlite3_reset(st);
  return rc;
}

static int sq_targets(qb_store *base, const char *project, qb_target **out, size_t *n_out,
                      qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_target *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = sq_stmt(s, S_TARGETS, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_text(st, ":project", project);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    qb_target *t = &arr[n++];
    t->id = sqlite3_column_int64(st, 0);
    t->project = col_text(st, 1);
    t->bench_glob = col_text(st, 2);
    t->metric = col_text(st, 3);
    t->op = col_text(st, 4);
    t->value = sqlite3_column_double(st, 5);
    t->unit = col_text(st, 6);
    if (!t->project || !t->bench_glob || !t->metric || !t->op || !t->unit) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "targets", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_targets_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int sq_target_rm(qb_store *base, int64_t id, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_TARGET_RM, &st, err);
  if (rc) return rc;
  b_int(st, ":id", id);
  if ((rc = sq_step_insert(s, st, NULL, err))) return rc;
  if (sqlite3_changes(s->db) == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no target with id %lld", (long long)id);
  return QB_OK;
}

/* ---- tokens --------------------------------------------------------------------------------- */

static int sq_token_add(qb_store *base, const char *name, const char *project, const char *scope,
                        const char *hash, int64_t *out_id, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_TOKEN_ADD, &st, err);
  if (rc) return rc;
  b_text(st, ":name", name ? name : "");
  b_text(st, ":project", project ? project : "");
  b_text(st, ":scope", scope);
  b_text(st, ":hash", hash);
  b_int(st, ":now", qb_time_now());
  return sq_step_insert(s, st, out_id, err);
}

/* Fill t from a token row (id, name, project, scope, hash, created_at, revoked_at). */
static int read_token(sqlite3_stmt *st, qb_token *t, qb_err *err) {
  memset(t, 0, sizeof *t);
  t->id = sqlite3_column_int64(st, 0);
  t->name = col_text(st, 1);
  t->project = col_text(st, 2);
  t->scope = col_text(st, 3);
  snprintf(t->hash, sizeof t->hash, "%s", (const char *)sqlite3_column_text(st, 4));
  t->created_at = sqlite3_column_int64(st, 5);
  t->revoked_at = col_opt_int(st, 6, QB_TIME_NONE);
  if (!t->name || !t->project || !t->scope) return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

static int sq_token_find(qb_store *base, const char *hash, qb_token *out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_TOKEN_FIND, &st, err), step;
  memset(out, 0, sizeof *out);
  if (rc) return rc;
  b_text(st, ":hash", hash);
  step = sqlite3_step(st);
  if (step == SQLITE_ROW)
    rc = read_token(st, out, err);
  else if (step == SQLITE_DONE)
    rc = qb_err_set(err, QB_ENOTFOUND, "unknown or revoked token");
  else
    rc = sq_fail(s, QB_EINTERNAL, "token", err);
  sqlite3_reset(st);
  if (rc) qb_token_dispose(out);
  return rc;
}

static int sq_tokens(qb_store *base, qb_token **out, size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_token *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = sq_stmt(s, S_TOKENS, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    if ((rc = read_token(st, &arr[n++], err))) goto done;
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "tokens", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_tokens_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int sq_token_revoke(qb_store *base, int64_t id, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_TOKEN_REVOKE, &st, err);
  if (rc) return rc;
  b_int(st, ":now", qb_time_now());
  b_int(st, ":id", id);
  if ((rc = sq_step_insert(s, st, NULL, err))) return rc;
  if (sqlite3_changes(s->db) == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no valid token with id %lld", (long long)id);
  return QB_OK;
}

/* ---- idempotency keys, fingerprint, generation ---------------------------------------------- */

/* The sha256 hex of the whole fingerprint text (settings and targets may make it long). */
static int sq_fingerprint(qb_store *base, char *out, size_t n, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_FINGERPRINT, &st, err);
  if (rc) return rc;
  if (sqlite3_step(st) != SQLITE_ROW) return sq_fail(s, QB_EINTERNAL, "fingerprint", err);
  const void *t = sqlite3_column_text(st, 0);
  int len = sqlite3_column_bytes(st, 0);
  char hex[65];
  qb_sha256 h;
  qb_sha256_init(&h);
  qb_sha256_update(&h, t ? t : "", t ? (size_t)len : 0);
  qb_sha256_hex(&h, hex);
  snprintf(out, n, "%s", hex);
  sqlite3_reset(st);
  return QB_OK;
}

static int sq_generation(qb_store *base, int64_t *out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_GENERATION, &st, err);
  if (rc) return rc;
  if (sqlite3_step(st) != SQLITE_ROW) return sq_fail(s, QB_EINTERNAL, "generation", err);
  *out = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return QB_OK;
}

static int sq_idem_get(qb_store *base, const char *project, const qb_idem *k, qb_idem_hit *hit,
                       qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_IDEM_GET, &st, err), step;
  if (rc) return rc;
  b_text(st, ":project", project);
  b_int(st, ":token", k->token_id);
  b_text(st, ":key", k->key);
  if ((step = sqlite3_step(st)) == SQLITE_ROW) {
    hit->run_id = sqlite3_column_int64(st, 0);
    const char *h = (const char *)sqlite3_column_text(st, 1);
    snprintf(hit->request_hash, sizeof hit->request_hash, "%s", h ? h : "");
  } else if (step == SQLITE_DONE) {
    rc = QB_ENOTFOUND;
  } else {
    rc = sq_fail(s, QB_EINTERNAL, "idempotency key", err);
  }
  sqlite3_reset(st);
  return rc;
}

void sq_ops_admin(qb_store_ops *ops) {
  ops->settings = sq_settings;
  ops->setting_set = sq_setting_set;
  ops->setting_unset = sq_setting_unset;
  ops->target_set = sq_target_set;
  ops->targets = sq_targets;
  ops->target_rm = sq_target_rm;
  ops->token_add = sq_token_add;
  ops->token_find = sq_token_find;
  ops->tokens = sq_tokens;
  ops->token_revoke = sq_token_revoke;
  ops->idem_get = sq_idem_get;
  ops->fingerprint = sq_fingerprint;
  ops->generation = sq_generation;
}
