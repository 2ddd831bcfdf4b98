/* fast.c - the forwarding engine: transforms the heap without an old->new map.
 *
 * The general engine (xform.c) finds every object first, keeps an old->new hash map
 * and resolves aliases and interior pointers; for a million objects the map probes
 * dominate the pause.  When the plans of an update allow it (plan_fast_eligible), this
 * engine does the same work the way a copying collector does:
 *
 *   bitmaps      1 bit per 16 bytes of heap, in 64 MiB regions mapped on demand (the
 *                part over the main heap up front, writable) and found through a small
 *                table keyed by address >> 26 with a per-thread cache: MARK (claimed:
 *                rebuilt or being rebuilt, or visited in place) and READY (rebuilt: the
 *                forwarding word is valid) interleaved word by word; NEW (allocated by
 *                this engine) apart, kept only when arrays fixed in place may overlap;
 *                with several threads READY is a byte per granule instead;
 *   forwarding   the first pointer met to an unmarked object that is rebuilt marks
 *                it, allocates the new object, applies the plan old->new at once (rules
 *                see the intact old object), stores the new address in the old object's
 *                first 8 bytes and sets READY; any later pointer reads that word;
 *   work stack   pointer slots whose target is not rebuilt yet are pushed (slot, old
 *                target) and fixed when popped, depth first in the order of the slots,
 *                so the stack stays as small as the frontier (1 for a list) and trees
 *                are read in allocation order.  Objects fixed in place (FIX) are
 *                marked and visited in place, their slot writes undo-logged; long
 *                arrays a chunk at a time;
 *   threads      KITSUNE_THREADS=N (default: online CPUs) splits the work over the
 *                main thread and N-1 helper threads started once the main thread has
 *                work to give: marking is an atomic bit-test-and-set, the winner
 *                publishes the forwarding word and then READY, a loser waits for READY;
 *                an idle thread takes a batch from a shared stack to which a busy one
 *                gives half of a long array or the older half of its stack.
 *
 * Objects shorter than a forwarding word, or not 16-byte aligned (never so from
 * malloc), and arrays (E_PTRARRAY, E_SZ: rebuilt as one object, or fixed in place) go
 * through a small side map keyed by exact address instead of the bitmap.
 *
 * Interior pointers to unchanged data (a pointer to a member of a rebuilt object, as
 * the planner's PTR_MAY_INTERIOR says): rebuilt objects whose type holds such data
 * ("containers") are recorded as they are rebuilt - a byte per granule at their
 * start naming their plan, or an array for arrays and variable-length ones - and
 * such a pointer is translated at once if its container is rebuilt already, else
 * after the drain; one that lies in no container keeps its value.
 *
 * Rules that call $xform: XF_PTR($xform(..)) leaves its slot (inside the object being
 * filled) to be filled like the engine's own pointer slots; XF_INVOKE($xform(..)) on
 * inline memory applies the plan at once (fast_follow, fast_apply_plan).
 *
 * Rollback: slot writes of objects fixed in place are undone; the first word of every
 * rebuilt object is restored - from the new object when the plan copies bytes [0,8)
 * to offset 0, else from a per-thread log - and the new object freed.  Commit: a
 * background thread frees the old rebuilt objects of the main heap (READY) and unmaps
 * the bitmaps; nothing of the engine lasts past it.  A fault or abort() on a helper
 * thread ends that helper (a signal handler set for the transfer) and the main thread
 * rolls back.
 *
 * What the forwarding engine assumes (checked by type in plan_fast_eligible; otherwise
 * the general engine runs): an object that is rebuilt is pointed to only at its
 * start (an array of them too: no pointer to its elements); a type reached through a
 * pointer (or named by $xform) is never held inline in another heap object that is
 * transformed; objects fixed in place change no value, so a second visit is harmless;
 * no generated code follows generic bindings itself ($gen).  Rules run when their
 * object is rebuilt and must only read their own old object ($in, $base) and what
 * unchanged pointers lead to: a rebuilt object's first word holds the forwarding
 * address until commit.  docs/performance.md has the measurements. */
#include "kitsune.h"
#include "fast.h"
#include "libc.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "log.h"
#include "version.h"
#include "lifecycle.h"
#include "engine.h"
#include "scalars.h"
#include "transfer.h"
#include "translate.h"
#include "oom.h"
#include "maps.h"
#include "own_block.h"
#include "alloc_crash.h"
#include "kitsune_xf.h"
#include "fast_internal.h"

static const char *const general_advice = "; run this update with KITSUNE_ENGINE=general";

/* Waiting for an object another rebuild has claimed: only a rule's $xform that
 * rebuilds at once (fast_follow into memory the engine cannot come back to) can wait
 * on itself - alone, at once; with helpers, after 2 s - and then the update fails. */
static int waits_on_itself(struct worker *w, unsigned long *spins, double *since);

/* ---- bitmaps ---- */

static uint64_t *region_find(uintptr_t key, int create)
{
    size_t h = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 52) & (NREGIONS - 1);
    for (size_t i = 0; i < NREGIONS; i++, h = (h + 1) & (NREGIONS - 1)) {
        uintptr_t k = __atomic_load_n(&F.regions[h].key, __ATOMIC_ACQUIRE);
        if (k == key)
            return F.regions[h].bits;
        if (k != 0)
            continue;
        if (!create)
            return NULL;
        pthread_mutex_lock(&F.region_lock);
        k = F.regions[h].key;
        if (k == 0) {
            void *b = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (b == MAP_FAILED) {
                pthread_mutex_unlock(&F.region_lock);
                return NULL;
            }
            F.regions[h].bits = b;
            __atomic_store_n(&F.regions[h].key, key, __ATOMIC_RELEASE);
            pthread_mutex_unlock(&F.region_lock);
            return b;
        }
        pthread_mutex_unlock(&F.region_lock);
        if (k == key)
            return F.regions[h].bits;
    }
    return NULL;
}

/* Maps the bitmap pages that cover [lo, hi) (the main heap) writable before the work
 * starts.  Otherwise the first read of a page maps the shared zero page, and the first
 * write replaces it - a fault that flushes the TLB of every CPU running this process,
 * which with several threads is an interrupt for each of them. */
static void populate(uintptr_t lo, uintptr_t hi)
{
    for (uintptr_t a = lo & ~(((uintptr_t)1 << REGION_SHIFT) - 1); a < hi;
         a += (uintptr_t)1 << REGION_SHIFT) {
        uint64_t *bits = region_find((a >> REGION_SHIFT) + 1, 1);
        if (!bits)
            return;
        uintptr_t from = a > lo ? a : lo, to = a + ((uintptr_t)1 << REGION_SHIFT);
        if (to > hi)
            to = hi;
        size_t g0 = (from >> GRAN_SHIFT) & (REGION_GRANS - 1);
        size_t g1 = ((to - 1) >> GRAN_SHIFT) & (REGION_GRANS - 1);
        uintptr_t w0 = (uintptr_t)(bits + (g0 >> 6) * BW) & ~(uintptr_t)4095;
        uintptr_t w1 = (uintptr_t)(bits + (g1 >> 6) * BW + BW);
        madvise((void *)w0, w1 - w0, MADV_POPULATE_WRITE);
        if (F.ready_bytes) {
            uintptr_t b0 = ((uintptr_t)bits + READY_BYTES_OFF + g0) & ~(uintptr_t)4095;
            uintptr_t b1 = (uintptr_t)bits + READY_BYTES_OFF + g1 + 1;
            madvise((void *)b0, b1 - b0, MADV_POPULATE_WRITE);
        }
    }
}

/* The bitmap of the region of address a (NULL: none and create == 0); *g the index
 * of a's granule in it. */
static inline uint64_t *region_of(struct worker *w, uintptr_t a, size_t *g, int create)
{
    uintptr_t key = (a >> REGION_SHIFT) + 1;
    unsigned c = (unsigned)key & 3;
    uint64_t *bits;
    if (w->cache[c].key == key) {
        bits = w->cache[c].bits;
    } else {
        bits = region_find(key, create);
        if (!bits)
            return NULL;
        w->cache[c].key = key;
        w->cache[c].bits = bits;
    }
    *g = (a >> GRAN_SHIFT) & (REGION_GRANS - 1);
    return bits;
}

