/* update.c - the update lifecycle: request, quiesce, switch, migrate, commit or roll
 * back (docs/design.md §3).
 *
 * The old main thread is never unwound.  When it reaches an update point with a request
 * pending, it parks its context there and the new version's main runs on a fresh stack
 * of the same thread.  Until the new main reaches the same-named update point nothing
 * is final: a failure discards the new version, undoes every change made to old state
 * and resumes the parked context, so the old update point simply returns.  At the
 * matching point the update commits: other threads restart in the new code, the old
 * version is retired and the old stack released. */
#include "kitsune.h"
#include "common.h"
#include "libc.h"
#include "log.h"
#include "version.h"
#include "plugins.h"
#include "update.h"
#include "check.h"
#include "migrate.h"
#include "transfer.h"
#include "oom.h"
#include "audit.h"
#include "threads.h"
#include "crash.h"
#include "stale.h"
#include "control.h"
#include "locals.h"
#include "alloc_crash.h"
#include "opaque_check.h"
#include "blocking.h"
#include "resume.h"

#include <ucontext.h>
#include <errno.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define VALGRIND_STACK_REGISTER(lo, hi) 0
#endif

/* AddressSanitizer must be told when the main thread changes stacks, or it mistakes
 * the new main's frames for overflows of the old ones. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
static void *asan_fake_stack;
static const void *asan_old_bottom;
static size_t asan_old_size;
#define FIBER_START(bottom, size) __sanitizer_start_switch_fiber(&asan_fake_stack, (bottom), (size))
#define FIBER_LEAVE(bottom, size) __sanitizer_start_switch_fiber(NULL, (bottom), (size))
#define FIBER_ARRIVED_NEW() __sanitizer_finish_switch_fiber(NULL, &asan_old_bottom, &asan_old_size)
#define FIBER_ARRIVED_BACK() __sanitizer_finish_switch_fiber(asan_fake_stack, NULL, NULL)
#define STACK_RELEASED(p, size) __asan_unpoison_memory_region((p), (size))
#else
#define FIBER_START(bottom, size) ((void)0)
#define FIBER_LEAVE(bottom, size) ((void)0)
#define FIBER_ARRIVED_NEW() ((void)0)
#define FIBER_ARRIVED_BACK() ((void)0)
#define STACK_RELEASED(p, size) ((void)0)
#endif

enum req_state { REQ_NONE, REQ_PREPARING, REQ_PENDING, REQ_ACTIVE, REQ_DONE };


/* Shared between the control thread, the main thread and signal handlers: atomics. */
static _Atomic enum req_state req_state;
static struct kt_report *req_report;
static int req_check;
static _Atomic int quiescing;
static _Atomic int parking_open;   /* other threads park at update points */
static _Atomic int deadline_passed; /* the watchdog asks for a rollback */
/* `--fault crash_path_alloc`: set from a crash's handler until the allocator is known
 * to work again; tests/lib/failalloc.c ends the process on any allocation of the main
 * thread meanwhile. */
long kt_fault_alloc_trap;
static int threads_updating;     /* restarted threads not yet at their point */
static double t_switch, t_main;  /* phase start times */

static ucontext_t old_ctx, new_ctx;
static void *new_stack, *stack_to_free; /* mmap'd main-thread stacks */
static struct sigaction saved_signals[NSIG];

/* The limits of the request in progress (set by kt_update_request): how long the
 * threads may take to reach update points, and how long the program may stay frozen
 * while the new version runs up to its update point. */
static double req_quiesce_ms, req_freeze_ms;


static double env_ms(const char *name, double dflt)
{
    const char *env = getenv(name);
    double v = env ? atof(env) : 0;
    return v > 0 ? v : dflt;
}

static double quiesce_timeout_ms(void)
{
    return req_quiesce_ms > 0 ? req_quiesce_ms
                              : env_ms("KITSUNE_QUIESCE_TIMEOUT_MS", KT_QUIESCE_TIMEOUT_MS);
}

static void set_attention(void)
{
    int on = req_state == REQ_PENDING || req_state == REQ_ACTIVE ||
             __atomic_load_n(&threads_updating, __ATOMIC_RELAXED) > 0 ||
             kt_self_request_pending();
    __atomic_store_n(&kitsune_attention, on, __ATOMIC_RELEASE);
}

