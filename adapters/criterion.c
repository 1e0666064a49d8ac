/* adapters/criterion.c - the criterion directory adapter: a target/criterion tree written by
 * criterion.rs (0.3.4-0.5 layout, and the older 0.2/0.3.0-0.3.3 one) -> qb_run.
 *
 * A benchmark directory is one that holds new/benchmark.json. For each one it reads
 * new/benchmark.json, new/sample.json, new/estimates.json, new/tukey.json (optional) and
 * change/estimates.json (optional); report/ folders are skipped and symlinked sub-directories
 * are not followed. Below the root nothing is read through a symbolic link, only regular files
 * are read (no fifo or device), and all the files of a tree together stay within
 * QB_ADAPTER_MAX_FILE bytes. The mapping into the model is documented in docs/formats/criterion.md.
 *
 * Ownership: the run handed back in *out is the caller's (qb_run_free); every other allocation
 * is freed before the public functions return. Nothing here prints, exits or touches the store. */
#include "adapters/adapter.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/json.h"
#include "core/buf.h"
#include "core/sha256.h"

/* Deepest directory nesting walked below the criterion root (ids with many '/' nest deeply). */
#define CRIT_MAX_DEPTH 64

/* One file read from the tree, kept for the content hash. */
typedef struct crit_file {
  char *rel;  /* path relative to the criterion root */
  char *data; /* the whole content (NUL-terminated) */
  size_t len;
} crit_file;

/* One benchmark directory found by the walk. */
typedef struct crit_bench {
  char *dir;           /* relative to the root; "" when the root is the benchmark itself */
  json_t *meta;        /* parsed new/benchmark.json, or NULL before it is loaded */
  const char *full_id; /* borrowed from meta */
} crit_bench;

/* Everything one parse (or probe) owns; released by ctx_dispose(). */
typedef struct crit_ctx {
  char *root; /* the criterion root as the caller spelled it, without trailing '/' */
  crit_file *files;
  size_t n_files, cap_files;
  size_t bytes; /* read so far: all the files of a tree together stay within the cap */
  crit_bench *benches;
  size_t n_benches, cap_benches;
} crit_ctx;

/* Sample data of one benchmark (new/sample.json). */
typedef struct crit_sample {
  const char *mode; /* sampling_mode, borrowed from the JSON; NULL when absent (old layout) */
  double *v;        /* per-iteration ns (times[i] / iters[i]); malloc'd */
  uint64_t *it;     /* iters[i]; malloc'd */
  size_t n;
} crit_sample;

/* The point estimates of one benchmark (new/estimates.json). */
typedef struct crit_est {
  double mean, median, stddev;
  double estimate, ci_lo, ci_hi; /* slope's, or mean's when slope is null (Flat sampling) */
  int flat;                      /* 1 when slope is missing or null */
} crit_est;

/* Free everything ctx owns (not ctx itself). */
static void ctx_dispose(crit_ctx *c) {
  free(c->root);
  for (size_t i = 0; i < c->n_files; i++) {
    free(c->files[i].rel);
    free(c->files[i].data);
  }
  free(c->files);
  for (size_t i = 0; i < c->n_benches; i++) {
    free(c->benches[i].dir);
    json_decref(c->benches[i].meta);
  }
  free(c->benches);
  memset(c, 0, sizeof *c);
}

/* Make room for one more element of elem bytes in *arr (n used, *cap allocated). */
static int reserve(void **arr, size_t *cap, size_t n, size_t elem, qb_err *err) {
  if (n < *cap) return QB_OK;
  size_t nc = *cap ? *cap * 2 : 16;
  void *p = realloc(*arr, nc * elem);
  if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
  *arr = p;
  *cap = nc;
  return QB_OK;
}

/* "a/b" in a new string (just a copy of the other when one is empty); NULL when out of memory.
 * Caller frees. */
static char *path_join(const char *a, const char *b) {
  if (!*a) return strdup(b);
  if (!*b) return strdup(a);
  size_t la = strlen(a), lb = strlen(b);
  char *p = malloc(la + lb + 2);
  if (!p) return NULL;
  memcpy(p, a, la);
  p[la] = '/';
  memcpy(p + la + 1, b, lb + 1);
  return p;
}

/* 1 when path names a regular file (following symlinks). */
static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* 1 when path names a directory (following symlinks). */
static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* 1 when dir/sub names a directory. */
static int has_subdir(const char *dir, const char *sub) {
  char *p = path_join(dir, sub);
  int r = p && is_dir(p);
  free(p);
  return r;
}

