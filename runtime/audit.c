/* audit.c - the audit before commit: no word of the memory the program keeps may point
 * into the version about to be retired.
 *
 * After the commit the old version's code and writable data become inaccessible (see
 * kt_version_retire).  A pointer the engines could not see - behind an E_OPAQUE or
 * void * pointer, in a chunk reached only through one - that still leads there makes
 * the program silently use stale data, or crash later, far from the cause.  The
 * --check walk (check.c) follows typed pointers only; this audit is conservative and
 * type-blind: it scans every word of the new version's writable data and of the
 * threads' start arguments, and of every heap chunk reachable from them through any
 * word that points into a chunk.  A word pointing into the old version's writable
 * data or bss, or into its code anywhere but a function's first instruction (those
 * calls are redirected, stale.c), is a violation: the update rolls back and the
 * reason gives the location of each (the variable and offset, or the chunk, its size
 * and how it was reached) and what it points to.
 *
 * Chunks are found by walking glibc's main arena ([heap], chunks.c) and, for large
 * blocks, by recognising a mmap'd chunk's header.
 * Chunks of other threads' arenas are not followed (a known limit).  Only chunks
 * reached from the roots are scanned: the runtime's own allocations, which do refer
 * to the old version, and freed chunks are not. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kitsune.h"
#include "common.h"
#include "log.h"
#include "version.h"
#include "migrate.h"
#include "maps.h"
#include "chunks.h"
#include "audit.h"
#include "opaque_check.h"

#define MAX_VIOLATIONS 4

/* An origin: a chunk (its start, >= 4096), or a root (its index, < 4096). */
struct root {
    uintptr_t lo, hi;
    const char *what; /* "data", "thread argument", "large heap block" */
};

/* On a failure a second pass records how each chunk was reached: chunk -> the word
 * that first pointed to it, and that word's origin. */
struct via {
    uintptr_t chunk, word, origin;
};

struct audit {
    const struct kt_version *old, *nv;
    struct kt_chunks ci;
    uint64_t *seen;       /* the chunks reached, by the bits of ci */
    struct kt_maps maps;
    struct root roots[16];
    int nroots;
    struct {
        uintptr_t chunk, end;
    } *work;
    size_t nwork, capwork;
    struct bad {
        uintptr_t at, target, origin;
    } bad[MAX_VIOLATIONS];
    int nbad, nbad_total;
    struct via *vias;     /* open addressing by chunk, only in the second pass */
    size_t via_mask, nvias;
    size_t bytes, chunks;
    int failed; /* out of memory */
    const char *const *paths; /* kt_audit_opaque: where each word of root 0 is */
    const char *title;        /* "audit", "opaque check" */
    size_t budget;            /* > 0: stop after this many bytes of chunks (over) */
    size_t pending;           /* bytes of the chunks pushed so far */
    int over;
    int data_only;            /* only words into the old writable data are violations */
    int shallow;              /* chunks are scanned, not followed further */
};

/* The main arena's chunks (chunks.c), and which of them were reached. */
static int test_bit(const uint64_t *map, size_t b)
{
    return map[b >> 6] >> (b & 63) & 1;
}

static size_t bit_of(const struct kt_chunks *ci, uintptr_t p)
{
    return (p - ci->lo) >> 4;
}

/* ---- what may not be pointed to ---- */

static int is_function_start(const struct kt_version *v, uintptr_t p)
{
    const struct kt_addr_entry *e = kt_version_lookup_addr(v, p);
    return e && e->func >= 0 && e->lo == p;
}

/* data_only: words into the old code are let be (see kt_audit_opaque). */
static int forbidden(const struct kt_version *old, uintptr_t p, int data_only)
{
    if (p < old->lo || p >= old->hi)
        return 0;
    for (int i = 0; i < old->nseg; i++)
        if (p >= old->seg[i].lo && p < old->seg[i].hi) {
            if (old->seg[i].prot & PROT_WRITE)
                return 1;
            if (old->seg[i].prot & PROT_EXEC)
                return !data_only && !is_function_start(old, p);
            return 0; /* read-only data stays readable */
        }
    return 0;
}

/* ---- the scan ---- */

