/* update.h - the lifecycle of one update (update.c): the request, the pause, commit
 * and rollback.  The state every part reads and the failure path are lifecycle.h's.
 *
 * The park/restart protocol.  update.c, threads.c and control.c are the one cycle
 * of the runtime's files (scripts/runtime-deps.py, a ctest test, allows no other):
 * each waits on the others at the steps of an update, so none can be built without
 * the others.
 *
 *   control.c -> update.c   a request from the control socket, or one the program
 *                           made, is handed over and waited for (kt_update_request);
 *                           a program's request changes the attention flag
 *                           (kt_attention_refresh)
 *   update.c -> control.c   while a request is pending the wakeup fd is readable
 *                           (kt_wakeup_set); an update point takes the program's own
 *                           request (kt_self_request_pending, _at_point); a forked
 *                           child gets a socket of its own (kt_control_after_fork)
 *   update.c -> threads.c   quiesce: every kitsune thread is kicked and parks at an
 *                           update point (kt_threads_kick, kt_threads_quiesce,
 *                           kt_thread_park); after a refusal or rollback the parked
 *                           threads are released to the old code (kt_threads_release);
 *                           at commit their start functions are checked, their
 *                           arguments migrated and they restart in the new code
 *                           (kt_threads_check_restart, kt_threads_migrate_args,
 *                           kt_threads_restart); a restarted thread is updating until
 *                           it reaches the point it left from (kt_thread_finish_update)
 *   threads.c -> update.c   a thread parks inside a blocking call or a condition wait
 *                           through update.c (kt_update_can_park, kt_wait_point: the
 *                           operations it gives blocking.c, which lies under the
 *                           protocol), the watchdog's signal is checked on the main
 *                           thread (kt_update_timeout_check), a thread that exits
 *                           while restarted threads are counted is uncounted
 *                           (kt_thread_exit_updating)
 *   threads.c -> control.c  the wakeup fd for threads that block the wake signal
 *                           (kitsune_wakeup_fd, through blocking.c)
 *   control.c -> threads.c  `kitsune status` lists the threads (kt_threads_json) */
#ifndef KITSUNE_UPDATE_H
#define KITSUNE_UPDATE_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include "common.h"
#include "lifecycle.h"
#include "report.h"

struct kt_version;

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
/* Fault injection (KITSUNE_FAULTS): `--fault alloc=N` fails the Nth allocation made
 * while the request is handled (tests/lib/failalloc.c counts them). */
extern long kt_fault_alloc_at, kt_fault_alloc_count;
void kt_attention_refresh(void);
/* Parking inside a blocking call (threads.c, blocking.c). */
void kt_wait_point(pthread_mutex_t *mutex);
int kt_update_can_park(void);
/* A kitsune thread that exits while an update restarts threads (threads.c). */
void kt_thread_exit_updating(void);
/* Installs the fork handlers (driver.c). */
void kt_update_setup_fork(void);

#endif