void kt_attention_refresh(void)
{
    pthread_mutex_lock(&kt_rt.lock);
    set_attention();
    pthread_mutex_unlock(&kt_rt.lock);
}

/* A request the program made is taken at this update point: the main thread waits
 * until the control thread has prepared it (or refused it). */
static void take_self_request(void)
{
    kt_self_request_at_point();
    if (!kt_thread_is_main())
        return;
    pthread_mutex_lock(&kt_rt.lock);
    while (req_state != REQ_PENDING && kt_self_request_pending()) {
        kt_cond_wait_ms(&kt_rt.cond, &kt_rt.lock, 10);
    }
    if (req_state != REQ_PENDING)
        set_attention(); /* refused: nothing pending any more */
    pthread_mutex_unlock(&kt_rt.lock);
}

static void finish_request(enum kt_outcome outcome, const char *reason)
{
    pthread_mutex_lock(&kt_rt.lock);
    if (req_report) {
        req_report->outcome = outcome;
        if (reason)
            snprintf(req_report->reason, sizeof req_report->reason, "%s", reason);
    }
    req_state = REQ_DONE;
    quiescing = 0;
    parking_open = 0;
    set_attention();
    pthread_cond_broadcast(&kt_rt.cond);
    pthread_mutex_unlock(&kt_rt.lock);
}

/* ---- main-thread stacks ---- */

static size_t main_stack_size(void)
{
    struct rlimit rl;
    size_t size = 8u << 20;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur > size)
        size = rl.rlim_cur;
    return size > (256u << 20) ? (256u << 20) : size;
}

static void *stack_alloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    mprotect(p, 4096, PROT_NONE); /* guard page */
    /* Lets memcheck tell the new main's stack from a stack overflow. */
    (void)VALGRIND_STACK_REGISTER((char *)p + 4096, (char *)p + size);
    return p;
}


static void free_pending_stack(void)
{
    if (stack_to_free) {
        STACK_RELEASED(stack_to_free, kt_rt.stack_size);
        munmap(stack_to_free, kt_rt.stack_size);
        stack_to_free = NULL;
    }
}

/* ---- signals: a failed attempt must not leave handlers pointing into unloaded code */

static void save_signals(void)
{
    for (int s = 1; s < NSIG; s++)
        sigaction(s, NULL, &saved_signals[s]);
}

static void restore_signals(void)
{
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &saved_signals[s], NULL);
}


/* Lets parked threads go back to the old version; none may park again for this
 * request. */
static void release_parked(void)
{
    parking_open = 0;
    kt_threads_release();
}

/* ---- rollback and commit ---- */

/* A rollback has two halves.  The first may run in a signal handler (a crash, the
 * watchdog's last resort), perhaps one that interrupted malloc: it only copies the
 * reason and switches back to the parked old context, allocating and freeing nothing.
 * The second, finish_rollback, runs there, in the old version's ordinary context -
 * once the allocator is known to work, when the crash may have been inside it
 * (alloc_crash.c: a lock the abandoned frames hold would block the cleanup for ever,
 * and then the process ends with a report instead). */
static char rollback_reason[KT_ERRLEN];
static int rollback_pending;
static volatile sig_atomic_t cleanup_guarded; /* a crash now ends the process (below) */
static struct kt_alloc_story cleanup_story;  /* what its report says */
static int req_client_fd = -1;                /* who asked for the update in progress */

static __attribute__((noreturn)) void rollback(const char *reason)
{
    size_t n = strlen(reason);
    if (n >= sizeof rollback_reason)
        n = sizeof rollback_reason - 1;
    memmove(rollback_reason, reason, n);
    rollback_reason[n] = 0;
    rollback_pending = 1;
    kt_rt.transferring = 0; /* a fault from here on is not this update's */
    kt_crash_stack(NULL, 0);
    FIBER_LEAVE(asan_old_bottom, asan_old_size);
    setcontext(&old_ctx);
    /* setcontext returns only for a context getcontext did not make. */
    kt_stop_thread("cannot return to the old version (setcontext)", reason);
}

/* What the report of a lost allocator tells (alloc_crash.c). */
static struct kt_alloc_story alloc_story(void)
{
    const struct kt_version *old = kt_rt.old ? kt_rt.old : kt_rt.cur;
    return (struct kt_alloc_story){rollback_reason, kt_rt.next ? kt_rt.next->path : NULL,
                                   old ? old->number : 0, kt_rt.next ? kt_rt.next->number : 0,
                                   req_client_fd,
                                   t_switch - (req_report ? req_report->t_quiesce : 0)};
}

