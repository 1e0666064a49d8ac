/* schema/sqlite/sql_admin.h - the statements of admin.c (settings, targets, tokens, idempotency
 * keys, fingerprint, generation). The idempotency key lookup is S_IDEM_GET (sql_runs.h). */
#ifndef QB_SCHEMA_SQLITE_SQL_ADMIN_H
#define QB_SCHEMA_SQLITE_SQL_ADMIN_H

#define SQ_SQL_ADMIN(X)                                                                            \
  X(S_SETTINGS,                                                                                    \
    "SELECT project, bench_glob, key, value, text FROM setting WHERE :project IS NULL "            \
    "OR project = '' OR project = :project ORDER BY project, bench_glob, key")                     \
  X(S_SETTING_SET, "INSERT INTO setting(project, bench_glob, key, value, text) VALUES "            \
                   "(:project, :glob, :key, :value, :text) ON CONFLICT (project, bench_glob, "     \
                   "key) DO UPDATE SET value = excluded.value, text = excluded.text")              \
  X(S_SETTING_UNSET,                                                                               \
    "DELETE FROM setting WHERE project = :project AND bench_glob = :glob AND key = :key")          \
  X(S_TARGET_SET,                                                                                  \
    "INSERT INTO target(project, bench_glob, metric, op, value, unit, created_at) VALUES "         \
    "(:project, :glob, :metric, :op, :value, :unit, :now) ON CONFLICT (project, bench_glob, "      \
    "metric, op) DO UPDATE SET value = excluded.value, unit = excluded.unit RETURNING id")         \
  X(S_TARGETS, "SELECT id, project, bench_glob, metric, op, value, unit FROM target WHERE "        \
               ":project IS NULL OR project = '' OR project = :project ORDER BY project, "         \
               "bench_glob, metric, op")                                                           \
  X(S_TARGET_RM, "DELETE FROM target WHERE id = :id")                                              \
  X(S_TOKEN_ADD, "INSERT INTO token(name, project, scope, hash, created_at) VALUES (:name, "       \
                 ":project, :scope, :hash, :now)")                                                 \
  X(S_TOKEN_FIND, "SELECT id, name, project, scope, hash, created_at, revoked_at FROM token "      \
                  "WHERE hash = :hash AND revoked_at IS NULL")                                     \
  X(S_TOKENS, "SELECT id, name, project, scope, hash, created_at, revoked_at FROM token ORDER "    \
              "BY id DESC")                                                                        \
  X(S_TOKEN_REVOKE, "UPDATE token SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")    \
  X(S_FINGERPRINT,                                                                                 \
    "SELECT (SELECT coalesce(max(id), 0) FROM run) || ':' || (SELECT count(*) FROM run) || "       \
    "':' || coalesce((SELECT generation FROM data_generation WHERE id = 1), 0) || "                \
    "':' || (SELECT coalesce(group_concat(project || '|' || bench_glob || '|' || key || '|' "      \
    "|| value || '|' || coalesce(text, ''), ';'), '') FROM setting) || ':' || (SELECT "            \
    "coalesce(group_concat(project || '|' "                                                        \
    "|| bench_glob || '|' || metric || '|' || op || '|' || value, ';'), '') FROM target)")         \
  X(S_GENERATION, "SELECT coalesce((SELECT generation FROM data_generation WHERE id = 1), 0)")

#endif
