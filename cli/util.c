/* cli/util.c - option parsing and text tables for the subcommands. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"

#include <jansson.h>

int qb_cli_opt(int argc, char **argv, int *i, const char *name, const char **value, qb_err *err) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0) return 0;
  if (a[n] == '=') {
    *value = a + n + 1;
    (*i)++;
    return 1;
  }
  if (a[n] != '\0') return 0;
  if (*i + 1 >= argc) return qb_err_set(err, QB_EUSAGE, "option %s needs a value", name);
  *value = argv[*i + 1];
  *i += 2;
  return 1;
}

int qb_cli_bad_arg(const char *cmd, const char *arg, qb_err *err) {
  if (arg[0] == '-')
    return qb_err_set(err, QB_EUSAGE, "%s: unknown option '%s' (see: qbdb help %s)", cmd, arg, cmd);
  return qb_err_set(err, QB_EUSAGE, "%s: unexpected argument '%s' (see: qbdb help %s)", cmd, arg,
                    cmd);
}

int qb_cli_output_format(const char *cmd, const char *value, qb_err *err) {
  if (!strcmp(value, "text")) return 0;
  if (!strcmp(value, "json")) return 1;
  return qb_err_set(err, QB_EUSAGE, "%s: --format '%s': expected text or json", cmd, value);
}

int qb_cli_print_json(FILE *f, json_t *v, qb_err *err) {
  if (!v) return qb_err_set(err, QB_ENOMEM, "out of memory");
  json_dumpf(v, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
  fputc('\n', f);
  json_decref(v);
  return QB_OK;
}

int qb_cli_number(const char *cmd, const char *opt, const char *v, double lo, double hi,
                  double *out, qb_err *err) {
  char *end;
  double d = strtod(v, &end);
  if (!*v || *end || !(d >= lo && d <= hi))
    return qb_err_set(err, QB_EUSAGE, "%s: %s '%s': expected a number in [%g, %g]", cmd, opt, v, lo,
                      hi);
  *out = d;
  return QB_OK;
}

int qb_cli_tag(const char *cmd, const char *v, qb_tag *out, qb_err *err) {
  const char *eq = strchr(v, '=');
  if (!eq || eq == v)
    return qb_err_set(err, QB_EUSAGE, "%s: --tag '%s': expected KEY=VALUE", cmd, v);
  char *kv = strdup(v);
  if (!kv) return qb_err_set(err, QB_ENOMEM, "out of memory");
  kv[eq - v] = '\0';
  out->key = kv;
  out->value = kv + (eq - v) + 1;
  return QB_OK;
}
