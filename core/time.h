/* core/time.h - timestamps as microseconds since the Unix epoch (UTC), ISO 8601 in and out.
 * Nothing here allocates. */
#ifndef QB_CORE_TIME_H
#define QB_CORE_TIME_H

#include <stddef.h>
#include <stdint.h>

#define QB_TIME_NONE INT64_MIN /* "no timestamp" */

/* Parse "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.ffffff]]" (T or space) with an optional "Z" or
 * "+HH:MM" / "+HHMM" / "+HH" offset; no offset means UTC. Returns 0 or QB_EFORMAT. */
int qb_time_parse(const char *s, int64_t *out_us);

/* Format as "YYYY-MM-DDTHH:MM:SSZ", with ".ffffff" before the Z when there are microseconds.
 * QB_TIME_NONE formats as "". Returns out. */
char *qb_time_format(int64_t us, char *out, size_t n);

/* A --since value: an age ("90s", "30m", "24h", "7d", "2w": that long before now_us) or a
 * timestamp as for qb_time_parse. Returns 0 or QB_EFORMAT. */
int qb_time_parse_since(const char *s, int64_t now_us, int64_t *out_us);

/* The current time. */
int64_t qb_time_now(void);

#endif
