/* blocking.c - blocking calls of kitsune threads that an update can wake.
 *
 * An update waits for every kitsune thread to park at an update point.  A thread
 * blocked in a system call is normally interrupted by the runtime's wake signal
 * (EINTR) and the program's loop brings it to its update point.  Two kinds of thread
 * defeat that: one that blocks every signal (a reload thread doing `sleep(1)` in a
 * loop made every update wait for it), and one whose code restarts the call after
 * EINTR (a `thread_sleep` that loops `nanosleep` on the remaining time made every
 * update wait for the whole sleep).  And a plain `pthread_cond_wait` is not
 * interrupted by signals at all.
 *
 * libkitsune is loaded before libc in every kitsune process (the `kitsune` command
 * links it first), so the definitions below take the place of libc's for the whole
 * program; each hands straight over to libc's own function for threads that do not
 * take part in updates, and adds nothing but a thread-local test on the fast path of
 * the others.  For a kitsune thread that has passed an update point:
 *
 *  - a sleep (`sleep`, `usleep`, `nanosleep`, `clock_nanosleep`) and a condition wait
 *    park *inside* the call when an update is pending - the call becomes the thread's
 *    update point, as `ktthreads_pthread_cond_wait` always was, named after the last
 *    one the runtime saw it pass, or else unnamed: a thread that parked at an unnamed
 *    point ends its update at the first update point it reaches in the new version
 *    (for the main thread, that commits) - and after a refused or rolled-back update the sleep goes on for the
 *    time that was left; a sleep interrupted by one of the program's own signals still
 *    returns EINTR;
 *  - `poll`, `select`, `epoll_wait` and `read` keep their EINTR behaviour, and only in a
 *    thread that blocks the wake signal (tracked by wrapping `pthread_sigmask` and
 *    `sigprocmask`) do they also wait on the runtime's wakeup fd and park inside the
 *    call, since such a thread can be reached no other way.
 *
 * The runtime's own waits call libc directly through kt_libc (libc.h). */
#include "kitsune.h"
#include "blocking.h"
#include "lifecycle.h"
#include "libc.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

/* Whether the calling thread blocks the wake signal: -1 until known. */
static __thread int wake_blocked = -1;

/* ---- whether the wake signal is blocked ---- */

void kt_blocking_thread_start(void)
{
    sigset_t cur;
    kt_libc.pthread_sigmask(SIG_SETMASK, NULL, &cur);
    wake_blocked = sigismember(&cur, kt_threads_wake_signal()) == 1;
}

static void note_mask_change(int how, const sigset_t *set)
{
    if (!set || wake_blocked < 0)
        return;
    int in = sigismember(set, kt_threads_wake_signal()) == 1;
    if (how == SIG_SETMASK)
        wake_blocked = in;
    else if (how == SIG_BLOCK && in)
        wake_blocked = 1;
    else if (how == SIG_UNBLOCK && in)
        wake_blocked = 0;
}

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    int rc = kt_libc.pthread_sigmask(how, set, old);
    if (rc == 0)
        note_mask_change(how, set);
    return rc;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    int rc = kt_libc.sigprocmask(how, set, old);
    if (rc == 0)
        note_mask_change(how, set);
    return rc;
}

/* ---- parking inside a call ---- */

/* How to park, from the park/restart protocol (NULL until the main thread registers:
 * no thread takes part in updates before). */
static const struct kt_park_ops *park;

void kt_blocking_set_park(const struct kt_park_ops *ops)
{
    __atomic_store_n(&park, ops, __ATOMIC_RELEASE);
}

static const struct kt_park_ops *park_ops(void)
{
    return __atomic_load_n(&park, __ATOMIC_ACQUIRE);
}

/* A registered thread can park inside its calls. */
static int joins_updates(void)
{
    const struct kt_park_ops *p = park_ops();
    return p && p->last_point() != NULL;
}

/* The wakeup fd (kitsune_wakeup_fd), for a thread that joins updates. */
static int wakeup_fd(void)
{
    const struct kt_park_ops *p = park_ops();
    return p ? p->wakeup_fd() : -1;
}

static int can_park(void)
{
    const struct kt_park_ops *p = park_ops();
    return p && p->can_park();
}

static int attention(void)
{
    return __atomic_load_n(&kitsune_attention, __ATOMIC_ACQUIRE);
}