static struct via *via_slot(struct audit *a, uintptr_t chunk)
{
    size_t h = (chunk >> 4) * 0x9e3779b97f4a7c15ULL >> 20 & a->via_mask;
    while (a->vias[h].chunk && a->vias[h].chunk != chunk)
        h = (h + 1) & a->via_mask;
    return &a->vias[h];
}

/* Second pass only: remember how `chunk` was reached (at most a million chunks). */
static void note_via(struct audit *a, uintptr_t chunk, uintptr_t word, uintptr_t origin)
{
    if (!a->vias || (a->nvias + 1) * 2 > a->via_mask + 1)
        return;
    struct via *v = via_slot(a, chunk);
    if (!v->chunk) {
        *v = (struct via){chunk, word, origin};
        a->nvias++;
    }
}

static void push(struct audit *a, uintptr_t chunk, uintptr_t end, uintptr_t word,
                 uintptr_t origin)
{
    size_t b = bit_of(&a->ci, chunk);
    if (test_bit(a->seen, b) || a->over)
        return;
    a->pending += end - chunk;
    if (a->budget && a->pending > a->budget) {
        a->over = 1; /* the budget is spent: no more chunks */
        return;
    }
    if (a->nwork == a->capwork) {
        size_t cap = a->capwork ? a->capwork * 2 : 4096;
        void *n = realloc(a->work, cap * sizeof *a->work);
        if (!n) {
            a->failed = 1;
            return;
        }
        a->work = n;
        a->capwork = cap;
    }
    a->seen[b >> 6] |= (uint64_t)1 << (b & 63);
    note_via(a, chunk, word, origin);
    a->work[a->nwork].chunk = chunk;
    a->work[a->nwork].end = end;
    a->nwork++;
}

/* A large block has a chunk of its own, mapped apart: its header says IS_MMAPPED. */
KT_NO_ASAN static int mmapped_chunk(const struct audit *a, uintptr_t p, uintptr_t *end)
{
    if ((p & 4095) != 16 || !kt_maps_contains(&a->maps, p - 16))
        return 0;
    size_t size = *(const size_t *)(p - 8);
    if (!(size & 2) || (size & ~(size_t)7) % 4096 || size < 4096)
        return 0;
    *end = p - 16 + (size & ~(size_t)7);
    return kt_maps_contains(&a->maps, *end - 1);
}

KT_NO_ASAN static void scan(struct audit *a, uintptr_t lo, uintptr_t hi, uintptr_t origin)
{
    const uintptr_t old_lo = a->old->lo, old_hi = a->old->hi;
    lo = (lo + 7) & ~(uintptr_t)7;
    for (uintptr_t p = lo; p + 8 <= hi && !a->failed; p += 8) {
        uintptr_t w = *(const uintptr_t *)p, end;
        if (w < 4096)
            continue;
        if (w >= old_lo && w < old_hi) {
            if (forbidden(a->old, w, a->data_only)) {
                if (a->nbad < MAX_VIOLATIONS)
                    a->bad[a->nbad++] = (struct bad){p, w, origin};
                a->nbad_total++;
            }
            continue;
        }
        if (a->shallow && origin >= 4096)
            continue; /* only what the roots point to is scanned */
        if (w >= a->ci.lo && w < a->ci.hi) {
            uintptr_t c = kt_chunks_find(&a->ci, w, &end);
            if (c)
                push(a, c, end, p, origin);
            continue;
        }
        if (mmapped_chunk(a, w, &end) && a->nroots < (int)(sizeof a->roots / sizeof *a->roots)) {
            int seen = 0;
            for (int i = 0; i < a->nroots; i++)
                seen |= a->roots[i].lo == w;
            if (!seen) { /* scanned at once: a handful at most */
                a->roots[a->nroots] = (struct root){w, end, "large heap block"};
                int k = a->nroots++;
                a->chunks++;
                a->bytes += end - w;
                scan(a, w, end, (uintptr_t)k);
            }
        }
    }
}

static void scan_chunks(struct audit *a)
{
    while (a->nwork && !a->failed) {
        a->nwork--;
        uintptr_t c = a->work[a->nwork].chunk, end = a->work[a->nwork].end;
        a->chunks++;
        a->bytes += end - c;
        scan(a, c, end, c);
    }
}