/* leak: the crash may have been inside the allocator, which still works (alloc_crash.c:
 * the stack scan that says so may also see a stale return address).  The
 * failed version is not unloaded: dlclose would run its destructors, code that just
 * corrupted the heap, and free the loader's blocks next to what it wrote.  A crash
 * of the cleanup itself then ends the process with the report, not in silence. */
static void finish_rollback(int leak)
{
    const char *reason = rollback_reason;
    cleanup_story = alloc_story();
    cleanup_guarded = leak;
    rollback_pending = 0;
    kt_migrate_end(0);
    kt_migrate_name_wild(kt_rt.old, rollback_reason, sizeof rollback_reason);
    kt_log("update to %s failed: %s; rolling back", kt_rt.next ? kt_rt.next->path : "?",
           reason);
    if (kt_rt.old) {
        kt_rt.cur = kt_rt.old;
        kt_rt.old = NULL;
    }
    struct kt_version *failed = kt_rt.next;
    kt_rt.next = NULL;
    kt_rt.updating = 0;
    kt_rt.transferring = 0;
    deadline_passed = 0;
    kt_locals_unflip(); /* the new version's notes go; the old ones come back */
    restore_signals();
    if (leak)
        kt_log("the crash may have been inside the allocator (a return address into malloc "
               "or free on its stack); the allocator is still usable (the control thread "
               "took every arena's lock): rolled back, but version %u (%s) is not unloaded "
               "- its code, data and the loader's blocks are leaked",
               failed ? failed->number : 0, failed ? failed->path : "?");
    else
        kt_version_discard(failed);
    cleanup_guarded = 0;
    release_parked();
    stack_to_free = new_stack;
    new_stack = NULL;
    if (req_report) /* how long the program was frozen by the failed attempt */
        req_report->pause_ms = kt_now_ms() - t_switch + req_report->t_quiesce;
    finish_request(KT_ROLLED_BACK, reason);
    kt_log("rolled back; version %u continues", kt_rt.cur->number);
}


/* A crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) on the main thread between loading
 * the new version and the commit: the update is rolled back from the signal handler,
 * the reason naming the signal, the address, the code (crash.c) and, during the
 * transfer, the variable or object being transformed.  Returns 0 for any other crash.
 * Async-signal-safe: nothing is allocated, the fault may have come from malloc.  The
 * crash and stale-access handlers reach it through lifecycle.c (kt_update_fault). */
static int update_fault(int sig, const siginfo_t *info, const void *ctx)
{
    static char msg[KT_ERRLEN];
    kt_alloc_probe_faulted(); /* the control thread's probe of the allocator: parks */
    if (cleanup_guarded && kt_thread_is_main()) {
        msg[0] = 0;
        kt_str_append(msg, sizeof msg, "The allocator's locks were free, but the "
                      "rollback's cleanup crashed as well: ");
        size_t n = strlen(msg);
        kt_crash_describe(msg + n, sizeof msg - n, sig, info, ctx, NULL);
        kt_str_append(msg, sizeof msg, ". The heap is corrupt and the rollback cannot finish.");
        kt_alloc_crash_fatal(&cleanup_story, msg);
    }
    if (!kt_rt.transferring || !kt_thread_is_main())
        return 0;
#ifdef KITSUNE_FAULTS
    if (kt_fault_injected("crash_path_alloc")) /* tests/lib/failalloc.c traps any allocation */
        __atomic_store_n(&kt_fault_alloc_trap, 1, __ATOMIC_SEQ_CST);
#endif
    kt_alloc_crash_note(ctx);
    int in_transfer = kt_transfer_var || kt_transfer_plan;
    kt_crash_describe(msg, sizeof msg, sig, info, ctx,
                      in_transfer ? "while transferring the state"
                      : kt_rt.updating ? "before the commit"
                                  : "while loading the new version");
    kt_transfer_describe(msg, sizeof msg);
    rollback(msg);
}

/* The reason is prepared by the control thread when it fires the watchdog: the
 * handler that may roll back formats nothing. */
static char timeout_reason[200];

static __attribute__((noreturn)) void timeout_rollback(void)
{
    rollback(timeout_reason);
}

