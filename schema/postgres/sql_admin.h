/* schema/postgres/sql_admin.h - the statements of admin.c (settings, targets, tokens, idempotency
 * keys, fingerprint, generation). The idempotency key lookup is P_IDEM_GET (sql_runs.h). */
#ifndef QB_SCHEMA_POSTGRES_SQL_ADMIN_H
#define QB_SCHEMA_POSTGRES_SQL_ADMIN_H

#define PG_SQL_ADMIN(X)                                                                            \
  X(P_ADM_SETTINGS, "SELECT project, bench_glob, key, value, text FROM setting WHERE :project::"   \
                    "text IS NULL OR project = '' OR project = :project ORDER BY project, "        \
                    "bench_glob, key")                                                             \
  /* insert or replace: the unique key decides between two servers */                              \
  X(P_ADM_SETTING_SET,                                                                             \
    "INSERT INTO setting(project, bench_glob, key, value, text) VALUES (:project, :glob, :key, "   \
    ":value, :text) ON CONFLICT (project, bench_glob, key) DO UPDATE SET value = excluded.value, " \
    "text = excluded.text")                                                                        \
  X(P_ADM_SETTING_UNSET,                                                                           \
    "DELETE FROM setting WHERE project = :project AND bench_glob = :glob AND key = :key")          \
  /* insert or replace; an existing target is updated first, so that no identity number is         \
   * spent on it (the next new target gets the id SQLite gives); one inserted meanwhile by         \
   * another server makes the insert update it (ON CONFLICT) */                                    \
  X(P_ADM_TARGET_SET,                                                                              \
    "WITH u AS (UPDATE target SET value = :value, unit = :unit WHERE project = :project AND "      \
    "bench_glob = :glob AND metric = :metric AND op = :op RETURNING id), i AS (INSERT INTO "       \
    "target(project, bench_glob, metric, op, value, unit, created_at) SELECT :project, :glob, "    \
    ":metric, :op, :value, :unit, :now::bigint WHERE NOT EXISTS (SELECT 1 FROM u) ON CONFLICT "    \
    "(project, bench_glob, metric, op) DO UPDATE SET value = excluded.value, unit = "              \
    "excluded.unit RETURNING id) SELECT id FROM u UNION ALL SELECT id FROM i")                     \
  X(P_ADM_TARGETS, "SELECT id, project, bench_glob, metric, op, value, unit FROM target WHERE "    \
                   ":project::text IS NULL OR project = '' OR project = :project ORDER BY "        \
                   "project, bench_glob, metric, op")                                              \
  X(P_ADM_TARGET_RM, "DELETE FROM target WHERE id = :id")                                          \
  X(P_ADM_TOKEN_ADD, "INSERT INTO token(name, project, scope, hash, created_at) VALUES (:name, "   \
                     ":project, :scope, :hash, :now) RETURNING id")                                \
  X(P_ADM_TOKEN_FIND, "SELECT id, name, project, scope, hash, created_at, revoked_at FROM token "  \
                      "WHERE hash = :hash AND revoked_at IS NULL")                                 \
  X(P_ADM_TOKENS, "SELECT id, name, project, scope, hash, created_at, revoked_at FROM token "      \
                  "ORDER BY id DESC")                                                              \
  X(P_ADM_TOKEN_REVOKE,                                                                            \
    "UPDATE token SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")                    \
  /* newest run, run count, data generation, then every setting and target in key order: texts     \
   * quoted (quote_literal, NULL as NULL), so that no two contents give one text, and numbers as   \
   * their float8 bits, exact whatever the session's extra_float_digits */                         \
  X(P_ADM_FINGERPRINT,                                                                             \
    "SELECT (SELECT coalesce(max(id), 0) FROM run)::text || ':' || (SELECT count(*) FROM "         \
    "run)::text || ':' || coalesce((SELECT generation FROM data_generation WHERE id = 1), "        \
    "0)::text || ':' || (SELECT coalesce(string_agg(quote_literal(project) || '|' || "             \
    "quote_literal(bench_glob) || '|' || quote_literal(key) || '|' || encode(float8send(value), "  \
    "'hex') || '|' || quote_nullable(text), ';' ORDER BY project, bench_glob, key), '') FROM "     \
    "setting) || ':' || (SELECT coalesce(string_agg(quote_literal(project) || '|' || "             \
    "quote_literal(bench_glob) || '|' || quote_literal(metric) || '|' || quote_literal(op) || "    \
    "'|' || encode(float8send(value), 'hex') || '|' || quote_literal(unit), ';' ORDER BY "         \
    "project, bench_glob, metric, op), '') FROM target)")                                          \
  X(P_ADM_GENERATION, "SELECT coalesce((SELECT generation FROM data_generation WHERE id = 1), 0)")

#endif