/* The mark and ready words of address a (wd[B_MARK], wd[B_READY]); *rb its ready byte. */
static inline uint64_t *words_of(struct worker *w, uintptr_t a, uint64_t *bit, int create)
{
    size_t g;
    uint64_t *bits = region_of(w, a, &g, create);
    if (!bits)
        return NULL;
    *bit = 1ULL << (g & 63);
    return bits + (g >> 6) * BW;
}

/* Whether the object at a (with mark/ready words wd) was rebuilt.  With several
 * threads, "ready" is a byte per granule, published by a plain release store (the
 * winner of the mark needs no second atomic operation); else a bit. */
static inline uint8_t *ready_byte(uint64_t *wd, uintptr_t a)
{
    size_t g = (a >> GRAN_SHIFT) & (REGION_GRANS - 1);
    uint64_t *bits = wd - (g >> 6) * BW;
    return (uint8_t *)bits + READY_BYTES_OFF + g;
}

static inline int is_ready(uint64_t *wd, uint64_t bit, uintptr_t a)
{
    if (F.ready_bytes)
        return __atomic_load_n(ready_byte(wd, a), __ATOMIC_ACQUIRE) != 0;
    return (__atomic_load_n(&wd[B_READY], __ATOMIC_ACQUIRE) & bit) != 0;
}

static inline void set_ready(uint64_t *wd, uint64_t bit, uintptr_t a)
{
    if (F.ready_bytes)
        __atomic_store_n(ready_byte(wd, a), 1, __ATOMIC_RELEASE);
    else
        wd[B_READY] |= bit;
}

/* The NEW word of address a (a separate part of the region, untouched unless
 * F.track_new). */
static inline uint64_t *new_word_of(struct worker *w, uintptr_t a, uint64_t *bit, int create)
{
    size_t g;
    uint64_t *bits = region_of(w, a, &g, create);
    if (!bits)
        return NULL;
    *bit = 1ULL << (g & 63);
    return bits + REGION_WORDS * BW + (g >> 6);
}

/* Sets a bit; returns whether it was set already. */
static inline int test_and_set(uint64_t *word, uint64_t bit)
{
    if (F.mt)
        return (__atomic_fetch_or(word, bit, __ATOMIC_ACQ_REL) & bit) != 0;
    uint64_t v = *word;
    *word = v | bit;
    return (v & bit) != 0;
}

static inline void set_bit(uint64_t *word, uint64_t bit)
{
    if (F.mt)
        __atomic_fetch_or(word, bit, __ATOMIC_RELEASE);
    else
        *word |= bit;
}

static inline int is_new(struct worker *w, uintptr_t a)
{
    uint64_t bit, *wd = new_word_of(w, a, &bit, 0);
    return wd && (__atomic_load_n(wd, __ATOMIC_RELAXED) & bit);
}

/* A version with modules spans other mappings (libraries, heap) between its objects. */
static inline int in_old_static(uintptr_t p)
{
    return p - F.old_lo < F.old_len &&
           (!F.env.old->nmods || kt_version_contains(F.env.old, p));
}

static inline int in_new_static(uintptr_t p)
{
    return p - F.new_lo < F.new_len &&
           (!F.env.new_->nmods || kt_version_contains(F.env.new_, p));
}

/* ---- side map: objects found by exact address ---- */

/* Only helper threads contend for it: while the main thread works alone, no lock. */
static inline void side_lock(void)
{
    if (F.mt)
        pthread_mutex_lock(&F.side_lock);
}

static inline void side_unlock(void)
{
    if (F.mt)
        pthread_mutex_unlock(&F.side_lock);
}

static struct side_ent *side_find(uintptr_t key, uint32_t kind)
{
    if (!F.side)
        return NULL;
    size_t h = (size_t)((key ^ kind) * 0x9e3779b97f4a7c15ULL >> 20) & F.side_mask;
    for (; F.side[h].key; h = (h + 1) & F.side_mask)
        if (F.side[h].key == key && F.side[h].kind == kind)
            return &F.side[h];
    return NULL;
}

static struct side_ent *side_add(uintptr_t key, uint32_t kind)
{
    if (!F.side || (F.nside + 1) * 2 > F.side_mask + 1) {
        size_t cap = F.side ? (F.side_mask + 1) * 2 : 1024;
        struct side_ent *old = F.side;
        size_t old_cap = F.side ? F.side_mask + 1 : 0;
        struct side_ent *bigger = calloc(cap, sizeof *bigger);
        if (!bigger) {
            /* Called with side_lock held; out of memory jumps out of the engine, and a
             * lock held across that jump deadlocks the rollback (see reserve_shared). */
            side_unlock();
            kt_oom("in the forwarding engine");
        }
        F.side = bigger;
        F.side_mask = cap - 1;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].key) {
                size_t h = (size_t)((old[i].key ^ old[i].kind) * 0x9e3779b97f4a7c15ULL >> 20) &
                           F.side_mask;
                while (F.side[h].key)
                    h = (h + 1) & F.side_mask;
                F.side[h] = old[i];
            }
        free(old);
    }
    size_t h = (size_t)((key ^ kind) * 0x9e3779b97f4a7c15ULL >> 20) & F.side_mask;
    while (F.side[h].key)
        h = (h + 1) & F.side_mask;
    F.side[h] = (struct side_ent){.key = key, .kind = kind};
    F.nside++;
    return &F.side[h];
}

/* ---- transforming ---- */

static void __attribute__((noinline)) grow_stack(struct worker *w)
{
    w->st = kt_grow(w->st, &w->cap, w->n + 1, sizeof *w->st);
}

/* Field by field: an item built on the stack and copied costs a store-forwarding
 * stall per push. */
static inline void push_wd(struct worker *w, uintptr_t a, uintptr_t b, struct fplan *f,
                           uintptr_t kind, uint64_t *wd)
{
    if (w->n == w->cap)
        grow_stack(w);
    struct item *it = &w->st[w->n++];
    it->a = a;
    it->b = b;
    it->fk = (uintptr_t)f | kind;
    it->wd = wd;
}

static inline void push(struct worker *w, uintptr_t a, uintptr_t b, struct fplan *f,
                        uintptr_t kind)
{
    push_wd(w, a, b, f, kind, NULL);
}

static void write_in_place(struct worker *w, uintptr_t *slot, uintptr_t v)
{
    uintptr_t cur = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (cur == v)
        return;
    if (w->nundo == w->cap_undo)
        w->undo = kt_grow(w->undo, &w->cap_undo, w->nundo + 1, sizeof *w->undo);
    w->undo[w->nundo++] = (struct undo){slot, cur};
    __atomic_store_n(slot, v, __ATOMIC_RELAXED);
    w->fixed++;
}

static uintptr_t static_new(struct worker *w, uintptr_t v, const struct plan *target)
{
    char err[KT_ERRLEN];
    err[0] = '\0';
    uintptr_t r = kt_translate_static(v, target, err, sizeof err);
    if (err[0])
        wfail(w, "%s", err);
    return r;
}

static uintptr_t fptr_new(struct worker *w, uintptr_t v)
{
    if (!v || !in_old_static(v))
        return v;
    char err[KT_ERRLEN];
    err[0] = '\0';
    uintptr_t r = kt_translate_fptr(v, err, sizeof err);
    if (err[0])
        wfail(w, "%s", err);
    return r;
}

static void fast_fail(const char *msg);

/* A rule the plan compiled without its code: the new version has none. */
static void run_rule(int rule, const void *in, void *out, const void *ob, void *nb)
{
    if (kt_translate_rule(rule, in, out, ob, nb)) {
        char msg[100];
        kt_translate_rule_missing(rule, msg, sizeof msg);
        fast_fail(msg);
    }
}

/* Whether a (rebuilt) object was forwarded; *nv its new address. */
static inline int forwarded(struct worker *w, uintptr_t v, const struct fplan *f, uintptr_t *nv)
{
    if (f->side || (v & 15)) {
        side_lock();
        struct side_ent *e = side_find(v, S_FWD);
        int r = e && e->ready;
        if (r)
            *nv = e->val;
        side_unlock();
        return r;
    }
    uint64_t bit, *wd = words_of(w, v, &bit, 0);
    if (!wd || !is_ready(wd, bit, v))
        return 0;
    *nv = __atomic_load_n((uintptr_t *)v, __ATOMIC_RELAXED);
    return 1;
}

/* Marks an object fixed in place (count > 1 or `array`: an array, by exact address)
 * and queues its visit; nothing if it was visited already (as large). */
