/* service/auth.c - API tokens. */
#include "service/auth.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/sha256.h"

int qb_ct_equal(const void *a, const void *b, size_t n) {
  const volatile unsigned char *x = a, *y = b;
  unsigned char d = 0;
  for (size_t i = 0; i < n; i++) d |= x[i] ^ y[i];
  return d == 0;
}

/* sha256 hex of a secret. */
static void hash_secret(const char *secret, char hex[65]) {
  qb_sha256 h;
  qb_sha256_init(&h);
  qb_sha256_update(&h, secret, strlen(secret));
  qb_sha256_hex(&h, hex);
}

int qb_token_create(qb_store *s, const char *name, const char *project, const char *scope,
                    char token_out[QB_TOKEN_MAX], int64_t *out_id, qb_err *err) {
  if (strcmp(scope, "write") && strcmp(scope, "admin"))
    return qb_err_set(err, QB_EUSAGE, "token scope '%s': expected write or admin", scope);
  if (!strcmp(scope, "write") && (!project || !*project))
    return qb_err_set(err, QB_EUSAGE, "a write token needs --project");
  unsigned char raw[32];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  ssize_t got = fd >= 0 ? read(fd, raw, sizeof raw) : -1;
  if (fd >= 0) close(fd);
  if (got != (ssize_t)sizeof raw)
    return qb_err_set(err, QB_EIO, "cannot read /dev/urandom for a token");
  static const char dig[] = "0123456789abcdef";
  memcpy(token_out, "qbdb_", 5);
  for (size_t i = 0; i < sizeof raw; i++) {
    token_out[5 + 2 * i] = dig[raw[i] >> 4];
    token_out[5 + 2 * i + 1] = dig[raw[i] & 15];
  }
  token_out[5 + 2 * sizeof raw] = '\0';
  char hex[65];
  hash_secret(token_out, hex);
  return qb_store_token_add(s, name, !strcmp(scope, "admin") && !project ? "" : project, scope, hex,
                            out_id, err);
}

int qb_token_check(qb_store *s, const char *secret, const char *write_project, qb_token *out,
                   qb_err *err) {
  memset(out, 0, sizeof *out);
  if (!secret || !*secret)
    return qb_err_set(err, QB_EAUTH, "unauthorized: an Authorization: Bearer token is needed");
  char hex[65];
  hash_secret(secret, hex);
  int rc = qb_store_token_find(s, hex, out, err);
  if (rc == QB_ENOTFOUND || (rc == QB_OK && !qb_ct_equal(out->hash, hex, 64))) {
    qb_token_dispose(out);
    return qb_err_set(err, QB_EAUTH, "unauthorized: unknown or revoked token");
  }
  if (rc) return rc;
  if (write_project && (rc = qb_token_allows(out, write_project, err))) {
    qb_token_dispose(out);
    return rc;
  }
  return QB_OK;
}

int qb_token_allows(const qb_token *t, const char *project, qb_err *err) {
  if (!strcmp(t->scope, "admin") ||
      (!strcmp(t->scope, "write") && t->project && !strcmp(t->project, project)))
    return QB_OK;
  /* named by id (a token need not have a name) and by what it may write */
  return qb_err_set(err, QB_EFORBIDDEN,
                    "forbidden: token %lld%s%s%s (%s, project %s) may not write to project '%s'",
                    (long long)t->id, t->name && *t->name ? " '" : "", t->name ? t->name : "",
                    t->name && *t->name ? "'" : "", t->scope, t->project ? t->project : "*",
                    project);
}