/* Pick the criterion root for the user's dir: the directory itself when it is one benchmark
 * (has new/benchmark.json), else dir/target/criterion, else dir/criterion, else dir. *root is a
 * new string (trailing slashes removed) the caller frees. */
static int resolve_root(const char *dir, char **root, qb_err *err) {
  int rc = QB_OK;
  char *d = NULL, *probe = NULL;
  *root = NULL;
  struct stat st;
  if (stat(dir, &st) != 0) {
    rc = errno == ENOENT ? qb_err_set(err, QB_ENOTFOUND, "%s: no such directory", dir)
                         : qb_err_set(err, QB_EIO, "%s: cannot read: %s", dir, strerror(errno));
    goto done;
  }
  if (!S_ISDIR(st.st_mode)) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: not a directory (expected a target/criterion tree)", dir);
    goto done;
  }
  if (!(d = strdup(dir))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t n = strlen(d); n > 1 && d[n - 1] == '/'; n--) d[n - 1] = '\0';
  if (!(probe = path_join(d, "new/benchmark.json"))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  const char *sub = is_file(probe)                      ? ""
                    : has_subdir(d, "target/criterion") ? "target/criterion"
                    : has_subdir(d, "criterion")        ? "criterion"
                                                        : "";
  if (!(*root = path_join(d, sub))) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
done:
  free(d);
  free(probe);
  return rc;
}

/* Record rel (copied) as a benchmark directory. */
static int add_bench_dir(crit_ctx *c, const char *rel, qb_err *err) {
  int rc = reserve((void **)&c->benches, &c->cap_benches, c->n_benches, sizeof *c->benches, err);
  if (rc) return rc;
  crit_bench *b = &c->benches[c->n_benches];
  memset(b, 0, sizeof *b);
  if (!(b->dir = strdup(rel))) return qb_err_set(err, QB_ENOMEM, "out of memory");
  c->n_benches++;
  return QB_OK;
}

/* qsort comparator for an array of C strings. */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk root/rel recursively, recording every directory that holds new/benchmark.json. Skips
 * report/ folders and does not follow symlinked sub-directories. With first_only it stops at the
 * first benchmark found (the probe). Allocates only temporaries. */
static int walk(crit_ctx *c, const char *rel, int depth, int first_only, qb_err *err) {
  int rc = QB_OK;
  char *full = NULL, *probe = NULL, *sub = NULL;
  char **names = NULL;
  size_t n_names = 0, cap_names = 0;
  DIR *d = NULL;
  if (!(full = path_join(c->root, rel)) || !(probe = path_join(full, "new/benchmark.json"))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if (is_file(probe)) {
    if ((rc = add_bench_dir(c, rel, err)) || first_only) goto done;
  }
  if (depth >= CRIT_MAX_DEPTH) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: directories nested deeper than %d levels", full,
                    CRIT_MAX_DEPTH);
    goto done;
  }
  if (!(d = opendir(full))) {
    rc = qb_err_set(err, QB_EIO, "%s: cannot open directory: %s", full, strerror(errno));
    goto done;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *nm = e->d_name;
    if (!strcmp(nm, ".") || !strcmp(nm, "..") || !strcmp(nm, "report")) continue;
    int dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      char *p = path_join(full, nm);
      dir = p && lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
      free(p);
    }
    if (!dir) continue;
    if ((rc = reserve((void **)&names, &cap_names, n_names, sizeof *names, err))) goto done;
    if (!(names[n_names] = strdup(nm))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    n_names++;
  }
  closedir(d);
  d = NULL;
  if (n_names) qsort(names, n_names, sizeof *names, cmp_str);
  for (size_t i = 0; i < n_names; i++) {
    if (!(sub = path_join(rel, names[i]))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    if ((rc = walk(c, sub, depth + 1, first_only, err))) goto done;
    free(sub);
    sub = NULL;
    if (first_only && c->n_benches) goto done;
  }
done:
  if (d) closedir(d);
  for (size_t i = 0; i < n_names; i++) free(names[i]);
  free(names);
  free(full);
  free(probe);
  free(sub);
  return rc;
}

/* Read the file rel (below the root: "DIR/new/sample.json"; disp names it in messages) into
 * *data (caller frees) without following a symbolic link anywhere below the root: each folder
 * is opened with O_NOFOLLOW from the one above it, so a link planted in the tree (to /etc, to
 * /dev/zero) is refused rather than read and stored. The file must be a regular file (a fifo or
 * a device is refused before it is opened), and all the files of one tree together are read
 * within QB_ADAPTER_MAX_FILE bytes. A missing file or folder is QB_ENOTFOUND without a message;
 * everything else is QB_EFORMAT or QB_EIO naming disp. */