static void claim_fix(struct worker *w, struct fplan *f, uintptr_t v, size_t count, int array)
{
    if (count == 0)
        return;
    if (array || (v & 15)) {
        side_lock();
        struct side_ent *e = side_find(v, S_FIX);
        int visit = !e || e->val < count;
        if (!e)
            e = side_add(v, S_FIX);
        if (visit)
            e->val = count;
        side_unlock();
        if (visit)
            push(w, v, count, f, I_VISIT);
        return;
    }
    uint64_t bit, *wd = words_of(w, v, &bit, 1);
    if (!wd) {
        wfail(w, "out of memory for the heap bitmap");
        return;
    }
    if (!test_and_set(&wd[B_MARK], bit))
        push(w, v, 1, f, I_VISIT);
}

/* A data pointer slot: of a new object being filled (in_place 0: it must receive a
 * value) or of an object fixed in place.  ob is the old object holding the op. */
/* The container byte of the granule of a (NULL: no bitmap there). */
static inline uint8_t *cont_byte(struct worker *w, uintptr_t a, int create)
{
    size_t g;
    uint64_t *bits = region_of(w, a, &g, create);
    return bits ? (uint8_t *)bits + CONT_BYTES_OFF + g : NULL;
}

static void __attribute__((noinline))
add_container_n(struct worker *w, uintptr_t old, uintptr_t nw, const struct fplan *f, size_t n)
{
    if (w->nconts == w->cap_conts)
        w->conts = kt_grow(w->conts, &w->cap_conts, w->nconts + 1, sizeof *w->conts);
    w->conts[w->nconts++] = (struct container){old, nw, f, n};
}

/* Records a rebuilt container: in the byte map at its start (aligned, of a plan with a
 * fixed size), else in the worker's array (so are arrays, add_container_n). */
static void __attribute__((noinline))
add_container(struct worker *w, uintptr_t old, uintptr_t nw, const struct fplan *f)
{
    uint8_t *b;
    if (f->cont_id && !(old & 15) && (b = cont_byte(w, old, 1)) != NULL) {
        __atomic_store_n(b, (uint8_t)f->cont_id, __ATOMIC_RELEASE);
        return;
    }
    add_container_n(w, old, nw, f, 0);
}

/* The container in the byte map holding old address v: scanned back from v by at most
 * the longest such container (containers do not overlap). */
static int container_in_map(struct worker *w, uintptr_t v, struct container *k)
{
    uintptr_t a = v & ~(uintptr_t)15;
    for (size_t g = 0; g < F.cont_grans && a >= 16; g++, a -= 16) {
        uint8_t *b = cont_byte(w, a, 0), id = b ? __atomic_load_n(b, __ATOMIC_ACQUIRE) : 0;
        if (!id)
            continue;
        const struct fplan *f = F.contplans[id];
        if (v >= a + f->p->old_size)
            return 0;
        /* recorded once rebuilt: the first word is the forwarding address */
        *k = (struct container){a, __atomic_load_n((const uintptr_t *)a, __ATOMIC_RELAXED), f, 0};
        return 1;
    }
    return 0;
}

/* The new address of old address v inside container k (0 with the update failed when
 * the new version drops those bytes). */
static uintptr_t inner_new(struct worker *w, const struct container *k, uintptr_t v,
                           const struct plan *target)
{
    uintptr_t base = k->old, nbase = k->nw;
    if (k->count) { /* an array: the element holding v */
        size_t i = (v - k->old) / k->f->p->old_size;
        base += i * k->f->p->old_size;
        nbase += i * k->f->p->new_size;
    }
    long off = plan_translate_offset_to(k->f->p, v - base, target);
    if (off < 0) {
        wfail(w, "a pointer to %s points into a rebuilt %s at offset %lu, which the new "
              "version does not keep", target->path, k->f->p->path, (unsigned long)(v - base));
        return 0;
    }
    return nbase + (uintptr_t)off;
}

/* A pointer to unchanged data that may lie inside a rebuilt object: translated now if
 * its container was rebuilt already, else recorded and resolved after the drain (kept
 * as it is until then, and for good if no container holds it). */
static uintptr_t __attribute__((noinline))
inner_pointer(struct worker *w, uintptr_t *slot, uintptr_t v, const struct plan *target,
              int in_place)
{
    struct container k;
    if (F.ncontplans && container_in_map(w, v, &k)) {
        uintptr_t nv = inner_new(w, &k, v, target);
        return nv ? nv : v;
    }
    if (w->ninners == w->cap_inners)
        w->inners = kt_grow(w->inners, &w->cap_inners, w->ninners + 1, sizeof *w->inners);
    w->inners[w->ninners++] = (struct inner){slot, v, target, in_place};
    return v;
}

static inline int not_own_block(struct worker *w, const struct fplan *f, uintptr_t old,
                                size_t block);

/* Whether a pointer to an object of plan s leads to an object rebuilt on its own (not
 * fixed in place, not an array): such an object is also judged by own_block.c, from
 * the same heap lookup as its readability. */
static inline int rebuilt_one(const struct plan_op *op, const struct fplan *s)
{
    return s->mode != PLAN_FIX && op->kind != OP_PTRARRAY && !op->nul_terminated;
}

/* The readability check of a pointer to an object of plan s (not clean); *block: the
 * usable size of the heap block starting at v, for an object rebuilt on its own. */
static inline __attribute__((always_inline)) int
readable(const struct plan_op *op, const struct fplan *s, uintptr_t v, size_t *block)
{
    if (rebuilt_one(op, s))
        return kt_maps_heap_object(v, s->p->old_size, block);
    return kt_maps_readable(v, s->p->old_size);
}

static inline __attribute__((always_inline)) void
pointer(struct worker *w, const struct plan_op *op, struct fplan *s, const char *ob,
        uintptr_t *slot, uintptr_t v, int in_place)
{
    uintptr_t nv = v;
    size_t block = 0;
    if (v) {
        if (in_old_static(v)) {
            nv = static_new(w, v, op->sub);
        } else if (s && s->mode == PLAN_CLEAN) {
            /* Unchanged data, unless it lies inside a rebuilt object (known after the
             * drain: kept as it is until then). */
            if (F.interior && (op->ptr_flags & PTR_MAY_INTERIOR))
                nv = inner_pointer(w, slot, v, op->sub, in_place);
        } else if (s && s->mode != PLAN_CLEAN &&
                   __builtin_expect(!readable(op, s, v, &block), 0)) {
            char why[KT_ERRLEN];
            kt_wild_pointer(why, sizeof why, v, s->p);
            wfail(w, "%s", why);
            return;
        } else if (s && s->mode != PLAN_CLEAN) {
            if (in_place && (in_new_static(v) || (F.track_new && is_new(w, v))))
                return; /* visited before (arrays fixed in place may overlap) */
            if (s->mode == PLAN_FIX) {
                if (op->kind == OP_PTRARRAY)
                    claim_fix(w, s, v, kt_op_count(op, ob), 1);
                else if (op->nul_terminated)
                    claim_fix(w, s, v, kt_nul_count(v, s->p->old_size), 1);
                else
                    claim_fix(w, s, v, 1, 0);
            } else if (op->kind == OP_PTRARRAY || op->nul_terminated) {
                /* An array of rebuilt objects: rebuilt as one when the slot is popped. */
                size_t n = op->kind == OP_PTRARRAY ? kt_op_count(op, ob)
                                                   : kt_nul_count(v, s->p->old_size);
                if (!in_place)
                    memcpy(slot, &v, sizeof v);
                push_wd(w, (uintptr_t)slot, v, s, I_ARRAY,
                        (uint64_t *)((n << 2) | ((uintptr_t)op->nul_terminated << 1) |
                                     (uintptr_t)in_place));
                return;
            } else {
                /* Rebuilt when the slot is popped (if it was not already). */
                uint64_t bit, *wd = NULL;
                if (s->side || (v & 15)) {
                    if (forwarded(w, v, s, &nv))
                        goto write;
                } else if ((wd = words_of(w, v, &bit, 0)) && is_ready(wd, bit, v)) {
                    nv = __atomic_load_n((uintptr_t *)v, __ATOMIC_RELAXED);
                    goto write;
                }
                if (!in_place)
                    memcpy(slot, &v, sizeof v);
                /* Judged now, from the lookup above: the items popped as I_SLOT are. */
                if (not_own_block(w, s, v, block))
                    return;
                push_wd(w, (uintptr_t)slot, v, s, in_place ? I_SLOT_IN_PLACE : I_SLOT, wd);
                return;
            }
        }
    }
write:
    if (in_place)
        write_in_place(w, slot, nv);
    else
        memcpy(slot, &nv, sizeof nv);
}

