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
 * the addresses after that point are not judged (kt_chunks_known). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static size_t bit_of(const struct kt_chunks *ci, uintptr_t p)
{
    return (p - ci->lo) >> 4;
}

void kt_chunks_free(struct kt_chunks *ci)
{
    free(ci->starts);
    memset(ci, 0, sizeof *ci);
}

KT_NO_ASAN int kt_chunks_index(struct kt_chunks *ci)
{
    memset(ci, 0, sizeof *ci);
    if (heap_bounds(ci) || !ci->lo || (ci->lo & 15))
        return 0;
    ci->nbits = (ci->hi - ci->lo) >> 4;
    ci->starts = calloc(ci->nbits / 64 + 1, sizeof *ci->starts);
    if (!ci->starts)
        return -1;
    uintptr_t c = ci->lo;
    ci->known_hi = c;
    while (c + 32 <= ci->hi) {
        size_t size = *(const size_t *)(c + 8) & ~(size_t)7;
        uintptr_t next = c + size;
        if (size >= 32 && !(size & 15) && next == ci->hi) {
            ci->known_hi = ci->hi; /* the top chunk: free, and the end of the heap */
            break;
        }
        if (size < 32 || (size & 15) || next + 16 > ci->hi)
            break; /* not a chunk: what follows is not known */
        if (*(const size_t *)(next + 8) & 1) {
            size_t b = bit_of(ci, c + 16);
            ci->starts[b >> 6] |= (uint64_t)1 << (b & 63);
        }
        c = next;
        ci->known_hi = c;
    }
    return 0;
}

KT_NO_ASAN uintptr_t kt_chunks_find(const struct kt_chunks *ci, uintptr_t p, uintptr_t *end)
{
    if (p < ci->lo + 16 || p >= ci->hi || !ci->starts)
        return 0;
    size_t b = bit_of(ci, p);
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

int kt_chunks_known(const struct kt_chunks *ci, uintptr_t p)
{
    return ci->starts && p >= ci->lo && p < ci->known_hi;
}
