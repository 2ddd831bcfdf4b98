/* libc.h - libc's own functions, for the runtime's waits and lookups (libc.c):
 * blocking.c and plugins.c take their names for the program's calls. */
#ifndef KITSUNE_LIBC_H
#define KITSUNE_LIBC_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

struct kt_libc {
    unsigned int (*sleep)(unsigned int);
    int (*usleep)(useconds_t);
    int (*nanosleep)(const struct timespec *, struct timespec *);
    int (*clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
    int (*poll)(struct pollfd *, nfds_t, int);
    int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
    int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
    int (*epoll_wait)(int, struct epoll_event *, int, int);
    ssize_t (*read)(int, void *, size_t);
    int (*pthread_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
    int (*pthread_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *,
                                  const struct timespec *);
    int (*pthread_sigmask)(int, const sigset_t *, sigset_t *);
    int (*sigprocmask)(int, const sigset_t *, sigset_t *);
};
extern struct kt_libc kt_libc;

/* Waits on `cond` (with `mutex` held) for at most `ms` milliseconds, with libc's own
 * wait: the runtime's polling loops. */
void kt_cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *mutex, int ms);

/* libc's dlsym (RTLD_NEXT: the definition after libkitsune's), dlopen, dlclose and
 * dlinfo: the runtime's own loading, of versions and of what they need. */
void *kt_libc_dlsym(void *handle, const char *name);
void *kt_libc_dlopen(const char *path, int flags);
int kt_libc_dlclose(void *handle);
int kt_libc_dlinfo(void *handle, int request, void *arg);

#endif