/* Fills new object nb from old object ob. */
static void copy_obj(struct worker *w, const struct fplan *f, const char *ob, char *nb, int depth)
{
    if (f->p->type_rule >= 0) {
        if (f->type_fn)
            f->type_fn(ob, nb, ob, nb);
        else
            run_rule(f->p->type_rule, ob, nb, ob, nb);
        return;
    }
    if (depth > 64) {
        wfail(w, "types nested more than 64 levels deep");
        return;
    }
    for (const struct fop *o = f->ops, *end = o + f->nops; o < end; o++) {
        switch (o->kind) {
        case OP_COPY:
            if (o->len == 8)
                memcpy(nb + o->new_off, ob + o->old_off, 8);
            else
                memcpy(nb + o->new_off, ob + o->old_off, o->len);
            break;
        case OP_PTR:
        case OP_PTRARRAY:
            pointer(w, o->op, o->sub, ob, (uintptr_t *)(void *)(nb + o->new_off),
                    kt_read_ptr(ob + o->old_off), 0);
            break;
        case OP_RULE:
            if (o->fn)
                o->fn(o->init ? NULL : ob + o->old_off, nb + o->new_off, ob, nb);
            else
                run_rule(o->op->rule, ob + o->old_off, nb + o->new_off, ob, nb);
            break;
        case OP_ZERO:
            memset(nb + o->new_off, 0, o->len);
            break;
        case OP_INT:
            kt_write_int(nb + o->new_off, o->op->new_len,
                         kt_read_int(ob + o->old_off, o->len, o->op->old_signed));
            break;
        case OP_FLOAT:
            kt_write_float(nb + o->new_off, o->op->new_len, kt_read_float(ob + o->old_off, o->len));
            break;
        case OP_BITS:
            kt_move_bits(o->op, ob, nb);
            break;
        case OP_ENUM:
            kt_map_enum(o->op, ob, nb);
            break;
        case OP_SUB:
            if (o->sub)
                copy_obj(w, o->sub, ob + o->old_off, nb + o->new_off, depth + 1);
            break;
        case OP_ARRAY:
            for (size_t j = 0, n = kt_op_count(o->op, ob); j < n; j++)
                copy_obj(w, o->sub, ob + o->old_off + j * o->op->old_stride,
                         nb + o->new_off + j * o->op->new_stride, depth + 1);
            break;
        case OP_FPTR: {
            uintptr_t v = fptr_new(w, kt_read_ptr(ob + o->old_off));
            memcpy(nb + o->new_off, &v, sizeof v);
            break;
        }
        }
    }
}

/* Visits an object fixed in place. */
static void visit_obj(struct worker *w, const struct fplan *f, char *ob, int depth)
{
    if (depth > 64) {
        wfail(w, "types nested more than 64 levels deep");
        return;
    }
    for (const struct fop *o = f->ops, *end = o + f->nops; o < end; o++) {
        switch (o->kind) {
        case OP_SUB:
            if (o->sub && o->sub->p->mode != PLAN_CLEAN)
                visit_obj(w, o->sub, ob + o->old_off, depth + 1);
            break;
        case OP_ARRAY:
            if (o->sub && o->sub->p->mode != PLAN_CLEAN)
                for (size_t j = 0, n = kt_op_count(o->op, ob); j < n; j++)
                    visit_obj(w, o->sub, ob + o->old_off + j * o->op->old_stride, depth + 1);
            break;
        case OP_PTR:
        case OP_PTRARRAY: {
            uintptr_t *slot = (uintptr_t *)(void *)(ob + o->old_off);
            pointer(w, o->op, o->sub, ob, slot, __atomic_load_n(slot, __ATOMIC_RELAXED), 1);
            break;
        }
        case OP_FPTR: {
            uintptr_t *slot = (uintptr_t *)(void *)(ob + o->old_off);
            write_in_place(w, slot, fptr_new(w, __atomic_load_n(slot, __ATOMIC_RELAXED)));
            break;
        }
        default: /* in place, with the same layout, nothing else changes */
            break;
        }
    }
}

static inline size_t new_extent(const struct fplan *f, uintptr_t old)
{
    const struct plan *p = f->p;
    size_t size = p->new_size;
    if (p->flex_op < 0)
        return size;
    const struct plan_op *op = &p->ops[p->flex_op];
    size_t end = op->new_off + kt_op_count(op, (const char *)old) * op->new_stride;
    return end > size ? end : size;
}

/* Bytes of the old object at old (an object ending in a counted array is longer). */
static size_t old_extent(const struct fplan *f, uintptr_t old)
{
    const struct plan *p = f->p;
    if (p->flex_op < 0)
        return p->old_size;
    const struct plan_op *op = &p->ops[p->flex_op];
    size_t end = op->old_off + kt_op_count(op, (const char *)old) * op->old_stride;
    return end > p->old_size ? end : p->old_size;
}

/* An object that is not a heap allocation of its own cannot be moved (own_block.c);
 * block: the usable size of the heap block starting at old (kt_maps_block_size). */
static __attribute__((noinline)) int own_block_refused(struct worker *w, const struct fplan *f,
                                                       uintptr_t old, size_t block)
{
    char why[KT_ERRLEN];
    if (kt_own_block_judge(old, f->p, old_extent(f, old), block, why, sizeof why) == 0)
        return 0;
    wfail(w, "%s", why);
    return 1;
}

/* Asked for every object rebuilt: the rule inline, the judgement only when it fails. */
static inline int not_own_block(struct worker *w, const struct fplan *f, uintptr_t old,
                                size_t block)
{
    return !kt_own_block_fits(block, old_extent(f, old), f->p->old_size) &&
           own_block_refused(w, f, old, block);
}

/* judged: pointer() judged old already (own_block.c), as for every I_SLOT item. */
static inline __attribute__((always_inline)) char *
alloc_new(struct worker *w, const struct fplan *f, uintptr_t old, int judged, size_t *sizep)
{
    if (!judged && not_own_block(w, f, old, kt_maps_block_size(old)))
        return NULL;
    size_t size = new_extent(f, old);
    if (size < 8)
        size = 8;
    *sizep = size;
    char *nb = f->zero_all ? calloc(1, size) : malloc(size);
    if (!nb) {
        wfail(w, "out of memory rebuilding objects");
        return NULL;
    }
    for (int i = 0; i < f->nzero; i++) {
        if (f->zero[i][1] == 8)
            memset(nb + f->zero[i][0], 0, 8);
        else if (f->zero[i][1] == 4)
            memset(nb + f->zero[i][0], 0, 4);
        else
            memset(nb + f->zero[i][0], 0, f->zero[i][1]);
    }
    w->cur_new = nb;
    if (F.track_new) {
        uint64_t bit, *wd = ((uintptr_t)nb & 15) ? NULL : new_word_of(w, (uintptr_t)nb, &bit, 1);
        if (!wd) {
            wfail(w, "a new object at %p is not 16-byte aligned, or out of memory for the "
                  "heap bitmap", (void *)nb);
            return nb;
        }
        set_bit(wd, bit);
    }
    return nb;
}

/* Fills new object nb (size bytes) from old object ob: the destination is recorded
 * for the rules that run meanwhile (fast_follow). */
static inline __attribute__((always_inline)) void
fill_new(struct worker *w, const struct fplan *f, const char *ob, char *nb, size_t size)
{
    uintptr_t lo = w->dst_lo, hi = w->dst_hi;
    w->dst_lo = (uintptr_t)nb;
    w->dst_hi = (uintptr_t)nb + size;
    copy_obj(w, f, ob, nb, 0);
    w->dst_lo = lo;
    w->dst_hi = hi;
}

static int waits_on_itself(struct worker *w, unsigned long *spins, double *since)
{
    if (!w->sync_depth)
        return 0;
    if (F.mt && (++*spins & 4095) != 0)
        return 0;
    if (F.mt && *since == 0)
        *since = kt_now_ms();
    if (F.mt && kt_now_ms() - *since < 2000)
        return 0;
    wfail(w, "a rule's $xform into memory outside the object it fills reached an object "
          "that is being rebuilt (a cycle through rules)%s", general_advice);
    return 1;
}

