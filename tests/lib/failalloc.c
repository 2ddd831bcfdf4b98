/* failalloc.c - a preloaded allocator for the out-of-memory test (run_faults.sh): while
 * an update request carries `--fault alloc=N`, the Nth call of malloc, calloc or
 * realloc in the process fails (returns NULL with ENOMEM), once; every other call goes
 * to glibc.  The runtime arms it (kt_fault_alloc_at, KITSUNE_FAULTS builds); without
 * libkitsune, or unarmed, it changes nothing.  Allocations libc makes internally (its
 * own strdup, for instance) do not pass here.
 *
 * It is also the check that a crash's rollback allocates nothing until it knows the
 * allocator works (run_alloc_crash.sh): while the runtime sets kt_fault_alloc_trap
 * (`--fault crash_path_alloc`), a malloc, calloc, realloc or free of the main thread
 * ends the process at once with status 99 and a line on stderr. */
#include <errno.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

extern long kt_fault_alloc_at __attribute__((weak));
extern long kt_fault_alloc_count __attribute__((weak));
extern long kt_fault_alloc_trap __attribute__((weak));

void __libc_free(void *p);

static void trap(const char *what)
{
    static const char msg[] = "failalloc: the main thread called ";
    static const char tail[] = " on the crash path\n";
    size_t n = 0;
    while (what[n])
        n++;
    if (!&kt_fault_alloc_trap || !__atomic_load_n(&kt_fault_alloc_trap, __ATOMIC_SEQ_CST) ||
        syscall(SYS_gettid) != getpid())
        return;
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, what, n) < 0 ||
        write(2, tail, sizeof tail - 1) < 0)
        _exit(99);
    _exit(99);
}

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);

static int should_fail(void)
{
    if (!&kt_fault_alloc_at || !__atomic_load_n(&kt_fault_alloc_at, __ATOMIC_RELAXED))
        return 0;
    long n = __atomic_add_fetch(&kt_fault_alloc_count, 1, __ATOMIC_RELAXED);
    if (n != __atomic_load_n(&kt_fault_alloc_at, __ATOMIC_RELAXED))
        return 0;
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t size)
{
    trap("malloc");
    return should_fail() ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    trap("calloc");
    return should_fail() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    trap("realloc");
    return should_fail() ? NULL : __libc_realloc(p, size);
}

void free(void *p)
{
    trap("free");
    __libc_free(p);
}
