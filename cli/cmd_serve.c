/* cli/cmd_serve.c - `qbdb serve`: the HTTP API and the web page until SIGINT or SIGTERM. */
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "service/compare.h"
#include "net/notify.h"
#include "http/server.h"
#include "cli/cli.h"
#include "core/time.h"

const char cmd_serve_help[] =
    "usage: qbdb serve [--db PATH] [--listen 127.0.0.1:8080] [--threads N] [--max-body 64MiB]\n"
    "                  [--public-read yes|no] [--cors-origin ORIGIN] [--insecure]\n"
    "                  [--notify-url URL] [--notify-min-severity minor|moderate|major|critical]\n"
    "                  [--max-per-ip 64] [--max-connections 512] [--request-timeout 30]\n"
    "                  [--max-inflight SIZE] [--max-expensive N]\n"
    "\n"
    "Serve the HTTP API (docs/api/README.md) and the web page on the given address (loopback by\n"
    "default; port 0 picks a free one, printed on start). Writes need a token (`qbdb token\n"
    "create`); reads are public unless --public-read no. One access-log line per request goes to\n"
    "stderr. SIGINT or SIGTERM stops it cleanly: requests in flight finish, the database is\n"
    "closed.\n"
    "\n"
    "On an address outside 127.0.0.0/8 it refuses to start while the database has no active\n"
    "token, unless --insecure. --cors-origin ORIGIN (e.g. https://ci.example.com): browsers on\n"
    "exactly that origin may call the API (Access-Control-Allow-Origin; OPTIONS preflights are\n"
    "answered 204); without it no CORS header is ever sent.\n"
    "\n"
    "--notify-url URL: when an upload stores a new run whose compare with the run before it (or\n"
    "the change points it reveals in its series) holds a regression at or above\n"
    "--notify-min-severity (default major), POST a JSON summary to URL (http or https; its\n"
    "\"text\" suits Slack-compatible webhooks; docs/notify.md). Sent from a background thread\n"
    "with a bounded queue: the upload's answer never waits for it. Each notification takes 10 s\n"
    "at most, retries included, and logs one line; on stop, waiting ones get 2 s.\n"
    "\n"
    "Limits (docs/reliability.md, \"Server limits\"): --max-per-ip N connections from one\n"
    "address (default 64) and --max-connections N in all (default 512): more are closed\n"
    "unanswered; --request-timeout S seconds for a request's line, headers and body to arrive\n"
    "(default 30; later: 408 or closed); --max-inflight SIZE of request bodies kept at once\n"
    "(default 4 x --max-body; beyond: 503 with Retry-After); --max-expensive N compares, trends\n"
    "and single runs answered at once (default: the online CPUs; 8 x N more wait, at most\n"
    "--request-timeout; beyond: 503 with Retry-After). A POST or PATCH without a valid token is\n"
    "answered 401 before its body is read.\n"
    "\n"
    "Exit codes: 0 stopped by a signal, 2 usage (or a non-loopback --listen without a token),\n"
    "5 database refused, 6 cannot listen.\n";

/* 1 when v looks like a web origin: http(s)://, then a host[:port] of printable characters
 * without '/', whitespace, quotes or commas (it is echoed in a header exactly). */
static int valid_origin(const char *v) {
  const char *h = !strncmp(v, "https://", 8) ? v + 8 : !strncmp(v, "http://", 7) ? v + 7 : NULL;
  if (!h || !*h) return 0;
  for (; *h; h++)
    if (*h <= ' ' || *h >= 0x7f || strchr("/\\\"',;?#", *h)) return 0;
  return 1;
}

/* 1 when host is a loopback address (127.0.0.0/8, ::1); -1 when it is not an IPv4 address
 * (the server refuses those itself); 0 otherwise. */
static int loopback(const char *host) {
  struct in_addr a;
  if (!strcmp(host, "::1") || !strcmp(host, "[::1]")) return 1;
  if (inet_pton(AF_INET, host, &a) != 1) return -1;
  return (ntohl(a.s_addr) >> 24) == 127;
}

