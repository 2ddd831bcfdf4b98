/* fast_state.c - the forwarding engine's state (struct fast_state, fast_internal.h),
 * and how a worker records a failure: a leaf that every fast_*.c file uses. */
#include <stdarg.h>
#include <stdio.h>

#include "fast_internal.h"

struct fast_state F = {.region_lock = PTHREAD_MUTEX_INITIALIZER,
       .side_lock = PTHREAD_MUTEX_INITIALIZER,
       .lock = PTHREAD_MUTEX_INITIALIZER,
       .cond = PTHREAD_COND_INITIALIZER,
       .lookup_lock = PTHREAD_MUTEX_INITIALIZER};

__thread struct worker *cur_w;

void wfail(struct worker *w, const char *fmt, ...)
{
    if (w->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof w->err, fmt, ap);
    va_end(ap);
    w->failed = 1;
    __atomic_store_n(&F.halt, 1, __ATOMIC_RELAXED);
}

