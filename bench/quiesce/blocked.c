/* blocked.c - a program whose one kitsune thread blocks, for ever, in the call named
 * by BLOCKED_CALL (sleep, nanosleep, poll, select, read, cond, epoll), with every signal
 * blocked when BLOCK_SIGNALS=1.  bench/quiesce.sh updates it to itself and reads the
 * quiescence time. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "kitsune.h"

int pipe_fds[2];
int epoll_fd;
pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void block_in(const char *call)
{
    char byte;
    struct pollfd p = {pipe_fds[0], POLLIN, 0};
    struct epoll_event ev;
    fd_set set;
    struct timespec ten_s = {10, 0};
    if (strcmp(call, "sleep") == 0) {
        sleep(10);
    } else if (strcmp(call, "nanosleep") == 0) {
        nanosleep(&ten_s, NULL);
    } else if (strcmp(call, "poll") == 0) {
        poll(&p, 1, -1);
    } else if (strcmp(call, "select") == 0) {
        FD_ZERO(&set);
        FD_SET(pipe_fds[0], &set);
        select(pipe_fds[0] + 1, &set, NULL, NULL, NULL);
    } else if (strcmp(call, "read") == 0) {
        if (read(pipe_fds[0], &byte, 1) < 0)
            return;
    } else if (strcmp(call, "cond") == 0) {
        pthread_mutex_lock(&lock);
        pthread_cond_wait(&never, &lock);
        pthread_mutex_unlock(&lock);
    } else if (strcmp(call, "epoll") == 0) {
        epoll_wait(epoll_fd, &ev, 1, -1);
    }
}

void *blocked(void *arg)
{
    (void)arg;
    const char *sig = getenv("BLOCK_SIGNALS");
    if (sig && strcmp(sig, "1") == 0) {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
    }
    const char *call = getenv("BLOCKED_CALL");
    for (;;) {
        kitsune_update("blocked");
        block_in(call ? call : "sleep");
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
        pthread_t t;
        kitsune_pthread_create(&t, NULL, blocked, NULL);
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("main");
        usleep(1000);
    }
}