/* The number of active (not revoked) tokens in db into *n; a database that does not exist yet
 * has none. */
static int active_tokens(const char *db, size_t *n, qb_err *err) {
  qb_store *s = NULL;
  qb_token *list = NULL;
  size_t len = 0;
  *n = 0;
  int rc = qb_store_open(&s, db, 0, err);
  if (rc == QB_ENOTFOUND) {
    *err = (qb_err)QB_ERR_INIT;
    return QB_OK;
  }
  if (rc || (rc = qb_store_tokens(s, &list, &len, err))) goto done;
  for (size_t i = 0; i < len; i++) *n += list[i].revoked_at == QB_TIME_NONE;
done:
  qb_tokens_free(list, len);
  qb_store_close(s);
  return rc;
}

/* Parse "64MiB", "1048576", "10KB" (the value of option opt) into bytes. */
static int parse_size(const char *opt, const char *v, size_t *out, qb_err *err) {
  char *end;
  double d = strtod(v, &end);
  double f = !*end                                      ? 1
             : !strcmp(end, "KiB") || !strcmp(end, "K") ? 1024.0
             : !strcmp(end, "MiB") || !strcmp(end, "M") ? 1048576.0
             : !strcmp(end, "GiB") || !strcmp(end, "G") ? 1073741824.0
             : !strcmp(end, "KB")                       ? 1e3
             : !strcmp(end, "MB")                       ? 1e6
                                                        : -1;
  if (end == v || f < 0 || !(d * f >= 1) || d * f > 1e12)
    return qb_err_set(err, QB_EUSAGE, "serve: %s '%s': expected a size like 64MiB", opt, v);
  *out = (size_t)(d * f);
  return QB_OK;
}

