/* update.h - the lifecycle of one update (update.c): the request, the pause, commit
 * and rollback, the runtime's global state and the update's one failure path. */
#ifndef KITSUNE_UPDATE_H
#define KITSUNE_UPDATE_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include "common.h"

struct kt_version;

enum kt_outcome { KT_COMMITTED, KT_REFUSED, KT_ROLLED_BACK };
struct kt_report {
    enum kt_outcome outcome;
    char reason[KT_ERRLEN];
    unsigned from_version, to_version;
    double t_request, t_quiesce, t_load, t_migrate, t_resume, t_retire; /* ms */
    double t_audit;       /* ms, part of t_resume */
    double pause_ms;
    long vars_migrated, objects_transformed, pointers_fixed;
};
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
};
extern struct kt_runtime kt_rt;
/* Default limits (ms), overridden by KITSUNE_QUIESCE_TIMEOUT_MS and
 * KITSUNE_UPDATE_TIMEOUT_MS, and per request by `kitsune update --timeout`.  Threads
 * that have parked are frozen while the others are awaited, and the whole program is
 * frozen while the new version runs to its update point, so both are kept to what a
 * live service can bear; a new version that passes no update point at all is rolled
 * back from the watchdog's signal KT_WATCHDOG_GRACE_MS after the limit. */
#define KT_QUIESCE_TIMEOUT_MS 2000
#define KT_UPDATE_TIMEOUT_MS 2000
#define KT_WATCHDOG_GRACE_MS 250
/* How long a request made by the program waits for an update point to take it before
 * the control thread takes it anyway (the program may be blocked). */
#define KT_SELF_REQUEST_GRACE_MS 200
#define KT_MIGRATE_TIMEOUT_MS 60000
/* The engines' transfer starts (1) and ends (0): see update.c. */
void kt_update_engine_timing(int running);
struct kt_request_opts {
    int check;          /* --check */
    const char *fault;  /* --fault STEP (tests), or NULL */
    double timeout_ms;  /* --timeout: bounds quiescence and the freeze; 0: defaults */
    int client_fd;      /* the requesting connection (-1: the program itself); a
                           request whose client has gone before the pause is cancelled */
    int version_fd;     /* the new version's file, opened by the client and passed over
                           the socket (a chrooted process cannot open it); -1: by path */
};
/* Asks for an update to `path` (NULL: reload the running file) and waits for the
 * outcome; called by the control thread.  Fills *report. */
void kt_update_request(const char *path, const struct kt_request_opts *opts,
                       struct kt_report *report);
void kt_update_timeout_check(const void *ctx); /* ctx: the handler's ucontext */
int kt_fault_injected(const char *step);
/* Rolls back with `reason` if the main thread is in an update; else returns */
void kt_update_abandon(const char *reason);
/* Fault injection (KITSUNE_FAULTS): `--fault alloc=N` fails the Nth allocation made
 * while the request is handled (tests/lib/failalloc.c counts them). */
extern long kt_fault_alloc_at, kt_fault_alloc_count;
void kt_update_current_stack(uintptr_t *lo, uintptr_t *hi); /* update.c: mmap'd main stack */
int kt_update_fault(int sig, const siginfo_t *info, const void *ctx);
int kt_updating(void);
/* Aborts the update in progress (before commit) with a reason. */
void kt_update_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kt_attention_refresh(void);
/* Parking inside a blocking call (threads.c, blocking.c). */
void kt_wait_point(pthread_mutex_t *mutex);
int kt_update_can_park(void);
/* A kitsune thread that exits while an update restarts threads (threads.c). */
void kt_thread_exit_updating(void);
/* Installs the fork handlers (driver.c). */
void kt_update_setup_fork(void);

#endif
