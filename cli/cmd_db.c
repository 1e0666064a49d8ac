/* cli/cmd_db.c - `qbdb db`: what a database is (info), moving it between backends (copy), and a
 * consistent copy of a live SQLite file (backup). docs/cli/db.md. */
#include <string.h>

#include "cli/cli.h"
#include "schema/store.h"

const char cmd_db_help[] =
    "usage: qbdb db info [--db LOCATION]\n"
    "       qbdb db copy FROM TO\n"
    "       qbdb db backup [--db LOCATION] TO\n"
    "\n"
    "info:   the backend (sqlite or postgresql), the schema version, the size and the rows.\n"
    "copy:   every run, result, raw sample, regression (with its triage), setting, target,\n"
    "        token, report and idempotency key of FROM into TO, ids kept, values bit for bit.\n"
    "        FROM and TO are database locations: a file, or postgresql://... (TO is created\n"
    "        when it is a file; a PostgreSQL database must exist and hold no qbdb data).\n"
    "backup: a consistent copy of a live SQLite database into the new file TO (SQLite's online\n"
    "        backup API; copying the files of a live WAL database can lose its newest runs).\n"
    "        For PostgreSQL use pg_dump.\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 4 no such database, 5 database refused or unavailable,\n"
    "6 input/output error, 7 TO exists or holds data already (or another error).\n";

static void print_size(FILE *f, const char *label, int64_t bytes) {
  if (bytes < 0) return;
  if (bytes >= (int64_t)1 << 20)
    fprintf(f, "%-15s %.1f MiB (%lld bytes)\n", label, (double)bytes / (1 << 20), (long long)bytes);
  else
    fprintf(f, "%-15s %lld bytes\n", label, (long long)bytes);
}

static int db_info(qb_cli *cli, qb_err *err) {
  qb_store *s = NULL;
  qb_store_info info;
  qb_store_counts c;
  int rc;
  if ((rc = qb_store_open(&s, cli->db, 0, err)) || (rc = qb_store_info_get(s, &info, err)) ||
      (rc = qb_store_counts_get(s, &c, err)))
    goto done;
  fprintf(cli->out, "%-15s %s\n", "backend", info.backend);
  if (info.server[0]) fprintf(cli->out, "%-15s %s\n", "server", info.server);
  fprintf(cli->out, "%-15s %d\n", "schema version", info.version);
  print_size(cli->out, "size", info.bytes);
  print_size(cli->out, "wal", info.wal_bytes);
  fprintf(cli->out, "%-15s %lld\n", "projects", (long long)c.projects);
  fprintf(cli->out, "%-15s %lld\n", "runs", (long long)c.runs);
  fprintf(cli->out, "%-15s %lld\n", "benchmarks", (long long)c.benchmarks);
  fprintf(cli->out, "%-15s %lld\n", "results", (long long)c.results);
  fprintf(cli->out, "%-15s %lld\n", "raw samples", (long long)c.samples);
done:
  qb_store_close(s);
  return rc;
}

static int db_copy(qb_cli *cli, const char *from, const char *to, qb_err *err) {
  qb_store *a = NULL, *b = NULL;
  int64_t rows = 0, runs = 0;
  int rc;
  if ((rc = qb_store_open(&a, from, 0, err))) {
    qb_err_prefix(err, "copy: from");
    goto done;
  }
  if ((rc = qb_store_open(&b, to, QB_STORE_CREATE, err))) {
    qb_err_prefix(err, "copy: to");
    goto done;
  }
  if ((rc = qb_store_copy(a, b, &rows, &runs, err))) goto done;
  fprintf(cli->out, "copied %lld rows (%lld runs) from %s (%s) to %s (%s)\n", (long long)rows,
          (long long)runs, from, qb_store_backend(a), to, qb_store_backend(b));
done:
  qb_store_close(a);
  qb_store_close(b);
  return rc;
}

static int db_backup(qb_cli *cli, const char *to, qb_err *err) {
  qb_store *s = NULL;
  int rc;
  if ((rc = qb_store_open(&s, cli->db, 0, err)) || (rc = qb_store_backup(s, to, err))) goto done;
  fprintf(cli->out, "backed up %s to %s\n", cli->db, to);
done:
  qb_store_close(s);
  return rc;
}

int cmd_db(qb_cli *cli, int argc, char **argv, qb_err *err) {
  const char *pos[3] = {NULL, NULL, NULL};
  int n = 0;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1]) return qb_cli_bad_arg("db", argv[i], err);
    if (n == 3) return qb_cli_bad_arg("db", argv[i], err);
    pos[n++] = argv[i];
  }
  const char *verb = pos[0] ? pos[0] : "";
  if (!strcmp(verb, "info") && n == 1) return db_info(cli, err);
  if (!strcmp(verb, "copy") && n == 3) return db_copy(cli, pos[1], pos[2], err);
  if (!strcmp(verb, "backup") && n == 2) return db_backup(cli, pos[1], err);
  if (strcmp(verb, "info") && strcmp(verb, "copy") && strcmp(verb, "backup"))
    return qb_err_set(err, QB_EUSAGE, "db: expected info, copy FROM TO or backup TO");
  return qb_err_set(err, QB_EUSAGE, "db %s: wrong number of arguments (see: qbdb help db)", verb);
}