static void scan_all(struct audit *a, int nfixed)
{
    for (int k = 0; k < nfixed; k++) {
        scan(a, a->roots[k].lo, a->roots[k].hi, (uintptr_t)k);
        a->bytes += a->roots[k].hi - a->roots[k].lo;
        scan_chunks(a);
    }
}

/* ---- the report ---- */

/* A root word: "variable KEY+OFF", or the root's kind and offset. */
static size_t say_root_word(const struct audit *a, uintptr_t at, uintptr_t origin, char *out,
                            size_t len)
{
    const struct root *r = &a->roots[origin];
    const char *path = a->paths && origin == 0 ? a->paths[(at - r->lo) / sizeof(uintptr_t)]
                                                : NULL;
    if (a->paths && origin == 0)
        return (size_t)snprintf(out, len, "the never-followed pointer %s", path ? path : "?");
    const struct kt_addr_entry *e = r->what[0] == 'd' ? kt_version_lookup_addr(a->nv, at)
                                                       : NULL;
    if (e && e->var >= 0)
        return (size_t)snprintf(out, len, "variable %s+%lu", e->key,
                                (unsigned long)(at - e->lo));
    return (size_t)snprintf(out, len, "%s %#lx +%lu", r->what, (unsigned long)r->lo,
                            (unsigned long)(at - r->lo));
}

/* Where the word at `at` is: a root word, or a chunk and how it was reached (the root
 * word its chain of chunks starts from). */
static void say_location(struct audit *a, uintptr_t at, uintptr_t origin, char *out,
                         size_t len)
{
    if (origin < 4096) {
        say_root_word(a, at, origin, out, len);
        return;
    }
    uintptr_t end = 0;
    kt_chunks_find(&a->ci, origin, &end);
    size_t n = (size_t)snprintf(out, len, "heap chunk %#lx (%lu bytes) +%lu",
                                (unsigned long)origin, (unsigned long)(end - origin),
                                (unsigned long)(at - origin));
    uintptr_t o = origin;
    for (int hops = 0; a->vias && o >= 4096 && hops < 100000 && n < len; hops++) {
        struct via *v = via_slot(a, o);
        if (!v->chunk)
            break;
        o = v->origin;
        if (o < 4096) {
            n += (size_t)snprintf(out + n, len - n, ", reached from ");
            if (n < len)
                n += say_root_word(a, v->word, o, out + n, len - n);
            if (hops && n < len)
                snprintf(out + n, len - n, " through %d other chunk(s)", hops);
        }
    }
}

static void say_target(const struct kt_version *old, uintptr_t p, char *out, size_t len)
{
    const struct kt_addr_entry *e = kt_version_lookup_addr(old, p);
    int code = kt_version_is_text(old, p);
    if (e)
        snprintf(out, len, "%s %s+%lu", code ? "the code of" : "the data of", e->key,
                 (unsigned long)(p - e->lo));
    else
        snprintf(out, len, "%s at offset %#lx", code ? "code" : "writable data",
                 (unsigned long)(p - old->base));
}

static void report(struct audit *a, char *err, size_t errlen)
{
    size_t n = (size_t)snprintf(err, errlen, "%s failed: %d word(s) of the memory the "
                                "new version keeps point into version %u, which the commit "
                                "retires:", a->title, a->nbad_total, a->old->number);
    for (int i = 0; i < a->nbad && n < errlen; i++) {
        char where[300], what[300];
        say_location(a, a->bad[i].at, a->bad[i].origin, where, sizeof where);
        say_target(a->old, a->bad[i].target, what, sizeof what);
        n += (size_t)snprintf(err + n, errlen - n, "%s %s -> %s", i ? ";" : "", where, what);
    }
}

/* ---- entry ---- */

int kt_audit_default(void)
{
    const char *env = getenv("KITSUNE_AUDIT");
    if (env)
        return atoi(env) != 0;
    return KT_AUDIT_DEFAULT;
}

