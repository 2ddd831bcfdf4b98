/* maps.c - the process's readable memory, from /proc/self/maps: a sorted list of
 * ranges that `--check` and the audit read when they run, and one snapshot taken when
 * a state transfer starts.
 *
 * The engines follow every pointer they find in the old state.  One that was never
 * initialised (a field malloc left as it found it) points anywhere; following it
 * faults or, worse, walks garbage.  So before a pointer is followed it is checked
 * against the snapshot: the object it points to must lie in readable memory.  The
 * snapshot is taken with every thread parked, so what the old state can point to was
 * mapped then.  A pointer into the main heap must also lie inside a block malloc
 * handed out (chunks.c): a garbage value that happens to fall in the heap is refused
 * as "not an allocation".  Without a snapshot (it could not be read) nothing is
 * refused.
 *
 * /proc itself is opened when the runtime starts and kept (O_PATH): a process that
 * chroots into a directory without /proc still reads its own files through it, and
 * loads new versions from their /proc/PID/fd name (version.c).  KITSUNE_NO_PROC_FD=1
 * does without (such a process then cannot be updated): the descriptor leads out of
 * the chroot, which a compromised process could use. */
#include <dlfcn.h>
#include <fcntl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kitsune.h"
#include "common.h"
#include "maps.h"
#include "chunks.h"
#include "proc.h"
#include "libc.h"

void kt_maps_free(struct kt_maps *m)
{
    free(m->r);
    m->r = NULL;
    m->n = 0;
    m->heap = -1;
}

/* Readable mappings, sorted as the kernel lists them, adjacent ones merged; -1 when
 * they cannot be read, -2 out of memory. */
int kt_maps_load(struct kt_maps *m)
{
    kt_maps_free(m);
    FILE *f = kt_proc_fopen("maps");
    if (!f)
        return -1;
    char line[512];
    int cap = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r')
            continue;
        int heap = strstr(line, "[heap]") != NULL;
        if (m->n && m->r[m->n - 1].hi == lo) {
            m->r[m->n - 1].hi = hi;
            if (heap)
                m->heap = m->n - 1;
            continue;
        }
        if (m->n == cap) {
            cap = cap ? cap * 2 : 256;
            struct kt_map_range *n = realloc(m->r, (size_t)cap * sizeof *n);
            if (!n) {
                fclose(f);
                kt_maps_free(m);
                return -2;
            }
            m->r = n;
        }
        if (heap)
            m->heap = m->n;
        m->r[m->n++] = (struct kt_map_range){lo, hi};
    }
    fclose(f);
    return 0;
}