static int read_tree_file(crit_ctx *c, const char *rel, const char *disp, char **data, size_t *len,
                          qb_err *err) {
  int rc = QB_OK, dfd, fd = -1;
  char *path = NULL, *comp, *slash;
  struct stat st, fst;
  *data = NULL;
  *len = 0;
  if ((dfd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return qb_err_set(err, QB_EIO, "%s: cannot open directory: %s", c->root, strerror(errno));
  if (!(path = strdup(rel))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (comp = path; (slash = strchr(comp, '/')); comp = slash + 1) { /* the folders */
    *slash = '\0';
    int nfd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (nfd < 0) {
      int e = errno;
      if (e == ENOENT) {
        rc = QB_ENOTFOUND;
      } else if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        *slash = '/';
        rc = qb_err_set(err, QB_EFORMAT,
                        "%s: %.*s is a symbolic link (not followed inside a criterion tree)", disp,
                        (int)(slash - path), path);
      } else {
        rc = qb_err_set(err, QB_EIO, "%s: cannot open: %s", disp, strerror(e));
      }
      goto done;
    }
    *slash = '/';
    close(dfd);
    dfd = nfd;
  }
  if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    rc = errno == ENOENT ? QB_ENOTFOUND
                         : qb_err_set(err, QB_EIO, "%s: cannot read: %s", disp, strerror(errno));
    goto done;
  }
  if (S_ISDIR(st.st_mode)) {
    rc = qb_err_set(err, QB_EIO, "%s: cannot read: it is a directory", disp);
    goto done;
  }
  if (!S_ISREG(st.st_mode)) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: is %s, not a regular file%s", disp,
                    qb_file_kind(st.st_mode),
                    S_ISLNK(st.st_mode) ? " (not followed inside a criterion tree)" : "");
    goto done;
  }
  /* O_NONBLOCK: a fifo swapped in after the check above cannot hold the open */
  fd = openat(dfd, comp, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &fst) != 0) {
    rc = qb_err_set(err, QB_EIO, "%s: cannot open: %s", disp, strerror(errno));
    goto done;
  }
  if (!S_ISREG(fst.st_mode) || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: is a file that changed while it was opened", disp);
    goto done;
  }
  size_t left = QB_ADAPTER_MAX_FILE - c->bytes;
  if ((rc = qb_fd_read(fd, disp, left, data, len, err))) {
    if (rc == QB_EFORMAT && left < QB_ADAPTER_MAX_FILE)
      qb_err_set(err, QB_EFORMAT,
                 "%s: the files of this criterion tree are larger than %zu bytes together", disp,
                 (size_t)QB_ADAPTER_MAX_FILE);
    goto done;
  }
  c->bytes += *len;
done:
  if (fd >= 0) close(fd);
  if (dfd >= 0) close(dfd);
  free(path);
  return rc;
}

/* Read root/dir/leaf, keep its bytes for the content hash, and parse it as JSON. *out is a new
 * reference (json_decref) and *disp the file's display path (root/dir/leaf, caller frees; set
 * even on failure when it could be built). A missing optional file gives QB_ENOTFOUND without a
 * message; a missing required one is QB_EFORMAT naming it. */
static int load_json(crit_ctx *c, const char *dir, const char *leaf, int required, json_t **out,
                     char **disp, qb_err *err) {
  int rc = QB_OK;
  char *rel = NULL, *data = NULL;
  size_t len = 0;
  *out = NULL;
  *disp = NULL;
  if (!(rel = path_join(dir, leaf)) || !(*disp = path_join(c->root, rel))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = read_tree_file(c, rel, *disp, &data, &len, err)) == QB_ENOTFOUND) {
    if (required)
      rc = qb_err_set(err, QB_EFORMAT,
                      "%s: missing (criterion writes it next to new/benchmark.json)", *disp);
    goto done;
  }
  if (rc) goto done;
  if ((rc = reserve((void **)&c->files, &c->cap_files, c->n_files, sizeof *c->files, err)))
    goto done;
  c->files[c->n_files++] = (crit_file){rel, data, len};
  rel = NULL;
  rc = qb_json_parse(*disp, data, len, out, err);
  data = NULL; /* owned by c->files now */
