/* cli/util.c - option parsing, terminal-safe text and output files for the subcommands. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/json_out.h"
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
  qb_json_dumpf(v, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
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

/* ---- Text for terminals ---------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (2 to 4, within avail bytes), or 0 when s[0] does not
 * start one. A NUL-terminated s may pass SIZE_MAX: the NUL fails the continuation test. */
static size_t utf8_len(const unsigned char *s, size_t avail) {
  unsigned char c = s[0];
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f; /* no UTF-16 surrogates */
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (n > avail || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf) return 0;
  return n;
}

/* Write the terminal-safe form of s into out (when not NULL) and return its length: C0
 * controls (newline and tab included), DEL, the C1 controls U+0080..U+009F and bytes that are
 * not valid UTF-8 become \xNN, one per byte; everything else is copied. */
static size_t escape_text(const char *s, char *out) {
  size_t o = 0;
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    size_t n = 1;
    int bad = *p < 0x20 || *p == 0x7f;
    if (*p >= 0x80) {
      n = utf8_len(p, SIZE_MAX);
      bad = n == 0 || (p[0] == 0xc2 && p[1] <= 0x9f); /* invalid, or C1 */
      if (!n) n = 1;
    }
    for (size_t i = 0; i < n; i++, p++) {
      if (bad) {
        if (out) {
          out[o] = '\\';
          out[o + 1] = 'x';
          out[o + 2] = hex[*p >> 4];
          out[o + 3] = hex[*p & 15];
        }
        o += 4;
      } else {
        if (out) out[o] = (char)*p;
        o++;
      }
    }
  }
  if (out) out[o] = '\0';
  return o;
}

const char *qb_cli_esc_str(qb_cli_esc *e, const char *s) {
  if (!s) return NULL;
  size_t n = escape_text(s, NULL);
  if (n == strlen(s)) return s; /* nothing to escape (the escaped form is always longer) */
  if (e->n == e->cap) {
    size_t nc = e->cap ? e->cap * 2 : 8;
    char **p = realloc(e->copies, nc * sizeof *p);
    if (!p) return "?";
    e->copies = p;
    e->cap = nc;
  }
  char *c = malloc(n + 1);
  if (!c) return "?";
  escape_text(s, c);
  e->copies[e->n++] = c;
  return c;
}

void qb_cli_esc_dispose(qb_cli_esc *e) {
  for (size_t i = 0; i < e->n; i++) free(e->copies[i]);
  free(e->copies);
  e->copies = NULL;
  e->n = e->cap = 0;
}

void qb_cli_fputs_esc(const char *s, FILE *f) {
  qb_cli_esc e = QB_CLI_ESC_INIT;
  fputs(qb_cli_esc_str(&e, s), f);
  qb_cli_esc_dispose(&e);
}

/* The bytes at p (n available) that form one unit for escaping: *k gets its length (1 to 4)
 * and the result is 1 when it must be written as \xNN (a control other than newline, DEL, a C1
 * control, a byte that is not UTF-8). */
static int doc_unit(const unsigned char *p, size_t n, size_t *k) {
  *k = 1;
  if (*p < 0x80) return (*p < 0x20 && *p != '\n') || *p == 0x7f;
  size_t u = utf8_len(p, n);
  if (!u) return 1;
  *k = u;
  return p[0] == 0xc2 && p[1] <= 0x9f;
}

int qb_cli_doc_needs_esc(const char *s, size_t n) {
  if (!n) return 0;
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  for (size_t k; p < end; p += k)
    if (doc_unit(p, (size_t)(end - p), &k)) return 1;
  return 0;
}

