/* cli/cmd_serve.c - `qbdb serve`: the HTTP API and the web page until SIGINT or SIGTERM. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/compare.h"
#include "api/notify.h"
#include "api/server.h"
#include "cli/cli.h"

const char cmd_serve_help[] =
    "usage: qbdb serve [--db PATH] [--listen 127.0.0.1:8080] [--threads N] [--max-body 64MiB]\n"
    "                  [--public-read yes|no] [--notify-url URL]\n"
    "                  [--notify-min-severity minor|moderate|major|critical]\n"
    "\n"
    "Serve the HTTP API (docs/api/README.md) and the web page on the given address (loopback by\n"
    "default; port 0 picks a free one, printed on start). Writes need a token (`qbdb token\n"
    "create`); reads are public unless --public-read no. One access-log line per request goes to\n"
    "stderr. SIGINT or SIGTERM stops it cleanly: requests in flight finish, the database is\n"
    "closed.\n"
    "\n"
    "--notify-url URL: when an upload stores a new run whose compare with the run before it (or\n"
    "the change points it reveals in its series) holds a regression at or above\n"
    "--notify-min-severity (default major), POST a JSON summary to URL (http or https; its\n"
    "\"text\" suits Slack-compatible webhooks; docs/notify.md). Sent from a background thread\n"
    "with a bounded queue: the upload's answer never waits for it. Each notification takes 10 s\n"
    "at most, retries included, and logs one line; on stop, waiting ones get 2 s.\n"
    "\n"
    "Exit codes: 0 stopped by a signal, 2 usage, 5 database refused, 6 cannot listen.\n";

/* Parse "64MiB", "1048576", "10KB" into bytes. */
static int parse_size(const char *v, size_t *out, qb_err *err) {
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
    return qb_err_set(err, QB_EUSAGE, "serve: --max-body '%s': expected a size like 64MiB", v);
  *out = (size_t)(d * f);
  return QB_OK;
}

int cmd_serve(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_server_opts o = {0};
  const char *listen = "127.0.0.1:8080", *v;
  char host[64];
  int m, rc, min_given = 0;
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
      if (m < 0 || (rc = parse_size(v, &o.max_body, err))) return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--public-read", &v, err))) {
      if (m < 0) return m;
      if (strcmp(v, "yes") && strcmp(v, "no"))
        return qb_err_set(err, QB_EUSAGE, "serve: --public-read '%s': expected yes or no", v);
      o.public_read = !strcmp(v, "yes");
    } else if ((m = qb_cli_opt(argc, argv, &i, "--notify-url", &o.notify_url, err))) {
      if (m < 0) return m;
      if (strncasecmp(o.notify_url, "http://", 7) && strncasecmp(o.notify_url, "https://", 8))
        return qb_err_set(err, QB_EUSAGE,
                          "serve: --notify-url: expected an http:// or https:// URL");
    } else if ((m = qb_cli_opt(argc, argv, &i, "--notify-min-severity", &v, err))) {
      if (m < 0) return m;
      if (qb_severity_parse(v, &o.notify_min_severity) || o.notify_min_severity == QB_SEV_NONE)
        return qb_err_set(err, QB_EUSAGE,
                          "serve: --notify-min-severity '%s': expected minor, moderate, major or "
                          "critical",
                          v);
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