done:
  free(rel);
  free(data);
  return rc;
}

/* Check the types of new/benchmark.json (an object with a string full_id; group_id,
 * function_id, value_str, directory_name and title strings or null; throughput an object or
 * null, whose Bytes/BytesDecimal/Elements value is a number; other kinds are not checked) and
 * hand back full_id (borrowed from meta). */
static int check_meta(const char *disp, json_t *meta, const char **full_id, qb_err *err) {
  static const char *const OPT[] = {"group_id", "function_id", "value_str", "directory_name",
                                    "title"};
  const char *s;
  json_t *tp;
  int rc;
  if (!json_is_object(meta))
    return qb_err_set(err, QB_EFORMAT, "%s: expected an object, got %s", disp,
                      qb_json_type_name(meta));
  if ((rc = qb_json_str(disp, "", meta, "full_id", 1, full_id, err))) return rc;
  for (size_t i = 0; i < sizeof OPT / sizeof OPT[0]; i++) {
    rc = qb_json_str(disp, "", meta, OPT[i], 0, &s, err);
    if (rc && rc != QB_ENOTFOUND) return rc;
  }
  rc = qb_json_obj(disp, "", meta, "throughput", 0, &tp, err);
  if (rc == QB_ENOTFOUND) return QB_OK;
  if (rc) return rc;
  const char *key;
  json_t *v;
  json_object_foreach(tp, key, v) {
    double d;
    if (strcmp(key, "Bytes") && strcmp(key, "BytesDecimal") && strcmp(key, "Elements")) continue;
    if ((rc = qb_json_num(disp, "throughput", tp, key, 1, &d, err))) return rc;
  }
  return QB_OK;
}

/* The throughput of one iteration from benchmark.json: *per_iter (bytes or elements) and the
 * base unit of the derived rate ("B/s" for Bytes/BytesDecimal, "1/s" for Elements). *unit is
 * NULL when there is none or the kind is unknown (then it is only kept in the bench extra).
 * Types were checked by check_meta(). */
static void meta_throughput(json_t *meta, double *per_iter, const char **unit) {
  json_t *tp = json_object_get(meta, "throughput");
  *per_iter = NAN;
  *unit = NULL;
  if (!json_is_object(tp) || json_object_size(tp) != 1) return;
  const char *key;
  json_t *v;
  json_object_foreach(tp, key, v) {
    if (!strcmp(key, "Bytes") || !strcmp(key, "BytesDecimal"))
      *unit = "B/s";
    else if (!strcmp(key, "Elements"))
      *unit = "1/s";
    *per_iter = json_number_value(v);
  }
}

/* 1 when the whole of s is a JSON number: optional '-', 0 or digits without a leading zero,
 * optional fraction and exponent. */
static int is_number_text(const char *s) {
  const char *p = s;
  if (*p == '-') p++;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (*p >= '0' && *p <= '9') p++;
  else
    return 0;
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') p++;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') p++;
  }
  return *p == '\0';
}

/* value_str as a new JSON value: an integer or real when the whole string is a decimal number,
 * else the string itself. NULL when out of memory. Caller json_decref's. */
static json_t *param_value(const char *s) {
  if (!is_number_text(s)) return json_string(s);
  if (!strpbrk(s, ".eE")) {
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!errno && !*end) return json_integer(v);
  }
  return json_real(strtod(s, NULL));
}

/* Read one element of a JSON array as a number, naming NAME[i] in the error. */
static int arr_num(const char *disp, const char *name, json_t *arr, size_t i, double *out,
                   qb_err *err) {
  json_t *v = json_array_get(arr, i);
  if (!json_is_number(v))
    return qb_err_set(err, QB_EFORMAT, "%s: %s[%zu]: expected a number, got %s", disp, name, i,
                      qb_json_type_name(v));
  *out = json_number_value(v);
  return QB_OK;
}

/* Parse new/sample.json into s: per-iteration samples times[i]/iters[i] and the iteration
 * counts. Accepts the current {"sampling_mode", "iters", "times"} object and the older
 * [iters, times] pair. s->v and s->it are malloc'd (freed by the caller; NULL on failure). */