/* Claims the side-map entry that forwards q.  1: this thread made it and rebuilds q.
 * 0: another thread did, and *to is its result once ready - or q when the update is
 * abandoned meanwhile, or (count > 0: an array of count - 1 objects) when the entry
 * was made for another length, which fails the update. */
static int side_claim(struct worker *w, const struct fplan *f, uintptr_t q, size_t count,
                      uintptr_t *to)
{
    unsigned long spins = 0;
    double since = 0;
    *to = q;
    for (;;) {
        side_lock();
        struct side_ent *e = side_find(q, S_FWD);
        if (!e) {
            side_add(q, S_FWD)->count = count;
            side_unlock();
            return 1;
        }
        int ready = e->ready;
        uintptr_t nv = e->val;
        size_t had = e->count;
        side_unlock();
        if (count && had != count) {
            wfail(w, "the array of %s at %#lx is reached with %zu and with %zu elements%s",
                  f->p->path, (unsigned long)q, had ? had - 1 : 1, count - 1, general_advice);
            return 0;
        }
        if (ready) {
            *to = nv;
            return 0;
        }
        if (__atomic_load_n(&F.halt, __ATOMIC_RELAXED) || waits_on_itself(w, &spins, &since))
            return 0;
        sched_yield();
    }
}

/* Objects shorter than a forwarding word or not aligned: forwarded in the side map. */
static uintptr_t side_forward(struct worker *w, const struct fplan *f, uintptr_t q, int judged)
{
    uintptr_t to;
    if (!side_claim(w, f, q, 0, &to))
        return to;
    size_t size;
    char *nb = alloc_new(w, f, q, judged, &size);
    if (nb)
        fill_new(w, f, (const char *)q, nb, size);
    if (nb && f->container)
        add_container(w, q, (uintptr_t)nb, f);
    side_lock();
    struct side_ent *e = side_find(q, S_FWD);
    e->val = nb ? (uintptr_t)nb : q;
    e->ready = 1;
    w->cur_new = NULL;
    side_unlock();
    if (nb)
        w->transformed++;
    return nb ? (uintptr_t)nb : q;
}

/* The new address of old object q (rebuilt by plan f), rebuilding it if this is the
 * first pointer to it; judged: whether own_block.c judged q already (pointer()). */
static uintptr_t forward(struct worker *w, const struct fplan *f, uintptr_t q, uint64_t *wd,
                         int judged)
{
    if (f->side || (q & 15))
        return side_forward(w, f, q, judged);
    uint64_t bit = 1ULL << ((q >> GRAN_SHIFT) & 63);
    if (!wd)
        wd = words_of(w, q, &bit, 1);
    if (!wd) {
        wfail(w, "out of memory for the heap bitmap");
        return q;
    }
    /* Objects built in a row lie in a row: fetch what is probably next. */
    __builtin_prefetch((const char *)q + 384);
    if (test_and_set(&wd[B_MARK], bit)) {
        unsigned long spins = 0;
        double since = 0;
        while (!is_ready(wd, bit, q)) {
            if (__atomic_load_n(&F.halt, __ATOMIC_RELAXED) || waits_on_itself(w, &spins, &since))
                return q;
            __builtin_ia32_pause();
        }
        return __atomic_load_n((uintptr_t *)q, __ATOMIC_RELAXED);
    }
    size_t size;
    char *nb = alloc_new(w, f, q, judged, &size);
    if (!nb)
        return q;
    size_t base = w->n;
    fill_new(w, f, (const char *)q, nb, size);
    /* Popped in the order of the slots: a structure built depth first (a tree, a list)
     * is then read in the order it was allocated in, which the prefetcher follows. */
    for (size_t i = base, j = w->n - 1; i < j && j != (size_t)-1; i++, j--) {
        struct item t = w->st[i];
        w->st[i] = w->st[j];
        w->st[j] = t;
    }
    if (!f->recover) {
        if (w->nfirsts == w->cap_firsts)
            w->firsts = kt_grow(w->firsts, &w->cap_firsts, w->nfirsts + 1, sizeof *w->firsts);
        w->firsts[w->nfirsts++] = (struct first){q, *(const uintptr_t *)q};
    }
    __atomic_store_n((uintptr_t *)q, (uintptr_t)nb, __ATOMIC_RELAXED);
    set_ready(wd, bit, q);
    if (f->container)
        add_container(w, q, (uintptr_t)nb, f);
    w->cur_new = NULL;
    w->transformed++;
    return (uintptr_t)nb;
}

/* The new address of an array of n old objects at q (rebuilt by plan f), rebuilding it
 * (in the side map, by exact address) if this is the first pointer to it.  Every
 * pointer to it must give it the same length; a NUL-terminated one keeps its all-zero
 * last element. */
static uintptr_t forward_array(struct worker *w, const struct fplan *f, uintptr_t q, size_t n,
                               int nul_terminated)
{
    uintptr_t to;
    if (!side_claim(w, f, q, n + 1, &to))
        return to;
    size_t os = f->p->old_size, ns = f->p->new_size, size = n * ns;
    char *nb = calloc(1, size ? size : 1);
    if (!nb)
        wfail(w, "out of memory rebuilding an array of %zu objects", n);
    if (nb) {
        w->cur_new = nb;
        uintptr_t lo = w->dst_lo, hi = w->dst_hi;
        w->dst_lo = (uintptr_t)nb;
        w->dst_hi = (uintptr_t)nb + size;
        for (size_t i = 0; i < n; i++)
            copy_obj(w, f, (const char *)q + i * os, nb + i * ns, 0);
        w->dst_lo = lo;
        w->dst_hi = hi;
        if (nul_terminated && n)
            memset(nb + (n - 1) * ns, 0, ns);
    }
    side_lock();
    struct side_ent *e = side_find(q, S_FWD);
    e->val = nb ? (uintptr_t)nb : q;
    e->ready = 1;
    w->cur_new = NULL;
    side_unlock();
    if (!nb)
        return q;
    w->transformed += (long)n;
    if (f->container && n)
        add_container_n(w, q, (uintptr_t)nb, f, n);
    return (uintptr_t)nb;
}

static inline void process(struct worker *w, uintptr_t a, uintptr_t b, struct fplan *f,
                           uintptr_t kind, uint64_t *wd)
{
    switch (kind) {
    case I_SLOT: {
        uintptr_t nv = forward(w, f, b, wd, 1);
        memcpy((void *)a, &nv, sizeof nv);
        break;
    }
    case I_SLOT_IN_PLACE:
        write_in_place(w, (uintptr_t *)a, forward(w, f, b, wd, 1));
        break;
    case I_ARRAY: {
        uintptr_t x = (uintptr_t)wd, nv = forward_array(w, f, b, x >> 2, (x >> 1) & 1);
        if (x & 1)
            write_in_place(w, (uintptr_t *)a, nv);
        else
            memcpy((void *)a, &nv, sizeof nv);
        break;
    }
    case I_VISIT: {
        /* A long array a chunk at a time, the rest below: the slots it pushes are
         * done first, so the stack stays short (and the rest can be shared). */
        size_t k = b, size = f->p->old_size;
        if (b > VISIT_CHUNK) {
            k = VISIT_CHUNK;
            push(w, a + k * size, b - k, f, I_VISIT);
        }
        for (size_t i = 0; i < k; i++)
            visit_obj(w, f, (char *)a + i * size, 0);
        break;
    }
    }
}

/* ---- threads ---- */

/* Takes a batch from the shared stack; 0 when the work is done (or abandoned).
 * F.hungry: some thread waits and the shared stack is empty - then a busy thread gives
 * half of its stack (once, until that is taken). */