/* Scans from the a->nroots roots set up; 0, or -1 with the reason in err. */
static int audit_run(struct audit *a, char *err, size_t errlen)
{
    int rc = 0, nfixed = a->nroots;
    scan_all(a, nfixed);
    if (!a->failed && a->nbad_total) {
        a->over = 0;
        /* Again, noting how each chunk was reached, to say where the words are. */
        a->via_mask = (1u << 21) - 1;
        a->vias = calloc(a->via_mask + 1, sizeof *a->vias);
        memset(a->seen, 0, (a->ci.nbits / 64 + 1) * sizeof *a->seen);
        a->nroots = nfixed;
        a->nbad = a->nbad_total = 0;
        size_t bytes = a->bytes, chunks = a->chunks;
        a->bytes = a->chunks = a->pending = 0;
        scan_all(a, nfixed);
        a->bytes = bytes, a->chunks = chunks;
    }
    if (a->failed) {
        snprintf(err, errlen, "%s failed: out of memory", a->title);
        rc = -1;
    } else if (a->nbad_total) {
        report(a, err, errlen);
        rc = -1;
    }
    return rc;
}

static int audit_prepare(struct audit *a, char *err, size_t errlen)
{
    if (kt_maps_load(&a->maps) || kt_chunks_index(&a->ci) ||
        !(a->seen = calloc(a->ci.nbits / 64 + 1, sizeof *a->seen))) {
        snprintf(err, errlen, "%s failed: out of memory, or /proc/self/maps unreadable",
                 a->title);
        return -1;
    }
    return 0;
}

static void audit_free(struct audit *a)
{
    kt_chunks_free(&a->ci);
    free(a->seen);
    free(a->vias);
    free(a->work);
    kt_maps_free(&a->maps);
}

int kt_audit(const struct kt_version *old, const struct kt_version *nv, void *const *args,
             int nargs, double *ms, char *err, size_t errlen)
{
    double t0 = kt_now_ms();
    struct audit a = {.old = old, .nv = nv, .title = "audit"};
    int rc = audit_prepare(&a, err, errlen);
    if (rc == 0) {
        for (int i = 0; i < nv->nseg && a.nroots < 8; i++)
            if (nv->seg[i].prot & PROT_WRITE)
                a.roots[a.nroots++] = (struct root){nv->seg[i].lo, nv->seg[i].hi, "data"};
        static void *arg_words[64];
        if (nargs > 64)
            nargs = 64;
        for (int i = 0; i < nargs; i++)
            arg_words[i] = kt_migrate_translate(args[i]);
        if (nargs > 0)
            a.roots[a.nroots++] = (struct root){(uintptr_t)arg_words,
                                                (uintptr_t)(arg_words + nargs),
                                                "thread argument"};
        rc = audit_run(&a, err, errlen);
    }
    audit_free(&a);
    *ms = kt_now_ms() - t0;
    if (!rc)
        kt_log("audit passed: %zu bytes in %zu chunk(s) and the roots scanned in %.2f ms",
               a.bytes, a.chunks, *ms);
    return rc;
}

int kt_audit_opaque(const struct kt_version *old, const struct kt_version *nv,
                    const struct kt_opaque_roots *r, size_t budget, char *err, size_t errlen)
{
    if (r->n == 0)
        return 0; /* nothing never followed: not even the heap's index is needed */
    /* Within a budget (the default), only the objects the pointers lead to are scanned,
     * and only words into the old writable data count: followed further, the type-blind
     * scan wanders from a program's object into a library's (a FILE, its buffer) and
     * finds stale bytes there - the inspector's alert file: a 4 KB stdio buffer three
     * chunks away whose unwritten part held 66 words into the old code and data.  The
     * full check (KITSUNE_OPAQUE_CHECK=1) follows everything, by the audit's rule. */
    struct audit a = {.old = old, .nv = nv, .title = "opaque check",
                      .paths = (const char *const *)r->paths, .budget = budget,
                      .data_only = budget > 0, .shallow = budget > 0};
    int rc = audit_prepare(&a, err, errlen);
    if (rc == 0) {
        a.roots[a.nroots++] = (struct root){(uintptr_t)r->words,
                                            (uintptr_t)(r->words + r->n), "opaque"};
        rc = audit_run(&a, err, errlen);
    }
    audit_free(&a);
    if (!rc && a.over)
        kt_log("opaque check stopped after %zu bytes in %zu chunk(s) behind %zu "
               "never-followed pointer(s), its budget (KITSUNE_OPAQUE_CHECK=1 scans all)",
               a.bytes, a.chunks, r->n);
    else if (!rc)
        kt_log("opaque check passed: %zu never-followed pointer(s), %zu bytes in %zu "
               "chunk(s) behind them", r->n, a.bytes, a.chunks);
    return rc;
}
