/* chunks.h - the chunks in use of glibc's main arena (chunks.c). */
#ifndef KITSUNE_CHUNKS_H
#define KITSUNE_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

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
/* The start of the chunk in use holding p, or 0; *end: the end of its user area. */
uintptr_t kt_chunks_find(const struct kt_chunks *ci, uintptr_t p, uintptr_t *end);
int kt_chunks_known(const struct kt_chunks *ci, uintptr_t p); /* p is judged */

#endif
