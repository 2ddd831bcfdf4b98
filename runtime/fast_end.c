/* fast_end.c - the end of a forwarding-engine transfer.
 *
 * Rollback: slot writes of objects fixed in place are undone, the first word of every
 * rebuilt object restored, the new objects freed.  Commit: a background thread frees
 * the old rebuilt objects of the main heap (those marked READY) and unmaps the
 * bitmaps, so that the program resumes without waiting for it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fast_internal.h"
#include "log.h"
#include "maps.h"

/* What the background free needs once the engine is gone. */
struct retire {
    struct region *regions;
    int ready_bytes;
    uintptr_t *side_old;
    size_t nside_old;
    uintptr_t lo, hi;
};

/* The rebuilt objects among 64 granules, from the bits or the bytes. */
static uint64_t ready_word(const uint64_t *bits, size_t wi, int bytes)
{
    if (!bytes)
        return bits[wi * BW + B_READY];
    uint64_t marked = bits[wi * BW + B_MARK], ready = 0;
    const uint8_t *rb = (const uint8_t *)bits + READY_BYTES_OFF + wi * 64;
    while (marked) {
        int b = __builtin_ctzll(marked);
        marked &= marked - 1;
        if (rb[b])
            ready |= 1ULL << b;
    }
    return ready;
}

static void *retire_old(void *arg)
{
    struct retire *r = arg;
    for (size_t i = 0; i < NREGIONS; i++) {
        if (!r->regions[i].key)
            continue;
        uint64_t *bits = r->regions[i].bits;
        uintptr_t base = (r->regions[i].key - 1) << REGION_SHIFT;
        for (size_t wi = 0; wi < REGION_WORDS; wi++) {
            uint64_t ready = ready_word(bits, wi, r->ready_bytes);
            while (ready) {
                int b = __builtin_ctzll(ready);
                ready &= ready - 1;
                uintptr_t q = base + ((wi * 64 + (size_t)b) << GRAN_SHIFT);
                if (q >= r->lo && q < r->hi)
                    free((void *)q);
            }
        }
        munmap(bits, REGION_BYTES);
    }
    for (size_t i = 0; i < r->nside_old; i++)
        if (r->side_old[i] >= r->lo && r->side_old[i] < r->hi)
            free((void *)r->side_old[i]);
    free(r->side_old);
    free(r->regions);
    free(r);
    return NULL;
}

static void undo_transfer(void)
{
    for (int i = 0; i < F.nthreads; i++) {
        struct worker *w = &F.w[i];
        for (size_t j = w->nundo; j-- > 0;)
            *w->undo[j].slot = w->undo[j].value;
        free(w->cur_new); /* allocated, never published */
        w->cur_new = NULL;
    }
    /* First words: from the new object (which holds a copy of them where the plan
     * copies them), then the logged ones over that; every new object is freed. */
    for (size_t i = 0; i < NREGIONS; i++) {
        if (!F.regions[i].key)
            continue;
        uint64_t *bits = F.regions[i].bits;
        uintptr_t base = (F.regions[i].key - 1) << REGION_SHIFT;
        for (size_t wi = 0; wi < REGION_WORDS; wi++) {
            uint64_t ready = ready_word(bits, wi, F.ready_bytes);
            while (ready) {
                int b = __builtin_ctzll(ready);
                ready &= ready - 1;
                uintptr_t *q = (uintptr_t *)(base + ((wi * 64 + (size_t)b) << GRAN_SHIFT));
                uintptr_t *nb = (uintptr_t *)*q;
                *q = *nb;
                free(nb);
            }
        }
        munmap(bits, REGION_BYTES);
    }
    for (int i = 0; i < F.nthreads; i++)
        for (size_t j = 0; j < F.w[i].nfirsts; j++)
            *(uintptr_t *)F.w[i].firsts[j].obj = F.w[i].firsts[j].word;
    for (size_t i = 0; F.side && i <= F.side_mask; i++)
        if (F.side[i].kind == S_FWD && F.side[i].ready && F.side[i].val != F.side[i].key)
            free((void *)F.side[i].val);
    free(F.regions);
}

void fast_end(int committed)
{
    uintptr_t heap_lo = 0, heap_hi = 0;
    if (committed)
        kt_maps_heap_range(&heap_lo, &heap_hi);
    if (!F.active)
        return;
    if (F.helpers) {
        /* A failure on the main thread while helpers run: stop them first. */
        __atomic_store_n(&F.halt, 1, __ATOMIC_RELAXED);
        pthread_mutex_lock(&F.lock);
        pthread_cond_broadcast(&F.cond);
        pthread_mutex_unlock(&F.lock);
        fast_stop_helpers();
    }
    fast_set_handlers(0);
    size_t nregions = 0;
    for (size_t i = 0; F.regions && i < NREGIONS; i++)
        nregions += F.regions[i].key != 0;
    if (committed && nregions == 0 && F.nside == 0) {
        free(F.regions); /* nothing was rebuilt: nothing to free */
    } else if (committed) {
        struct retire *r = calloc(1, sizeof *r);
        if (r) {
            r->regions = F.regions;
            r->ready_bytes = F.ready_bytes;
            r->lo = heap_lo;
            r->hi = heap_hi;
            size_t n = 0;
            for (size_t i = 0; F.side && i <= F.side_mask; i++)
                n += F.side[i].kind == S_FWD && F.side[i].ready && F.side[i].val != F.side[i].key;
            r->side_old = n ? malloc(n * sizeof *r->side_old) : NULL;
            for (size_t i = 0; r->side_old && i <= F.side_mask; i++)
                if (F.side[i].kind == S_FWD && F.side[i].ready && F.side[i].val != F.side[i].key)
                    r->side_old[r->nside_old++] = F.side[i].key;
            pthread_t t;
            pthread_attr_t a;
            pthread_attr_init(&a);
            pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
            if (pthread_create(&t, &a, retire_old, r) != 0)
                retire_old(r);
            pthread_attr_destroy(&a);
        }
    } else {
        undo_transfer();
    }
    F.regions = NULL;
    for (int i = 0; i < F.nthreads; i++) {
        free(F.w[i].st);
        free(F.w[i].undo);
        free(F.w[i].firsts);
        free(F.w[i].conts);
        free(F.w[i].inners);
    }
    free(F.conts);
    F.conts = NULL;
    F.nconts = F.cap_conts = 0;
    free(F.inners);
    F.inners = NULL;
    F.ninners = F.cap_inners = 0;
    F.interior = 0;
    F.ncontplans = 0;
    F.cont_grans = 0;
    free(F.w);
    F.w = NULL;
    free(F.side);
    F.side = NULL;
    F.nside = F.side_mask = 0;
    free(F.shared);
    F.shared = NULL;
    F.nshared = F.cap_shared = 0;
    free(F.lookups);
    F.lookups = NULL;
    F.nlookups = F.cap_lookups = 0;
    fast_free_plans();
    F.active = 0;
    F.halt = 0;
    F.draining = 0;
    cur_w = NULL;
}

/* Function pointers in what generated code transforms ($xform closures, XF_FPTR). */
