# tests/cli/bisect_repo.bash - git repositories to test `qbdb bisect` with (sourced, not a test
# itself; defines functions only). tests/cli/bisect_repo_check.sh checks it.
#
#   source tests/cli/bisect_repo.bash
#   make_bisect_repo DIR N_COMMITS STEPS [BROKEN] > ids   # "INDEX SHA" per commit
#   cmd=$(bisect_cmd DIR)                                 # DIR.cmd.sh
#   (cd DIR && git checkout -q SHA && BISECT_SEED=5 BISECT_NOISE_STATE=F "$cmd") > run.jsonl
#
# The repository is one line of N_COMMITS commits of a small C program, bench.c, written with
# qbdb's runner (runner/qbdb_runner.h): one benchmark, parse/config, doing WORK units of work per
# iteration (work.h); certain commits make it slower (STEPS), others do not compile (BROKEN).
# Its timing is virtual and seeded (bench.c's first comment says how), so what a bisect sees
# depends only on BISECT_SEED and the order of its invocations.

# make_bisect_repo DIR N_COMMITS STEPS [BROKEN]: make a new git repository in DIR (which must not
# exist, or be empty) with N_COMMITS (>= 2) commits in one line, index 0 (the first) to
# N_COMMITS-1, and print "INDEX SHA" for each on stdout (nothing else on success; a message on
# stderr and status 1 otherwise). Every commit appends a line to README.md and rewrites bench.c's
# first comment; besides:
#   STEPS   "INDEX:PERCENT,..." (may be empty: no step): commit INDEX (1 to N_COMMITS-1) raises
#           WORK by PERCENT (a decimal number, negative for a speed-up) of the base, 2000 units
#           (1 unit = 1 ns of virtual time); "12:5,30:5" ends at 110%. Each INDEX at most once.
#   BROKEN  "INDEX,..." (optional): bench.c of commit INDEX (1 to N_COMMITS-2, not a step) has a
#           syntax error; the next commit that is not in BROKEN removes it.
# Authors, dates (2026-01-01T00:00Z plus INDEX hours) and contents are fixed, and the user's git
# configuration is not read, so the same arguments give the same commit ids.
make_bisect_repo() (
  set -u
  die() {
    echo "make_bisect_repo: $*" >&2
    exit 1
  }
  [ $# -eq 3 ] || [ $# -eq 4 ] || die "usage: make_bisect_repo DIR N_COMMITS STEPS [BROKEN]"
  local dir=$1 n=$2 steps=$3 broken=${4:-} i item idx pct sha
  if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 2 ]; then
    die "N_COMMITS \"$n\": expected an integer >= 2"
  fi
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    die "$dir: exists and is not empty"
  fi
  export LC_ALL=C
  local -A step_pct=() is_broken=()
  if [ -n "$steps" ]; then
    IFS=, read -r -a items <<<"$steps"
    for item in "${items[@]}"; do
      [[ $item =~ ^([0-9]+):(-?[0-9]+(\.[0-9]+)?)$ ]] ||
        die "STEPS \"$steps\": \"$item\" is not INDEX:PERCENT"
      idx=$((10#${BASH_REMATCH[1]}))
      pct=${BASH_REMATCH[2]}
      if [ "$idx" -lt 1 ] || [ "$idx" -ge "$n" ]; then
        die "STEPS \"$steps\": index $idx: expected 1 to $((n - 1))"
      fi
      [ -z "${step_pct[$idx]:-}" ] || die "STEPS \"$steps\": index $idx twice"
      step_pct[$idx]=$pct
    done
  fi
  if [ -n "$broken" ]; then
    IFS=, read -r -a items <<<"$broken"
    for item in "${items[@]}"; do
      [[ $item =~ ^[0-9]+$ ]] || die "BROKEN \"$broken\": \"$item\" is not an index"
      idx=$((10#$item))
      if [ "$idx" -lt 1 ] || [ "$idx" -gt $((n - 2)) ]; then
        die "BROKEN \"$broken\": index $idx: expected 1 to $((n - 2)) (the ends must build)"
      fi
      [ -z "${step_pct[$idx]:-}" ] || die "BROKEN \"$broken\": $idx is a step commit"
      is_broken[$idx]=1
    done
  fi
  mkdir -p "$dir" || die "$dir: cannot create the directory"
  # no system or user configuration (hooks, signing, templates): the same commits everywhere
  export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
  export GIT_AUTHOR_NAME="qbdb bisect test" GIT_AUTHOR_EMAIL="bisect@qbdb.invalid"
  export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
  unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
  cd "$dir" || die "$dir: cannot enter the directory"
  git init -q -b main --template= . || die "$dir: git init failed"
  git config user.name "$GIT_AUTHOR_NAME" || die "$dir: git config failed"
  git config user.email "$GIT_AUTHOR_EMAIL" || die "$dir: git config failed"
  git config commit.gpgsign false || die "$dir: git config failed"
  local base=2000 total=0 work msg
  printf '%s\n' '# build output (the bisect command builds outside the tree anyway)' bench \
    'bench.*' '!bench.c' '*.o' '*.jsonl' build/ >.gitignore || die "$dir: cannot write"
  printf '%s\n\n' "A repository made by make_bisect_repo (qbdb tests/cli/bisect_repo.bash)." \
    >README.md || die "$dir: cannot write"
  for ((i = 0; i < n; i++)); do
    msg="commit $i: tweak comments"
    if [ -n "${step_pct[$i]:-}" ]; then
      total=$(awk -v t="$total" -v p="${step_pct[$i]}" 'BEGIN { print t + p }')
      msg="commit $i: make parse/config ${step_pct[$i]}% slower"
      [[ ${step_pct[$i]} != -* ]] || msg="commit $i: make parse/config ${step_pct[$i]#-}% faster"
    elif [ -n "${is_broken[$i]:-}" ]; then
      msg="commit $i: rework the parser (does not build)"
    elif [ "$i" -gt 0 ] && [ -n "${is_broken[$((i - 1))]:-}" ]; then
      msg="commit $i: fix the build"
    fi
    [ "$i" -gt 0 ] || msg="commit 0: the parse/config benchmark"
    work=$(awk -v b="$base" -v t="$total" 'BEGIN {
      w = b * (100 + t) / 100; printf "%d", w < 1 ? 1 : int(w + 0.5) }')
    printf '%s\n' "/* work.h - the work of one iteration of parse/config, in units (1 unit = 1 ns" \
      " * of virtual time): $base at commit 0, changed by the step commits. */" \
      "#define WORK $work" >work.h || die "$dir: cannot write"
    _bisect_repo_bench_c "$i" "${is_broken[$i]:-}" >bench.c || die "$dir: cannot write"
    echo "- $msg (WORK $work)" >>README.md || die "$dir: cannot write"
    git add -A || die "$dir: git add failed at commit $i"
    GIT_AUTHOR_DATE="@$((1767225600 + i * 3600)) +0000" \
      GIT_COMMITTER_DATE="@$((1767225600 + i * 3600)) +0000" \
      git commit -q --no-verify -m "$msg" || die "$dir: git commit failed at commit $i"
    sha=$(git rev-parse HEAD) || die "$dir: git rev-parse failed at commit $i"
    echo "$i $sha"
  done
)

# bisect_cmd DIR: write DIR.cmd.sh (outside the work tree) and print its absolute path. Run in a
# work tree of DIR at any commit, with any extra flags for bench (e.g. --commit SHA), it builds
# bench.c into DIR.build/ (the runner compiled once per runner source, kept there as an object),
# then runs it as `bench --samples 10 --out - FLAGS...`: native JSON Lines on stdout, the runner's
# summary on stderr, and bench's exit status. A bench.c that does not compile exits 125 ("cannot
# test this commit", the compiler's messages on stderr); a missing runner or one that does not
# compile exits 255 (git bisect run: stop). The runner is QBDB_RUNNER_DIR's (read when the
# script runs), by default the runner/ of this source tree; the compiler is CC's (default cc).
bisect_cmd() (
  set -u
  [ $# -eq 1 ] || {
    echo "bisect_cmd: usage: bisect_cmd DIR" >&2
    exit 1
  }
  local dir runner cmd
  dir=$(realpath -m "$1") || exit 1
  runner=$(realpath -m "$(dirname "${BASH_SOURCE[0]}")/../../runner") || exit 1
  cmd=$dir.cmd.sh
  {
    echo '#!/usr/bin/env bash'
    echo "# $cmd - made by bisect_cmd (qbdb tests/cli/bisect_repo.bash): build bench.c of the"
    echo '# commit checked out in the current directory and run it (see bisect_cmd there).'
    printf 'build=%q\n' "$dir.build"
    # shellcheck disable=SC2016 # the variable is the script's, read when it runs
    printf 'runner=${QBDB_RUNNER_DIR:-%q}\n' "$runner"
    cat <<'EOF'
set -u
cc=${CC:-cc}
fatal() {
  echo "bisect cmd: $*" >&2
  exit 255
}
[ -f "$runner/qbdb_runner.c" ] && [ -f "$runner/qbdb_runner.h" ] ||
  fatal "no qbdb_runner.c and qbdb_runner.h in $runner (set QBDB_RUNNER_DIR)"
[ -f bench.c ] || fatal "no bench.c in $PWD"
mkdir -p "$build" || fatal "cannot create $build"
# the runner is compiled once per compiler and source, into a name that says which
key=$({ printf '%s\n' "$cc"; cat "$runner/qbdb_runner.c" "$runner/qbdb_runner.h"; } | cksum)
obj=$build/qbdb_runner-${key%% *}.o
if [ ! -f "$obj" ]; then
  "$cc" -O1 -std=c11 -I"$runner" -c "$runner/qbdb_runner.c" -o "$obj.$$" >&2 ||
    fatal "$runner/qbdb_runner.c does not compile"
  mv -f "$obj.$$" "$obj" || fatal "cannot write $obj"
fi
# each run builds its own program (bench.PID), so that runs in two work trees do not mix
bin=$build/bench.$$
if ! "$cc" -O1 -std=c11 -I"$runner" bench.c "$obj" -lm -o "$bin" >&2; then
  rm -f "$bin"
  echo "bisect cmd: bench.c does not build: exit 125 (cannot test this commit)" >&2
  exit 125
fi
"$bin" --samples 10 --out - "$@"
status=$?
rm -f "$bin"
exit "$status"
EOF
  } >"$cmd.$$" || {
    echo "bisect_cmd: cannot write $cmd" >&2
    exit 1
  }
  chmod +x "$cmd.$$" && mv -f "$cmd.$$" "$cmd" || exit 1
  echo "$cmd"
)

# _bisect_repo_bench_c INDEX BROKEN: print bench.c as of commit INDEX (BROKEN non-empty: with a
# syntax error at the end).
_bisect_repo_bench_c() {
  sed "s/@INDEX@/$1/" <<'BENCH_C'
/* bench.c - the benchmark of a repository made by make_bisect_repo (qbdb's
 * tests/cli/bisect_repo.bash) to test `qbdb bisect`. Last tweak: commit @INDEX@.
 *
 * One benchmark, parse/config (group "parse", metric latency): WORK rounds of xorshift64 per
 * iteration (work.h; the commits that make it slower raise WORK). Timing is virtual by default,
 * so results are deterministic: the runner's clock is replaced by a counter that the body
 * advances by WORK ns x factor x jitter per iteration, where factor = exp(NOISE z) is drawn once
 * per process (run-to-run noise) and jitter = exp(0.005 z_i) once per call of the body (within-run
 * noise), from a PRNG seeded with hash(BISECT_SEED, k), k being this invocation's number.
 *
 * Environment:
 *   BISECT_SEED=S          the seed (unsigned integer, default 1)
 *   BISECT_NOISE_STATE=F   file holding k: read (missing or empty: 0), then k + 1 written back;
 *                          unset: k = 0 every time
 *   BISECT_NOISE=SD        run-to-run noise, the sd of log(factor) (default 0.03)
 *   BISECT_CLOCK=real      the runner's real clock: round(WORK x factor) rounds per iteration,
 *                          no virtual time (default: virtual)
 *   BISECT_FAIL_EVERY=M    invocations with k % M == M - 1 exit 1 before writing anything
 * Flags are the runner's (--samples, --out, ...); exit status as qbr_main's: 0, 1 (a benchmark
 * or the output failed, or a planted crash), 2 (usage, or a bad environment variable). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qbdb_runner.h"
#include "work.h"

/* What the body and the virtual clock share. */
typedef struct sim {
  uint64_t rng;    /* PRNG state (splitmix64) */
  uint64_t rounds; /* xorshift rounds per iteration: WORK, x factor on the real clock */
  double factor;   /* this process's run-to-run factor */
  double ns;       /* virtual time, ns */
  int virt;        /* 1: virtual time (the clock hook is set) */
} sim;

static sim g_sim;

/* The finaliser of splitmix64: a bijective mix of 64 bits. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The next 64 random bits of the splitmix64 generator at *s. */
static uint64_t next_u64(uint64_t *s) {
  *s += 0x9e3779b97f4a7c15ULL;
  return mix64(*s);
}

/* A uniform number in (0, 1). */
static double uniform01(uint64_t *s) {
  return ((double)(next_u64(s) >> 11) + 0.5) / 9007199254740992.0;
}

/* A standard normal number (Box-Muller, one of the pair). */
static double normal01(uint64_t *s) {
  double u1 = uniform01(s), u2 = uniform01(s);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* The virtual clock handed to the runner: the time the bodies have advanced, ns. */
static uint64_t virtual_clock(void *ctx) {
  const sim *s = ctx;
  return (uint64_t)s->ns;
}

QBR_BENCH_OPTS(config, .group = "parse", .data = &g_sim) {
  sim *s = qbr_data(state);
  uint64_t x = 88172645463325252ULL, rounds = s->rounds;
  QBR_LOOP(state) {
    for (uint64_t r = 0; r < rounds; r++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    qbr_do_not_optimize(&x);
  }
  if (s->virt)
    s->ns += (double)qbr_iters(state) * (double)WORK * s->factor * exp(0.005 * normal01(&s->rng));
}

/* Read the unsigned integer in the environment variable NAME into *v (unset or empty: def).
 * Returns 0, or -1 after a message on stderr. */
static int env_u64(const char *name, uint64_t def, uint64_t *v) {
  const char *t = getenv(name);
  char *end;
  *v = def;
  if (!t || !*t) return 0;
  if (*t < '0' || *t > '9' || (*v = strtoull(t, &end, 10), *end)) {
    fprintf(stderr, "bench: %s=\"%s\": expected an unsigned integer\n", name, t);
    return -1;
  }
  return 0;
}

/* This invocation's number k from the file BISECT_NOISE_STATE names (0 when unset, or when the
 * file is missing or empty), writing k + 1 back. Returns 0, or -1 after a message on stderr. */
static int next_invocation(uint64_t *k) {
  const char *path = getenv("BISECT_NOISE_STATE");
  FILE *f;
  unsigned long long v = 0;
  *k = 0;
  if (!path || !*path) return 0;
  if ((f = fopen(path, "r"))) {
    int c, n = 0;
    while ((c = fgetc(f)) != EOF && c != '\n') {
      if (c < '0' || c > '9' || ++n > 18) {
        fclose(f);
        fprintf(stderr, "bench: %s: expected an invocation count\n", path);
        return -1;
      }
      v = v * 10 + (unsigned long long)(c - '0');
    }
    fclose(f);
  }
  *k = v;
  if (!(f = fopen(path, "w")) || fprintf(f, "%llu\n", v + 1) < 0 || fclose(f) != 0) {
    fprintf(stderr, "bench: %s: cannot write the invocation count\n", path);
    return -1;
  }
  return 0;
}

/* Set up the planted noise from the environment. Returns 0, 1 for a planted crash, or 2 after
 * a message on stderr. */
static int sim_init(sim *s) {
  uint64_t seed, k, every;
  const char *noise_s = getenv("BISECT_NOISE"), *clock_s = getenv("BISECT_CLOCK");
  double noise = 0.03;
  if (env_u64("BISECT_SEED", 1, &seed) || env_u64("BISECT_FAIL_EVERY", 0, &every)) return 2;
  if (noise_s && *noise_s) {
    char *end;
    noise = strtod(noise_s, &end);
    if (*end || !(noise >= 0 && noise <= 1)) {
      fprintf(stderr, "bench: BISECT_NOISE=\"%s\": expected a number from 0 to 1\n", noise_s);
      return 2;
    }
  }
  if (clock_s && *clock_s && strcmp(clock_s, "real") && strcmp(clock_s, "virtual")) {
    fprintf(stderr, "bench: BISECT_CLOCK=\"%s\": expected \"real\" or \"virtual\"\n", clock_s);
    return 2;
  }
  if (next_invocation(&k)) return 2;
  if (every && k % every == every - 1) {
    fprintf(stderr, "bench: planted crash (invocation %llu, BISECT_FAIL_EVERY=%llu)\n",
            (unsigned long long)k, (unsigned long long)every);
    return 1;
  }
  s->rng = mix64(mix64(seed) ^ (k + 0x632be59bd9b4e019ULL));
  s->factor = exp(noise * normal01(&s->rng));
  s->virt = !(clock_s && !strcmp(clock_s, "real"));
  s->rounds = s->virt ? (uint64_t)WORK : (uint64_t)llround((double)WORK * s->factor);
  if (s->rounds < 1) s->rounds = 1;
  s->ns = 0;
  return 0;
}

/* qbr_main with the planted noise and the virtual clock. */
int main(int argc, char **argv) {
  qbr_config cfg = QBR_CONFIG_INIT;
  qbr_err err = {0, ""};
  int rc;
  if (qbr_args_parse(&cfg, argc, argv, &err)) {
    fprintf(stderr, "bench: %s (see --help)\n", err.msg);
    return 2;
  }
  if (cfg.help) {
    fputs(qbr_usage(), stdout);
    return 0;
  }
  if (cfg.list) {
    rc = qbr_list(NULL, &cfg, stdout, &err);
  } else {
    if ((rc = sim_init(&g_sim))) return rc;
    if (g_sim.virt) {
      cfg.clock = virtual_clock;
      cfg.clock_ctx = &g_sim;
    }
    cfg.summary = cfg.quiet ? NULL : cfg.out_path && !strcmp(cfg.out_path, "-") ? stderr : stdout;
    rc = qbr_run(NULL, &cfg, &err);
  }
  if (rc) fprintf(stderr, "bench: %s\n", err.msg);
  return rc == QBR_OK ? 0 : rc == QBR_EUSAGE ? 2 : 1;
}
BENCH_C
  if [ -n "$2" ]; then
    echo "static int unfinished_rework_of_commit_$1 = ;"
  fi
}
