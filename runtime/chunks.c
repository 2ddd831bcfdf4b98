/* chunks.c - the main arena's chunks: which addresses of [heap] malloc has handed out.
 *
 * Used by the audit (audit.c), which scans the chunks reachable from the program's
 * roots, and by the engines' check of each pointer they follow (maps.c): a pointer
 * into [heap] must lie inside a chunk in use, or it is garbage - a field never
 * initialised that happens to hold a heap-like value, a pointer to a freed block.
 *
 * The index is built by walking glibc's main arena from the start of [heap] (each
 * chunk's size word leads to the next), as two bitmaps at the allocator's 16-byte
 * granularity are kept by the audit, one here: where a chunk in use starts.  A chunk
 * is in use when the next one's PREV_INUSE bit says so; tcache and fastbin chunks look
 * in use (a pointer to one of those freed blocks is not caught).  The walk ends at the
 * top chunk; when it ends anywhere else (another allocator, or [heap] not glibc's),
 * the addresses after that point are not judged (kt_chunks_known).  A large heap is
 * walked in parts at once, one thread each, with the same answers ("the walk split in
 * parts" below).  The index is built whole at the snapshot, not as the engines ask: it
 * must describe the heap as the old state left it, and the engines allocate into the
 * same heap meanwhile (a dangling pointer into a block reused for a new object would
 * pass). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"
#include "proc.h"
#include "maps.h"
#include "chunks.h"

static int heap_bounds(struct kt_chunks *ci)
{
    FILE *f = kt_proc_fopen("maps");
    char line[512];
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (strstr(line, "[heap]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
            ci->lo = lo;
            ci->hi = hi;
        }
    }
    fclose(f);
    return 0;
}

void kt_chunks_free(struct kt_chunks *ci)
{
    free(ci->starts);
    memset(ci, 0, sizeof *ci);
}

/* One step of the walk at chunk c: STEP_ON with *next (and whether c is in use, told
 * by the next chunk's PREV_INUSE); STEP_TOP at the top chunk (free, the heap's end);
 * STEP_BAD when c is not a chunk (the walk knows nothing from c on).  The size is
 * bounded before it is added: a speculative walk (below) reads garbage too. */
enum { STEP_ON, STEP_TOP, STEP_BAD };

/* Each step's read waits for the one before (the size leads to the next chunk), so the
 * heap is fetched ahead: 2 KB ahead, the walk of a redis-like heap of 124 MB took
 * 25 - 38 ms instead of 38 - 45 (medians of 7, alternating, on the loaded 2-CPU VM). */
enum { PREFETCH = 2048 };

static KT_NO_ASAN int step(uintptr_t c, uintptr_t hi, uintptr_t *next, int *inuse)
{
    if (c + 32 > hi)
        return STEP_BAD;
    size_t size = *(const size_t *)(c + 8) & ~(size_t)7;
    if (size < 32 || (size & 15) || size > hi - c)
        return STEP_BAD;
    if (c + size == hi)
        return STEP_TOP;
    if (c + size + 16 > hi)
        return STEP_BAD;
    *next = c + size;
    *inuse = *(const size_t *)(c + size + 8) & 1;
    return STEP_ON;
}

static void set_bit(uint64_t *bits, size_t b)
{
    bits[b >> 6] |= (uint64_t)1 << (b & 63);
}

static int get_bit(const uint64_t *bits, size_t b)
{
    return (int)(bits[b >> 6] >> (b & 63)) & 1;
}

/* ---- the walk split in parts ----
 *
 * The chunks can only be told by walking from a chunk known to be one, and glibc keeps
 * no such boundary inside the heap: only [heap]'s start is one.  So the walk of a large
 * heap (45 ms at 1M redis keys, every update) is split instead: part k (k > 0) is
 * walked at the same time by its own thread from a place where the words look like a
 * chain of chunks (speculation: it may be a field that happens to look so), recording
 * every boundary of its chain.  The walk from the heap's start, the only one known to
 * be right, goes on into part k until it reaches a boundary that part k's chain also
 * has: two chains that meet go on together, so from there on part k's answers are
 * the walk's own and are taken over; the bits part k recorded before that point are
 * dropped.  A part whose chain never meets the walk costs its time and nothing else:
 * the answers are those of a walk from the start.  A part still looking for a place to
 * start when the walk reaches it is given up (the walk does not wait for it); one that
 * started is waited for: it walks no faster than the walk would itself. */
