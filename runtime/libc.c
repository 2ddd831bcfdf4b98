/* libc.c - libc's own functions for the runtime (libc.h): the blocking calls that
 * blocking.c takes over for the program, and dlsym, which plugins.c takes over.  A
 * leaf, so that the runtime's own waits and lookups depend on neither. */
#include "libc.h"

#include <dlfcn.h>
#include <time.h>
#include <unistd.h>

struct kt_libc kt_libc;

/* libc's dynamic loader calls themselves: libkitsune's dlopen, dlsym, dlclose and
 * dlinfo are plugins.c's (dlvsym is not taken over).  The caller-sensitive ones
 * (dlopen, dlsym with RTLD_NEXT) see this file's caller as libkitsune, as the callers
 * they replace in libkitsune did. */
static void *dl_fn(const char *name)
{
    /* Their own versions on glibc >= 2.34, and the one before (libdl). */
    void *f = dlvsym(RTLD_NEXT, name, "GLIBC_2.34");
    return f ? f : dlvsym(RTLD_NEXT, name, "GLIBC_2.2.5");
}

void *kt_libc_dlsym(void *handle, const char *name)
{
    static void *(*real)(void *, const char *);
    if (!real)
        real = (void *(*)(void *, const char *))dl_fn("dlsym");
    return real ? real(handle, name) : NULL;
}

void *kt_libc_dlopen(const char *path, int flags)
{
    static void *(*real)(const char *, int);
    if (!real)
        real = (void *(*)(const char *, int))dl_fn("dlopen");
    return real ? real(path, flags) : NULL;
}

int kt_libc_dlclose(void *handle)
{
    static int (*real)(void *);
    if (!real)
        real = (int (*)(void *))dl_fn("dlclose");
    return real ? real(handle) : -1;
}

int kt_libc_dlinfo(void *handle, int request, void *arg)
{
    static int (*real)(void *, int, void *);
    if (!real)
        real = (int (*)(void *, int, void *))dl_fn("dlinfo");
    return real ? real(handle, request, arg) : -1;
}

static void *next_symbol(const char *name)
{
    void *f = kt_libc_dlsym(RTLD_NEXT, name);
    if (!f) {
        /* Without libc's function the process cannot go on; this runs before main. */
        static const char msg[] = "kitsune: cannot find libc's blocking calls\n";
        ssize_t n = write(2, msg, sizeof msg - 1);
        (void)n;
        _exit(127);
    }
    return f;
}

/* Runs before any program version is loaded: only libc and libm, which call their own
 * functions directly, are initialised before libkitsune. */
__attribute__((constructor)) static void resolve_libc(void)
{
    kt_libc.sleep = next_symbol("sleep");
    kt_libc.usleep = next_symbol("usleep");
    kt_libc.nanosleep = next_symbol("nanosleep");
    kt_libc.clock_nanosleep = next_symbol("clock_nanosleep");
    kt_libc.poll = next_symbol("poll");
    kt_libc.ppoll = next_symbol("ppoll");
    kt_libc.select = next_symbol("select");
    kt_libc.epoll_wait = next_symbol("epoll_wait");
    kt_libc.read = next_symbol("read");
    kt_libc.pthread_cond_wait = next_symbol("pthread_cond_wait");
    kt_libc.pthread_cond_timedwait = next_symbol("pthread_cond_timedwait");
    kt_libc.pthread_sigmask = next_symbol("pthread_sigmask");
    kt_libc.sigprocmask = next_symbol("sigprocmask");
}

void kt_cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *mutex, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = ts.tv_nsec + (long long)ms * 1000000;
    ts.tv_sec += (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    kt_libc.pthread_cond_timedwait(cond, mutex, &ts);
}
