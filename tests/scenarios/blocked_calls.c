/* Kitsune threads blocked in ordinary calls - sleep, a nanosleep restarted on the time
 * left after EINTR, poll, select, read of a pipe, a plain pthread_cond_wait and
 * epoll_wait, nothing ever arriving - each once with every signal blocked and once
 * with none, reach quiescence at once: the calls park inside when an update is
 * pending (runtime/blocking.c).  Before that a thread blocking every signal held each
 * update for its whole sleep, and the others for ever (the update was refused).
 * After each commit the threads are restarted in the new version, block again, and
 * the next update finds them the same way.
 * kitsune-test: max-quiesce-ms=100 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

#include "scenario.h"

enum call { C_SLEEP, C_NANOSLEEP_RESTARTED, C_POLL, C_SELECT, C_READ, C_COND, C_EPOLL, NCALLS };

int pipe_fds[2]; /* never written: every wait on it blocks */
int epoll_fd;
pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t never = PTHREAD_COND_INITIALIZER;
int starts[2 * NCALLS]; /* how often each thread (re)started */

/* A sleep that goes on after an interruption for the time that was left. */
static void thread_sleep(long ms)
{
    struct timespec req = {ms / 1000, (ms % 1000) * 1000000L}, rem;
    while (nanosleep(&req, &rem) == -1 && errno == EINTR)
        req = rem;
}

static void block_once(enum call c)
{
    char byte;
    struct pollfd p = {pipe_fds[0], POLLIN, 0};
    fd_set set;
    struct epoll_event ev;
    switch (c) {
    case C_SLEEP:
        sleep(1);
        break;
    case C_NANOSLEEP_RESTARTED:
        thread_sleep(1000);
        break;
    case C_POLL:
        poll(&p, 1, -1);
        break;
    case C_SELECT:
        FD_ZERO(&set);
        FD_SET(pipe_fds[0], &set);
        select(pipe_fds[0] + 1, &set, NULL, NULL, NULL);
        break;
    case C_READ:
        if (read(pipe_fds[0], &byte, 1) < 0 && errno != EINTR)
            printf("FAIL read: %s\n", strerror(errno));
        break;
    case C_COND:
        pthread_mutex_lock(&lock);
        pthread_cond_wait(&never, &lock);
        pthread_mutex_unlock(&lock);
        break;
    case C_EPOLL:
        epoll_wait(epoll_fd, &ev, 1, -1);
        break;
    default:
        break;
    }
}

/* Thread i blocks in call i % NCALLS, with every signal blocked when i >= NCALLS. */
void *blocked(void *arg)
{
    long i = (long)arg;
    __atomic_add_fetch(&starts[i], 1, __ATOMIC_RELAXED);
    if (i >= NCALLS) {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
    }
    for (;;) {
        kitsune_update("blocked");
        block_once((enum call)(i % NCALLS));
    }
    return NULL;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        if (pipe(pipe_fds) < 0)
            return 1;
        epoll_fd = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = pipe_fds[0]};
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pipe_fds[0], &ev);
        for (long i = 0; i < 2 * NCALLS; i++) {
            pthread_t t;
            kitsune_pthread_create(&t, NULL, blocked, (void *)i);
        }
        /* Every thread is in its call before the first update is asked for. */
        for (int i = 0; i < 2 * NCALLS; i++)
            while (!__atomic_load_n(&starts[i], __ATOMIC_RELAXED))
                usleep(1000);
        usleep(50 * 1000);
        printf("ready\n");
        fflush(stdout);
    } else {
        scenario_report();
    }
    for (;;) {
        kitsune_update("main");
        usleep(1000);
    }
}
