#!/usr/bin/env bash
# Every SQL text handed to SQLite or PostgreSQL is fixed at build time (docs/reliability.md,
# "Security"): a scan of the C sources (outside tests/ and build directories) for sqlite3_exec /
# sqlite3_prepare*, libpq's exec / exec_params / prepare (called through schema/postgres/pq.h's
# table) and the functions that pass their SQL argument on to them (the stores' exec() and
# pg_exec(), migrate.c's pragma_int()). Each SQL argument must be a string literal (literals and
# macros that are literals, concatenated), an entry of the stores' statement lists - the SQLite
# store's X(S_..., text) lists, whose SQL[] table is made of them, and the PostgreSQL store's
# X(P_..., text) lists; their entries must be literals too - or a local variable only ever
# assigned such literals. Anything else - an snprintf'd or qb_buf-built
# buffer, a function's result, sqlite3_mprintf and friends, a "%s" in a SQL literal - fails,
# except the reviewed exceptions listed in ALLOWED below. The checker is first run on
# planted bad files, which it must reject, so the test is known to bite.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/lib.bash"
command -v python3 >/dev/null || { echo "skipped: python3 not installed"; exit 0; }

cat >"$TMP/sql_audit.py" <<'PY'
import os, re, sys

# (file, SQL argument) pairs reviewed by hand; each needs its reason.
ALLOWED = {
    # the migrations, embedded at build time from migrations/*.sql (cmake/embed_migrations.cmake)
    ("schema/migrate.c", "m->sql"),
    # "PRAGMA application_id = %d; PRAGMA user_version = %d;": PRAGMAs take no bound parameters;
    # built with %d from a constant and the migration's version number, never from input
    ("schema/migrate.c", "tail"),
    # the PostgreSQL migrations, embedded likewise (migrations/postgresql/*.sql)
    ("schema/postgres/conn.c", "m->sql"),
    # "INSERT INTO qbdb_schema ... VALUES (1, 'qbdb', %d) ...": the migration's version number
    ("schema/postgres/conn.c", "mark"),
    # "SELECT pg_advisory_xact_lock(%d)": the constant QB_APPLICATION_ID
    ("schema/postgres/conn.c", "lock"),
    # the X(P_..., text) lists with their :names turned into $n by form_make (nothing else)
    ("schema/postgres/conn.c", "f->text"),
    # qbdb db copy: table and column names from the constant qb_db_tables (schema/store.c) and
    # placeholders; the values travel as bound parameters
    ("schema/sqlite/conn.c", "sql"),
    ("schema/postgres/copy.c", "sql"),
}
SINKS = {"sqlite3_exec": 1, "sqlite3_prepare": 1, "sqlite3_prepare_v2": 1,
         "sqlite3_prepare_v3": 1, "sqlite3_prepare16": 1, "sqlite3_prepare16_v2": 1,
         "sqlite3_prepare16_v3": 1,
         # libpq, by name and through the qb_pq_api table (pq->exec(conn, sql), ...)
         "PQexec": 1, "PQexecParams": 1, "PQprepare": 2, "exec": 1, "exec_params": 1,
         "prepare": 2}
BUILDERS = ("sqlite3_mprintf", "sqlite3_vmprintf", "sqlite3_snprintf", "sqlite3_vsnprintf",
            "sqlite3_str_appendf", "sqlite3_str_new")
LIT = r'"(?:[^"\\\n]|\\.)*"'

def strip(src):  # comments out (a line continued inside one stays so), strings kept (offsets too)
    out, i, n = [], 0, len(src)
    while i < n:
        if src.startswith("/*", i):
            j = src.find("*/", i + 2); j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n\\]|\\(?!\n)", " ", src[i:j])); i = j
        elif src.startswith("//", i):
            j = src.find("\n", i); j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif src[i] in "\"'":
            q, j = src[i], i + 1
            while j < n and src[j] != q:
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1]); i = j + 1
        else:
            out.append(src[i]); i += 1
    return "".join(out)

def args_at(src, k):  # the top-level arguments of the call whose "(" is at k
    depth, cur, args, i = 0, [], [], k
    while i < len(src):
        c = src[i]
        if c == '"':
            m = re.compile(LIT).match(src, i); cur.append(m.group(0)); i = m.end(); continue
        if c in "([{":
            depth += 1
            if depth == 1: i += 1; continue
        elif c in ")]}":
            depth -= 1
            if depth == 0: args.append("".join(cur).strip()); return args
        elif c == "," and depth == 1:
            args.append("".join(cur).strip()); cur = []; i += 1; continue
        cur.append(c); i += 1
    return args

