/* core/sha256.h - SHA-256 (FIPS 180-4), used for content hashes of uploads.
 * Ownership: the context is the caller's; nothing is allocated. */
#ifndef QB_CORE_SHA256_H
#define QB_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct qb_sha256 {
  uint32_t h[8];
  uint64_t total; /* bytes hashed so far */
  unsigned char block[64];
  size_t fill; /* bytes waiting in block */
} qb_sha256;

void qb_sha256_init(qb_sha256 *c);
void qb_sha256_update(qb_sha256 *c, const void *data, size_t n);
/* Finish and write the digest as 64 lower-case hex digits plus NUL into hex. */
void qb_sha256_hex(qb_sha256 *c, char hex[65]);

/* The CPU's SHA instructions (x86-64 SHA extensions) are used when it has them. mode -1 asks
 * which code runs; 0 forces the portable code, 1 the instructions where the CPU has them (for
 * tests: both must give the same digests). Returns 1 when the instructions are in use. Set it
 * before hashing starts in other threads. */
int qb_sha256_hw(int mode);

#endif