/* The watchdog's signal: the new version did not reach its update point in time.  The
 * rollback waits for the next update point, where it is safe; only a new version that
 * passes none for another second is rolled back from the signal handler itself (it
 * may then have been interrupted anywhere, even inside malloc). */
void kt_update_timeout_check(const void *ctx)
{
    if (deadline_passed == 2 && kt_rt.transferring && kt_thread_is_main()) {
        /* Interrupted inside malloc or free, which may hold the allocator's lock: the
         * watchdog signals again shortly, by when the new version has left it. */
        if (kt_crash_in_allocator(ctx))
            return;
        timeout_rollback();
    }
}


/* Each restarted thread is updating until it reaches the point it left from, and may
 * look up the old version's keys and addresses meanwhile: the retired version (its
 * tables, not its code) is kept until the last one got there.  Only parked threads
 * are restarted, so none is using the tables kept from an earlier update. */
static pthread_mutex_t left_lock = PTHREAD_MUTEX_INITIALIZER;

static void keep_tables(struct kt_version *old)
{
    pthread_mutex_lock(&left_lock);
    kt_version_discard(kt_rt.left);
    kt_rt.left = old;
    pthread_mutex_unlock(&left_lock);
}

/* A restarted thread finished its update (or exited before). */
static void thread_done_updating(void)
{
    if (__atomic_sub_fetch(&threads_updating, 1, __ATOMIC_RELAXED) == 0) {
        pthread_mutex_lock(&left_lock);
        kt_version_discard(kt_rt.left);
        kt_rt.left = NULL;
        pthread_mutex_unlock(&left_lock);
    }
    set_attention();
}

static void commit(void)
{
    struct kt_report *r = req_report;
    struct kt_version *old = kt_rt.old, *nv = kt_rt.cur;
    char err[KT_ERRLEN];
    double t = kt_now_ms();
    if (r)
        r->t_migrate = t - t_main;
    if (kt_threads_check_restart(old, nv, err, sizeof err))
        rollback(err);
    kt_threads_migrate_args(old); /* rolls back on failure */
    if (kt_fault_injected("commit"))
        rollback("injected fault: commit");
    if (req_check && kt_check_state(old, nv, err, sizeof err))
        rollback(err);
    /* The full audit scans everything the opaque check would, and more. */
    int full_audit = req_check || kt_audit_default();
    if (full_audit) {
        void *args[64];
        int nargs = kt_threads_args(args, 64);
        if (kt_audit(old, nv, args, nargs, r ? &r->t_audit : &(double){0}, err, sizeof err))
            rollback(err);
    }
    if (!full_audit && kt_opaque_check_default() &&
        kt_opaque_check(old, nv, r ? &r->t_audit : &(double){0}, err, sizeof err))
        rollback(err);
    void (*hook)(void) = (void (*)(void))kt_version_func_addr(nv, "_kitsune_mainupdate_xform");
    if (hook)
        hook();
    /* Point of no return.  Threads restarted from here on run the new version and
     * must not park again for this update. */
    parking_open = 0;
    kt_rt.updating = 0;
    kt_rt.transferring = 0;
    kt_crash_stack(NULL, 0);
    kt_rt.has_updated = 1;
    kt_rt.next = NULL;
    /* The commit holds one count itself until the old version is retired. */
    int restarted = kt_threads_count_restarted();
    keep_tables(old);
    kt_plugins_commit(old); /* before any thread runs the new code freely */
    __atomic_store_n(&threads_updating, restarted + 1, __ATOMIC_RELAXED);
    /* Retired before any parked thread runs again: retiring replaces the old .rodata
     * with a copy (the loader unmaps it), and a restarted thread reading an old string
     * literal meanwhile read zeros (general_thread_wrap_t1, once). */
    double t_ret = kt_now_ms();
    kt_migrate_keep_renames(); /* for kt_stale_add: a stale call finds a renamed function */
    kt_stale_add(old);
    kt_version_retire(old);
    t_ret = kt_now_ms() - t_ret;
    kt_threads_restart(old, nv);
    if (r)
        kt_migrate_counts(&r->vars_migrated, &r->objects_transformed, &r->pointers_fixed);
    kt_migrate_end(1);
    kt_plugins_settle(nv);
    double t2 = kt_now_ms();
    if (r) {
        r->t_resume = t2 - t;
        r->pause_ms = t2 - t_switch + r->t_quiesce;
    }
    kt_rt.old = NULL;
    thread_done_updating(); /* the commit's count: the tables go with the last one */
    kt_locals_drop_old();
    /* The parked old context is abandoned; release its stack (not the process's
     * original stack, which also holds argv and the environment). */
    if (kt_rt.cur_stack) {
        STACK_RELEASED(kt_rt.cur_stack, kt_rt.stack_size);
        munmap(kt_rt.cur_stack, kt_rt.stack_size);
    }
    kt_rt.cur_stack = new_stack;
    new_stack = NULL;
    if (r) {
        r->t_retire = kt_now_ms() - t2 + t_ret;
        r->to_version = nv->number;
    }
    kt_log("committed: version %u is running (pause %.2f ms)", nv->number,
           r ? r->pause_ms : 0.0);
    finish_request(KT_COMMITTED, NULL);
}