/* Whether [p, p + len) lies in one readable range (len 0 counts as 1). */
int kt_maps_contains_range(const struct kt_maps *m, uintptr_t p, size_t len)
{
    uintptr_t end = p + (len ? len : 1);
    if (end < p)
        return 0;
    if (m->heap >= 0 && m->heap < m->n && p >= m->r[m->heap].lo && end <= m->r[m->heap].hi)
        return 1; /* a binary search of every object's range was 6 % of a 1M-node list */
    int lo = 0, hi = m->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (m->r[mid].hi <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n && m->r[lo].lo <= p && end <= m->r[lo].hi;
}

int kt_maps_contains(const struct kt_maps *m, uintptr_t p)
{
    return kt_maps_contains_range(m, p, 1);
}

static struct kt_maps snapshot;
static struct kt_chunks heap; /* the main arena's chunks in use, at the snapshot */

static int glibc_malloc = -1; /* the program's malloc is libc's (kt_maps_glibc_malloc) */

int kt_maps_glibc_malloc(void)
{
    if (glibc_malloc < 0) {
        void *libc = kt_libc_dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
        void *used = kt_libc_dlsym(RTLD_DEFAULT, "malloc");
        glibc_malloc = libc && used && used == kt_libc_dlsym(libc, "malloc");
        if (libc)
            kt_libc_dlclose(libc);
    }
    return glibc_malloc;
}

/* -1 only for out of memory: memory that cannot be judged must not be followed. */
int kt_maps_snapshot(void)
{
    kt_maps_glibc_malloc(); /* known before the engines ask, on the main thread */
    if (kt_chunks_index(&heap) < 0 || kt_maps_load(&snapshot) == -2) {
        kt_maps_snapshot_free();
        return -1;
    }
    return 0; /* also without /proc/self/maps: nothing is refused then */
}

void kt_maps_snapshot_free(void)
{
    kt_maps_free(&snapshot);
    kt_chunks_free(&heap);
}

static size_t header_block_size(uintptr_t p);
static size_t sanitizer_block_size(uintptr_t p);

/* A pointer into the heap must lie inside one chunk malloc handed out (chunks.c).
 * block, unless NULL: from the same lookup, the usable size of the block p starts (0
 * when it starts none) - kt_maps_block_size. */
static KT_NO_ASAN int in_allocation(uintptr_t p, size_t len, size_t *block)
{
    if (!kt_chunks_known(&heap, p)) {
        if (block)
            *block = kt_maps_glibc_malloc() ? header_block_size(p) : sanitizer_block_size(p);
        return 1;
    }
    uintptr_t end, s = kt_chunks_find(&heap, p, &end);
    if (block)
        *block = s == p ? end - p : 0;
    return s && p + (len ? len : 1) <= end;
}

int kt_maps_readable(uintptr_t p, size_t len)
{
    return !snapshot.n ||
           (kt_maps_contains_range(&snapshot, p, len) && in_allocation(p, len, NULL));
}

/* kt_maps_readable and kt_maps_block_size in one heap-index lookup (an object that is
 * rebuilt is checked for both; the second lookup was 15 % of a 1M-node list's pause). */
int kt_maps_heap_object(uintptr_t p, size_t len, size_t *block)
{
    int inside = in_allocation(p, len, block);
    return !snapshot.n || (kt_maps_contains_range(&snapshot, p, len) && inside);
}

static int mapped(uintptr_t p, size_t len)
{
    return !snapshot.n || kt_maps_contains_range(&snapshot, p, len);
}

int kt_maps_mapped(uintptr_t p, size_t len)
{
    return mapped(p, len);
}

/* From the heap index where it knows p; else (a block of another arena, or mmapped, or
 * no index) from malloc's chunk header, read only where mapped, and for a block in use
 * the next chunk's flag saying so (tcache and fast bins keep that bit too: a freed
 * block can pass; a pointer to it was dangling anyway).  Under AddressSanitizer, from
 * its allocator. */
size_t kt_maps_block_size(uintptr_t p)
{
    size_t block;
    in_allocation(p, 0, &block);
    return block;
}

#if defined(__SANITIZE_ADDRESS__)
/* AddressSanitizer's allocator (the sanitizer build) has no glibc chunk headers but says
 * itself whether p starts one of its blocks and how many bytes were asked for. */
int __sanitizer_get_ownership(const volatile void *p);
size_t __sanitizer_get_allocated_size(const volatile void *p);
#endif

static size_t sanitizer_block_size(uintptr_t p)
{
#if defined(__SANITIZE_ADDRESS__)
    if (__sanitizer_get_ownership((const void *)p))
        return __sanitizer_get_allocated_size((const void *)p);
#endif
    (void)p;
    return 0;
}

int kt_maps_block_sizes_known(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#else
    return kt_maps_glibc_malloc();
#endif
}

/* The block size told by malloc's chunk header at p (not known to the heap index). */
static KT_NO_ASAN size_t header_block_size(uintptr_t p)
{
    if (p & 15 || !mapped(p - 16, 16))
        return 0;
    size_t word = *(const size_t *)(p - 8), size = word & ~(size_t)7;
    if (size < 32 || size & 15)
        return 0;
    if (word & 2) { /* IS_MMAPPED: the mapping starts prev_size bytes before the header,
                     * on a page boundary (a word inside a larger block seldom agrees) */
        uintptr_t map = p - 16 - *(const size_t *)(p - 16);
        return !(map & 4095) && mapped(p - 16, size) ? size - 16 : 0;
    }
    uintptr_t next = p - 16 + size;
    if (!mapped(next, 16) || !(*(const size_t *)(next + 8) & 1)) /* PREV_INUSE */
        return 0;
    return size - 8;
}

const char *kt_maps_why(uintptr_t p, size_t len)
{
    if (snapshot.n && !kt_maps_contains_range(&snapshot, p, len))
        return "not in mapped memory";
    return in_allocation(p, len, NULL) ? NULL : "not an allocation";
}

void kt_maps_heap_range(uintptr_t *lo, uintptr_t *hi)
{
    FILE *f = kt_proc_fopen("maps");
    char line[512];
    *lo = *hi = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strstr(line, "[heap]")) {
            unsigned long l, h;
            if (sscanf(line, "%lx-%lx", &l, &h) == 2) {
                *lo = l;
                *hi = h;
            }
        }
    }
    if (f)
        fclose(f);
}