def bad_literal(text):
    return re.search(r"%[-+ #0-9.*]*(?:l|ll|z|h)?[sqQwz]", text)

def literal_expr(expr, macros):  # literals and string macros only, concatenated
    rest = re.sub(LIT, " ", expr).split()
    if not re.search(LIT, expr) and not rest: return False
    return all(w in macros for w in rest)

def statement_lists(srcs):  # the X-macro lists of statements, and the macros that index them
    defs = {}
    for src in srcs.values():  # #define NAME(params) body (possibly continued)
        for m in re.finditer(r"^#\s*define\s+(\w+)\(([^)]*)\)[ \t]*((?:.*\\\n)*.*)$", src, re.M):
            defs[m.group(1)] = ([p.strip() for p in m.group(2).split(",")],
                                m.group(3).replace("\\\n", " "))
    # a table entry macro: "#define T(id, text) [id] = text," and nothing else
    items = {n for n, (ps, body) in defs.items() if len(ps) == 2 and
             re.fullmatch(r"\s*\[\s*%s\s*\]\s*=\s*%s\s*,\s*" % tuple(ps), body)}
    lists, changed = set(), True
    while changed:  # X(id, ...) entries and lists of lists (LIST(X)), nothing else
        changed = False
        for n, (ps, body) in defs.items():
            if n in lists or len(ps) != 1: continue
            x, i, ok = ps[0], 0, True
            while ok and i < len(body):
                if body[i].isspace(): i += 1; continue
                m = re.compile(r"(\w+)\s*\(").match(body, i)
                if not m: ok = False; break
                if m.group(1) == x and re.match(r"\s*[PS]_\w+\s*,", body[m.end():]):
                    depth, j = 0, m.end() - 1  # skip the entry, strings included
                    while j < len(body):
                        if body[j] == '"': j = re.compile(LIT).match(body, j).end(); continue
                        depth += body[j] == "("; depth -= body[j] == ")"; j += 1
                        if depth == 0: break
                    i = j
                elif m.group(1) in lists and re.match(r"\s*%s\s*\)" % x, body[m.end():]):
                    i = re.compile(r"\s*%s\s*\)" % x).match(body, m.end()).end()
                else:
                    ok = False
            if ok and i > 0: lists.add(n); changed = True
    return lists, items

def enclosing(src, pos):  # (name, params, body start, body end) of the function around pos
    best = None
    for m in re.finditer(r"^[A-Za-z_][\w \*]*?\b(\w+)\s*\(([^;{]*?)\)\s*\{", src, re.M):
        if m.start() > pos: break
        depth, j = 0, m.end() - 1
        while j < len(src):
            if src[j] == "{": depth += 1
            elif src[j] == "}":
                depth -= 1
                if depth == 0: break
            j += 1
        if j > pos: best = (m.group(1), m.group(2), m.end(), j)
    return best