/* Whether waiting on the wakeup fd is of use: not while an update that this thread
 * cannot join is pending (the fd then stays readable; the thread already parked and
 * was let go, or it is the main thread running the new version).  Such a thread
 * waits in slices of WAIT_SLICE_MS instead of spinning on the fd. */
#define WAIT_SLICE_MS 1

static int watch_wakeup(void)
{
    return !attention() || can_park();
}

/* Parks at the thread's last update point if an update wants it; returns 1 if the
 * thread was parked (and came back: the update was refused or rolled back). */
static int park_here(void)
{
    if (!attention() || !can_park())
        return 0;
    int saved = errno;
    park_ops()->wait_point(NULL);
    errno = saved;
    return 1;
}

/* ---- time ---- */

static int64_t ts_ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
    struct timespec t = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    return t;
}

static int64_t clock_ns(clockid_t clk)
{
    struct timespec t;
    clock_gettime(clk, &t);
    return ts_ns(&t);
}

/* Milliseconds left until `until_ns` for a wait whose timeout was `timeout` (-1: none),
 * cut to a slice when the wakeup fd is not watched. */
static int wait_ms(int timeout, int64_t until_ns, int watch)
{
    int ms = -1;
    if (timeout >= 0) {
        int64_t left = until_ns - clock_ns(CLOCK_MONOTONIC);
        ms = left > 0 ? (int)((left + 999999) / 1000000) : 0;
    }
    if (!watch && (ms < 0 || ms > WAIT_SLICE_MS))
        ms = WAIT_SLICE_MS;
    return ms;
}

static int time_left(int timeout, int64_t until_ns)
{
    return timeout < 0 || until_ns > clock_ns(CLOCK_MONOTONIC);
}

/* ---- sleeps ---- */

/* Sleeps on `clk` until the absolute time `until_ns`, parking inside for an update.
 * Returns 0, or an errno value (EINTR for one of the program's own signals) with the
 * time left in *left_ns. */
static int wakeable_sleep(clockid_t clk, int64_t until_ns, int64_t *left_ns)
{
    for (;;) {
        int64_t left = until_ns - clock_ns(clk);
        *left_ns = left > 0 ? left : 0;
        if (left <= 0)
            return 0;
        int n;
        if (watch_wakeup()) {
            struct pollfd p = {wakeup_fd(), POLLIN, 0};
            struct timespec t = ns_ts(left);
            n = kt_libc.ppoll(&p, 1, &t, NULL);
        } else {
            struct timespec t = ns_ts(left < WAIT_SLICE_MS * 1000000 ? left
                                                                   : WAIT_SLICE_MS * 1000000);
            n = kt_libc.nanosleep(&t, NULL);
        }
        if (n > 0)
            park_here();
        if (n < 0 && errno != EINTR)
            return errno;
        if (n < 0 && !park_here()) {
            left = until_ns - clock_ns(clk);
            *left_ns = left > 0 ? left : 0;
            return EINTR;
        }
    }
}

int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                    struct timespec *rem)
{
    if (!joins_updates() || !req || req->tv_nsec < 0 || req->tv_nsec >= 1000000000)
        return kt_libc.clock_nanosleep(clk, flags, req, rem);
    int64_t until = flags & TIMER_ABSTIME ? ts_ns(req) : clock_ns(clk) + ts_ns(req);
    int64_t left;
    int rc = wakeable_sleep(clk, until, &left);
    if (rc == EINTR && rem && !(flags & TIMER_ABSTIME))
        *rem = ns_ts(left);
    return rc;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!joins_updates())
        return kt_libc.nanosleep(req, rem);
    int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem);
    if (rc) {
        errno = rc;
        return -1;
    }
    return 0;
}

int usleep(useconds_t us)
{
    if (!joins_updates())
        return kt_libc.usleep(us);
    struct timespec req = ns_ts((int64_t)us * 1000);
    return nanosleep(&req, NULL);
}

unsigned int sleep(unsigned int s)
{
    if (!joins_updates())
        return kt_libc.sleep(s);
    struct timespec req = {(time_t)s, 0}, rem = {0, 0};
    if (nanosleep(&req, &rem) < 0)
        return (unsigned)rem.tv_sec + (rem.tv_nsec > 0);
    return 0;
}

/* ---- condition waits (the runtime broadcasts the condition to wake them) ---- */

int pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
    if (!joins_updates())
        return kt_libc.pthread_cond_wait(cond, mutex);
    return park_ops()->cond_timedwait(cond, mutex, NULL);
}

int pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
                           const struct timespec *abstime)
{
    if (!joins_updates())
        return kt_libc.pthread_cond_timedwait(cond, mutex, abstime);
    return park_ops()->cond_timedwait(cond, mutex, abstime);
}

/* ---- waits on descriptors, in a thread that blocks the wake signal ---- */

static int needs_wakeup_fd(void)
{
    return __builtin_expect(wake_blocked == 1, 0) && joins_updates();
}

/* Larger sets are waited on as they are, without the wakeup fd. */
#define SMALL_POLL 64

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (timeout == 0 || !needs_wakeup_fd() || n >= SMALL_POLL)
        return kt_libc.poll(fds, n, timeout);
    struct pollfd all[SMALL_POLL + 1];
    memcpy(all, fds, n * sizeof *fds);
    all[n] = (struct pollfd){wakeup_fd(), POLLIN, 0};
    int64_t until = clock_ns(CLOCK_MONOTONIC) + (int64_t)timeout * 1000000;
    for (;;) {
        int watch = watch_wakeup();
        int rc = kt_libc.poll(all, n + (nfds_t)watch, wait_ms(timeout, until, watch));
        if (rc > 0 && watch && all[n].revents) {
            rc--;
            all[n].revents = 0;
            if (rc == 0 && park_here())
                continue;
        }
        if (rc == 0 && time_left(timeout, until))
            continue;
        for (nfds_t i = 0; i < n; i++)
            fds[i].revents = all[i].revents;
        return rc;
    }
}

int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
    if (timeout == 0 || !needs_wakeup_fd())
        return kt_libc.epoll_wait(epfd, events, max, timeout);
    struct pollfd p[2] = {{epfd, POLLIN, 0}, {wakeup_fd(), POLLIN, 0}};
    int64_t until = clock_ns(CLOCK_MONOTONIC) + (int64_t)timeout * 1000000;
    for (;;) {
        int watch = watch_wakeup();
        int rc = kt_libc.poll(p, 1 + (nfds_t)watch, wait_ms(timeout, until, watch));
        if (rc < 0)
            return rc;
        if (rc > 0 && p[0].revents) {
            rc = kt_libc.epoll_wait(epfd, events, max, 0);
            if (rc != 0)
                return rc;
        } else if (rc > 0) {
            park_here();
        }
        if (!time_left(timeout, until))
            return 0;
    }
}

int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
    int wfd = wakeup_fd();
    if ((tv && tv->tv_sec == 0 && tv->tv_usec == 0) || !needs_wakeup_fd() ||
        wfd >= FD_SETSIZE || nfds > FD_SETSIZE)
        return kt_libc.select(nfds, r, w, e, tv);
    fd_set none;
    FD_ZERO(&none);
    fd_set r0 = r ? *r : none, w0 = w ? *w : none, e0 = e ? *e : none;
    int timeout = tv ? (int)(tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000) : -1;
    int64_t until = clock_ns(CLOCK_MONOTONIC) + (int64_t)timeout * 1000000;
    for (;;) {
        int watch = watch_wakeup();
        int ms = wait_ms(timeout, until, watch);
        struct timeval t = {ms / 1000, (ms % 1000) * 1000};
        fd_set rs = r0, ws = w0, es = e0;
        if (watch)
            FD_SET(wfd, &rs);
        int top = watch && wfd >= nfds ? wfd + 1 : nfds;
        int rc = kt_libc.select(top, &rs, &ws, &es, ms < 0 ? NULL : &t);
        if (rc > 0 && watch && FD_ISSET(wfd, &rs)) {
            FD_CLR(wfd, &rs);
            rc--;
            if (rc == 0 && park_here())
                continue;
        }
        if (rc == 0 && time_left(timeout, until))
            continue;
        if (r)
            *r = rs;
        if (w)
            *w = ws;
        if (e)
            *e = es;
        if (tv && rc >= 0) {
            int left = wait_ms(timeout, until, 1);
            *tv = (struct timeval){left / 1000, (left % 1000) * 1000};
        }
        return rc;
    }
}

ssize_t read(int fd, void *buf, size_t len)
{
    if (!needs_wakeup_fd())
        return kt_libc.read(fd, buf, len);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_NONBLOCK))
        return kt_libc.read(fd, buf, len);
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, -1) < 0) /* the wakeable poll above */
        return -1;
    return kt_libc.read(fd, buf, len);
}