static int take(struct worker *w)
{
    /* Room for a batch first: nothing is allocated under F.lock (see reserve_shared). */
    w->st = kt_grow(w->st, &w->cap, w->n + BATCH, sizeof *w->st);
    pthread_mutex_lock(&F.lock);
    for (;;) {
        if (F.done || __atomic_load_n(&F.halt, __ATOMIC_RELAXED)) {
            pthread_mutex_unlock(&F.lock);
            return 0;
        }
        if (F.nshared) {
            size_t k = F.nshared < BATCH ? F.nshared : BATCH;
            for (size_t i = F.nshared - k; i < F.nshared; i++)
                w->st[w->n++] = F.shared[i];
            F.nshared -= k;
            __atomic_store_n(&F.nshared_hint, F.nshared, __ATOMIC_RELAXED);
            w->takes++;
            __atomic_store_n(&F.hungry, F.idle > 0 && F.nshared == 0, __ATOMIC_RELAXED);
            if (F.nshared)
                pthread_cond_signal(&F.cond);
            pthread_mutex_unlock(&F.lock);
            return 1;
        }
        F.idle++;
        if (F.idle == F.helpers + 1) {
            __atomic_store_n(&F.done, 1, __ATOMIC_RELAXED); /* spinners read it unlocked */
            pthread_cond_broadcast(&F.cond);
            pthread_mutex_unlock(&F.lock);
            return 0;
        }
        __atomic_store_n(&F.hungry, 1, __ATOMIC_RELAXED);
        double t = kt_now_ms();
        /* A short spin first: work usually comes within microseconds, and waking from
         * a condition variable takes longer. */
        pthread_mutex_unlock(&F.lock);
        for (int i = 0; i < SPIN && !__atomic_load_n(&F.nshared_hint, __ATOMIC_RELAXED) &&
                        !__atomic_load_n(&F.halt, __ATOMIC_RELAXED) &&
                        !__atomic_load_n(&F.done, __ATOMIC_RELAXED);
             i++)
            __builtin_ia32_pause();
        pthread_mutex_lock(&F.lock);
        if (!F.nshared && !F.done && !__atomic_load_n(&F.halt, __ATOMIC_RELAXED))
            kt_libc.pthread_cond_wait(&F.cond, &F.lock);
        w->t_idle += kt_now_ms() - t;
        F.idle--;
    }
}

/* Makes room for `extra` more items on the shared stack.  Called and returns with
 * F.lock held, but allocates with it released: running out of memory jumps out of the
 * engine (kt_oom: a helper stops, the main thread rolls back), and a lock held across
 * that jump deadlocks both (scenario rollback_out_of_memory_t2). */
static void reserve_shared(size_t extra)
{
    while (F.nshared + extra > F.cap_shared) {
        size_t cap = 2 * (F.nshared + extra) + 1024;
        pthread_mutex_unlock(&F.lock);
        struct item *bigger = malloc(cap * sizeof *bigger);
        if (!bigger)
            kt_oom("in the forwarding engine");
        pthread_mutex_lock(&F.lock);
        if (cap > F.cap_shared) {
            if (F.nshared)
                memcpy(bigger, F.shared, F.nshared * sizeof *bigger);
            free(F.shared);
            F.shared = bigger;
            F.cap_shared = cap;
        } else {
            free(bigger); /* another thread grew it meanwhile */
        }
    }
}

/* Gives work to idle threads: half of a long array still to visit (it lies at the
 * bottom of the stack), or else the older half of the local stack (the larger
 * subtrees).  Halving arrays takes log(n) exchanges, not n / VISIT_CHUNK. */
static void share(struct worker *w)
{
    pthread_mutex_lock(&F.lock);
    struct item *bottom = &w->st[0];
    if ((bottom->fk & 3) == I_VISIT && bottom->b >= 2 * VISIT_CHUNK) {
        struct fplan *f = (struct fplan *)(bottom->fk & ~(uintptr_t)3);
        size_t keep = bottom->b / 2;
        reserve_shared(1);
        F.shared[F.nshared++] = (struct item){bottom->a + keep * f->p->old_size,
                                              bottom->b - keep, bottom->fk, NULL};
        __atomic_store_n(&F.nshared_hint, F.nshared, __ATOMIC_RELAXED);
        bottom->b = keep;
        w->shares++;
        __atomic_store_n(&F.hungry, 0, __ATOMIC_RELAXED);
        pthread_cond_broadcast(&F.cond);
        pthread_mutex_unlock(&F.lock);
        return;
    }
    size_t k = w->n / 2;
    reserve_shared(k);
    memcpy(F.shared + F.nshared, w->st, k * sizeof *w->st);
    F.nshared += k;
    __atomic_store_n(&F.nshared_hint, F.nshared, __ATOMIC_RELAXED);
    memmove(w->st, w->st + k, (w->n - k) * sizeof *w->st);
    w->n -= k;
    w->shares++;
    __atomic_store_n(&F.hungry, 0, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&F.cond);
    pthread_mutex_unlock(&F.lock);
}

/* The stack's bounds (struct worker): compacted when it is twice as long as the last
 * compaction left it, or when this thread has rebuilt as many objects since then as
 * that left on it (many of their targets may be rebuilt now); either way each
 * compaction is paid for by as many pushes or rebuilt objects, a few reads each.  The
 * room follows: what the next compaction needs, given back when less is used. */
#define COMPACT_MIN ((size_t)1 << 12)

/* Fills the slots on w's stack whose target was rebuilt since they were pushed, and
 * drops them; the others keep their order.  A graph's stack holds every edge to a
 * vertex not rebuilt yet when its source was, and most of those vertices are rebuilt
 * long before the edge is popped (bench/heap/graph.c: half a million entries of 32
 * bytes at 1M vertices, 16 MB at the end of the drain, when the new vertices are all
 * made); filling them early keeps the stack to the edges still open.  Only between
 * two items (work_loop): a fill in progress counts on the items it pushed staying
 * where they are. */
static void compact(struct worker *w)
{
    size_t keep = 0;
    for (size_t i = 0; i < w->n; i++) {
        struct item it = w->st[i];
        uintptr_t kind = it.fk & 3, nv;
        const struct fplan *f = (const struct fplan *)(it.fk & ~(uintptr_t)3);
        if ((kind == I_SLOT || kind == I_SLOT_IN_PLACE) && !f->side && !(it.b & 15) &&
            forwarded(w, it.b, f, &nv)) {
            if (kind == I_SLOT)
                memcpy((void *)it.a, &nv, sizeof nv);
            else
                write_in_place(w, (uintptr_t *)it.a, nv);
            continue;
        }
        w->st[keep++] = it;
    }
    w->n = keep;
    size_t k = keep > COMPACT_MIN ? keep : COMPACT_MIN;
    w->compact_at = 2 * k;
    w->compact_due = w->transformed + (long)k;
}

/* Resizes w's stack to `cap` items (a smaller block: malloc can give its pages back,
 * or to the new objects). */
static void resize_stack(struct worker *w, size_t cap)
{
    struct item *st = realloc(w->st, cap * sizeof *st);
    if (st) {
        w->st = st;
        w->cap = cap;
    }
}

/* Keeps w's stack within its bounds (above); work_loop calls it when one is passed. */
static void __attribute__((noinline)) restack(struct worker *w)
{
    if (!w->compact_at) {
        w->compact_at = 2 * COMPACT_MIN;
        w->compact_due = w->transformed + (long)COMPACT_MIN;
    }
    if (w->n >= w->compact_at || w->transformed >= w->compact_due)
        compact(w);
    size_t cap = w->cap;
    while (cap > 2 * COMPACT_MIN && w->n < cap / 4)
        cap /= 2;
    if (cap > w->compact_at + BATCH && w->n + BATCH <= w->compact_at)
        cap = w->compact_at + BATCH;
    if (cap < w->cap)
        resize_stack(w, cap);
    w->shrink_at = w->cap > 2 * COMPACT_MIN ? w->cap / 4 : 0;
}

static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void work_loop(struct worker *w);

static void work(struct worker *w)
{
    double c = thread_cpu_ms();
    work_loop(w);
    w->t_cpu += thread_cpu_ms() - c;
}

static void work_loop(struct worker *w)
{
    for (;;) {
        if (F.solo && w->n >= SOLO_MAX)
            return; /* enough work to share: time for the helpers */
        if (__builtin_expect(w->n >= w->compact_at || w->n < w->shrink_at ||
                                 w->transformed >= w->compact_due, 0))
            restack(w);
        if (w->n == 0 && (!F.mt || !take(w)))
            return;
        struct item *top = &w->st[--w->n];
        uintptr_t a = top->a, b = top->b, fk = top->fk;
        uint64_t *wd = top->wd;
        if (w->index == 0) /* for the report of a fault (helpers report their own) */
            kt_transfer_plan = ((struct fplan *)(fk & ~(uintptr_t)3))->p;
        process(w, a, b, (struct fplan *)(fk & ~(uintptr_t)3), fk & 3, wd);
        if (__atomic_load_n(&F.halt, __ATOMIC_RELAXED)) {
            if (F.mt) {
                pthread_mutex_lock(&F.lock);
                pthread_cond_broadcast(&F.cond);
                pthread_mutex_unlock(&F.lock);
            }
            return;
        }
        if (F.mt && __atomic_load_n(&F.hungry, __ATOMIC_RELAXED) &&
            (w->n > 1 || (w->n == 1 && (w->st[0].fk & 3) == I_VISIT &&
                          w->st[0].b >= 2 * VISIT_CHUNK)))
            share(w);
    }
}