/* Entry of the fresh context: load the new version and run its main. */
static void run_new_version(void)
{
    FIBER_ARRIVED_NEW();
    struct kt_report *r = req_report;
    struct kt_version *nv = kt_rt.next;
    char err[KT_ERRLEN];
    double t = kt_now_ms();
    save_signals();
    kt_crash_stack(new_stack, kt_rt.stack_size);
    kt_rt.transferring = 1;
    if (kt_version_load(nv, err, sizeof err))
        rollback(err);
    if (kt_fault_injected("load"))
        rollback("injected fault: load");
    if (kt_fault_injected("crash"))
        raise(SIGSEGV);
    if (r) {
        r->t_load = kt_now_ms() - t;
        r->to_version = nv->number;
    }
    if (kt_migrate_begin(kt_rt.cur, nv, err, sizeof err))
        rollback(err);
    kt_rt.old = kt_rt.cur;
    kt_rt.cur = nv;
    kt_locals_flip();
    kt_rt.updating = 1;
    t_main = kt_now_ms();
    void (*hook)(void) = (void (*)(void))kt_version_func_addr(nv, "_kitsune_prestart_xform");
    if (hook)
        hook();
    if (kt_fault_injected("prestart"))
        rollback("injected fault: prestart");
    int rc = nv->main(kt_rt.argc, kt_rt.argv);
    if (kt_rt.updating) {
        snprintf(err, sizeof err, "the new main returned %d before reaching update point '%s'",
                 rc, kt_rt.old_point);
        rollback(err);
    }
    exit(rc);
}

static void start_update(const char *point)
{
    kt_lifecycle_set_rollback(rollback); /* the failure path ends here (lifecycle.h) */
    kt_lifecycle_set_fault(update_fault);
    pthread_mutex_lock(&kt_rt.lock);
    if (req_state != REQ_PENDING) {
        pthread_mutex_unlock(&kt_rt.lock);
        return;
    }
    req_state = REQ_ACTIVE;
    quiescing = 1;
    pthread_mutex_unlock(&kt_rt.lock);
    struct kt_report *r = req_report;
    char err[KT_ERRLEN];
    double t = kt_now_ms();
    kt_log("update requested: leaving version %u at update point '%s'", kt_rt.cur->number,
           point);
    if (kt_threads_quiesce(quiesce_timeout_ms(), err, sizeof err) ||
        (kt_fault_injected("quiesce") && snprintf(err, sizeof err, "injected fault: quiesce")) ||
        (kt_plugins_changed(kt_rt.cur, kt_rt.next) &&
         snprintf(err, sizeof err, "the program opened or closed a module while the update "
                  "was checked: ask again"))) {
        release_parked();
        struct kt_version *v = kt_rt.next;
        kt_rt.next = NULL;
        kt_version_discard(v);
        kt_log("update refused: %s", err);
        if (r) /* the threads that had parked were frozen this long */
            r->t_quiesce = r->pause_ms = kt_now_ms() - t;
        finish_request(KT_REFUSED, err);
        return;
    }
    quiescing = 0;
    /* Every thread is parked: nothing needs waking any more.  The new version's event
     * loop must not find the wakeup fd readable (it would break out at once). */
    kt_wakeup_set(0);
    t_switch = kt_now_ms();
    if (r)
        r->t_quiesce = t_switch - t;
    snprintf(kt_rt.old_point, sizeof kt_rt.old_point, "%s", point);
    /* Still on the old stack: the locals of E_NOTELOCALS functions are found in its
     * frames now, and stay there until the commit. */
    if (kt_locals_capture(kt_rt.cur, point, err, sizeof err)) {
        release_parked();
        struct kt_version *v = kt_rt.next;
        kt_rt.next = NULL;
        kt_version_discard(v);
        kt_log("update refused: %s", err);
        if (r)
            r->pause_ms = kt_now_ms() - t;
        finish_request(KT_REFUSED, err);
        return;
    }
    if (!kt_rt.stack_size)
        kt_rt.stack_size = main_stack_size();
    new_stack = stack_alloc(kt_rt.stack_size);
    if (!new_stack) {
        kt_locals_uncapture();
        release_parked();
        struct kt_version *v = kt_rt.next;
        kt_rt.next = NULL;
        kt_version_discard(v);
        finish_request(KT_REFUSED, "cannot allocate a stack for the new version");
        return;
    }
    getcontext(&new_ctx);
    new_ctx.uc_stack.ss_sp = new_stack;
    new_ctx.uc_stack.ss_size = kt_rt.stack_size;
    new_ctx.uc_link = NULL;
    makecontext(&new_ctx, run_new_version, 0);
    FIBER_START(new_stack, kt_rt.stack_size);
    swapcontext(&old_ctx, &new_ctx);
    FIBER_ARRIVED_BACK();
    /* Only a rollback comes back here: the old version goes on.  Nothing is allocated
     * before the allocator is known to work (ends the process if it does not). */
    if (rollback_pending) {
        struct kt_alloc_story story = alloc_story();
        int leak = kt_alloc_crash_settle(&story);
#ifdef KITSUNE_FAULTS
        __atomic_store_n(&kt_fault_alloc_trap, 0, __ATOMIC_SEQ_CST);
#endif
        finish_rollback(leak);
    }
    free_pending_stack();
}