int cmd_serve(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_server_opts o = {0};
  const char *listen = "127.0.0.1:8080", *v;
  char host[64];
  int m, rc, min_given = 0, insecure = 0;
  o.db = cli->db;
  o.public_read = 1;
  o.log = stderr;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--listen", &listen, err))) {
      if (m < 0) return m;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--threads", &v, err))) {
      double t;
      if (m < 0 || (rc = qb_cli_number("serve", "--threads", v, 1, 256, &t, err)))
        return m < 0 ? m : rc;
      o.threads = (unsigned)t;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--max-body", &v, err))) {
      if (m < 0 || (rc = parse_size("--max-body", v, &o.max_body, err))) return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--max-inflight", &v, err))) {
      if (m < 0 || (rc = parse_size("--max-inflight", v, &o.max_inflight, err)))
        return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--max-per-ip", &v, err))) {
      double t;
      if (m < 0 || (rc = qb_cli_number("serve", "--max-per-ip", v, 1, 65536, &t, err)))
        return m < 0 ? m : rc;
      o.max_per_ip = (unsigned)t;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--max-connections", &v, err))) {
      double t;
      if (m < 0 || (rc = qb_cli_number("serve", "--max-connections", v, 1, 65536, &t, err)))
        return m < 0 ? m : rc;
      o.max_connections = (unsigned)t;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--request-timeout", &v, err))) {
      double t;
      if (m < 0 || (rc = qb_cli_number("serve", "--request-timeout", v, 0.1, 3600, &t, err)))
        return m < 0 ? m : rc;
      o.request_timeout_ms = (long)(t * 1000 + 0.5);
    } else if ((m = qb_cli_opt(argc, argv, &i, "--max-expensive", &v, err))) {
      double t;
      if (m < 0 || (rc = qb_cli_number("serve", "--max-expensive", v, 1, 1024, &t, err)))
        return m < 0 ? m : rc;
      o.max_expensive = (unsigned)t;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--public-read", &v, err))) {
      if (m < 0) return m;
      if (strcmp(v, "yes") && strcmp(v, "no"))
        return qb_err_set(err, QB_EUSAGE, "serve: --public-read '%s': expected yes or no", v);
      o.public_read = !strcmp(v, "yes");
    } else if ((m = qb_cli_opt(argc, argv, &i, "--cors-origin", &o.cors_origin, err))) {
      if (m < 0) return m;
      if (!valid_origin(o.cors_origin))
        return qb_err_set(err, QB_EUSAGE,
                          "serve: --cors-origin '%s': expected an origin like https://host[:port]",
                          o.cors_origin);
    } else if (!strcmp(argv[i], "--insecure")) {
      insecure = 1;
      i++;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--notify-url", &o.notify_url, err))) {
      if (m < 0) return m;
      if (strncasecmp(o.notify_url, "http://", 7) && strncasecmp(o.notify_url, "https://", 8))
        return qb_err_set(err, QB_EUSAGE,
                          "serve: --notify-url: expected an http:// or https:// URL");
    } else if ((m = qb_cli_opt(argc, argv, &i, "--notify-min-severity", &v, err))) {
      if (m < 0) return m;
      int rc =
          qb_severity_parse_arg("serve: --notify-min-severity", v, 0, &o.notify_min_severity, err);
      if (rc) return rc;
      min_given = 1;
    } else {
      return qb_cli_bad_arg("serve", argv[i], err);
    }
  }
  if (min_given && !o.notify_url)
    return qb_err_set(err, QB_EUSAGE, "serve: --notify-min-severity needs --notify-url");
  const char *colon = strrchr(listen, ':');
  char *end;
  long port = colon ? strtol(colon + 1, &end, 10) : -1;
  if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host || *end || port < 0 ||
      port > 65535)
    return qb_err_set(err, QB_EUSAGE, "serve: --listen '%s': expected HOST:PORT", listen);
  memcpy(host, listen, (size_t)(colon - listen));
  host[colon - listen] = '\0';
  o.host = host;
  o.port = (unsigned short)port;
  if (!loopback(host)) { /* reachable from other machines: only with a token to guard writes */
    size_t n_tokens;
    if ((rc = active_tokens(o.db, &n_tokens, err))) return rc;
    if (!n_tokens && !insecure)
      return qb_err_set(err, QB_EUSAGE,
                        "serve: --listen %s: not a loopback address and %s has no active token; "
                        "create one (qbdb token create) or pass --insecure",
                        listen, o.db);
    if (!n_tokens)
      fprintf(cli->errs, "qbdb: warning: --insecure: %s has no token, serving %s anyway\n", o.db,
              listen);
  }
  /* room for --max-connections sockets and the database files: without it accept() fails
   * (EMFILE) before the limit and libmicrohttpd stops accepting (docs/reliability.md, "Server
   * limits") */
  struct rlimit nofile;
  rlim_t want = (rlim_t)(o.max_connections ? o.max_connections : QB_SERVER_MAX_CONNECTIONS) + 256;
  if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < want) {
    nofile.rlim_cur = nofile.rlim_max < want ? nofile.rlim_max : want;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  /* the signals are taken by sigwait below, not by the server's threads */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  qb_server *srv;
  if ((rc = qb_server_start(&srv, &o, err))) return rc;
  fprintf(cli->errs, "qbdb serving %s on http://%s:%u/ (%s reads)\n", cli->db, host,
          (unsigned)qb_server_port(srv), o.public_read ? "public" : "token-only");
  if (o.notify_url) {
    char where[256];
    qb_notify_url_display(o.notify_url, where, sizeof where);
    fprintf(cli->errs, "qbdb: notifying %s of %s+ regressions\n", where,
            qb_severity_name(o.notify_min_severity ? o.notify_min_severity : QB_SEV_MAJOR));
  }
  fflush(cli->errs);
  int sig;
  sigwait(&set, &sig);
  fprintf(cli->errs, "qbdb: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  qb_server_stop(srv);
  return QB_OK;
}
