/* service/auth.h - API tokens: creation (the secret is shown once, only its sha256 is stored) and
 * the checks the HTTP server makes. Nothing here keeps memory beyond what the caller owns. */
#ifndef QB_SERVICE_AUTH_H
#define QB_SERVICE_AUTH_H

#include <stdint.h>

#include "core/err.h"
#include "schema/store.h"

#define QB_TOKEN_MAX 80 /* "qbdb_" + 64 hex digits + NUL fits */

/* Create a token of scope "write" (limited to project) or "admin" (project may be NULL). The
 * secret is written to token_out; *out_id gets its id. */
int qb_token_create(qb_store *s, const char *name, const char *project, const char *scope,
                    char token_out[QB_TOKEN_MAX], int64_t *out_id, qb_err *err);

/* Check a bearer secret: QB_EUSAGE with "unauthorized" when missing, unknown or revoked; when
 * write_project is not NULL, the token must be admin or a write token of that project
 * (otherwise QB_EUSAGE "forbidden"). On success *out is the token (dispose with
 * qb_token_dispose). The stored hash is compared in constant time. */
int qb_token_check(qb_store *s, const char *secret, const char *write_project, qb_token *out,
                   qb_err *err);

/* QB_OK when token t (checked valid by qb_token_check) may write to project: an admin token, or a
 * write token of that project; otherwise QB_EUSAGE "forbidden: ...". For checks made once the
 * project is known (the run parsed, the regression found). */
int qb_token_allows(const qb_token *t, const char *project, qb_err *err);

/* 1 when a and b (n bytes each) are equal; the time taken does not depend on where they
 * differ. */
int qb_ct_equal(const void *a, const void *b, size_t n);

#endif
