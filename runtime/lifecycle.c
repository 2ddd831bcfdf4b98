/* lifecycle.c - the runtime's global state and the failure path of an update
 * (lifecycle.h). */
#include "lifecycle.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kitsune.h"
#include "common.h"
#include "log.h"

int kitsune_attention;
__thread const char *kitsune_point_passed; /* kitsune.h: the last update point passed */
struct kt_runtime kt_rt = {.lock = PTHREAD_MUTEX_INITIALIZER,
                           .cond = PTHREAD_COND_INITIALIZER};

static __thread int is_main;
static __thread int thread_updating; /* a restarted thread not yet at its point */
static void (*rollback_fn)(const char *reason);
static int (*fault_fn)(int sig, const siginfo_t *info, const void *ctx);

int kt_thread_is_main(void)
{
    return is_main;
}

void kt_lifecycle_mark_main(void)
{
    is_main = 1;
}

int kt_updating(void)
{
    return kt_rt.updating;
}

void kt_lifecycle_set_rollback(void (*rollback)(const char *reason))
{
    rollback_fn = rollback;
}

void kt_stop_thread(const char *what, const char *detail)
{
    kt_log("%s: %s; this thread stops here, the rest of the program goes on", what, detail);
    for (;;)
        pause();
}

void kt_lifecycle_set_fault(int (*fault)(int sig, const siginfo_t *info, const void *ctx))
{
    __atomic_store_n(&fault_fn, fault, __ATOMIC_RELEASE);
}

int kt_update_fault(int sig, const siginfo_t *info, const void *ctx)
{
    int (*f)(int, const siginfo_t *, const void *) = __atomic_load_n(&fault_fn, __ATOMIC_ACQUIRE);
    return f ? f(sig, info, ctx) : 0;
}

void kt_update_rollback(const char *reason)
{
    if (rollback_fn)
        rollback_fn(reason); /* does not return */
    kt_stop_thread("a rollback without an update", reason);
}

void kt_update_fail(const char *fmt, ...)
{
    char msg[KT_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (kt_rt.updating && kt_thread_is_main())
        kt_update_rollback(msg);
    kt_log("error outside an update: %s", msg);
}

void kt_update_abandon(const char *reason)
{
    if (kt_rt.transferring && kt_thread_is_main()) {
        char msg[KT_ERRLEN];
        snprintf(msg, sizeof msg, "out of memory: %s", reason);
        kt_update_rollback(msg);
    }
}

int kt_fault_injected(const char *step)
{
#ifdef KITSUNE_FAULTS
    return kt_rt.fault[0] && strcmp(kt_rt.fault, step) == 0;
#else
    (void)step;
    return 0;
#endif
}

/* Time the engines spend transferring the state (set by the main thread, read by the
 * control thread's watchdog).  Without --timeout it does not count against the freeze
 * limit, which is for the new version's own code: a large heap legitimately takes
 * longer to transfer than a stuck initialisation should be allowed, and the engines
 * make progress all the while.  It is bounded by KT_MIGRATE_TIMEOUT_MS all the same. */
static _Atomic double engine_since, engine_ms;

void kt_update_engine_timing(int running)
{
    double now = kt_now_ms();
    if (running) {
        engine_since = now;
    } else if (engine_since > 0) {
        engine_ms = engine_ms + (now - engine_since);
        engine_since = 0;
    }
}

double kt_update_engine_ms(void)
{
    double since = engine_since, t = engine_ms + (since > 0 ? kt_now_ms() - since : 0);
    return t < KT_MIGRATE_TIMEOUT_MS ? t : KT_MIGRATE_TIMEOUT_MS;
}

void kt_update_engine_reset(void)
{
    engine_since = engine_ms = 0;
}

void kt_update_current_stack(uintptr_t *lo, uintptr_t *hi)
{
    *lo = (uintptr_t)kt_rt.cur_stack;
    *hi = kt_rt.cur_stack ? (uintptr_t)kt_rt.cur_stack + kt_rt.stack_size : 0;
}

void kt_lifecycle_set_thread_updating(int on)
{
    thread_updating = on;
}

int kt_thread_updating(void)
{
    return thread_updating;
}

int kitsune_is_updating(void)
{
    if (kt_thread_is_main())
        return kt_rt.updating;
    return thread_updating;
}

int kt_threads_wake_signal(void)
{
    return kt_rt.wake_signal;
}