static int parse_sample(const char *disp, json_t *root, crit_sample *s, qb_err *err) {
  int rc = QB_OK;
  json_t *iters = NULL, *times = NULL;
  const char *in = "iters", *tn = "times";
  memset(s, 0, sizeof *s);
  if (json_is_array(root) && json_array_size(root) == 2 && json_is_array(json_array_get(root, 0)) &&
      json_is_array(json_array_get(root, 1))) {
    iters = json_array_get(root, 0);
    times = json_array_get(root, 1);
    in = "[0]";
    tn = "[1]";
  } else if (!json_is_object(root)) {
    return qb_err_set(err, QB_EFORMAT, "%s: expected an object with iters and times, got %s", disp,
                      qb_json_type_name(root));
  } else {
    rc = qb_json_str(disp, "", root, "sampling_mode", 0, &s->mode, err);
    if (rc && rc != QB_ENOTFOUND) return rc;
    if ((rc = qb_json_arr(disp, "", root, "iters", 1, &iters, err)) ||
        (rc = qb_json_arr(disp, "", root, "times", 1, &times, err)))
      return rc;
    rc = QB_OK;
  }
  size_t n = json_array_size(iters);
  if (n != json_array_size(times))
    return qb_err_set(err, QB_EFORMAT, "%s: %s has %zu values but %s has %zu", disp, in, n, tn,
                      json_array_size(times));
  if (!n) return qb_err_set(err, QB_EFORMAT, "%s: %s: no samples", disp, in);
  s->v = malloc(n * sizeof *s->v);
  s->it = malloc(n * sizeof *s->it);
  if (!s->v || !s->it) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory for %zu samples", n);
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    double it = 0.0, t = 0.0;
    if ((rc = arr_num(disp, in, iters, i, &it, err))) goto done;
    if (!(it >= 1.0 && it == floor(it) && it < 18446744073709551616.0)) {
      rc = qb_err_set(err, QB_EFORMAT,
                      "%s: %s[%zu]: expected a positive whole number of iterations, got %.17g",
                      disp, in, i, it);
      goto done;
    }
    if ((rc = arr_num(disp, tn, times, i, &t, err))) goto done;
    s->it[i] = (uint64_t)it;
    s->v[i] = t / it;
  }
  s->n = n;
done:
  if (rc) {
    free(s->v);
    free(s->it);
    s->v = NULL;
    s->it = NULL;
  }
  return rc;
}

/* Find statistic `key` in an estimates object, falling back to the capitalised key of the old
 * layout (`legacy`). Sets *name to the key found (for messages) and returns the value (borrowed)
 * or NULL when missing/null. */
static json_t *est_stat(json_t *est, const char *key, const char *legacy, const char **name) {
  json_t *v = json_object_get(est, key);
  *name = key;
  if ((!v || json_is_null(v)) && legacy && json_object_get(est, legacy)) {
    v = json_object_get(est, legacy);
    *name = legacy;
  }
  return v && !json_is_null(v) ? v : NULL;
}

/* Read est[key].point_estimate (and its confidence interval when lo/hi are given). Missing:
 * QB_EFORMAT when required, else QB_ENOTFOUND without a message. */
static int est_point(const char *disp, json_t *est, const char *key, const char *legacy,
                     int required, double *point, double *lo, double *hi, qb_err *err) {
  const char *name;
  json_t *v = est_stat(est, key, legacy, &name), *ci;
  int rc;
  if (!v) {
    if (!required) return QB_ENOTFOUND;
    return qb_err_set(err, QB_EFORMAT, "%s: %s: required field is missing", disp, key);
  }
  if (!json_is_object(v))
    return qb_err_set(err, QB_EFORMAT, "%s: %s: expected an object, got %s", disp, name,
                      qb_json_type_name(v));
  if ((rc = qb_json_num(disp, name, v, "point_estimate", 1, point, err))) return rc;
  if (!lo) return QB_OK;
  char where[64];
  snprintf(where, sizeof where, "%s.confidence_interval", name);
  if ((rc = qb_json_obj(disp, name, v, "confidence_interval", 1, &ci, err)) ||
      (rc = qb_json_num(disp, where, ci, "lower_bound", 1, lo, err)) ||
      (rc = qb_json_num(disp, where, ci, "upper_bound", 1, hi, err)))
    return rc;
  return QB_OK;
}

/* Parse new/estimates.json into e: mean, median, std_dev point estimates, and the headline
 * estimate with its CI (slope's, or mean's when slope is null). Allocates nothing. */