struct part {
    uintptr_t s, e;        /* [s, e): where its chain starts; s is 1024-aligned from lo */
    uintptr_t hi;          /* [heap]'s end */
    uintptr_t first;       /* where it started, 0: no place looked like a chain */
    uintptr_t exit;        /* its first boundary at or after e, or where its chain ended */
    int stop;              /* its chain ended at exit: top (known_hi = hi) or not a chunk */
    uintptr_t stop_hi;     /* known_hi then */
    uint64_t *starts;      /* bit (c + 16 - s) / 16: a chunk in use starts at c */
    uint64_t *bounds;      /* bit (c - s) / 16: its chain has a boundary at c */
    int state;             /* atomic: P_LOOKING, P_WALKING, P_DONE */
    int cancel;            /* atomic: the walk needs it no more */
    int dead;              /* given up: its bits are not used */
    pthread_t tid;
    int running;
};

enum { P_LOOKING, P_WALKING, P_DONE };

static int cancelled(struct part *g)
{
    return __atomic_load_n(&g->cancel, __ATOMIC_RELAXED);
}

enum { MAX_PARTS = 64, SYNC_STEPS = 32, PART_MIN = 8 << 20 };

/* Whether the words at c look like SYNC_STEPS chunks in a row (or a chain to the top). */
static KT_NO_ASAN int looks_like_chain(uintptr_t c, uintptr_t hi)
{
    for (int i = 0; i < SYNC_STEPS; i++) {
        int inuse, st = step(c, hi, &c, &inuse);
        if (st != STEP_ON)
            return st == STEP_TOP;
    }
    return 1;
}

static KT_NO_ASAN void walk_chain(struct part *g, uintptr_t c)
{
    for (unsigned long i = 1;; i++) {
        if (c >= g->e) {
            g->exit = c;
            return;
        }
        if (!(i & 1023) && cancelled(g))
            return;
        set_bit(g->bounds, (c - g->s) >> 4);
        __builtin_prefetch((const void *)(c + PREFETCH));
        uintptr_t next;
        int inuse, st = step(c, g->hi, &next, &inuse);
        if (st != STEP_ON) {
            g->exit = c;
            g->stop = 1;
            g->stop_hi = st == STEP_TOP ? g->hi : c;
            return;
        }
        if (inuse)
            set_bit(g->starts, (c + 16 - g->s) >> 4);
        c = next;
    }
}

/* A part's thread: the first place that looks like a chain, then its chain to e. */
static KT_NO_ASAN void *walk_part(void *arg)
{
    struct part *g = arg;
    uintptr_t c = g->s;
    while (c < g->e && !looks_like_chain(c, g->hi) && !cancelled(g))
        c += 16;
    if (c < g->e && !cancelled(g)) {
        g->first = c;
        __atomic_store_n(&g->state, P_WALKING, __ATOMIC_RELEASE);
        walk_chain(g, c);
    }
    __atomic_store_n(&g->state, P_DONE, __ATOMIC_RELEASE);
    return NULL;
}

static size_t part_bytes(const struct part *g)
{
    return (((g->e - g->s) >> 4) / 64 + 2) * sizeof(uint64_t);
}

/* A part's bitmap, mapped apart from malloc: the heap being walked stays as it was
 * (a block taken from it would change the answers of the parts walked after). */
