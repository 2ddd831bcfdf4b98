/* threads.c - the threads that take part in updates.
 *
 * Every thread made with kitsune_pthread_create (and the main thread) has a record.
 * When an update is requested the control thread kicks the records that are not yet
 * parked: an interrupting signal (installed without SA_RESTART, so blocking system
 * calls return EINTR), the thread's registered callback, and a broadcast on the
 * condition it waits on in a wakeable wait.  A non-main thread that reaches an update
 * point parks there.  After a refused or rolled-back update it simply returns from the
 * update point; after a commit it jumps back to its start wrapper and runs the new
 * version's start function (same key) with its argument migrated: by the type that
 * KITSUNE_THREAD_ARG declares for the start function, else only its address translated. */
#include "kitsune.h"
#include "log.h"
#include "libc.h"
#include "json.h"
#include "version.h"
#include "update.h"
#include "migrate.h"
#include "threads.h"
#include "blocking.h"
#include "resume.h"

#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

enum park_state { RUNNING, PARKED, RESTART, RELEASED };

struct kt_thread {
    struct kt_thread *next;
    pthread_t tid;
    int is_main;
    kt_pthread_fn *start;
    void *arg;
    void *new_arg;            /* migrated by its declared type, before commit */
    int arg_typed;            /* new_arg holds it (else only its address is translated) */
    pthread_attr_t attr;
    int has_attr;
    enum park_state state;
    char point[128];          /* update point it parked at (or last passed) */
    pthread_cond_t *wait_cond; /* set while in a wakeable wait */
    void (*kick_cb)(void *);
    void *kick_arg;
    jmp_buf restart_env;
    int removed;              /* kitsune_thread_remove() */
    int added;                /* kitsune_thread_add(): not started yet */
    int start_updating;       /* added thread: starts as if restarted at `point` */
    pid_t lwp;                /* the kernel's thread id, for `kitsune status` */
    const char **passed;      /* this thread's kitsune_point_passed (the fast path's) */
};

static pthread_mutex_t tlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tcond = PTHREAD_COND_INITIALIZER;
static struct kt_thread *threads;
static struct kt_thread *iter;
static __thread struct kt_thread *self;
static __thread char updating_from[128]; /* restarted thread: point it left from */

static void wake_handler(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)info;
    int saved = errno;
    kt_update_timeout_check(ctx); /* the watchdog uses the same signal */
    errno = saved;
}


void kt_threads_signal_main(void)
{
    pthread_kill(kt_rt.main_thread, kt_rt.wake_signal);
}

void kt_threads_signal_setup(void)
{
    const char *env = getenv("KITSUNE_SIGNAL");
    kt_rt.wake_signal = env ? atoi(env) : SIGRTMIN + 3;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = wake_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: blocking calls return EINTR */
    sigaction(kt_rt.wake_signal, &sa, NULL);
}

static struct kt_thread *new_record(void)
{
    struct kt_thread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    pthread_mutex_lock(&tlock);
    t->next = threads;
    threads = t;
    pthread_mutex_unlock(&tlock);
    return t;
}