def check(root):
    files = []
    for d, dirs, names in os.walk(root):
        rel = os.path.relpath(d, root)
        dirs[:] = [x for x in dirs if not x.startswith((".", "build")) and
                   not (rel == "." and x in ("tests", "fuzz"))]
        files += [os.path.join(d, f) for f in names if f.endswith((".c", ".h"))]
    srcs = {os.path.relpath(f, root): strip(open(f, errors="replace").read()) for f in files}
    problems, sinks, seen = [], dict(SINKS), set()
    macros, defs = set(), {}
    for src in srcs.values():  # #define NAME "literal" ... (possibly continued)
        for m in re.finditer(r"^#\s*define\s+(\w+)[ \t]+((?:.*\\\n)*.*)$", src, re.M):
            defs[m.group(1)] = m.group(2).replace("\\\n", " ")
    changed = True
    while changed:  # literals and string macros, concatenated, make a string macro
        changed = False
        for name, body in defs.items():
            if name not in macros and literal_expr(body, macros):
                macros.add(name); changed = True
    lists, items = statement_lists(srcs)
    for rel, src in srcs.items():
        for b in BUILDERS:
            for m in re.finditer(r"\b%s\s*\(" % b, src):
                problems.append("%s:%d: %s builds SQL text" % (rel, src.count("\n", 0, m.start()) + 1, b))
        for m in re.finditer(r"\bX\s*\(\s*([PS]_\w+)\s*,", src):  # the statement lists
            e = args_at(src, m.end() - len(m.group(0)) + m.group(0).index("("))[1:]
            e = re.sub(r"\\\n", " ", ",".join(e)).strip()  # lines of a macro continued
            if not literal_expr(e, macros):
                problems.append("%s: %s is not a literal: %.60s" % (rel, m.group(1), e))
            elif bad_literal(e):
                problems.append("%s: %s holds a format conversion: %.60s" % (rel, m.group(1), e))
        sql_table = re.search(r"\bSQL\s*\[[^\]]*\]\s*=\s*\{", src)
        if sql_table:
            for e in args_at(src, sql_table.end() - 1):
                e = re.sub(r"^\[\w+\]\s*=\s*", "", e)
                lm = re.fullmatch(r"(\w+)\s*\(\s*(\w+)\s*\)", e)  # LIST(T): made of a list
                if lm and lm.group(1) in lists and lm.group(2) in items:
                    continue
                if e and not literal_expr(e, macros):
                    problems.append("%s: SQL[] entry is not a literal: %.60s" % (rel, e))
                elif bad_literal(e):
                    problems.append("%s: SQL[] entry holds a format conversion: %.60s" % (rel, e))
    changed = True
    while changed:  # functions forwarding their SQL parameter become sinks in turn
        changed = False
        for rel, src in srcs.items():
            for name, idx in list(sinks.items()):
                for m in re.finditer(r"\b%s\s*\(" % name, src):
                    line = src.count("\n", 0, m.start()) + 1
                    if (rel, line, name) in seen: continue
                    fn = enclosing(src, m.start())
                    if fn and fn[2] > m.start(): continue  # the definition itself
                    head = src[src.rfind("\n", 0, m.start()) + 1:m.start()]
                    if re.fullmatch(r"\s*(?:static\s+|extern\s+)?[A-Za-z_]\w*[\s\*]+", head) \
                            and head.strip() not in ("return", "else"):
                        continue  # a prototype: "int name(...);"
                    args = args_at(src, m.end() - 1)
                    if len(args) <= idx: continue
                    seen.add((rel, line, name))
                    a = args[idx]
                    where = "%s:%d: %s(..., %s, ...)" % (rel, line, name, a)
                    if literal_expr(a, macros):
                        if bad_literal(a): problems.append(where + ": format conversion in SQL")
                        continue
                    if re.fullmatch(r"SQL\s*\[[^\]]+\]", a) or (rel, a) in ALLOWED: continue
                    if not re.fullmatch(r"[A-Za-z_]\w*", a) or not fn:
                        problems.append(where + ": SQL is not a literal or SQL[] entry"); continue
                    params = [p.strip() for p in fn[1].split(",")]
                    pi = [i for i, p in enumerate(params) if re.search(r"\b%s$" % a, p)]
                    if pi:  # forwarded: check the callers of fn instead
                        if fn[0] not in sinks: sinks[fn[0]] = pi[0]; changed = True
                        continue
                    body = src[fn[2]:fn[3]]
                    assigns = re.findall(r"\b%s\s*(?:\[[^\]]*\])?\s*=(?!=)\s*([^;]*);" % a, body)
                    written = re.search(r"\b(?:v?s?n?printf|strn?c(?:at|py)|memcpy|memmove|"
                                        r"qb_buf_\w+)\s*\(\s*&?\s*%s\b" % a, body)
                    if written or not assigns or not all(literal_expr(x, macros) for x in assigns):
                        problems.append(where + ": '%s' is built at run time" % a)
                    elif any(bad_literal(x) for x in assigns):
                        problems.append(where + ": format conversion in SQL")
    return problems

problems = check(sys.argv[1])
for p in problems: print(p)
sys.exit(1 if problems else 0)
PY

# 1. it bites: planted examples in a scratch tree, each must be reported
mkdir -p "$TMP/bad/schema"
cat >"$TMP/bad/schema/bad.c" <<'C'
#include <sqlite3.h>
#include <stdio.h>
#define COLS "id, name "
/* a prepared statement built with snprintf from user text */
int by_name(sqlite3 *db, const char *name) {
  char sql[256];
  sqlite3_stmt *st;
  snprintf(sql, sizeof sql, "SELECT " COLS "FROM run WHERE name = '%s'", name);
  return sqlite3_prepare_v2(db, sql, -1, &st, NULL);
}
/* a wrapper whose caller passes a qb_buf */
static int run_sql(sqlite3 *db, const char *text) { return sqlite3_exec(db, text, 0, 0, 0); }
int drop(sqlite3 *db, qb_buf *b) { return run_sql(db, b->data); }
/* sqlite3_mprintf */
int del(sqlite3 *db, const char *t) {
  char *q = sqlite3_mprintf("DELETE FROM %q", t);
  return sqlite3_exec(db, q, 0, 0, 0);
}
/* a literal with a format in it */
int fmt(sqlite3 *db) { return sqlite3_exec(db, "DELETE FROM run WHERE name = '%s'", 0, 0, 0); }
/* fine: a literal, a macro, a local assigned a literal, a wrapper called with a literal */
int ok(sqlite3 *db) {
  sqlite3_stmt *st;
  const char *sql = "SELECT " COLS "FROM run";
  return sqlite3_prepare_v2(db, sql, -1, &st, NULL) || run_sql(db, "BEGIN IMMEDIATE");
}
C
cat >"$TMP/bad/schema/table.c" <<'C'
static const char *const SQL[] = {
    [0] = "SELECT 1",
    [1] = "SELECT * FROM run WHERE name = '%s'",
};
C
cat >"$TMP/bad/schema/sql_sq.h" <<'C'
#define SQ_SQL_BAD(X) \
  X(S_FINE, "SELECT 1 FROM run WHERE id = :id") \
  X(S_FORMAT, "SELECT * FROM run WHERE name = '%s'") \
  X(S_BUILT, built_text)
