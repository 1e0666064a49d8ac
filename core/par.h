/* core/par.h - how many threads one computation may start: the online CPUs that busy threads
 * (qb_par_enter) do not already keep busy. A server running one handler per CPU computes each on
 * its own thread (helper threads would only add thread starts and contention); the CLI, or a
 * server with one request, spreads a large compare over every CPU. Nothing here allocates. */
#ifndef QB_CORE_PAR_H
#define QB_CORE_PAR_H

#include <stddef.h>

/* The online CPUs, read once. */
size_t qb_par_cpus(void);

/* A thread starts (qb_par_enter) or ends (qb_par_leave) work that keeps a CPU busy: a server's
 * handler. Process-wide counts; calls must pair. */
void qb_par_enter(void);
void qb_par_leave(void);

/* How many threads a computation on the calling thread may use, itself included: the CPUs not
 * kept busy by other entered threads (the caller's own entry counts as its CPU), at least 1 and
 * at most max. */
size_t qb_par_threads(size_t max);

#endif