static void remove_record(struct kt_thread *t)
{
    pthread_mutex_lock(&tlock);
    for (struct kt_thread **p = &threads; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    pthread_cond_broadcast(&tcond);
    pthread_mutex_unlock(&tlock);
    free(t);
}

/* Called by the thread itself: its kernel id and its own thread-local variable. */
static void note_identity(struct kt_thread *t)
{
    t->lwp = gettid();
    t->passed = &kitsune_point_passed;
}

/* How blocking.c parks a kitsune thread inside a blocking call. */
static const struct kt_park_ops park_ops = {
    .last_point = kt_thread_last_point,
    .can_park = kt_update_can_park,
    .wait_point = kt_wait_point,
    .cond_timedwait = ktthreads_pthread_cond_timedwait,
    .wakeup_fd = kitsune_wakeup_fd,
};

void kt_threads_register_main(void)
{
    kt_blocking_set_park(&park_ops);
    struct kt_thread *t = new_record();
    t->tid = pthread_self();
    t->is_main = 1;
    self = t;
    kt_lifecycle_mark_main();
    note_identity(t);
    kt_blocking_thread_start();
}


/* ---- the start wrapper ---- */

void kt_thread_exit_updating(void);

static void *thread_main(void *p)
{
    struct kt_thread *t = p;
    self = t;
    t->tid = pthread_self();
    note_identity(t);
    kt_blocking_thread_start();
    if (t->start_updating) {
        t->start_updating = 0;
        kt_lifecycle_set_thread_updating(1);
        snprintf(updating_from, sizeof updating_from, "%s", t->point);
    }
    /* A restart after a commit comes back here with the new start function. */
    if (setjmp(t->restart_env)) {
        kt_lifecycle_set_thread_updating(1);
        snprintf(updating_from, sizeof updating_from, "%s", t->point);
        if (!t->start) { /* kitsune_thread_remove()d during the update */
            remove_record(t);
            return NULL;
        }
    }
    void *ret = t->start(t->arg);
    if (kt_thread_updating()) /* it never reached the point it left from */
        kt_thread_exit_updating();
    remove_record(t);
    return ret;
}

int kitsune_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                           kt_pthread_fn *start, void *arg)
{
    struct kt_thread *t = calloc(1, sizeof *t);
    if (!t)
        return ENOMEM;
    t->start = start;
    t->arg = arg;
    pthread_t tid;
    pthread_mutex_lock(&tlock);
    int rc = pthread_create(&tid, attr, thread_main, t);
    if (rc == 0) {
        t->tid = tid;
        t->next = threads;
        threads = t;
        if (attr) {
            /* Kept for restarts and kitsune_threads_next(). */
            t->attr = *attr;
            t->has_attr = 1;
        }
    }
    pthread_mutex_unlock(&tlock);
    if (rc) {
        free(t);
        return rc;
    }
    if (thread)
        *thread = tid;
    return 0;
}

/* ---- parking ---- */

static int all_parked(void)
{
    for (struct kt_thread *t = threads; t; t = t->next)
        if (!t->is_main && !t->added && t->state != PARKED)
            return 0;
    return 1;
}

int kt_threads_quiesce(double timeout_ms, char *err, size_t errlen)
{
    double deadline = kt_now_ms() + timeout_ms;
    pthread_mutex_lock(&tlock);
    while (!all_parked()) {
        if (kt_now_ms() >= deadline) {
            int n = 0;
            for (struct kt_thread *t = threads; t; t = t->next)
                if (!t->is_main && t->state != PARKED)
                    n++;
            pthread_mutex_unlock(&tlock);
            snprintf(err, errlen, "%d thread(s) did not reach an update point within %.0f ms",
                     n, timeout_ms);
            return -1;
        }
        kt_cond_wait_ms(&tcond, &tlock, 5);
    }
    pthread_mutex_unlock(&tlock);
    return 0;
}

void kt_threads_kick(void)
{
    pthread_mutex_lock(&tlock);
    for (struct kt_thread *t = threads; t; t = t->next) {
        if (t->state == PARKED || t->added)
            continue;
        if (t->kick_cb)
            t->kick_cb(t->kick_arg);
        if (t->wait_cond)
            pthread_cond_broadcast(t->wait_cond);
        pthread_kill(t->tid, kt_rt.wake_signal);
    }
    pthread_mutex_unlock(&tlock);
}

/* Called by a non-main thread at an update point with an update pending. */
void kt_thread_park(const char *point)
{
    struct kt_thread *t = self;
    struct kt_resume_state rs;
    kt_resume_save(&rs);
    pthread_mutex_lock(&tlock);
    snprintf(t->point, sizeof t->point, "%s", point);
    t->state = PARKED;
    pthread_cond_broadcast(&tcond);
    while (t->state == PARKED)
        kt_libc.pthread_cond_wait(&tcond, &tlock);
    enum park_state s = t->state;
    t->state = RUNNING;
    pthread_cond_broadcast(&tcond);
    pthread_mutex_unlock(&tlock);
    if (s == RESTART) {
        kt_stackvars_save_thread();
        longjmp(t->restart_env, 1);
    }
    kt_resume_restore(&rs, kt_rt.wake_signal); /* released: back to the old version */
}

