/* lifecycle.h - the state of the runtime every part reads (the versions, whether an
 * update is in progress, which thread is the main one) and the one failure path of an
 * update after the pause (lifecycle.c).
 *
 * A leaf: update.c drives the lifecycle and writes this state; the engines, the
 * closures, the crash and stale-access handlers, the loader and the plugins only read
 * it and fail through it, so none of them depends on update.c.  The failure path ends
 * in update.c's rollback, which update.c hands over (kt_lifecycle_set_rollback) before
 * it starts an update: from there the old version is restored exactly
 * (docs/design.md §7). */
#ifndef KITSUNE_LIFECYCLE_H
#define KITSUNE_LIFECYCLE_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct kt_version;

struct kt_runtime {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct kt_version *cur;     /* running version */
    struct kt_version *next;    /* prepared or being loaded */
    struct kt_version *old;     /* while updating: the version being replaced */
    struct kt_version *left;    /* after a commit, until every restarted thread has
                                   passed its first update point: the retired version,
                                   whose key and address tables those threads may use */
    int argc;
    char **argv;
    pthread_t main_thread;
    int has_updated;
    char old_point[128];        /* update point the old main left from */
    /* Set by update.c, read everywhere: */
    int updating;               /* main thread: new version running, not committed */
    _Atomic int transferring;   /* from loading the new version to commit */
    char fault[32];             /* fault injection for tests (KITSUNE_FAULTS builds) */
    void *cur_stack;            /* mmap'd stack the main thread runs on once updated */
    size_t stack_size;
    int wake_signal;            /* chosen by threads.c */
};
extern struct kt_runtime kt_rt;

/* The main thread, as threads.c registers it (and, in a forked child, the forking
 * thread). */
int kt_thread_is_main(void);
void kt_lifecycle_mark_main(void);

/* Whether the calling thread runs the new version before it is done updating:
 * kitsune_is_updating (kitsune.h); threads.c marks each restarted thread. */
void kt_lifecycle_set_thread_updating(int on);
int kt_thread_updating(void);
/* The runtime's wake signal (threads.c chooses it at start). */
int kt_threads_wake_signal(void);

/* What cannot go on without killing the program: logs why, then this thread waits
 * forever (signals still reach the process); never abort(). */
__attribute__((noreturn)) void kt_stop_thread(const char *what, const char *detail);

/* Whether the main thread runs a new version not committed yet. */
int kt_updating(void);

/* Rolls the update in progress back (update.c's rollback: does not return). */
void kt_lifecycle_set_rollback(void (*rollback)(const char *reason));
/* A crash (or a stale access) on the main thread between loading the new version and
 * the commit, or during the rollback's cleanup: update.c's handler (handed over with
 * kt_lifecycle_set_fault before an update) rolls back or ends the process with a
 * report; 0 for any other.  Async-signal-safe.  crash.c and stale.c call it. */
void kt_lifecycle_set_fault(int (*fault)(int sig, const siginfo_t *info, const void *ctx));
int kt_update_fault(int sig, const siginfo_t *info, const void *ctx);
/* Rolls the update back now, from anywhere on the main thread (a signal handler too). */
__attribute__((noreturn)) void kt_update_rollback(const char *reason);
/* Aborts the update in progress (before commit) with a reason: on the main thread
 * while updating it rolls back; elsewhere it logs and returns. */
void kt_update_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Rolls back with "out of memory: reason" if the main thread is transferring; else
 * returns. */
void kt_update_abandon(const char *reason);

/* True when the current request asked to fail at `step` (tests; builds without
 * KITSUNE_FAULTS ignore it). */
int kt_fault_injected(const char *step);

/* The engines' transfer starts (1) and ends (0): its time is not the new version's
 * (update.c's watchdog); reset before each update. */
void kt_update_engine_timing(int running);
#define KT_MIGRATE_TIMEOUT_MS 60000
double kt_update_engine_ms(void); /* so far, at most KT_MIGRATE_TIMEOUT_MS */
void kt_update_engine_reset(void);

/* The stack the main thread runs on once it has updated (0, 0 before: the process's
 * own stack, whose bounds are not known here).  Async-signal-safe. */
void kt_update_current_stack(uintptr_t *lo, uintptr_t *hi);

#endif
