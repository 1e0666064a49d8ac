/* core/dtoa.c - "%.17g" by exact 128-bit integer arithmetic, snprintf for the rest.
 *
 * A finite normal double is v = m * 2^e with m < 2^53. For a guess X of its decimal exponent,
 * q = v * 10^(16 - X) = m * 5^p * 2^(e + p) (p = 16 - X >= 0) or m * 2^(e - t) / 5^t (t = -p)
 * is computed as an integer quotient plus the exact remainder, which is all the rounding needs:
 * half to even, as glibc's printf rounds in the default rounding mode. When the guess was one
 * too low q has 18 digits and the last one is folded in with the remainder as a sticky bit. */
#include "core/dtoa.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

#define P10_16 10000000000000000ULL
#define P10_17 100000000000000000ULL
#define P10_18 1000000000000000000ULL

/* 5^0 .. 5^27 (5^27 < 2^64 < 5^28). */
static const uint64_t pow5[28] = {1ULL,
                                  5ULL,
                                  25ULL,
                                  125ULL,
                                  625ULL,
                                  3125ULL,
                                  15625ULL,
                                  78125ULL,
                                  390625ULL,
                                  1953125ULL,
                                  9765625ULL,
                                  48828125ULL,
                                  244140625ULL,
                                  1220703125ULL,
                                  6103515625ULL,
                                  30517578125ULL,
                                  152587890625ULL,
                                  762939453125ULL,
                                  3814697265625ULL,
                                  19073486328125ULL,
                                  95367431640625ULL,
                                  476837158203125ULL,
                                  2384185791015625ULL,
                                  11920928955078125ULL,
                                  59604644775390625ULL,
                                  298023223876953125ULL,
                                  1490116119384765625ULL,
                                  7450580596923828125ULL};

static const char digit_pairs[201] = "00010203040506070809"
                                     "10111213141516171819"
                                     "20212223242526272829"
                                     "30313233343536373839"
                                     "40414243444546474849"
                                     "50515253545556575859"
                                     "60616263646566676869"
                                     "70717273747576777879"
                                     "80818283848586878889"
                                     "90919293949596979899";

/* Where the dropped part of a quotient lies relative to one half unit of its last digit. */
enum { REM_ZERO, REM_BELOW, REM_HALF, REM_ABOVE };

/* floor(b * log10(2)), or one more for some negative b (the caller corrects a wrong guess). */
static int floor_log10_pow2(int b) {
  return b >= 0 ? (int)(((int64_t)b * 78913) >> 18) : -(int)(((int64_t)-b * 78913) >> 18);
}

/* q = floor(m * 2^e * 10^p) and where the remainder lies (*rem); 0 when that does not fit in
 * 128 bits (the caller falls back to snprintf). */
static int scale(uint64_t m, int e, int p, u128 *q, int *rem) {
  if (p >= 0) {
    if (p > 32) return 0;
    u128 n = p <= 27 ? (u128)m * pow5[p] : (u128)m * pow5[27] * pow5[p - 27];
    int s = e + p;
    if (s >= 0) {
      if (s >= 64 || (n >> (64 - s)) != 0) return 0; /* q would not fit in 64 bits */
      *q = n << s;
      *rem = REM_ZERO;
      return 1;
    }
    int k = -s;
    if (k >= 128) return 0;
    u128 r = n & (((u128)1 << k) - 1), half = (u128)1 << (k - 1);
    *q = n >> k;
    *rem = r == 0 ? REM_ZERO : r < half ? REM_BELOW : r == half ? REM_HALF : REM_ABOVE;
    return 1;
  }
  int t = -p, s = e - t;
  if (t > 54 || s < 0 || s > 74) return 0; /* 5^t or m * 2^s would not fit */
  u128 d = t <= 27 ? (u128)pow5[t] : (u128)pow5[27] * pow5[t - 27];
  u128 n = (u128)m << s;
  *q = n / d;
  u128 r = n - *q * d, other = d - r; /* r vs d / 2 without computing 2 * r */
  *rem = r == 0 ? REM_ZERO : r < other ? REM_BELOW : r == other ? REM_HALF : REM_ABOVE;
  return 1;
}

/* Write the 17 digits of q (10^16 <= q < 10^17) into d. */
static void write17(uint64_t q, char *d) {
  for (int i = 15; i >= 1; i -= 2) {
    memcpy(d + i, digit_pairs + 2 * (q % 100), 2);
    q /= 100;
  }
  d[0] = (char)('0' + q);
}

size_t qb_dtoa_g17(double v, char *buf) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  int neg = (int)(bits >> 63), ex = (int)((bits >> 52) & 0x7FF);
  uint64_t frac = bits & ((1ULL << 52) - 1);
  char *o = buf;
  if (ex == 0 && frac == 0) {
    if (neg) *o++ = '-';
    *o++ = '0';
    *o = '\0';
    return (size_t)(o - buf);
  }
  if (ex == 0 || ex == 0x7FF) goto fallback; /* subnormal, inf, NaN */

  uint64_t m = frac | (1ULL << 52);
  int e = ex - 1075;
  int x = floor_log10_pow2(e + 52); /* v is in [2^(e+52), 2^(e+53)) */
  u128 q;
  int rem, tries = 0;
  for (;;) {
    if (++tries > 4 || !scale(m, e, 16 - x, &q, &rem)) goto fallback;
    if (q < P10_16)
      x--;
    else if (q >= P10_18)
      x++;
    else
      break;
  }
  uint64_t q64 = (uint64_t)q;
  int up;
  if (q64 >= P10_17) { /* 18 digits: the exponent is x + 1; fold the last digit in */
    unsigned last = (unsigned)(q64 % 10);
    q64 /= 10;
    x++;
    up = last > 5 || (last == 5 && (rem != REM_ZERO || (q64 & 1)));
  } else {
    up = rem == REM_ABOVE || (rem == REM_HALF && (q64 & 1));
  }
  if (up && ++q64 == P10_17) {
    q64 = P10_16;
    x++;
  }

  char d[17];
  write17(q64, d);
  int nd = 17; /* significant digits once trailing zeros are removed */
  while (nd > 1 && d[nd - 1] == '0') nd--;

  if (neg) *o++ = '-';
  if (x >= -4 && x < 17) {
    if (x >= 0) {
      memcpy(o, d, (size_t)x + 1);
      o += x + 1;
      if (nd > x + 1) {
        *o++ = '.';
        memcpy(o, d + x + 1, (size_t)(nd - x - 1));
        o += nd - x - 1;
      }
    } else {
      *o++ = '0';
      *o++ = '.';
      for (int i = 0; i < -x - 1; i++) *o++ = '0';
      memcpy(o, d, (size_t)nd);
      o += nd;
    }
  } else {
    *o++ = d[0];
    if (nd > 1) {
      *o++ = '.';
      memcpy(o, d + 1, (size_t)nd - 1);
      o += nd - 1;
    }
    *o++ = 'e';
    unsigned ax = x < 0 ? (unsigned)-x : (unsigned)x;
    *o++ = x < 0 ? '-' : '+';
    if (ax >= 100) {
      *o++ = (char)('0' + ax / 100);
      ax %= 100;
    }
    memcpy(o, digit_pairs + 2 * ax, 2);
    o += 2;
  }
  *o = '\0';
  return (size_t)(o - buf);

fallback:;
  int n = snprintf(buf, QB_DTOA_G17_SIZE, "%.17g", v);
  return n < 0 ? 0 : (size_t)n;
}
