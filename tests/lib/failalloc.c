/* failalloc.c - a preloaded allocator for the out-of-memory test (run_faults.sh): while
 * an update request carries `--fault alloc=N`, the Nth call of malloc, calloc or
 * realloc in the process fails (returns NULL with ENOMEM), once; every other call goes
 * to glibc.  The runtime arms it (kt_fault_alloc_at, KITSUNE_FAULTS builds); without
 * libkitsune, or unarmed, it changes nothing.  Allocations libc makes internally (its
 * own strdup, for instance) do not pass here. */
#include <errno.h>
#include <stddef.h>

extern long kt_fault_alloc_at __attribute__((weak));
extern long kt_fault_alloc_count __attribute__((weak));

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
    return should_fail() ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    return should_fail() ? NULL : __libc_realloc(p, size);
}