void qb_cli_write_doc(FILE *f, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  if (!n) return;
  const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
  size_t k;
  while (p < end) {
    if (!doc_unit(p, (size_t)(end - p), &k)) {
      p += k;
      continue;
    }
    if (p > run) fwrite(run, 1, (size_t)(p - run), f);
    for (size_t i = 0; i < k; i++, p++) {
      char e[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
      fwrite(e, 1, 4, f);
    }
    run = p;
  }
  if (p > run) fwrite(run, 1, (size_t)(p - run), f);
}

void qb_cli_csv_text(FILE *f, const char *s) {
  if (!s) return;
  int formula = *s && strchr("=+-@\t\r", *s) != NULL;
  int quote = strpbrk(s, ",\"\r\n") != NULL;
  if (quote) fputc('"', f);
  if (formula) fputc('\'', f);
  for (; *s; s++) {
    if (quote && *s == '"') fputc('"', f);
    fputc(*s, f);
  }
  if (quote) fputc('"', f);
}

/* ---- Output files ---------------------------------------------------------------------- */

/* Set err to "WHAT: PATH: cannot write: REASON" (QB_EIO) and return QB_EIO. */
static int out_fail(const char *what, const char *path, const char *why, qb_err *err) {
  return qb_err_set(err, QB_EIO, "%s: %s: cannot write: %s", what, path, why);
}

/* Open path for writing in place (a character device, a fifo or a socket: never created,
 * truncated or replaced), following a symbolic link only when follow is set. */
static int out_in_place(qb_cli_outfile *o, int follow, qb_err *err) {
  int fd = open(o->path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  if (fd < 0) return out_fail(o->what, o->path, strerror(errno), err);
  struct stat st;
  if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
    close(fd);
    return out_fail(o->what, o->path, "it changed while it was being opened", err);
  }
  if (!(o->f = fdopen(fd, "wb"))) {
    int e = errno;
    close(fd);
    return out_fail(o->what, o->path, strerror(e), err);
  }
  return QB_OK;
}

/* Create the temporary file next to o->path (mkstemp: O_EXCL, mode 0600 until set below) that
 * replaces it at the end; old is path's stat when it exists (its mode and owner are kept). */
static int out_temp(qb_cli_outfile *o, const struct stat *old, qb_err *err) {
  size_t n = strlen(o->path);
  const char *slash = strrchr(o->path, '/');
  size_t dir = slash ? (size_t)(slash - o->path) + 1 : 0; /* "dir/" */
  if (!(o->tmp = malloc(n + 32))) return qb_err_set(err, QB_ENOMEM, "out of memory");
  snprintf(o->tmp, n + 32, "%s.tmpXXXXXX", o->path);
  int fd = mkstemp(o->tmp);
  if (fd < 0 && errno == ENAMETOOLONG) { /* a long file name: a short one in the same folder */
    snprintf(o->tmp, n + 32, "%.*s.qbdb-tmpXXXXXX", (int)dir, o->path);
    fd = mkstemp(o->tmp);
  }
  if (fd < 0) {
    int e = errno;
    free(o->tmp);
    o->tmp = NULL;
    return out_fail(o->what, o->path, strerror(e), err);
  }
  mode_t mask = umask(0);
  umask(mask);
  if (old) {
    (void)!fchown(fd, old->st_uid, old->st_gid); /* not permitted (not root): ours */
    (void)!fchmod(fd, old->st_mode & 07777);
  } else {
    (void)!fchmod(fd, 0666 & ~mask);
  }
  if (!(o->f = fdopen(fd, "wb"))) {
    int e = errno;
    close(fd);
    unlink(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    return out_fail(o->what, o->path, strerror(e), err);
  }
  return QB_OK;
}

/* The descriptor that path names when it is /dev/stdout, /dev/stderr, /dev/fd/N or
 * /proc/self/fd/N, else -1. */
static int named_fd(const char *path) {
  if (!strcmp(path, "/dev/stdout")) return 1;
  if (!strcmp(path, "/dev/stderr")) return 2;
  const char *n = !strncmp(path, "/dev/fd/", 8)          ? path + 8
                  : !strncmp(path, "/proc/self/fd/", 14) ? path + 14
                                                         : NULL;
  if (!n || *n < '0' || *n > '9') return -1;
  char *end;
  long v = strtol(n, &end, 10);
  return *end || v > 1000000 ? -1 : (int)v;
}

int qb_cli_out_open(qb_cli_outfile *o, const char *what, const char *path, qb_err *err) {
  struct stat st, to;
  o->f = NULL;
  o->tmp = NULL;
  o->what = what;
  o->path = path;
  int fd = named_fd(path);
  if (fd >= 0) { /* a descriptor already open: written where it is, as a shell would */
    if (fd == 1) fflush(stdout);
    int d = dup(fd);
    if (d < 0) return out_fail(what, path, strerror(errno), err);
    if (!(o->f = fdopen(d, "wb"))) {
      int e = errno;
      close(d);
      return out_fail(what, path, strerror(e), err);
    }
    return QB_OK;
  }
  if (lstat(path, &st) != 0) {
    if (errno != ENOENT) return out_fail(what, path, strerror(errno), err);
    return out_temp(o, NULL, err);
  }
  if (S_ISLNK(st.st_mode)) {
    /* written through only to a pipe, socket or character device (/dev/stdout, >(...)) */
    if (stat(path, &to) != 0)
      return out_fail(what, path, "it is a symbolic link to nothing (not followed)", err);
    if (S_ISFIFO(to.st_mode) || S_ISCHR(to.st_mode) || S_ISSOCK(to.st_mode))
      return out_in_place(o, 1, err);
    return out_fail(what, path,
                    "it is a symbolic link (not followed, not replaced: give the file it names)",
                    err);
  }
  if (S_ISREG(st.st_mode)) return out_temp(o, &st, err);
  if (S_ISDIR(st.st_mode)) return out_fail(what, path, "it is a directory", err);
  if (S_ISBLK(st.st_mode)) return out_fail(what, path, "it is a block device", err);
  return out_in_place(o, 0, err);
}

int qb_cli_out_close(qb_cli_outfile *o, int keep, qb_err *err) {
  int rc = QB_OK, e = 0; /* e: errno of the failure, -1 an earlier write error */
  if (!o->f) return QB_OK;
  if (keep) {
    errno = 0;
    if (fflush(o->f) != 0)
      e = errno ? errno : -1;
    else if (ferror(o->f))
      e = -1;
    else if (o->tmp && fsync(fileno(o->f)) != 0)
      e = errno;
  }
  if (fclose(o->f) != 0 && keep && !e) e = errno;
  o->f = NULL;
  if (keep && !e && o->tmp && rename(o->tmp, o->path) != 0) e = errno;
  if (keep && e) rc = out_fail(o->what, o->path, e > 0 ? strerror(e) : "write error", err);
  if (o->tmp && (!keep || rc)) unlink(o->tmp);
  free(o->tmp);
  o->tmp = NULL;
  return rc;
}

/* ---- Files appended to ----------------------------------------------------------------- */

FILE *qb_cli_append_open(const char *path, const char **why) {
  struct stat st;
  int fd = named_fd(path);
  if (fd >= 0) { /* a descriptor already open: appended where it stands, as a shell's >> */
    if (fd == 1) fflush(stdout);
    fd = dup(fd);
  } else {
    /* refused before the open: kinds that open(2) would act on or that take no text */
    if (lstat(path, &st) == 0 && (S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode))) {
      *why = S_ISBLK(st.st_mode) ? "it is a block device" : "it is a socket";
      return NULL;
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
      *why = "it is a symbolic link (not followed: give the file it names)";
      return NULL;
    }
  }
  if (fd < 0) {
    *why = strerror(errno);
    return NULL;
  }
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
    close(fd);
    *why = "it is not a regular file, a fifo or a character device";
    return NULL;
  }
  FILE *f = fdopen(fd, "a");
  if (!f) {
    int e = errno;
    close(fd);
    *why = strerror(e);
  }
  return f;
}

const char *qb_cli_hostname(void) {
  static char name[256];
  if (gethostname(name, sizeof name - 1) != 0 || !name[0]) return NULL;
  name[sizeof name - 1] = '\0';
  return name;
}
