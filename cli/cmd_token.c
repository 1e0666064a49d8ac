/* cli/cmd_token.c - `qbdb token`: API tokens for `qbdb serve`. */
#include <stdlib.h>
#include <string.h>

#include "service/auth.h"
#include "cli/cli.h"
#include "core/time.h"
#include "core/utf8width.h"

const char cmd_token_help[] =
    "usage: qbdb token create [--db PATH] --scope write|admin [--project P] [--name N]\n"
    "       qbdb token list [--db PATH]\n"
    "       qbdb token revoke [--db PATH] ID\n"
    "\n"
    "Tokens authorise writes to `qbdb serve` (Authorization: Bearer TOKEN): a write token may\n"
    "upload runs of its project only; an admin token may write anything (and triage). The token\n"
    "is printed once by `create`; only its SHA-256 is stored.\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 4 no such token or database, 5 database refused.\n";

int cmd_token(qb_cli *cli, int argc, char **argv, qb_err *err) {
  const char *scope = NULL, *project = NULL, *name = NULL, *pos[2] = {NULL, NULL};
  int n_pos = 0, m, rc;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--scope", &scope, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--project", &project, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--name", &name, err))) {
      if (m < 0) return m;
    } else if (argv[i][0] != '-' && n_pos < 2) {
      pos[n_pos++] = argv[i++];
    } else {
      return qb_cli_bad_arg("token", argv[i], err);
    }
  }
  const char *verb = pos[0] ? pos[0] : "";
  if (strcmp(verb, "create") && strcmp(verb, "list") && strcmp(verb, "revoke"))
    return qb_err_set(err, QB_EUSAGE, "token: expected create, list or revoke");
  if (!strcmp(verb, "create") && !scope)
    return qb_err_set(err, QB_EUSAGE, "token create: --scope write|admin is required");
  if ((!strcmp(verb, "revoke")) != (n_pos == 2))
    return qb_err_set(err, QB_EUSAGE, "token %s: wrong number of arguments", verb);
  qb_store *store = NULL;
  qb_token *list = NULL;
  size_t n = 0;
  if ((rc = qb_store_open(&store, cli->db, !strcmp(verb, "create") ? QB_STORE_CREATE : 0, err)))
    goto done;
  if (!strcmp(verb, "create")) {
    char token[QB_TOKEN_MAX];
    int64_t id;
    if ((rc = qb_token_create(store, name, project, scope, token, &id, err))) goto done;
    fprintf(cli->out, "%s\n", token);
    fprintf(cli->errs, "token %lld (%s%s%s) created; it is shown only this once\n", (long long)id,
            scope, project ? ", project " : "", project ? project : "");
  } else if (!strcmp(verb, "revoke")) {
    char *end;
    long long id = strtoll(pos[1], &end, 10);
    if (*end || id <= 0) {
      rc = qb_err_set(err, QB_EUSAGE, "token revoke: '%s' is not a token id", pos[1]);
      goto done;
    }
    if ((rc = qb_store_token_revoke(store, id, err))) goto done;
    fprintf(cli->out, "token %lld revoked\n", id);
  } else {
    if ((rc = qb_store_tokens(store, &list, &n, err))) goto done;
    for (size_t i = 0; i < n; i++) {
      char t[40];
      const char *proj = *list[i].project ? list[i].project : "*";
      /* padded by display columns, not bytes (core/utf8width.h) */
      fprintf(cli->out, "%lld  %-6s  %s%*s  %s%*s  created %s%s\n", (long long)list[i].id,
              list[i].scope, proj, qb_utf8_pad(proj, 12), "", list[i].name,
              qb_utf8_pad(list[i].name, 16), "", qb_time_format(list[i].created_at, t, sizeof t),
              list[i].revoked_at != QB_TIME_NONE ? "  REVOKED" : "");
    }
    if (!n) fprintf(cli->out, "no tokens\n");
  }
done:
  qb_tokens_free(list, n);
  qb_store_close(store);
  return rc;
}
