/* view/export.c - stored runs as CSV or JSON (view/export.h, docs/cli/export.md). */
#include "view/export.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/json_out.h"
#include "view/json.h"
#include "core/time.h"

const char qb_export_csv_header[] =
    "run_id,project,branch,machine,commit,commit_time,started_at,benchmark,group,params,metric,"
    "unit,direction,n,min,max,mean,median,stddev,p95,p99,q1,q3,outliers,estimate,ci_lo,ci_hi";
const char qb_export_csv_samples_header[] = "run_id,benchmark,metric,sample,value,iterations";

/* One CSV text field: as it is when it holds no comma, quote, CR or LF; else quoted, with quotes
 * doubled (RFC 4180). NULL is an empty field. Text that a spreadsheet would run as a formula
 * (it starts with =, +, -, @, tab or CR) gets a leading apostrophe (OWASP, "CSV Injection"):
 * only text columns come here, so a negative number stays a number. */
static void csv_str(FILE *f, const char *s) {
  if (!s) return;
  int formula = *s && strchr("=+-@\t\r", *s) != NULL;
  int quote = strpbrk(s, ",\"\r\n") != NULL;
  if (quote) fputc('"', f);
  if (formula) fputc('\'', f);
  if (!quote) {
    fputs(s, f);
    return;
  }
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* A number exactly (17 significant digits); NAN is an empty field. */
static void csv_num(FILE *f, double v) {
  if (!isnan(v)) fprintf(f, "%.17g", v);
}

/* A count; negative (unknown) is an empty field. */
static void csv_count(FILE *f, int64_t v) {
  if (v >= 0) fprintf(f, "%lld", (long long)v);
}

static void csv_time(FILE *f, int64_t us) {
  char t[40];
  if (us != QB_TIME_NONE) fputs(qb_time_format(us, t, sizeof t), f);
}

/* The columns of one result (up to ci_hi), without a newline. */
static void csv_result(FILE *f, const qb_run_info *info, const qb_bench *b, const qb_result *r) {
  fprintf(f, "%lld,", (long long)info->id);
  csv_str(f, info->project);
  fputc(',', f);
  csv_str(f, info->branch);
  fputc(',', f);
  csv_str(f, info->machine);
  fputc(',', f);
  csv_str(f, info->commit_sha);
  fputc(',', f);
  csv_time(f, info->commit_time);
  fputc(',', f);
  csv_time(f, info->started_at);
  fputc(',', f);
  csv_str(f, b->name);
  fputc(',', f);
  csv_str(f, b->group);
  fputc(',', f);
  csv_str(f, b->params);
  fputc(',', f);
  csv_str(f, r->metric);
  fputc(',', f);
  csv_str(f, r->unit);
  fputs(r->direction == QB_HIGHER_IS_BETTER ? ",higher," : ",lower,", f);
  const qb_stats *x = &r->stats;
  csv_count(f, x->n);
  const double v[] = {x->min, x->max, x->mean, x->median, x->stddev, x->p95, x->p99, x->q1, x->q3};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    fputc(',', f);
    csv_num(f, v[i]);
  }
  fputc(',', f);
  csv_count(f, x->outliers);
  fputc(',', f);
  csv_num(f, x->estimate);
  fputc(',', f);
  csv_num(f, x->ci_lo);
  fputc(',', f);
  csv_num(f, x->ci_hi);
}

/* Every row of one run: one per result, or with samples one per raw sample, named by the keys
 * that identify its result in the results export (run_id, benchmark, metric). */
static void csv_run(FILE *f, const qb_run_info *info, const qb_run *run, int samples) {
  for (size_t i = 0; i < run->n_benches; i++) {
    const qb_bench *b = &run->benches[i];
    for (size_t k = 0; k < b->n_results; k++) {
      const qb_result *r = &b->results[k];
      if (!samples) {
        csv_result(f, info, b, r);
        fputc('\n', f);
        continue;
      }
      for (size_t j = 0; j < r->n_samples; j++) { /* a result without samples has no row */
        fprintf(f, "%lld,", (long long)info->id);
        csv_str(f, b->name);
        fputc(',', f);
        csv_str(f, r->metric);
        fprintf(f, ",%zu,%.17g,%llu\n", j, r->samples[j],
                (unsigned long long)(r->iters ? r->iters[j] : 1));
      }
    }
  }
}

int qb_export(qb_store *s, const qb_export_opts *o, FILE *out, size_t *n_runs, qb_err *err) {
  qb_run_filter filter = o->filter;
  qb_run_info *list = NULL;
  size_t n = 0, written = 0;
  *n_runs = 0;
  filter.limit = 0;
  int rc = qb_store_list_runs(s, &filter, &list, &n, err);
  if (rc) return rc;
  size_t total = 0; /* the runs to write, for progress */
  for (size_t i = 0; i < n; i++)
    total += o->since == QB_TIME_NONE || list[i].started_at >= o->since;
  if (o->format == QB_EXPORT_CSV)
    fprintf(out, "%s\n", o->samples ? qb_export_csv_samples_header : qb_export_csv_header);
  else
    fputs("{\"format\":\"qbdb-export\",\"version\":1,\"runs\":[", out);
  if (o->progress && total) o->progress(o->progress_ctx, 0, total);
  /* the list is newest first: oldest first out */
  for (size_t i = n; i-- > 0;) {
    if (o->since != QB_TIME_NONE && list[i].started_at < o->since) continue;
    qb_run_info info;
    qb_run *run = NULL;
    if ((rc = qb_store_load_run(s, list[i].id, o->samples, &info, &run, err))) goto done;
    if (o->format == QB_EXPORT_CSV) {
      csv_run(out, &info, run, o->samples);
    } else {
      json_t *v = qb_view_run(&info, run, o->samples);
      char *text = v ? qb_json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
      json_decref(v);
      if (!text) {
        qb_run_info_dispose(&info);
        qb_run_free(run);
        rc = qb_err_set(err, QB_ENOMEM, "out of memory");
        goto done;
      }
      fprintf(out, "%s\n%s", written ? "," : "", text);
      free(text);
    }
    written++;
    qb_run_info_dispose(&info);
    qb_run_free(run);
    if (ferror(out)) {
      rc = qb_err_set(err, QB_EIO, "export: write error");
      goto done;
    }
    if (o->progress) o->progress(o->progress_ctx, written, total);
  }
  if (o->format == QB_EXPORT_JSON) fputs("\n]}\n", out);
  if (fflush(out) != 0 || ferror(out)) rc = qb_err_set(err, QB_EIO, "export: write error");
done:
  qb_run_infos_free(list, n);
  if (!rc) *n_runs = written;
  return rc;
}
