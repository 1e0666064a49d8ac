/* tests/core/test_buf.c - the capped buffer, varints and whole-file reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"

static void test_buf__grows_and_takes(void **state) {
  (void)state;
  qb_buf b;
  qb_err err = QB_ERR_INIT;
  qb_buf_init(&b, 1 << 20);
  for (int i = 0; i < 1000; i++) assert_int_equal(qb_buf_printf(&b, &err, "%d,", i), QB_OK);
  assert_int_equal(b.len, strlen(b.data));
  assert_memory_equal(b.data, "0,1,2,", 6);
  size_t len;
  char *s = qb_buf_take(&b, &len);
  assert_int_equal(len, 3890);
  assert_null(b.data);
  assert_int_equal(b.len, 0);
  free(s);
  s = qb_buf_take(&b, NULL); /* empty buffer gives "" */
  assert_string_equal(s, "");
  free(s);
}

static void test_buf__cap_is_enforced(void **state) {
  (void)state;
  qb_buf b;
  qb_err err = QB_ERR_INIT;
  qb_buf_init(&b, 8);
  assert_int_equal(qb_buf_adds(&b, "12345678", &err), QB_OK);
  assert_int_equal(qb_buf_adds(&b, "9", &err), QB_EFORMAT);
  assert_int_equal(b.len, 8);
  assert_string_equal(b.data, "12345678");
  qb_buf_dispose(&b);
}

static void test_buf__varint_encoding(void **state) {
  (void)state;
  qb_buf b;
  qb_err err = QB_ERR_INIT;
  qb_buf_init(&b, 64);
  assert_int_equal(qb_buf_add_varint(&b, 0, &err), QB_OK);
  assert_int_equal(qb_buf_add_varint(&b, 127, &err), QB_OK);
  assert_int_equal(qb_buf_add_varint(&b, 300, &err), QB_OK);
  const unsigned char want[] = {0x00, 0x7f, 0xac, 0x02}; /* LEB128 of 0, 127, 300 */
  assert_int_equal(b.len, sizeof want);
  assert_memory_equal(b.data, want, sizeof want);
  qb_buf_dispose(&b);
}

static void test_buf__file_read_errors(void **state) {
  (void)state;
  char *data;
  size_t len;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_file_read("/nonexistent/qbdb-x.json", 100, &data, &len, &err), QB_EIO);
  assert_non_null(strstr(err.msg, "/nonexistent/qbdb-x.json"));
  assert_null(data);
  assert_int_equal(qb_file_read(QB_TEST_DATA "/analysis/describe_ref.json", 10, &data, &len, &err),
                   QB_EFORMAT);
  assert_non_null(strstr(err.msg, "larger than 10 bytes"));
  assert_int_equal(
      qb_file_read(QB_TEST_DATA "/analysis/describe_ref.json", 1 << 24, &data, &len, &err), QB_OK);
  assert_true(len > 100);
  assert_int_equal(data[0], '{');
  free(data);
}

/* Fill a new pipe with n bytes of 'x' and close its write end; returns the read end. */
static int pipe_of(size_t n) {
  int p[2];
  char chunk[512];
  assert_int_equal(pipe(p), 0);
  memset(chunk, 'x', sizeof chunk);
  for (size_t done = 0; done < n;) { /* n stays below the pipe's 64 KiB: never blocks */
    size_t k = n - done < sizeof chunk ? n - done : sizeof chunk;
    assert_int_equal(write(p[1], chunk, k), (ssize_t)k);
    done += k;
  }
  close(p[1]);
  return p[0];
}

/* Bytes left to read in fd. */
static size_t left_in(int fd) {
  char chunk[4096];
  size_t n = 0;
  ssize_t k;
  while ((k = read(fd, chunk, sizeof chunk)) > 0) n += (size_t)k;
  return n;
}

/* A stream is read up to the cap plus one byte and no further: the bytes after it are still in
 * the pipe (qb_file_read used to read through stdio, 64 KiB past the cap), and the message says
 * "larger than". Exactly the cap is accepted. */
static void test_buf__read_stops_at_cap(void **state) {
  (void)state;
  char *data = NULL, path[64];
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  int fd = pipe_of(5000);
  assert_int_equal(qb_fd_read(fd, "pipe", 1000, &data, &len, &err), QB_EFORMAT);
  assert_string_equal(err.msg, "pipe: file larger than 1000 bytes");
  assert_null(data);
  assert_int_equal(left_in(fd), 5000 - 1001);
  close(fd);

  fd = pipe_of(5000); /* the same through a path naming the pipe */
  snprintf(path, sizeof path, "/dev/fd/%d", fd);
  assert_int_equal(qb_file_read(path, 1000, &data, &len, &err), QB_EFORMAT);
  assert_non_null(strstr(err.msg, "file larger than 1000 bytes"));
  assert_int_equal(left_in(fd), 5000 - 1001);
  close(fd);

  fd = pipe_of(1000);
  assert_int_equal(qb_fd_read(fd, "pipe", 1000, &data, &len, &err), QB_OK);
  assert_int_equal(len, 1000);
  assert_int_equal(data[999], 'x');
  assert_int_equal(data[1000], '\0');
  free(data);
  close(fd);

  fd = pipe_of(0); /* empty: "" */
  assert_int_equal(qb_fd_read(fd, "pipe", 1000, &data, &len, &err), QB_OK);
  assert_int_equal(len, 0);
  assert_string_equal(data, "");
  free(data);
  close(fd);
}

/* Benchmark input: a device is refused before it is opened, naming it; a regular file is read;
 * a missing one is QB_ENOTFOUND. */
static void test_buf__input_read_refuses_devices(void **state) {
  (void)state;
  char *data = NULL;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_input_read("/dev/zero", 1000, &data, &len, &err), QB_EFORMAT);
  assert_string_equal(err.msg,
                      "/dev/zero: is a character device, not a file or a pipe of benchmark output");
  assert_null(data);
  assert_int_equal(qb_input_read("/nonexistent/qbdb-x.json", 1000, &data, &len, &err),
                   QB_ENOTFOUND);
  assert_int_equal(
      qb_input_read(QB_TEST_DATA "/analysis/describe_ref.json", 1 << 24, &data, &len, &err), QB_OK);
  assert_int_equal(data[0], '{');
  free(data);
}

static void test_buf__err_prefix_keeps_one_line(void **state) {
  (void)state;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_err_set(&err, QB_EFORMAT, "line one\nline two"), QB_EFORMAT);
  assert_string_equal(err.msg, "line one line two");
  assert_int_equal(qb_err_prefix(&err, "file.json"), QB_EFORMAT);
  assert_string_equal(err.msg, "file.json: line one line two");
  assert_string_equal(qb_rc_name(QB_ENOTFOUND), "not_found");
  assert_string_equal(qb_rc_name(QB_EREGRESSION), "regression");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_buf__grows_and_takes),
      cmocka_unit_test(test_buf__cap_is_enforced),
      cmocka_unit_test(test_buf__varint_encoding),
      cmocka_unit_test(test_buf__file_read_errors),
      cmocka_unit_test(test_buf__read_stops_at_cap),
      cmocka_unit_test(test_buf__input_read_refuses_devices),
      cmocka_unit_test(test_buf__err_prefix_keeps_one_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