static uint64_t *part_bits(const struct part *g)
{
    void *m = mmap(NULL, part_bytes(g), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

/* Parts of [lo, hi) for n walkers: part 0 is the walk from the start's (no thread). */
static void start_parts(const struct kt_chunks *ci, struct part *g, int n, int threads)
{
    size_t span = (ci->hi - ci->lo) / (size_t)n;
    for (int k = 1; k < n; k++) {
        g[k] = (struct part){.s = ci->lo + ((k * span) & ~(size_t)1023), .hi = ci->hi};
        g[k - 1].e = g[k].s;
    }
    g[n - 1].e = ci->hi;
    for (int k = 1; k < n; k++) {
        g[k].starts = part_bits(&g[k]);
        g[k].bounds = part_bits(&g[k]);
        if (g[k].starts && g[k].bounds && !threads)
            walk_part(&g[k]);
        else if (g[k].starts && g[k].bounds)
            g[k].running = pthread_create(&g[k].tid, NULL, walk_part, &g[k]) == 0;
        g[k].dead = !g[k].running && g[k].state != P_DONE;
    }
}

static void end_part(struct part *g)
{
    if (g->running)
        pthread_join(g->tid, NULL);
    g->running = 0;
}

static void free_part(struct part *g)
{
    __atomic_store_n(&g->cancel, 1, __ATOMIC_RELAXED);
    end_part(g);
    if (g->starts)
        munmap(g->starts, part_bytes(g));
    if (g->bounds)
        munmap(g->bounds, part_bytes(g));
}

/* Whether the walk's boundary c is also one of part g's chain (g is given up if it
 * has not started yet, waited for if it has). */
static int meets(struct part *g, uintptr_t c)
{
    if (g->dead)
        return 0;
    if (__atomic_load_n(&g->state, __ATOMIC_ACQUIRE) == P_LOOKING) {
        __atomic_store_n(&g->cancel, 1, __ATOMIC_RELAXED);
        g->dead = 1;
        return 0;
    }
    end_part(g);
    return g->first && c >= g->first && c < g->e && get_bit(g->bounds, (c - g->s) >> 4);
}

/* Takes over part g's bits of the chunks in use from boundary c on (its own earlier
 * bits are not the walk's): word for word, g->s being a multiple of 64 bits from lo. */
static void take_over(struct kt_chunks *ci, const struct part *g, uintptr_t c)
{
    size_t from = (c + 16 - g->s) >> 4, w0 = (g->s - ci->lo) >> 10;
    size_t words = part_bytes(g) / sizeof(uint64_t), last = ci->nbits / 64;
    for (size_t w = from >> 6; w < words && w0 + w <= last; w++) {
        uint64_t bits = g->starts[w];
        if (w == from >> 6)
            bits &= ~(uint64_t)0 << (from & 63);
        ci->starts[w0 + w] |= bits;
    }
}

/* The walk from [heap]'s start, taking over the parts' chains where it meets them. */
static KT_NO_ASAN void walk(struct kt_chunks *ci, struct part *g, int n)
{
    uintptr_t c = ci->lo;
    int k = 1;
    ci->known_hi = c;
    for (;;) {
        while (k < n && c >= g[k].e)
            k++;
        if (k < n && c >= g[k].s && meets(&g[k], c)) {
            take_over(ci, &g[k], c);
            if (g[k].stop) {
                ci->known_hi = g[k].stop_hi;
                return;
            }
            c = ci->known_hi = g[k].exit;
            k++;
            continue;
        }
        __builtin_prefetch((const void *)(c + PREFETCH));
        uintptr_t next;
        int inuse, st = step(c, ci->hi, &next, &inuse);
        if (st != STEP_ON) {
            ci->known_hi = st == STEP_TOP ? ci->hi : c;
            return;
        }
        if (inuse)
            set_bit(ci->starts, (c + 16 - ci->lo) >> 4);
        c = ci->known_hi = next;
    }
}

/* How many walkers for this heap: one per CPU, each with at least PART_MIN bytes. */
static int default_parts(const struct kt_chunks *ci)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t by_size = (ci->hi - ci->lo) / PART_MIN;
    long n = cpus < 1 ? 1 : cpus > 8 ? 8 : cpus;
    return (size_t)n > by_size ? (by_size ? (int)by_size : 1) : (int)n;
}

int kt_chunks_index(struct kt_chunks *ci)
{
    return kt_chunks_index_parts(ci, 0, 1);
}

int kt_chunks_index_parts(struct kt_chunks *ci, int parts, int threads)
{
    memset(ci, 0, sizeof *ci);
    if (heap_bounds(ci) || !ci->lo || (ci->lo & 15))
        return 0;
    ci->nbits = (ci->hi - ci->lo) >> 4;
    ci->starts = calloc(ci->nbits / 64 + 1, sizeof *ci->starts);
    if (!ci->starts)
        return -1;
    int n = parts > 0 ? parts : default_parts(ci);
    if (n > MAX_PARTS)
        n = MAX_PARTS;
    if ((size_t)n > (ci->hi - ci->lo) / 2048) /* parts of at least two bitmap words */
        n = 1;
    struct part g[MAX_PARTS];
    g[0] = (struct part){.s = ci->lo, .e = ci->hi};
    if (n > 1)
        start_parts(ci, g, n, threads);
    walk(ci, g, n);
    for (int k = 1; k < n; k++)
        free_part(&g[k]);
    return 0;
}

