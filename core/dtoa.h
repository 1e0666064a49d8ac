/* core/dtoa.h - doubles formatted as printf's "%.17g" does, mostly without printf.
 *
 * Ownership: nothing is allocated; the caller owns the output buffer. */
#ifndef QB_CORE_DTOA_H
#define QB_CORE_DTOA_H

#include <stddef.h>

/* Size a buffer for qb_dtoa_g17 must have (the longest text, "-1.2345678901234567e-308", is 24
 * bytes with its NUL). */
#define QB_DTOA_G17_SIZE 32

/* Write into buf (at least QB_DTOA_G17_SIZE bytes) exactly what snprintf(buf, 32, "%.17g", v)
 * writes in the C locale with the default rounding mode, NUL-terminated, and return its length
 * (without the NUL). Doubles whose exact decimal expansion fits in 128-bit integer arithmetic
 * (normal numbers from about 1e-16 to 7e47, and zeros) are converted by integer arithmetic, 17
 * significant digits rounded half to even on the exact value; the others (subnormals, very small
 * or large magnitudes, NaN, infinities) are handed to snprintf. Thread-safe. */
size_t qb_dtoa_g17(double v, char *buf);

#endif
