/* core/par.c - the CPUs a computation may use (core/par.h). */
#include "core/par.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

static pthread_once_t cpus_once = PTHREAD_ONCE_INIT;
static size_t cpus = 1;
static atomic_size_t busy; /* threads between qb_par_enter and qb_par_leave */

static void read_cpus(void) {
  /* glibc reads /sys for this on every call: once is enough */
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  cpus = n > 1 ? (size_t)n : 1;
}

size_t qb_par_cpus(void) {
  pthread_once(&cpus_once, read_cpus);
  return cpus;
}

void qb_par_enter(void) {
  atomic_fetch_add(&busy, 1);
}

void qb_par_leave(void) {
  atomic_fetch_sub(&busy, 1);
}

size_t qb_par_threads(size_t max) {
  size_t c = qb_par_cpus(), b = atomic_load(&busy);
  size_t others = b > 0 ? b - 1 : 0; /* an entered caller is one of the busy threads */
  size_t n = c > others ? c - others : 1;
  if (n > max) n = max;
  return n ? n : 1;
}