static int parse_estimates(const char *disp, json_t *root, crit_est *e, qb_err *err) {
  double mlo, mhi;
  int rc;
  if (!json_is_object(root))
    return qb_err_set(err, QB_EFORMAT, "%s: expected an object, got %s", disp,
                      qb_json_type_name(root));
  if ((rc = est_point(disp, root, "mean", "Mean", 1, &e->mean, &mlo, &mhi, err)) ||
      (rc = est_point(disp, root, "median", "Median", 1, &e->median, NULL, NULL, err)) ||
      (rc = est_point(disp, root, "std_dev", "StdDev", 1, &e->stddev, NULL, NULL, err)))
    return rc;
  rc = est_point(disp, root, "slope", "Slope", 0, &e->estimate, &e->ci_lo, &e->ci_hi, err);
  if (rc == QB_ENOTFOUND) {
    e->flat = 1;
    e->estimate = e->mean;
    e->ci_lo = mlo;
    e->ci_hi = mhi;
    return QB_OK;
  }
  e->flat = 0;
  return rc;
}

/* Parse new/tukey.json: an array of the 4 fences [low severe, low mild, high mild, high
 * severe]. */
static int parse_tukey(const char *disp, json_t *root, double f[4], qb_err *err) {
  if (!json_is_array(root) || json_array_size(root) != 4) {
    if (json_is_array(root))
      return qb_err_set(err, QB_EFORMAT, "%s: expected 4 fences, got %zu values", disp,
                        json_array_size(root));
    return qb_err_set(err, QB_EFORMAT, "%s: expected an array of 4 fences, got %s", disp,
                      qb_json_type_name(root));
  }
  for (size_t i = 0; i < 4; i++) {
    json_t *v = json_array_get(root, i);
    if (!json_is_number(v))
      return qb_err_set(err, QB_EFORMAT, "%s: [%zu]: expected a number, got %s", disp, i,
                        qb_json_type_name(v));
    f[i] = json_number_value(v);
  }
  return QB_OK;
}

/* Check change/estimates.json: an object whose mean and median have numeric point estimates. */
static int check_change(const char *disp, json_t *root, qb_err *err) {
  double d;
  int rc;
  if (!json_is_object(root))
    return qb_err_set(err, QB_EFORMAT, "%s: expected an object, got %s", disp,
                      qb_json_type_name(root));
  if ((rc = est_point(disp, root, "mean", "Mean", 1, &d, NULL, NULL, err)) ||
      (rc = est_point(disp, root, "median", "Median", 1, &d, NULL, NULL, err)))
    return rc;
  return QB_OK;
}

/* o[key] = v, stealing v; returns nonzero when v is NULL or the set fails (out of memory). */
static int jset_new(json_t *o, const char *key, json_t *v) {
  return !v || json_object_set_new(o, key, v) != 0;
}

/* o[key] = v (a new reference is taken) when v is neither NULL nor json null. */
static int jset_opt(json_t *o, const char *key, json_t *v) {
  return v && !json_is_null(v) ? json_object_set(o, key, v) != 0 : 0;
}