void kt_threads_release(void)
{
    pthread_mutex_lock(&tlock);
    for (struct kt_thread *t = threads; t; t = t->next)
        if (t->state == PARKED)
            t->state = RELEASED;
    pthread_cond_broadcast(&tcond);
    pthread_mutex_unlock(&tlock);
}

/* Before commit: every parked thread's start function must exist in the new version. */
int kt_threads_check_restart(const struct kt_version *old, const struct kt_version *nv,
                             char *err, size_t errlen)
{
    int rc = 0;
    pthread_mutex_lock(&tlock);
    for (struct kt_thread *t = threads; t && rc == 0; t = t->next) {
        if (t->is_main || t->removed || t->added)
            continue;
        const struct kt_addr_entry *e = kt_version_lookup_addr(old, (uintptr_t)t->start);
        if (!e || e->func < 0 || e->lo != (uintptr_t)t->start) {
            snprintf(err, errlen, "thread start function %p is not a function of the old "
                     "version", (void *)t->start);
            rc = -1;
        } else if (!kt_version_func_addr(nv, e->key)) {
            snprintf(err, errlen, "thread start function %s has no counterpart in the new "
                     "version", e->key);
            rc = -1;
        }
    }
    pthread_mutex_unlock(&tlock);
    return rc;
}

int kt_migrate_thread_args(const char *const *start_keys, void *const *args, void **new_args,
                           int *typed, int n);

/* Before commit, on the main thread: the arguments of the threads that will restart are
 * state like any other and migrate in one batch (a failure rolls the update back). */
void kt_threads_migrate_args(const struct kt_version *old)
{
    int n = 0;
    pthread_mutex_lock(&tlock);
    for (struct kt_thread *t = threads; t; t = t->next)
        n++;
    const char **keys = calloc((size_t)n + 1, sizeof *keys);
    void **args = calloc((size_t)n + 1, sizeof *args), **new_args = calloc((size_t)n + 1,
                                                                           sizeof *new_args);
    int *typed = calloc((size_t)n + 1, sizeof *typed);
    struct kt_thread **who = calloc((size_t)n + 1, sizeof *who);
    int m = 0;
    for (struct kt_thread *t = threads; t && keys && args && new_args && typed && who;
         t = t->next) {
        t->arg_typed = 0;
        if (t->is_main || t->removed || t->added)
            continue;
        const struct kt_addr_entry *e = kt_version_lookup_addr(old, (uintptr_t)t->start);
        if (!e) /* kt_threads_check_restart refused it already */
            continue;
        keys[m] = e->key;
        args[m] = t->arg;
        who[m++] = t;
    }
    pthread_mutex_unlock(&tlock);
    /* The threads are parked: their records do not change meanwhile. */
    int rc = keys && args && new_args && typed && who ? 0 : -1;
    if (rc == 0)
        rc = kt_migrate_thread_args(keys, args, new_args, typed, m);
    for (int i = 0; rc == 0 && i < m; i++) {
        who[i]->new_arg = new_args[i];
        who[i]->arg_typed = typed[i];
    }
    free(keys);
    free(args);
    free(new_args);
    free(typed);
    free(who);
    if (rc)
        kt_update_fail("cannot migrate the threads' arguments");
}