#define SQ_SQL_ALL(X) SQ_SQL_BAD(X)
#define T(id, text) [id] = text,
static const char *const SQL[] = {SQ_SQL_ALL(T)};
C
cat >"$TMP/bad/schema/table_x.c" <<'C'
#define NOT_A_LIST(X) X(S_FINE, "SELECT 1") built_text
#define T(id, text) [id] = text,
static const char *const SQL[] = {NOT_A_LIST(T)};
C
cat >"$TMP/bad/schema/table_y.c" <<'C'
#define HIDDEN(X) \
  X(S_FINE, "SELECT 1") /* a comment continued \
  onto the next line */ built_text
#define T(id, text) [id] = text,
static const char *const SQL[] = {HIDDEN(T)};
C
cat >"$TMP/bad/schema/sql_pg.h" <<'C'
#define PG_SQL_BAD(X) \
  X(P_FINE, "SELECT 1 FROM run WHERE id = :id") \
  X(P_FORMAT, "SELECT * FROM run WHERE name = '%s'") \
  X(P_BUILT, built_text)
C
set +e
python3 "$TMP/sql_audit.py" "$TMP/bad" >"$TMP/bad.out" 2>&1
got=$?
set -e
BAD=$(cat "$TMP/bad.out")
equals "$got" 1 "planted examples rejected"
contains "$BAD" "bad.c:9: sqlite3_prepare_v2(..., sql, ...): 'sql' is built at run time" "snprintf"
contains "$BAD" "bad.c:13: run_sql(..., b->data, ...)" "qb_buf through a wrapper"
contains "$BAD" "sqlite3_mprintf builds SQL text" "mprintf"
contains "$BAD" "bad.c:17: sqlite3_exec(..., q, ...)" "mprintf result"
contains "$BAD" "bad.c:20: sqlite3_exec" "format literal"
contains "$BAD" "table.c: SQL[] entry holds a format conversion" "SQL[] format"
contains "$BAD" "sql_pg.h: P_FORMAT holds a format conversion" "PostgreSQL list format"
contains "$BAD" "sql_pg.h: P_BUILT is not a literal" "PostgreSQL list entry built"
contains "$BAD" "sql_sq.h: S_FORMAT holds a format conversion" "SQLite list format"
contains "$BAD" "sql_sq.h: S_BUILT is not a literal" "SQLite list entry built"
contains "$BAD" "table_x.c: SQL[] entry is not a literal: NOT_A_LIST(T)" "SQL[] from no list"
contains "$BAD" "table_y.c: SQL[] entry is not a literal: HIDDEN(T)" "SQL[] from a list with more"
case "$BAD" in *"bad.c:24"* | *"bad.c:25"* | *P_FINE* | *S_FINE* | *"sql_sq.h: SQL[]"*)
  fail "a fine call was reported: $BAD" ;;
esac
equals "$(wc -l <"$TMP/bad.out" | tr -d ' ')" 12 "exactly the planted problems"

# 2. the real sources: clean, and the scan saw the store and the migrations
run 0 python3 "$TMP/sql_audit.py" "$ROOT"
[ -z "$OUT" ] || fail "string-built SQL in the sources:"$'\n'"$OUT"
[ -f "$ROOT/schema/sqlite/conn.c" ] && grep -q 'static const char \*const SQL\[' \
  "$ROOT/schema/sqlite/conn.c" || fail "schema/sqlite/conn.c has no SQL[] table to check"
grep -q 'X(S_RUN_ADD' "$ROOT/schema/sqlite/sql_runs.h" ||
  fail "schema/sqlite/sql_runs.h has no statement list to check"
grep -q 'X(P_RUN_ADD' "$ROOT/schema/postgres/sql_runs.h" ||
  fail "schema/postgres/sql_runs.h has no statement list to check"
finish
