/* chunks.h - the chunks in use of glibc's main arena (chunks.c). */
#ifndef KITSUNE_CHUNKS_H
#define KITSUNE_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* The chunks in use of glibc's main arena ([heap]) */
struct kt_chunks {
    uintptr_t lo, hi;   /* [heap] */
    uintptr_t known_hi; /* the walk's end: beyond it (not glibc's heap?) nothing is known */
    uint64_t *starts;   /* a bit per 16 bytes: a chunk in use starts there */
    size_t nbits;
};
int kt_chunks_index(struct kt_chunks *ci); /* -1: out of memory */
/* The same walked in `parts` parts (0: one per CPU for a large heap; chunks.c), each
 * part after the first by its own thread, or one after the other before the first
 * when !threads (the tests: no thread allocates while the heap is walked); the answers
 * do not depend on it. */
int kt_chunks_index_parts(struct kt_chunks *ci, int parts, int threads);
void kt_chunks_free(struct kt_chunks *ci);
/* The start of the chunk in use holding p, or 0; *end: the end of its user area (0 with
 * none).  Inline, as kt_chunks_known: the engines ask for every pointer they follow. */
static inline KT_NO_ASAN uintptr_t kt_chunks_find(const struct kt_chunks *ci, uintptr_t p,
                                                  uintptr_t *end)
{
    *end = 0;
    if (p < ci->lo + 16 || p >= ci->hi || !ci->starts)
        return 0;
    size_t b = (p - ci->lo) >> 4;
    size_t w = b >> 6;
    uint64_t bits = ci->starts[w] & (~(uint64_t)0 >> (63 - (b & 63)));
    for (int steps = 0; !bits && w > 0 && steps < 4096; steps++)
        bits = ci->starts[--w];
    if (!bits)
        return 0;
    uintptr_t s = ci->lo + (((w << 6) + 63 - (size_t)__builtin_clzll(bits)) << 4);
    *end = s - 8 + (*(const size_t *)(s - 8) & ~(size_t)7);
    return p < *end ? s : 0;
}

/* Whether p is judged: it lies where the walk of the heap reached. */
static inline int kt_chunks_known(const struct kt_chunks *ci, uintptr_t p)
{
    return ci->starts && p >= ci->lo && p < ci->known_hi;
}

#endif