void kitsune_update_point(const char *point)
{
    if (!kt_thread_registered())
        return;
    if (req_state == REQ_NONE && !kt_rt.updating && kt_self_request_pending())
        take_self_request();
    if (!kt_thread_is_main()) {
        if (kt_thread_updating()) {
            kt_thread_finish_update(point);
            if (!kt_thread_updating())
                thread_done_updating();
        }
        if (parking_open)
            kt_thread_park(point);
        kt_thread_note_point(point);
        return;
    }
    kt_thread_note_point(point);
    if (kt_rt.updating) {
        if (deadline_passed)
            timeout_rollback();
        /* The old main left from this point, or from inside a blocking call (an
         * unnamed point: the first update point of the new version ends it). */
        int same = !kt_rt.old_point[0] || strcmp(point, kt_rt.old_point) == 0;
        if (same && !kt_fault_injected("timeout"))
            commit();
        return; /* intermediate points of the new version do nothing */
    }
    if (req_state == REQ_PENDING) {
        struct kt_resume_state rs;
        kt_resume_save(&rs);
        start_update(point);
        /* Back here only when the update was refused or rolled back. */
        kt_resume_restore(&rs, kt_threads_wake_signal());
    }
}

/* A wakeable wait was interrupted by an update: treat it as the thread's last point
 * (mutex, if not NULL, is released meanwhile). */
void kt_wait_point(pthread_mutex_t *mutex)
{
    const char *p = kt_thread_last_point();
    if (!p || (kt_thread_is_main() && kt_rt.updating))
        return;
    char point[128];
    snprintf(point, sizeof point, "%s", p);
    if (mutex)
        pthread_mutex_unlock(mutex);
    kitsune_update_point(point);
    if (mutex)
        pthread_mutex_lock(mutex);
}

/* Whether the calling thread would park (or, the main thread, start the update) if
 * it came to an update point now. */
int kt_update_can_park(void)
{
    if (kt_thread_is_main())
        return !kt_rt.updating && req_state == REQ_PENDING;
    return parking_open;
}

/* A restarted thread that exits before reaching its point no longer holds attention. */
void kt_thread_exit_updating(void)
{
    thread_done_updating();
}

/* ---- requests (control thread) ---- */

static void refuse(struct kt_report *r, const char *reason)
{
    r->outcome = KT_REFUSED;
    snprintf(r->reason, sizeof r->reason, "%s", reason);
    kt_log("update refused: %s", reason);
}