void kt_threads_restart(const struct kt_version *old, const struct kt_version *nv)
{
    pthread_mutex_lock(&tlock);
    for (struct kt_thread **p = &threads; *p;) {
        struct kt_thread *t = *p;
        if (t->is_main) {
            p = &t->next;
            continue;
        }
        if (t->removed) {
            /* Parked forever would leak the thread: let it run to completion in a
             * retired version?  No: it is told to exit at its update point. */
            t->start = NULL;
        } else if (!t->added) {
            const struct kt_addr_entry *e = kt_version_lookup_addr(old, (uintptr_t)t->start);
            t->start = (kt_pthread_fn *)kt_version_func_addr(nv, e->key);
            t->arg = t->arg_typed ? t->new_arg : kt_migrate_translate(t->arg);
        }
        p = &t->next;
    }
    for (struct kt_thread *t = threads; t; t = t->next)
        if (!t->is_main && !t->added && t->state == PARKED)
            t->state = RESTART;
    pthread_cond_broadcast(&tcond);
    /* Wait until every restarted thread has left the old version's frames. */
    for (;;) {
        int waiting = 0;
        for (struct kt_thread *t = threads; t; t = t->next)
            if (t->state == RESTART)
                waiting = 1;
        if (!waiting)
            break;
        kt_libc.pthread_cond_wait(&tcond, &tlock);
    }
    /* Threads added during the update start now, in the new version. */
    for (struct kt_thread *t = threads; t; t = t->next) {
        if (!t->added)
            continue;
        t->added = 0;
        t->start_updating = t->point[0] != 0;
        pthread_create(&t->tid, t->has_attr ? &t->attr : NULL, thread_main, t);
    }
    pthread_mutex_unlock(&tlock);
}

/* ---- per-thread update state ---- */


const char *kt_thread_updating_from(void)
{
    return updating_from;
}

/* A restarted thread reached the point it left from (any point, if it left from inside
 * a blocking call before passing a named one): its update is finished. */
void kt_thread_finish_update(const char *point)
{
    if (kt_thread_updating() && (!updating_from[0] || strcmp(point, updating_from) == 0))
        kt_lifecycle_set_thread_updating(0);
}


/* The update point a parking thread is at: the last one it passed (the fast path
 * records it), else the last one the runtime saw; "" when it passed none. */
const char *kt_thread_last_point(void)
{
    if (!self)
        return NULL;
    return kitsune_point_passed ? kitsune_point_passed : self->point;
}

void kt_thread_note_point(const char *point)
{
    if (self && strcmp(self->point, point) != 0)
        snprintf(self->point, sizeof self->point, "%s", point);
}

int kt_thread_registered(void)
{
    return self != NULL;
}

/* ---- wakeable waits ---- */

int ktthreads_pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
    return ktthreads_pthread_cond_timedwait(cond, mutex, NULL);
}


int ktthreads_pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
                                     const struct timespec *abstime)
{
    if (self)
        self->wait_cond = cond;
    int rc = abstime ? kt_libc.pthread_cond_timedwait(cond, mutex, abstime)
                     : kt_libc.pthread_cond_wait(cond, mutex);
    if (self)
        self->wait_cond = NULL;
    if (__atomic_load_n(&kitsune_attention, __ATOMIC_ACQUIRE) && self)
        kt_wait_point(mutex);
    return rc;
}

void ktthreads_ms_sleep(int ms)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = (long long)ts.tv_nsec + (long long)(ms % 1000) * 1000000;
    ts.tv_sec += ms / 1000 + (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&m);
    ktthreads_pthread_cond_timedwait(&c, &m, &ts);
    pthread_mutex_unlock(&m);
}

void ktthreads_update_callback(void (*cb)(void *), void *arg)
{
    if (!self)
        return;
    pthread_mutex_lock(&tlock);
    self->kick_cb = cb;
    self->kick_arg = arg;
    pthread_mutex_unlock(&tlock);
}

/* ---- iteration (for _kitsune_mainupdate_xform) ---- */

static ktthread_info info;
static struct kt_thread *last_returned;

void kitsune_threads_reset(void)
{
    iter = threads;
    last_returned = NULL;
}

/* During an update the start function is shown as the new version's function of the
 * same key, the one the thread will restart in. */