/* Dump o into *dst (a malloc'd string the run then owns). */
static int dump_to(char **dst, json_t *o, qb_err *err) {
  if (!(*dst = qb_json_dump(o))) return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

/* Add one benchmark to run from the files of cb (whose benchmark.json is already loaded and
 * checked). Allocates only what the run then owns; temporaries are freed on every path. */
static int build_bench(crit_ctx *c, const crit_bench *cb, qb_run *run, qb_err *err) {
  int rc = QB_OK, bad = 0;
  char *d_sample = NULL, *d_est = NULL, *d_tukey = NULL, *d_change = NULL;
  json_t *jsample = NULL, *jest = NULL, *jtukey = NULL, *jchange = NULL;
  json_t *params = NULL, *bextra = NULL, *rextra = NULL, *textra = NULL, *outl = NULL;
  crit_sample s = {0};
  crit_est e;
  double fences[4], per_iter, *tv = NULL;
  uint64_t *tit = NULL;
  const char *tunit, *group = NULL, *value_str = NULL;
  qb_bench *b;
  qb_result *r;

  if ((rc = load_json(c, cb->dir, "new/sample.json", 1, &jsample, &d_sample, err)) ||
      (rc = parse_sample(d_sample, jsample, &s, err)))
    goto done;
  if ((rc = load_json(c, cb->dir, "new/estimates.json", 1, &jest, &d_est, err)) ||
      (rc = parse_estimates(d_est, jest, &e, err)))
    goto done;
  rc = load_json(c, cb->dir, "new/tukey.json", 0, &jtukey, &d_tukey, err);
  if (rc == QB_OK) rc = parse_tukey(d_tukey, jtukey, fences, err);
  if (rc && rc != QB_ENOTFOUND) goto done;
  rc = load_json(c, cb->dir, "change/estimates.json", 0, &jchange, &d_change, err);
  if (rc == QB_OK) rc = check_change(d_change, jchange, err);
  if (rc && rc != QB_ENOTFOUND) goto done;
  rc = QB_OK;

  /* The benchmark: name, group, params, extra. */
  json_t *meta = cb->meta;
  json_t *gv = json_object_get(meta, "group_id"), *vs = json_object_get(meta, "value_str");
  if (json_is_string(gv)) group = json_string_value(gv);
  if (json_is_string(vs)) value_str = json_string_value(vs);
  if ((rc = qb_run_add_bench(run, cb->full_id, group, &b, err))) goto done;
  if (value_str) {
    if (!(params = json_object()) || jset_new(params, "value", param_value(value_str))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    if ((rc = dump_to(&b->params, params, err))) goto done;
  }
  if (!(bextra = json_object())) bad = 1;
  static const char *const BKEYS[] = {"function_id", "value_str", "throughput", "directory_name",
                                      "title"};
  for (size_t i = 0; !bad && i < sizeof BKEYS / sizeof BKEYS[0]; i++)
    bad |= jset_opt(bextra, BKEYS[i], json_object_get(meta, BKEYS[i]));
  if (bad) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if (json_object_size(bextra) && (rc = dump_to(&b->extra, bextra, err))) goto done;

  /* Latency: samples, the tool's estimates, outliers against its Tukey fences. */
  if (!(rextra = json_object())) bad = 1;
  if (!bad && s.mode) bad |= jset_new(rextra, "sampling_mode", json_string(s.mode));
  if (!bad) bad |= jset_opt(rextra, "estimates", jest);
  if (!bad) bad |= jset_opt(rextra, "tukey", jtukey);
  if (!bad) bad |= jset_opt(rextra, "change", jchange);
  int64_t counts[4] = {0, 0, 0, 0};
  if (jtukey) {
    for (size_t i = 0; i < s.n; i++) {
      double x = s.v[i];
      if (x < fences[0])
        counts[0]++;
      else if (x > fences[3])
        counts[3]++;
      else if (x < fences[1])
        counts[1]++;
      else if (x > fences[2])
        counts[2]++;
    }
    if (!bad && !(outl = json_object())) bad = 1;
    if (!bad) {
      bad |= jset_new(outl, "low_severe", json_integer(counts[0]));
      bad |= jset_new(outl, "low_mild", json_integer(counts[1]));
      bad |= jset_new(outl, "high_mild", json_integer(counts[2]));
      bad |= jset_new(outl, "high_severe", json_integer(counts[3]));
    }
    if (!bad) bad |= jset_opt(rextra, "outliers", outl);
  }
  if (bad) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  meta_throughput(meta, &per_iter, &tunit);
  if (tunit) {
    tv = malloc(s.n * sizeof *tv);
    tit = malloc(s.n * sizeof *tit);
    if (!tv || !tit) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory for %zu samples", s.n);
      goto done;
    }
    for (size_t i = 0; i < s.n; i++) {
      tv[i] = per_iter * 1e9 / s.v[i];
      tit[i] = s.it[i];
    }
  }
  if ((rc = qb_bench_add_result(b, "latency", "ns", QB_LOWER_IS_BETTER, &r, err))) goto done;
  r->stats.n = (int64_t)s.n;
  r->stats.mean = e.mean;
  r->stats.median = e.median;
  r->stats.stddev = e.stddev;
  r->stats.estimate = e.estimate;
  r->stats.ci_lo = e.ci_lo;
  r->stats.ci_hi = e.ci_hi;
  if (jtukey) r->stats.outliers = counts[0] + counts[1] + counts[2] + counts[3];
  if ((rc = dump_to(&r->extra, rextra, err))) goto done;
  qb_result_take_samples(r, s.v, s.it, s.n);
  s.v = NULL;
  s.it = NULL;

  /* Throughput, derived from latency: rate = N * 1e9 / ns per iteration. */
  if (tunit) {
    if ((rc = qb_bench_add_result(b, "throughput", tunit, QB_HIGHER_IS_BETTER, &r, err))) goto done;
    double k = per_iter * 1e9;
    r->stats.n = (int64_t)s.n;
    r->stats.estimate = k / e.estimate;
    r->stats.ci_lo = k / e.ci_hi;
    r->stats.ci_hi = k / e.ci_lo;
    if (!(textra = json_object()) ||
        jset_opt(textra, "throughput", json_object_get(meta, "throughput"))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    if ((rc = dump_to(&r->extra, textra, err))) goto done;
    qb_result_take_samples(r, tv, tit, s.n);
    tv = NULL;
    tit = NULL;
  }
done:
  free(d_sample);
  free(d_est);
  free(d_tukey);
  free(d_change);
  json_decref(jsample);
  json_decref(jest);
  json_decref(jtukey);
  json_decref(jchange);
  json_decref(params);
  json_decref(bextra);
  json_decref(rextra);
  json_decref(textra);
  json_decref(outl);
  free(s.v);
  free(s.it);
  free(tv);
  free(tit);
  return rc;
}

/* qsort comparator: benchmarks by full_id, then directory. */
static int cmp_bench(const void *a, const void *b) {
  const crit_bench *x = a, *y = b;
  int r = strcmp(x->full_id, y->full_id);
  return r ? r : strcmp(x->dir, y->dir);
}

/* qsort comparator: files by relative path. */
static int cmp_file(const void *a, const void *b) {
  return strcmp(((const crit_file *)a)->rel, ((const crit_file *)b)->rel);
}

/* The content hash: sha256 over every file read, in path order, as rel NUL bytes NUL. */
static void hash_files(crit_ctx *c, char hex[65]) {
  qb_sha256 h;
  qb_sha256_init(&h);
  if (c->n_files) qsort(c->files, c->n_files, sizeof *c->files, cmp_file);
  for (size_t i = 0; i < c->n_files; i++) {
    qb_sha256_update(&h, c->files[i].rel, strlen(c->files[i].rel) + 1);
    qb_sha256_update(&h, c->files[i].data, c->files[i].len);
    qb_sha256_update(&h, "", 1);
  }
  qb_sha256_hex(&h, hex);
}

/* See adapters/adapter.h. */
int qb_criterion_dir_parse(const char *dir, qb_run **out, qb_err *err) {
  int rc = QB_OK;
  crit_ctx c;
  qb_run *run = NULL;
  char *disp = NULL;
  memset(&c, 0, sizeof c);
  *out = NULL;
  if ((rc = resolve_root(dir, &c.root, err)) || (rc = walk(&c, "", 0, 0, err))) goto done;
  if (!c.n_benches) {
    rc = qb_err_set(err, QB_EFORMAT,
                    "%s: no criterion benchmarks found (expected */new/benchmark.json)", dir);
    goto done;
  }
  for (size_t i = 0; i < c.n_benches; i++) {
    crit_bench *cb = &c.benches[i];
    if ((rc = load_json(&c, cb->dir, "new/benchmark.json", 1, &cb->meta, &disp, err)) ||
        (rc = check_meta(disp, cb->meta, &cb->full_id, err)))
      goto done;
    free(disp);
    disp = NULL;
  }
  qsort(c.benches, c.n_benches, sizeof *c.benches, cmp_bench);
  for (size_t i = 1; i < c.n_benches; i++) {
    const crit_bench *p = &c.benches[i - 1], *q = &c.benches[i];
    if (!strcmp(p->full_id, q->full_id)) {
      rc = qb_err_set(err, QB_EFORMAT,
                      "%s%s%s/new/benchmark.json: full_id \"%s\" is also claimed by "
                      "%s%s%s/new/benchmark.json",
                      c.root, *q->dir ? "/" : "", q->dir, q->full_id, c.root, *p->dir ? "/" : "",
                      p->dir);
      goto done;
    }
  }
  if (!(run = qb_run_new())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = qb_run_set_str(&run->format, "criterion", err)) ||
      (rc = qb_run_set_str(&run->tool_version, "criterion", err)))
    goto done;
  for (size_t i = 0; i < c.n_benches; i++)
    if ((rc = build_bench(&c, &c.benches[i], run, err))) goto done;
  hash_files(&c, run->content_hash);
  *out = run;
  run = NULL;
done:
  free(disp);
  qb_run_free(run);
  ctx_dispose(&c);
  return rc;
}

/* See adapters/adapter.h. Walks until the first benchmark directory; reads no files. */
int qb_criterion_dir_probe(const char *dir) {
  crit_ctx c;
  int found = 0;
  memset(&c, 0, sizeof c);
  if (resolve_root(dir, &c.root, NULL) == QB_OK && walk(&c, "", 0, 1, NULL) == QB_OK)
    found = c.n_benches > 0;
  ctx_dispose(&c);
  return found;
}