/* ---- interface ---- */

int kt_fast_threads(void)
{
    const char *s = getenv("KITSUNE_THREADS");
    long n = s && *s ? strtol(s, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    return (int)n;
}

static int fast_begin(const struct kt_engine_env *env)
{
    const struct plan_ctx *c = env->ctx;
    kitsune_rule_fn const *rule_fns = env->rule_fns;
    const struct plan_rule *rules = env->rules;
    int nrules = env->nrules, threads = env->threads;
    F.env = *env;
    F.old_lo = env->old->lo;
    F.old_len = env->old->hi - env->old->lo;
    F.new_lo = env->new_->lo;
    F.new_len = env->new_->hi - env->new_->lo;
    F.rule_fns = rule_fns;
    F.rules = rules;
    F.nrules = nrules;
    F.track_new = 0;
    F.interior = 0;
    F.ncontplans = 0;
    F.cont_grans = 0;
    F.nthreads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
    F.mt = F.nthreads > 1;
    F.ready_bytes = F.mt;
    F.w = calloc((size_t)F.nthreads, sizeof *F.w);
    F.regions = calloc(NREGIONS, sizeof *F.regions);
    if (!F.w || !F.regions) {
        free(F.w);
        free(F.regions);
        F.w = NULL;
        F.regions = NULL;
        return -1;
    }
    for (int i = 0; i < F.nthreads; i++)
        F.w[i].index = i;
    fast_compile_plans(c);
    F.populated = 0;
    F.halt = 0;
    F.err[0] = '\0';
    F.active = 1;
    cur_w = &F.w[0];
    return 0;
}

static void fast_fail(const char *msg)
{
    wfail(cur_w ? cur_w : &F.w[0], "%s", msg);
}

static void fast_helper_fail(const char *why)
{
    struct worker *w = cur_w;
    if (!w || w->index == 0 || !w->guarded)
        return;
    w->guarded = 0;
    wfail(w, "%s on a helper thread", why);
    __atomic_store_n(&F.halt, 1, __ATOMIC_RELAXED);
    siglongjmp(w->jmp, 1);
}

static void fast_root(const struct plan *p, const char *old_addr, char *new_addr, size_t size)
{
    if (!p) {
        memcpy(new_addr, old_addr, size);
        return;
    }
    if (p->same_layout && p->type_rule < 0)
        memcpy(new_addr, old_addr, p->new_size < size ? p->new_size : size);
    if (p->mode == PLAN_CLEAN && p->same_layout)
        return;
    struct fplan *f = fplan_of(p);
    if (!f) {
        wfail(&F.w[0], "no plan for variable at %p", (const void *)old_addr);
        return;
    }
    fill_new(&F.w[0], f, old_addr, new_addr, size);
}

/* Whether [a, a + len) lies in what a rule fills now (or in the new static data): a
 * slot there can be filled once its target is rebuilt. */
static int rule_dest_ok(const struct worker *w, uintptr_t a, size_t len)
{
    return (a >= w->dst_lo && a + len <= w->dst_hi) ||
           (in_new_static(a) && in_new_static(a + len - 1));
}

static void fast_follow(const struct plan *target, const void *in, void *out, size_t count,
                    int nul_terminated)
{
    struct worker *w = cur_w ? cur_w : &F.w[0];
    uintptr_t v = kt_read_ptr(in);
    struct fplan *s = fplan_of(target);
    if (!s) {
        wfail(w, "XF_PTR: the forwarding engine has no plan for %s%s", target->path,
              general_advice);
        return;
    }
    struct plan_op op = {.kind = count == 1 || nul_terminated ? OP_PTR : OP_PTRARRAY,
                         .sub = (struct plan *)target,
                         .count = (long)count,
                         .nul_terminated = nul_terminated};
    if (v && s->mode == PLAN_REBUILD && !in_old_static(v) &&
        !rule_dest_ok(w, (uintptr_t)out, sizeof v)) {
        /* A slot the engine cannot come back to (a local copy): rebuilt now. */
        w->sync_depth++;
        uintptr_t nv = op.kind == OP_PTR && !nul_terminated
                           ? forward(w, s, v, NULL, 0)
                           : forward_array(w, s, v, nul_terminated ? kt_nul_count(v, target->old_size)
                                                                   : count, nul_terminated);
        w->sync_depth--;
        memcpy(out, &nv, sizeof nv);
        return;
    }
    pointer(w, &op, s, NULL, (uintptr_t *)out, v, 0);
}

static void fast_apply_plan(const struct plan *p, const void *in, void *out)
{
    struct worker *w = cur_w ? cur_w : &F.w[0];
    struct fplan *f = fplan_of(p);
    if (!f) {
        wfail(w, "$xform: the forwarding engine has no plan for %s%s", p->path, general_advice);
        return;
    }
    if (in == out) {
        if (!p->same_layout)
            wfail(w, "a rule transforms a %s in place, but its layout changed", p->path);
        else if (p->mode != PLAN_CLEAN && p->type_rule < 0)
            visit_obj(w, f, out, 0);
        return;
    }
    int stable = p->mode == PLAN_CLEAN || rule_dest_ok(w, (uintptr_t)out, p->new_size);
    size_t base = w->n, inner_base = w->ninners;
    if (p->same_layout && p->type_rule < 0)
        memcpy(out, in, p->new_size);
    if (p->mode != PLAN_CLEAN || !p->same_layout)
        copy_obj(w, f, in, out, 0);
    if (stable)
        return;
    /* Memory the engine cannot come back to (a local copy): its own slots are filled
     * now; what they lead to is queued as usual. */
    uintptr_t lo = (uintptr_t)out, hi = lo + p->new_size;
    size_t keep = base, n = w->n;
    struct item *mine = malloc((n - base + 1) * sizeof *mine);
    if (!mine) {
        wfail(w, "out of memory in a rule's $xform");
        return;
    }
    size_t nmine = 0;
    for (size_t i = base; i < n; i++) {
        struct item it = w->st[i];
        if ((it.fk & 3) != I_VISIT && it.a >= lo && it.a < hi)
            mine[nmine++] = it;
        else
            w->st[keep++] = it;
    }
    w->n = keep;
    w->sync_depth++;
    for (size_t i = 0; i < nmine && !w->failed; i++)
        process(w, mine[i].a, mine[i].b, (struct fplan *)(mine[i].fk & ~(uintptr_t)3),
                mine[i].fk & 3, mine[i].wd);
    w->sync_depth--;
    free(mine);
    /* Interior pointers in it: their containers must be rebuilt already. */
    size_t kept = inner_base;
    for (size_t i = inner_base; i < w->ninners; i++) {
        struct inner in = w->inners[i];
        struct container k;
        if ((uintptr_t)in.slot < lo || (uintptr_t)in.slot >= hi) {
            w->inners[kept++] = in;
        } else if (F.ncontplans && container_in_map(w, in.old, &k)) {
            uintptr_t nv = inner_new(w, &k, in.old, in.target);
            memcpy(in.slot, &nv, sizeof nv);
        } else {
            wfail(w, "a rule's $xform(%s) into memory outside the object it fills holds a "
                  "pointer into an object not rebuilt yet%s", p->path, general_advice);
        }
    }
    w->ninners = kept;
}

static int first_failure(void)
{
    for (int i = 0; i < F.nthreads; i++)
        if (F.w[i].failed) {
            if (!F.err[0])
                snprintf(F.err, sizeof F.err, "%s", F.w[i].err);
            return 1;
        }
    return 0;
}

static int by_old(const void *a, const void *b)
{
    uintptr_t x = ((const struct container *)a)->old, y = ((const struct container *)b)->old;
    return x < y ? -1 : x > y;
}

static size_t cont_extent(const struct container *k)
{
    return k->count ? k->count * k->f->p->old_size : old_extent(k->f, k->old);
}

/* The container in the arrays holding old address v, or NULL; *hint: where the last
 * one was found (slots are met in about the order their containers were rebuilt). */
static const struct container *container_of(uintptr_t v, size_t *hint)
{
    size_t h = *hint;
    for (size_t i = h; i < h + 2 && i < F.nconts; i++)
        if (F.conts[i].old <= v && (i + 1 == F.nconts || F.conts[i + 1].old > v)) {
            *hint = i;
            return v < F.conts[i].old + cont_extent(&F.conts[i]) ? &F.conts[i] : NULL;
        }
    size_t lo = 0, hi = F.nconts;
    while (lo < hi) { /* the first container starting after v */
        size_t mid = lo + (hi - lo) / 2;
        if (F.conts[mid].old <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    *hint = lo - 1;
    const struct container *k = &F.conts[lo - 1];
    /* (its first word holds the forwarding address: only a flexible array's count,
     * read from the old object, could be there - new_extent reads it the same way) */
    return v < k->old + cont_extent(k) ? k : NULL;
}

/* Pointers to unchanged data inside rebuilt objects: now that the containers met so
 * far are known, each lands on the same bytes of the new object.  The others stay
 * open (a later batch may rebuild their container) and otherwise keep their value. */
static int resolve_inners(void)
{
    struct worker *m = &F.w[0];
    int sorted = 1;
    for (int i = 0; i < F.nthreads; i++) {
        struct worker *w = &F.w[i];
        if (w->nconts) {
            F.conts = kt_grow(F.conts, &F.cap_conts, F.nconts + w->nconts, sizeof *F.conts);
            memcpy(F.conts + F.nconts, w->conts, w->nconts * sizeof *w->conts);
            F.nconts += w->nconts;
            w->nconts = 0;
            sorted = 0;
        }
        if (w->ninners) {
            F.inners = kt_grow(F.inners, &F.cap_inners, F.ninners + w->ninners,
                                  sizeof *F.inners);
            memcpy(F.inners + F.ninners, w->inners, w->ninners * sizeof *w->inners);
            F.ninners += w->ninners;
            w->ninners = 0;
        }
    }
    /* Rebuilt in allocation order, as a list or a tree usually is: already sorted. */
    for (size_t i = 1; !sorted && i <= F.nconts; i++)
        if (i == F.nconts)
            sorted = 1;
        else if (F.conts[i - 1].old > F.conts[i].old)
            break;
    if (!sorted)
        qsort(F.conts, F.nconts, sizeof *F.conts, by_old);
    if (getenv("KITSUNE_ENGINE_STATS"))
        kt_log("engine: %zu container(s) outside the byte map%s, %zu interior pointer(s) "
               "to resolve", F.nconts, sorted ? "" : " (sorted)", F.ninners);
    size_t open = 0, hint = 0;
    for (size_t i = 0; i < F.ninners; i++) {
        struct inner in = F.inners[i];
        struct container found;
        const struct container *k = F.ncontplans && container_in_map(m, in.old, &found)
                                        ? &found : container_of(in.old, &hint);
        if (!k) {
            F.inners[open++] = in;
            continue;
        }
        uintptr_t nv = inner_new(m, k, in.old, in.target);
        if (!nv) {
            first_failure();
            return -1;
        }
        if (in.in_place)
            write_in_place(m, in.slot, nv);
        else
            memcpy(in.slot, &nv, sizeof nv);
    }
    F.ninners = open;
    return 0;
}

static int fast_drain(void)
{
    struct worker *m = &F.w[0];
    double t0 = kt_now_ms();
    F.draining = 1;
    if (m->n > 0 && !F.populated) {
        /* Only now that there is work: an update that rebuilds nothing costs nothing. */
        uintptr_t lo, hi;
        kt_maps_heap_range(&lo, &hi);
        if (lo < hi)
            populate(lo, hi);
        F.populated = 1;
    }
    if (F.mt && m->n > 0 && !F.halt) {
        /* A list never has two things to do at once: the helpers (and the atomic
         * operations they need) start only once the stack holds SOLO_MAX items. */
        F.mt = 0;
        F.solo = 1;
        work(m);
        F.solo = 0;
        F.mt = 1;
        if (m->n == 0 || F.halt)
            goto drained;
        fast_start_helpers(work);
        if (F.helpers == 0)
            F.mt = 0;
        work(m);
        /* Wake and wait for every helper: done, or abandoned after a failure. */
        pthread_mutex_lock(&F.lock);
        pthread_cond_broadcast(&F.cond);
        pthread_mutex_unlock(&F.lock);
        fast_stop_helpers();
    drained:
        F.mt = F.nthreads > 1;
    } else {
        int mt = F.mt;
        F.mt = 0;
        work(m);
        F.mt = mt;
    }
    F.draining = 0;
    if (getenv("KITSUNE_ENGINE_STATS"))
        kt_log("engine: drained in %.3f ms", kt_now_ms() - t0);
    if (getenv("KITSUNE_ENGINE_STATS"))
        for (int i = 0; i < F.nthreads; i++)
            kt_log("engine: thread %d rebuilt %ld object(s), fixed %ld pointer(s); ran "
                   "%.3f-%.3f ms, idle %.3f ms, cpu %.3f ms, shared %ld, took %ld", i,
                   F.w[i].transformed, F.w[i].fixed, i ? F.w[i].t_start - t0 : 0,
                   i ? F.w[i].t_end - t0 : 0, F.w[i].t_idle, F.w[i].t_cpu, F.w[i].shares,
                   F.w[i].takes);
    if (first_failure())
        return -1;
    if (F.interior && resolve_inners() < 0)
        return -1;
    /* Untyped lookups by rules must not have met an object rebuilt after them. */
    for (size_t i = 0; i < F.nlookups; i++) {
        uintptr_t nv;
        struct fplan any = {.side = (F.lookups[i] & 15) != 0};
        if (forwarded(m, F.lookups[i], &any, &nv) ||
            (!any.side && (any.side = 1, forwarded(m, F.lookups[i], &any, &nv)))) {
            snprintf(F.err, sizeof F.err, "a rule looked up the object at %#lx (XF_PTR of an "
                     "untyped object) before it was rebuilt; run this update with "
                     "KITSUNE_ENGINE=general", (unsigned long)F.lookups[i]);
            return -1;
        }
    }
    F.nlookups = 0;
    return 0;
}

static const char *fast_error(void)
{
    if (!F.err[0])
        first_failure();
    return F.err[0] ? F.err : NULL;
}

static void fast_counts(long *transformed, long *fixed)
{
    *transformed = *fixed = 0;
    for (int i = 0; F.w && i < F.nthreads; i++) {
        *transformed += F.w[i].transformed;
        *fixed += F.w[i].fixed;
    }
}

static void *fast_lookup_new(const void *old)
{
    uintptr_t p = (uintptr_t)old;
    if (!p)
        return NULL;
    struct worker *w = cur_w ? cur_w : &F.w[0];
    if (in_old_static(p))
        return (void *)static_new(w, p, NULL);
    uintptr_t nv;
    struct fplan side = {.side = 1}, bits = {.side = 0};
    if (forwarded(w, p, &side, &nv) || (!(p & 15) && forwarded(w, p, &bits, &nv)))
        return (void *)nv;
    if (F.draining) {
        pthread_mutex_lock(&F.lookup_lock);
        F.lookups = kt_grow(F.lookups, &F.cap_lookups, F.nlookups + 1, sizeof *F.lookups);
        F.lookups[F.nlookups++] = p;
        pthread_mutex_unlock(&F.lookup_lock);
    }
    return (void *)p;
}

static void *fast_translate_fptr(const void *old)
{
    return (void *)fptr_new(cur_w ? cur_w : &F.w[0], (uintptr_t)old);
}

const struct kt_engine kt_engine_forwarding = {
    .name = "forwarding",
    .begin = fast_begin,
    .find = NULL, /* what the roots lead to is rebuilt as it is met */
    .settle = NULL,
    .root = fast_root,
    .drain = fast_drain,
    .error = fast_error,
    .follow = fast_follow,
    .apply_plan = fast_apply_plan,
    .lookup_new = fast_lookup_new,
    .translate_fptr = fast_translate_fptr,
    .fail = fast_fail,
    .helper_fail = fast_helper_fail,
    .counts = fast_counts,
    .end = fast_end,
};