ktthread_info *kitsune_threads_next(void)
{
    while (iter && iter->is_main)
        iter = iter->next;
    if (!iter)
        return NULL;
    info.arg = iter->arg;
    info.start_fun = iter->start;
    if (kt_rt.old && !iter->added) {
        const struct kt_addr_entry *e = kt_version_lookup_addr(kt_rt.old, (uintptr_t)iter->start);
        void *nf = e ? kt_version_func_addr(kt_rt.cur, e->key) : NULL;
        if (nf)
            info.start_fun = (kt_pthread_fn *)nf;
    }
    info.update_pt = iter->point;
    info.attr = iter->attr;
    last_returned = iter;
    iter = iter->next;
    return &info;
}

void kitsune_thread_remove(void)
{
    /* Marks the thread last returned by kitsune_threads_next(). */
    if (last_returned && !last_returned->is_main)
        last_returned->removed = 1;
}

void kitsune_thread_add(void *arg, kt_pthread_fn *fn, const char *update_pt,
                        pthread_attr_t *attr)
{
    struct kt_thread *t = new_record();
    if (!t)
        return;
    t->start = fn;
    t->arg = arg;
    t->added = 1;
    if (update_pt)
        snprintf(t->point, sizeof t->point, "%s", update_pt);
    if (attr) {
        t->attr = *attr;
        t->has_attr = 1;
    }
}

/* Threads that will restart in the new version at commit. */
int kt_threads_count_restarted(void)
{
    int n = 0;
    pthread_mutex_lock(&tlock);
    for (struct kt_thread *t = threads; t; t = t->next)
        if (!t->is_main && !t->removed && (t->state == PARKED || (t->added && t->point[0])))
            n++;
    pthread_mutex_unlock(&tlock);
    return n;
}

/* In the child of fork() only the forking thread exists: it becomes the main thread
 * of a new kitsune process.  The other records belong to the parent. */
void kt_threads_after_fork(void)
{
    pthread_mutex_init(&tlock, NULL);
    pthread_cond_init(&tcond, NULL);
    struct kt_thread *me = self;
    threads = NULL;
    if (!me)
        me = calloc(1, sizeof *me);
    if (!me)
        return;
    me->next = NULL;
    me->tid = pthread_self();
    me->is_main = 1;
    kt_lifecycle_mark_main();
    me->state = RUNNING;
    threads = me;
    self = me;
    note_identity(me);
}

/* The update point a thread last passed: the fast path's record when it points into a
 * loaded object (status is served by the control thread, which also runs updates, so
 * no version is unloaded meanwhile), else the last one the runtime saw. */
static const char *point_of(const struct kt_thread *t)
{
    const char *p = t->passed ? __atomic_load_n(t->passed, __ATOMIC_RELAXED) : NULL;
    Dl_info info;
    if (p && dladdr(p, &info))
        return p;
    return t->point;
}

size_t kt_threads_json(char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "[");
    pthread_mutex_lock(&tlock);
    for (struct kt_thread *t = threads; t && n + 512 < len; t = t->next) {
        if (t->removed || t->added)
            continue;
        n += (size_t)snprintf(out + n, len - n, "%s{\"tid\":%d,\"main\":%s,\"point\":",
                              n > 1 ? "," : "", (int)t->lwp, t->is_main ? "true" : "false");
        n += kt_json_str(out + n, len - n, point_of(t));
        n += (size_t)snprintf(out + n, len - n, "}");
    }
    pthread_mutex_unlock(&tlock);
    n += (size_t)snprintf(out + n, len - n, "]");
    return n < len ? n : len - 1;
}

/* The start arguments of the threads that will restart in the new version. */
int kt_threads_args(void **out, int max)
{
    int n = 0;
    pthread_mutex_lock(&tlock);
    for (struct kt_thread *t = threads; t && n < max; t = t->next)
        if (!t->is_main && !t->removed && t->arg)
            out[n++] = t->arg;
    pthread_mutex_unlock(&tlock);
    return n;
}