static double kt_update_timeout_ms(void)
{
    return req_freeze_ms > 0 ? req_freeze_ms
                             : env_ms("KITSUNE_UPDATE_TIMEOUT_MS", KT_UPDATE_TIMEOUT_MS);
}

/* True when the client that asked for the update has closed its end: nobody waits for
 * the outcome any more (it timed out, or was killed). */
static int client_gone(int fd)
{
    if (fd < 0)
        return 0;
    struct pollfd p = {fd, POLLRDHUP, 0};
    return kt_libc.poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* `--fault alloc=N`: the Nth allocation from here on fails (tests/lib/failalloc.c, a
 * preloaded allocator, counts them); NULL or another fault disarms. */
long kt_fault_alloc_at, kt_fault_alloc_count;

static void arm_alloc_fault(const char *f)
{
#ifdef KITSUNE_FAULTS
    long n = f && strncmp(f, "alloc=", 6) == 0 ? atol(f + 6) : 0;
    long at = __atomic_exchange_n(&kt_fault_alloc_at, 0, __ATOMIC_SEQ_CST);
    if (at) /* the test goes on until an update makes fewer allocations than N */
        kt_log("fault alloc=%ld: the request made %ld allocation(s)", at,
               __atomic_load_n(&kt_fault_alloc_count, __ATOMIC_SEQ_CST));
    __atomic_store_n(&kt_fault_alloc_count, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&kt_fault_alloc_at, n, __ATOMIC_SEQ_CST);
#else
    (void)f;
#endif
}

#define CANCELLED "cancelled: the client went away before the program paused"

void kt_update_request(const char *path, const struct kt_request_opts *o,
                       struct kt_report *r)
{
    memset(r, 0, sizeof *r);
    double t0 = kt_now_ms();
    pthread_mutex_lock(&kt_rt.lock);
    if (req_state != REQ_NONE) {
        pthread_mutex_unlock(&kt_rt.lock);
        refuse(r, "another update is in progress");
        return;
    }
    req_state = REQ_PREPARING;
    r->from_version = kt_rt.cur->number;
    char cur_path[4096];
    snprintf(cur_path, sizeof cur_path, "%s", kt_rt.cur->path);
    pthread_mutex_unlock(&kt_rt.lock);

    char err[KT_ERRLEN];
    struct kt_version *volatile v = NULL;
    jmp_buf oom;
    int rc;
    arm_alloc_fault(o->fault);
    kt_plugins_hold(1);
    if (setjmp(oom)) { /* kt_oom: out of memory while preparing */
        rc = snprintf(err, sizeof err, "out of memory while preparing the update");
    } else {
        kt_oom_arm(&oom);
        rc = kt_version_prepare(path ? path : cur_path, path ? o->version_fd : -1,
                                (struct kt_version **)&v, err, sizeof err);
        if (!rc)
            rc = kt_plugins_prepare(kt_rt.cur, v, err, sizeof err);
        if (!rc)
            rc = kt_migrate_check(kt_rt.cur, v, err, sizeof err);
    }
    kt_oom_arm(NULL);
    kt_plugins_hold(0);
    if (!rc && client_gone(o->client_fd)) /* e.g. the process was stopped meanwhile */
        rc = snprintf(err, sizeof err, "%s", CANCELLED);
    if (rc) {
        kt_version_discard(v);
        refuse(r, err);
        pthread_mutex_lock(&kt_rt.lock);
        req_state = REQ_NONE;
        pthread_mutex_unlock(&kt_rt.lock);
        arm_alloc_fault(NULL);
        return;
    }
    kt_log("update to %s accepted; waiting for the threads to reach update points", v->path);
    pthread_mutex_lock(&kt_rt.lock);
    kt_rt.next = v;
    req_report = r;
    req_client_fd = o->client_fd;
    req_check = o->check;
    req_quiesce_ms = req_freeze_ms = o->timeout_ms > 0 ? o->timeout_ms : 0;
    kt_update_engine_reset();
    snprintf(kt_rt.fault, sizeof kt_rt.fault, "%s", o->fault ? o->fault : "");
    req_state = REQ_PENDING;
    quiescing = 1;
    parking_open = 1;
    r->t_request = kt_now_ms() - t0;
    set_attention();
    pthread_cond_broadcast(&kt_rt.cond); /* an update point waiting for it (self-request) */
    pthread_mutex_unlock(&kt_rt.lock);
    kt_wakeup_set(1);

    double deadline = kt_now_ms() + quiesce_timeout_ms();
    double active_deadline = 0, last_signal = 0;
    pthread_mutex_lock(&kt_rt.lock);
    while (req_state != REQ_DONE) {
        if (req_state == REQ_ACTIVE && kt_rt.transferring && !active_deadline)
            active_deadline = kt_now_ms() + kt_update_timeout_ms();
        double engines = o->timeout_ms > 0 ? 0 : kt_update_engine_ms();
        if (active_deadline && kt_rt.transferring && kt_now_ms() > active_deadline + engines &&
            deadline_passed < 2) {
            /* The watchdog: first the next update point rolls back; a second later the
             * wake signal's handler does. */
            if (!deadline_passed)
                snprintf(timeout_reason, sizeof timeout_reason, "the new version did not "
                         "reach update point '%s' within %.0f ms", kt_rt.old_point,
                         kt_update_timeout_ms());
            deadline_passed++;
            active_deadline += KT_WATCHDOG_GRACE_MS;
            kt_threads_signal_main();
        } else if (deadline_passed == 2 && kt_rt.transferring && kt_now_ms() > last_signal + 5) {
            /* The last resort was refused (the new version was inside malloc): again. */
            last_signal = kt_now_ms();
            kt_threads_signal_main();
        }
        if (quiescing) {
            pthread_mutex_unlock(&kt_rt.lock);
            kt_threads_kick();
            pthread_mutex_lock(&kt_rt.lock);
        }
        if (kt_alloc_probe_asked()) { /* the main thread crashed inside the allocator */
            pthread_mutex_unlock(&kt_rt.lock);
            kt_alloc_probe_run();
            pthread_mutex_lock(&kt_rt.lock);
        }
        int gone = req_state == REQ_PENDING && client_gone(o->client_fd);
        if (req_state == REQ_PENDING && (gone || kt_now_ms() > deadline)) {
            /* The main thread never came to an update point, or nobody waits for the
             * outcome any more: withdraw the request. */
            struct kt_version *nv = kt_rt.next;
            kt_rt.next = NULL;
            req_state = REQ_DONE;
            set_attention();
            pthread_mutex_unlock(&kt_rt.lock);
            release_parked(); /* threads that came to their points go on */
            kt_version_discard(nv);
            if (gone)
                snprintf(err, sizeof err, "%s", CANCELLED);
            else
                snprintf(err, sizeof err, "the main thread did not reach an update point "
                         "within %.0f ms", quiesce_timeout_ms());
            refuse(r, err);
            pthread_mutex_lock(&kt_rt.lock);
            break;
        }
        kt_cond_wait_ms(&kt_rt.cond, &kt_rt.lock, 10);
    }
    req_state = REQ_NONE;
    req_report = NULL;
    req_client_fd = -1;
    req_quiesce_ms = req_freeze_ms = 0;
    kt_rt.fault[0] = 0;
    arm_alloc_fault(NULL);
    deadline_passed = 0;
    set_attention();
    pthread_mutex_unlock(&kt_rt.lock);
    kt_wakeup_set(0);
}

/* ---- public queries ---- */

int kitsune_is_updating_from(const char *point)
{
    if (kt_thread_is_main())
        return kt_rt.updating && strcmp(kt_rt.old_point, point) == 0;
    return kt_thread_updating() && strcmp(kt_thread_updating_from(), point) == 0;
}

int kitsune_has_updated(void)
{
    return kt_rt.has_updated;
}

unsigned kitsune_version_number(void)
{
    return kt_rt.cur ? kt_rt.cur->number : 0;
}


/* A forked child is a kitsune process of its own, running the same version. */
static void after_fork_child(void)
{
    pthread_mutex_init(&kt_rt.lock, NULL);
    pthread_cond_init(&kt_rt.cond, NULL);
    req_state = REQ_NONE;
    req_report = NULL;
    quiescing = 0;
    __atomic_store_n(&threads_updating, 0, __ATOMIC_RELAXED);
    set_attention();
    kt_rt.main_thread = pthread_self();
    kt_version_after_fork(kt_rt.cur);
    kt_threads_after_fork();
    kt_log_after_fork();
    kt_control_after_fork();
}

void kt_update_setup_fork(void)
{
    pthread_atfork(NULL, NULL, after_fork_child);
}
