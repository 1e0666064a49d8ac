/* tests/schema/test_samples.c - the sample blob encoding: exact round trips, each iteration
 * mode, its size, and refusal of corrupt blobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema/samples.h"

/* Encode, check the size, decode, and compare bit for bit. */
static void round_trip(const double *v, const uint64_t *it, size_t n, size_t want_size,
                       int want_iters) {
  qb_buf b;
  qb_err err = QB_ERR_INIT;
  qb_buf_init(&b, 1 << 24);
  assert_int_equal(qb_samples_encode(v, it, n, &b, &err), QB_OK);
  assert_int_equal(b.len, want_size);
  double *dv;
  uint64_t *di;
  size_t dn;
  assert_int_equal(qb_samples_decode(b.data, b.len, &dv, &di, &dn, &err), QB_OK);
  assert_int_equal(dn, n);
  assert_memory_equal(dv, v, n * sizeof *v);
  if (want_iters) {
    assert_non_null(di);
    assert_memory_equal(di, it, n * sizeof *it);
  } else {
    assert_null(di);
  }
  free(dv);
  free(di);
  /* values only (what a compare loads): the same values, the counts read past and checked */
  assert_int_equal(qb_samples_decode(b.data, b.len, &dv, NULL, &dn, &err), QB_OK);
  assert_int_equal(dn, n);
  assert_memory_equal(dv, v, n * sizeof *v);
  free(dv);
  if (b.len > 3) /* a truncated blob is refused values-only too */
    assert_int_equal(qb_samples_decode(b.data, b.len - 1, &dv, NULL, &dn, &err), QB_EDB);
  qb_buf_dispose(&b);
}

static void test_samples__modes_and_sizes(void **state) {
  (void)state;
  enum { N = 1000 };
  double v[N];
  uint64_t ones[N], cst[N], arith[N], list[N];
  for (int i = 0; i < N; i++) {
    v[i] = 2.9196629999432843e-05 * (1 + i * 1e-3) + (i % 7) * 1e-17;
    ones[i] = 1;
    cst[i] = 10000;
    arith[i] = 67 + 67 * (uint64_t)i;
    list[i] = (uint64_t)(i * i % 1000) + 1;
  }
  /* header: version, mode, varint n (1000 -> 2 bytes) */
  round_trip(v, NULL, N, 2 + 2 + 8 * N, 0);
  round_trip(v, ones, N, 2 + 2 + 8 * N, 0);
  round_trip(v, cst, N, 2 + 2 + 2 + 8 * N, 1);       /* 10000 -> 2-byte varint */
  round_trip(v, arith, N, 2 + 2 + 1 + 1 + 8 * N, 1); /* a = d = 67 */
  size_t varints = 0;
  for (int i = 0; i < N; i++) varints += list[i] < 128 ? 1 : 2;
  round_trip(v, list, N, 2 + 2 + varints + 8 * N, 1);
  double special[4] = {0.0, -0.0, 1e308, 5e-324};
  round_trip(special, NULL, 4, 2 + 1 + 32, 0);
}

static void test_samples__corrupt_blobs_are_refused(void **state) {
  (void)state;
  const double v[3] = {1, 2, 3};
  qb_buf b;
  qb_err err = QB_ERR_INIT;
  qb_buf_init(&b, 1024);
  assert_int_equal(qb_samples_encode(v, NULL, 3, &b, &err), QB_OK);
  double *dv;
  uint64_t *di;
  size_t dn;
  assert_int_equal(qb_samples_decode(b.data, b.len - 1, &dv, &di, &dn, &err), QB_EDB);
  assert_null(dv);
  b.data[0] = 9; /* unknown version */
  assert_int_equal(qb_samples_decode(b.data, b.len, &dv, &di, &dn, &err), QB_EDB);
  b.data[0] = 1;
  b.data[1] = 7; /* unknown mode */
  assert_int_equal(qb_samples_decode(b.data, b.len, &dv, &di, &dn, &err), QB_EDB);
  assert_int_equal(qb_samples_decode(b.data, 2, &dv, &di, &dn, &err), QB_EDB);
  qb_buf_dispose(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_samples__modes_and_sizes),
      cmocka_unit_test(test_samples__corrupt_blobs_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
