/* test_chunks.c - the heap-chunk index (runtime/chunks.c) against what this test
 * allocated and freed, walked in one part and in many at once.
 *
 * The index decides which heap pointers the engines follow: a pointer into a block in
 * use is followed, one into a freed block or a chunk header is refused.  Walked in
 * parts, each part after the first starts from a guess (words that look like chunks),
 * so the heap here holds what makes guesses wrong: large blocks filled with words that
 * look like a chain of 32-byte chunks, across the places where parts begin.  Every
 * split must give the same bits as the walk in one part, and the answers must be right:
 * a live block found at its start and inside it, a freed one and the blocks' fake
 * chunks not found. */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunks.h"

enum { NBLOCKS = 60000, NFAKE = 12, FAKE_SIZE = 1 << 20 };

static int failures;

#define EXPECT(cond, ...)                                                                \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            if (failures++ < 20) {                                                       \
                fprintf(stderr, "%s:%d: expected %s: ", __FILE__, __LINE__, #cond);     \
                fprintf(stderr, __VA_ARGS__);                                            \
                fputc('\n', stderr);                                                     \
            }                                                                            \
        }                                                                                \
    } while (0)

/* Every block, in the order allocated; static: nothing is allocated while checking. */
static char *blk[NBLOCKS];
static size_t len[NBLOCKS];
static char freed[NBLOCKS];
static char *fake[NFAKE];

static unsigned long rnd = 12345;

static size_t next_size(void)
{
    rnd = rnd * 6364136223846793005UL + 1442695040888963407UL;
    unsigned r = (unsigned)(rnd >> 33);
    /* Mostly small objects, some above tcache's reach (their frees are real frees). */
    return r % 10 < 8 ? 8 + r % 200 : 1100 + r % 3000;
}

/* The splits tried: 1 - 16 parts, then every 7th up to 64. */
static int next_parts(int parts)
{
    return parts + (parts < 16 ? 1 : 7);
}

/* A heap of small and large blocks, blocks of fake chunk words between them, and every
 * third large block freed (not merged into the top: later blocks stay in use). */
static void build_heap(void)
{
    mallopt(M_MMAP_THRESHOLD, 64 << 20); /* the fake blocks too come from [heap] */
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    int f = 0;
    for (int i = 0; i < NBLOCKS; i++) {
        if (f < NFAKE && i % (NBLOCKS / NFAKE) == NBLOCKS / NFAKE / 2) {
            fake[f] = malloc(FAKE_SIZE);
            /* size 32 | PREV_INUSE at every 16-byte place: a chain from anywhere */
            for (size_t w = 0; w < FAKE_SIZE / 8; w++)
                ((uint64_t *)(void *)fake[f])[w] = 0x21;
            f++;
        }
        len[i] = next_size();
        blk[i] = malloc(len[i]);
        memset(blk[i], 0x5a, len[i]);
    }
    /* What an index itself allocates (stdio's FILE and buffer) is allocated once before
     * the frees: the indexes checked reuse it, which leaves the freed blocks as they
     * are. */
    mallopt(M_MMAP_THRESHOLD, 128 << 10);
    static struct kt_chunks warm;
    kt_chunks_index_parts(&warm, 1, 0);
    kt_chunks_free(&warm);
    for (int i = 0; i < NBLOCKS - 100; i += 3)
        if (len[i] >= 1100) {
            free(blk[i]);
            freed[i] = 1;
        }
}

/* The answers for one index: every live block found, freed ones (when `freed_too`)
 * and fakes not. */
static void check_answers(const struct kt_chunks *ci, int parts, int freed_too)
{
    uintptr_t end;
    for (int i = 0; i < NBLOCKS; i++) {
        uintptr_t p = (uintptr_t)blk[i];
        EXPECT(kt_chunks_known(ci, p) || !freed_too, "parts %d: block %d at %#lx is judged", parts, i,
               (unsigned long)p);
        if (freed[i] && !freed_too)
            continue;
        if (freed[i]) {
            EXPECT(kt_chunks_find(ci, p, &end) == 0, "parts %d: freed block %d", parts, i);
            EXPECT(kt_chunks_find(ci, p + len[i] / 2, &end) == 0, "parts %d: inside freed "
                   "block %d", parts, i);
            continue;
        }
        EXPECT(kt_chunks_find(ci, p, &end) == p && end >= p + len[i], "parts %d: block %d",
               parts, i);
        EXPECT(kt_chunks_find(ci, p + len[i] - 1, &end) == p, "parts %d: last byte of block "
               "%d", parts, i);
        EXPECT(kt_chunks_find(ci, p - 8, &end) == 0, "parts %d: header of block %d", parts,
               i);
    }
    for (int f = 0; f < NFAKE; f++)
        for (size_t off = 0; off < FAKE_SIZE; off += 4096 + 16) {
            uintptr_t p = (uintptr_t)fake[f] + off;
            EXPECT(kt_chunks_find(ci, p, &end) == (uintptr_t)fake[f], "parts %d: fake chunk "
                   "at %zu in block %d", parts, off, f);
        }
}

int main(void)
{
    build_heap(); /* the indexes' bitmaps are mapped apart from [heap] from here on */
    static struct kt_chunks one, many;
    if (kt_chunks_index_parts(&one, 1, 0) || !one.starts) {
        fprintf(stderr, "no heap index\n");
        return 1;
    }
    check_answers(&one, 1, 1);
    size_t words = one.nbits / 64 + 1;
    for (int parts = 2; parts <= 64; parts = next_parts(parts)) {
        if (kt_chunks_index_parts(&many, parts, 0) || !many.starts) {
            fprintf(stderr, "no heap index in %d parts\n", parts);
            return 1;
        }
        EXPECT(many.lo == one.lo && many.hi == one.hi && many.known_hi == one.known_hi,
               "parts %d: the same heap and end (known_hi %#lx, %#lx)", parts,
               (unsigned long)many.known_hi, (unsigned long)one.known_hi);
        size_t differ = 0;
        for (size_t w = 0; w < words; w++)
            differ += many.starts[w] != one.starts[w];
        EXPECT(differ == 0, "parts %d: %zu bitmap words differ from one part's", parts,
               differ);
        check_answers(&many, parts, 1);
        kt_chunks_free(&many);
    }
    /* With threads (what the runtime does): their own allocations change the heap
     * while it is walked (glibc's thread records), so only the blocks in use and the
     * fakes are checked. */
    for (int parts = 2; parts <= 64; parts *= 2) {
        if (kt_chunks_index_parts(&many, parts, 1) || !many.starts) {
            fprintf(stderr, "no heap index in %d parts with threads\n", parts);
            return 1;
        }
        check_answers(&many, parts, 0);
        kt_chunks_free(&many);
    }
    /* Above the top of the heap nothing is in use. */
    uintptr_t end;
    EXPECT(kt_chunks_find(&one, one.hi - 64, &end) == 0, "the top chunk is free");
    kt_chunks_free(&one);
    printf("%s (%d failures)\n", failures ? "FAILED" : "PASS", failures);
    return failures != 0;
}
