/* xform.c - the general engine (kt_engine_general, engine.h): carries old state into the
 * new version by following the plans of plan.c over the live heap, with an old->new map.
 *
 * Work proceeds in batches (one per kitsune_do_automigrate or MIGRATE_* call), each in
 * three iterative passes, so no recursion depth depends on the heap:
 *   discover   from the batch's root variables, find every heap object whose plan is
 *              not CLEAN (objects to rebuild, objects to fix in place);
 *   allocate   give each object to rebuild its new allocation; a claim that lies inside
 *              a rebuilt one (a pointer to the 5th element of an array, to a member
 *              that is only fixed in place) becomes an alias into the containing
 *              object, so sharing and interior pointers survive; a claim at an
 *              object's address asking for more (the array, the enclosing struct)
 *              takes it over while it is still being discovered;
 *   transform  fill the new objects and variables, remapping every pointer: into
 *              the old version's statics (by key), into rebuilt objects (by the map;
 *              the pointer's target type picks a struct or its first member, which
 *              start at the same old address), function pointers (by key).
 * An object is as long as its plan's type times its count, plus the elements of a
 * flexible array member (E_ARRAY).  An inner object transformed in an earlier batch
 * than its container fails the update rather than being split in two.
 * The old state is only read, except pointer slots of objects fixed in place, whose
 * previous values go to an undo log; so a rollback frees the new allocations, replays
 * the undo log and leaves the old state exactly as it was. */
#include "engine.h"

#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kitsune.h"
#include "common.h"
#include "version.h"
#include "lifecycle.h"
#include "migrate.h"
#include "oom.h"
#include "maps.h"
#include "own_block.h"
#include "scalars.h"
#include "transfer.h"
#include "translate.h"
#include "bysize.h"
#include "bytag.h"

enum obj_state { OBJ_FOUND, OBJ_READY, OBJ_DONE };
/* Whether a rebuilt object is a heap block of its own, judged when it is claimed from
 * the lookup that checked its pointer (the second lookup when it was allocated cost a
 * 1M-node list 15 % of its pause); OWN_UNKNOWN: judged when it is allocated. */
enum own { OWN_UNKNOWN, OWN_YES, OWN_NO };
/* Whether an object is an allocation of its own (isolated()), from the same lookup. */
enum whole { WHOLE_UNKNOWN, WHOLE_YES, WHOLE_NO };

struct obj {
    uintptr_t old;
    char *nw;             /* new object; == old for an object fixed in place */
    struct plan *plan;    /* plan of one element */
    size_t count;
    uint32_t parent;      /* alias: index+1 of the containing object, 0 if none */
    uint8_t state;
    uint8_t in_place;
    uint8_t nul_terminated : 1; /* E_SZ array: the last element stays all zero */
    uint8_t own : 2;      /* own_block.c's judgement made when claimed (enum own) */
    uint8_t whole : 2;    /* the start of a heap block, its extent inside (enum whole) */
    uint8_t here;         /* rebuilt at its own address (plan->rebuild_here): nw == old */
};

/* What an object fixed in place held before: one pointer word (len 0), or the `len`
 * bytes saved at `saved` before a field rule ran on the object itself. */
struct undo {
    char *addr;
    uintptr_t value;
    const char *saved;
    size_t len;
};

/* Saved bytes of objects whose field rules run in place: chunks that never move (a
 * rule reads the old object from its copy while more copies are made). */
struct save_chunk {
    struct save_chunk *prev;
    size_t used, size;
    char data[];
};

/* The address is kept in the slot so that a probe reads one cache line. */
struct map_slot {
    uintptr_t old;
    size_t idx;           /* index+1 into objs; 0: empty */
};

struct engine {
    struct kt_engine_env env;
    void **allocs;        /* new objects, freed on rollback */
    size_t nallocs, cap_allocs;
    struct obj *objs;
    size_t nobjs, cap_objs;
    struct map_slot *table; /* open addressing: old address -> index+1 */
    size_t table_mask;
    uint32_t *dense;      /* per 16 bytes of the main heap: index+1 of the object that
                             starts there (16-aligned starts only), else 0 */
    uintptr_t seen_lo, seen_hi;
    size_t ntable;        /* objects in the table (the others are in dense) */
    uint64_t *light_bits; /* the same for light objects: visited (exact: 16-aligned) */
    struct light { uintptr_t old; struct plan *plan; } *lights;
    size_t nlights, cap_lights, next_light;
    size_t *lwork;        /* light objects to discover */
    size_t tag_only;      /* objects read only for the tag of a dispatching rule */
    size_t nlwork, cap_lwork;
    size_t *work;         /* discovery worklist of object indices */
    size_t nwork, cap_work;
    struct rest { size_t obj, next; } *rests; /* arrays discovered in part (discover) */
    size_t nrests, cap_rests;
    size_t next_alloc, next_transform;
    struct undo *undo;
    size_t nundo, cap_undo;
    struct save_chunk *saves;
    uint32_t *sorted;     /* rebuilt objects by address, for interior pointers */
    size_t nsorted;
    int sorted_stale;
    int nesting;          /* some claim may contain another: look for aliases */
    size_t aliases_done;  /* objects before this one have been checked for aliases */
    int aliases_again;    /* a claim grew an object: check them all again */
    int overlap_possible; /* some object is not a heap block of its own (isolated()) */
    size_t isolated_done; /* objects before this one have been judged so */
    struct pending { uintptr_t p; struct plan *target; } pend[8];
    unsigned npend, pend_head;
    char err[KT_ERRLEN];
    int failed;
    long transformed, fixed;
};

static struct engine E;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    if (E.failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(E.err, sizeof E.err, fmt, ap);
    va_end(ap);
    E.failed = 1;
}

/* ---- the map: old address -> object ---- */

static size_t hash_addr(uintptr_t a)
{
    a ^= a >> 33;
    a *= 0xff51afd7ed558ccdULL;
    a ^= a >> 33;
    return (size_t)a;
}

/* Whether old address a has its entry in the dense index rather than the table. */
static int in_dense(uintptr_t a)
{
    return E.dense && !(a & 15) && a >= E.seen_lo && a < E.seen_hi;
}

static void table_rehash(size_t size)
{
    free(E.table);
    E.table = calloc(size, sizeof *E.table);
    if (!E.table)
        kt_oom("in the transfer engine");
    E.table_mask = size - 1;
    for (size_t i = 0; i < E.nobjs; i++) {
        if (in_dense(E.objs[i].old))
            continue;
        size_t h = hash_addr(E.objs[i].old) & E.table_mask;
        while (E.table[h].idx)
            h = (h + 1) & E.table_mask;
        E.table[h] = (struct map_slot){E.objs[i].old, i + 1};
    }
}

/* Objects of the main heap are found by address in a dense index (4 bytes per 16
 * bytes of heap, pages mapped as touched) instead of a hash table: objects met in
 * address order (a list, a tree built in order, entries allocated with their values)
 * are looked up in neighbouring words, not a cache and TLB miss each in a table as
 * large as all objects.  Unaligned or other addresses go to the table. */
static void dense_begin(void)
{
    uintptr_t lo, hi;
    kt_maps_heap_range(&lo, &hi);
    size_t slots = hi > lo ? (hi - lo) / 16 + 1 : 0;
    if (!slots || slots > ((size_t)1 << 26)) /* none, or a heap over 1 GB */
        return;
    E.dense = calloc(slots, sizeof *E.dense);
    E.light_bits = calloc((slots + 63) / 64, sizeof *E.light_bits);
    if (E.dense && E.light_bits)
        E.seen_lo = lo, E.seen_hi = hi;
    else {
        free(E.dense);
        free(E.light_bits);
        E.dense = NULL;
        E.light_bits = NULL;
    }
}

/* Objects of light plans (plan.h) are fixed in place and met once as what they are:
 * a bit says they were visited, a list says what to fix, and the map (its table as
 * large as all objects, each entry a cache miss) holds none of them.  Returns 0 when
 * the object must go through the map (not 16-aligned, outside the main heap). */
static int claim_light(uintptr_t p, struct plan *target)
{
    if (!E.light_bits || (p & 15) || p < E.seen_lo || p >= E.seen_hi)
        return 0;
    size_t bit = (p - E.seen_lo) >> 4;
    uint64_t mask = 1ULL << (bit & 63);
    if (E.light_bits[bit >> 6] & mask)
        return 1;
    E.light_bits[bit >> 6] |= mask;
    E.lights = kt_grow(E.lights, &E.cap_lights, E.nlights + 1, sizeof *E.lights);
    E.lights[E.nlights] = (struct light){p, target};
    E.lwork = kt_grow(E.lwork, &E.cap_lwork, E.nlwork + 1, sizeof *E.lwork);
    E.lwork[E.nlwork++] = E.nlights++;
    return 1;
}

static struct obj *map_find(uintptr_t old)
{
    if (in_dense(old)) {
        uint32_t i = E.dense[(old - E.seen_lo) >> 4];
        return i ? &E.objs[i - 1] : NULL;
    }
    if (!E.table)
        return NULL;
    for (size_t h = hash_addr(old) & E.table_mask; E.table[h].idx; h = (h + 1) & E.table_mask)
        if (E.table[h].old == old)
            return &E.objs[E.table[h].idx - 1];
    return NULL;
}

static struct obj *map_add(uintptr_t old, struct plan *plan, size_t count, int in_place)
{
    int dense = in_dense(old);
    if (!dense && (!E.table || (E.ntable + 1) * 2 > E.table_mask + 1))
        table_rehash(E.table ? (E.table_mask + 1) * 2 : 1u << 12);
    E.objs = kt_grow(E.objs, &E.cap_objs, E.nobjs + 1, sizeof *E.objs);
    struct obj *o = &E.objs[E.nobjs];
    *o = (struct obj){.old = old, .plan = plan, .count = count, .in_place = (uint8_t)in_place,
                      .here = !in_place && plan->rebuild_here && count == 1};
    if (in_place || o->here)
        o->nw = (char *)old;
    if (dense) {
        E.dense[(old - E.seen_lo) >> 4] = (uint32_t)(E.nobjs + 1);
    } else {
        size_t h = hash_addr(old) & E.table_mask;
        while (E.table[h].idx)
            h = (h + 1) & E.table_mask;
        E.table[h] = (struct map_slot){old, E.nobjs + 1};
        E.ntable++;
    }
    E.nobjs++;
    if (!in_place)
        E.sorted_stale = 1; /* the sorted list holds rebuilt objects only */
    E.work = kt_grow(E.work, &E.cap_work, E.nwork + 1, sizeof *E.work);
    E.work[E.nwork++] = E.nobjs - 1;
    return o;
}

static uintptr_t read_ptr(const char *p)
{
    return kt_read_ptr(p);
}

/* ---- discovery ---- */

static int in_old_static(uintptr_t p)
{
    const struct kt_version *o = E.env.old;
    return p >= o->lo && p < o->hi && (!o->nmods || kt_version_contains(o, p));
}

static size_t op_count(const struct plan_op *op, const char *old_base)
{
    return kt_op_count(op, old_base);
}

/* Bytes of `count` objects of plan p at old address `old`, in the old version
 * (new_side 0) or the new one: an object ending in a flexible array member is longer
 * than its type by its elements. */
static size_t extent(const struct plan *p, size_t count, uintptr_t old, int new_side)
{
    size_t size = count * (new_side ? p->new_size : p->old_size);
    if (p->flex_op < 0 || count != 1)
        return size;
    const struct plan_op *op = &p->ops[p->flex_op];
    size_t n = op_count(op, (const char *)old);
    size_t end = new_side ? op->new_off + n * op->new_stride : op->old_off + n * op->old_stride;
    return end > size ? end : size;
}

static size_t old_extent(const struct obj *o)
{
    return extent(o->plan, o->count, o->old, 0);
}

/* Whether claiming (plan, count) at an object's address asks for more than it was
 * claimed as: more bytes, or a struct whose first member it was claimed as. */
static int claim_covers_more(const struct obj *o, const struct plan *plan, size_t count)
{
    size_t have = old_extent(o), want = extent(plan, count, o->old, 0);
    if (want != have)
        return want > have;
    return !plan_same_old_type(plan, o->plan) && plan_starts_with(plan, o->plan);
}

/* An object of an E_OPTIONAL type whose allocation ends before the optional member:
 * its prefix plan.  Such objects are malloc'd blocks of their own (docs/annotations.md,
 * E_OPTIONAL), so their allocation size is malloc's to tell. */
static struct plan *allocated_plan(uintptr_t p, struct plan *target, size_t count)
{
    if (!target->short_plan || count != 1)
        return target;
    size_t size = kt_maps_block_size(p);
    return size && size < target->old_size ? target->short_plan : target;
}

/* own_block.c's judgement of o, and whether it is an allocation of its own, from the
 * size of the block at its address. */
static void judge_own(struct obj *o, size_t block)
{
    size_t ext = old_extent(o);
    o->own = kt_own_block_fits(block, ext, o->plan->old_size) ||
                     kt_own_block_judge(o->old, o->plan, ext, block, NULL, 0) == 0
                 ? OWN_YES
                 : OWN_NO;
    if (kt_maps_block_sizes_known())
        o->whole = block && ext <= block ? WHOLE_YES : WHOLE_NO;
}

static void claim(uintptr_t p, struct plan *target, size_t count, int nul_terminated)
{
    if (!p || !target || target->mode == PLAN_CLEAN || count == 0 || in_old_static(p))
        return;
    target = allocated_plan(p, target, count);
    /* An object its rule's tag leaves alone is neither followed nor changed: that it is
     * mapped is enough (the heap-chunk lookup of every string robj was 8 % of redis). */
    if (target->light && target->tag_op >= 0 && count == 1 && !nul_terminated &&
        kt_maps_mapped(p, target->old_size) && plan_dispatch_skips(target, (const void *)p)) {
        E.tag_only++;
        return;
    }
    /* One object to rebuild: its block's size comes with the same lookup. */
    int one = count == 1 && !nul_terminated && target->mode != PLAN_FIX;
    size_t block = 0;
    if (!(one ? kt_maps_heap_object(p, target->old_size, &block)
              : kt_maps_readable(p, target->old_size * count))) {
        char why[KT_ERRLEN];
        kt_wild_pointer(why, sizeof why, p, target);
        fail("%s", why);
        return;
    }
    if (target->light && count == 1 && !nul_terminated && claim_light(p, target))
        return;
    if (target->light && target->in_place_rules && count > 1) {
        fail("an array of objects whose field rules run in place (at %#lx), also met one "
             "by one: the rules would run twice", (unsigned long)p);
        return;
    }
    struct obj *o = map_find(p);
    if (o && !claim_covers_more(o, target, count))
        return;
    if (count > 1 || target->nests)
        E.nesting = 1;
    if (!o) {
        o = map_add(p, target, count, target->mode == PLAN_FIX);
        o->nul_terminated = nul_terminated != 0;
        if (one)
            judge_own(o, block);
        return;
    }
    if (o->state != OBJ_FOUND) {
        fail("the object at %#lx was transformed before it was reached as part of a larger "
             "one; migrate the variables that lead to it in one batch", (unsigned long)p);
        return;
    }
    /* The same address seen as an array, or as the struct it begins: the larger wins,
     * and is searched again for what it leads to. */
    o->plan = target;
    o->count = count;
    o->in_place = target->mode == PLAN_FIX;
    o->here = !o->in_place && target->rebuild_here && count == 1;
    o->nw = o->in_place || o->here ? (char *)p : NULL;
    o->nul_terminated = nul_terminated != 0;
    o->own = OWN_UNKNOWN;
    o->whole = WHOLE_UNKNOWN;
    if (one)
        judge_own(o, block);
    E.sorted_stale = 1;
    E.aliases_again = 1;
    E.work = kt_grow(E.work, &E.cap_work, E.nwork + 1, sizeof *E.work);
    E.work[E.nwork++] = (size_t)(o - E.objs);
}

/* A pointer met while discovering waits in a short queue, so that its map slot and the
 * object are fetched from memory while the claims before it are made (each would
 * otherwise wait for a cache miss or two). */
#define NPEND (sizeof E.pend / sizeof E.pend[0])

static void claim_soon(uintptr_t p, struct plan *target)
{
    if (!p || !target || target->mode == PLAN_CLEAN)
        return;
    if (in_dense(p))
        __builtin_prefetch(&E.dense[(p - E.seen_lo) >> 4]);
    else if (E.table)
        __builtin_prefetch(&E.table[hash_addr(p) & E.table_mask]);
    __builtin_prefetch((const void *)p); /* never faults */
    struct pending q = {p, target};
    if (E.npend < NPEND) {
        E.pend[(E.pend_head + E.npend++) % NPEND] = q;
        return;
    }
    struct pending first = E.pend[E.pend_head];
    E.pend[E.pend_head] = q;
    E.pend_head = (E.pend_head + 1) % NPEND;
    claim(first.p, first.target, 1, 0);
}

static void claims_flush(void)
{
    while (E.npend) {
        struct pending q = E.pend[E.pend_head];
        E.pend_head = (E.pend_head + 1) % NPEND;
        E.npend--;
        claim(q.p, q.target, 1, 0);
    }
}

/* The plan of what pointer op of the old object at ob leads to at heap address v:
 * op->sub, or for a void * holding several types the one its object's tag picks
 * (bytag.c) or its allocation's size (bysize.c). */
static struct plan *target_of(const struct plan_op *op, uintptr_t v, const char *ob)
{
    if (!op->nalts || !v || in_old_static(v))
        return op->sub;
    if (op->tag_len) {
        char why[KT_ERRLEN];
        const struct plan *t = NULL;
        if (!kt_plan_by_tag(op, ob, v, &t, why, sizeof why)) {
            const struct kt_addr_entry *e = in_old_static((uintptr_t)ob)
                                                ? kt_version_lookup_addr(E.env.old,
                                                                         (uintptr_t)ob)
                                                : NULL;
            if (e && e->var >= 0)
                fail("%s (the struct is variable %s+%lu)", why, e->key,
                     (unsigned long)((uintptr_t)ob - e->lo));
            else
                fail("%s", why);
        }
        return (struct plan *)t;
    }
    int changed = 0;
    for (int i = 0; i < op->nalts; i++)
        changed |= op->alts[i]->mode != PLAN_CLEAN;
    if (!changed)
        return NULL; /* kept as it is, whichever it is */
    char why[KT_ERRLEN];
    const struct plan *t = kt_plan_by_size(op, v, why, sizeof why);
    if (!t)
        fail("%s", why);
    return (struct plan *)t;
}

static void discover_ops(const struct plan *p, const char *ob, int depth)
{
    if (depth > 64) {
        fail("types nested more than 64 levels deep");
        return;
    }
    for (int i = 0; i < p->nops; i++) {
        const struct plan_op *op = &p->ops[i];
        switch (op->kind) {
        case OP_PTR: {
            uintptr_t v = read_ptr(ob + op->old_off);
            if (op->nul_terminated && v && op->sub && op->sub->mode != PLAN_CLEAN &&
                !in_old_static(v))
                claim(v, op->sub, kt_nul_count(v, op->sub->old_size), 1);
            else
                claim_soon(v, target_of(op, v, ob));
            break;
        }
        case OP_PTRARRAY:
            claim(read_ptr(ob + op->old_off), op->sub, op_count(op, ob), 0);
            break;
        case OP_SUB:
            if (op->sub && op->sub->mode != PLAN_CLEAN)
                discover_ops(op->sub, ob + op->old_off, depth + 1);
            break;
        case OP_ARRAY:
            if (op->sub && op->sub->mode != PLAN_CLEAN)
                for (size_t j = 0, n = op_count(op, ob); j < n; j++)
                    discover_ops(op->sub, ob + op->old_off + j * op->old_stride, depth + 1);
            break;
        default:
            break;
        }
    }
}

static void apply(const struct plan *p, const char *ob, char *nb, int in_place, int depth);

/* A large array is discovered a slice of elements at a time, and what each slice leads
 * to in between: the objects its claims fetched from memory are read while they are
 * still in the cache.  (A keyspace's table of 1M buckets claimed every entry before
 * reading any, so each entry was a cache miss twice.) */
#define SLICE 64

static void discover_slice(size_t idx, size_t from)
{
    struct obj o = E.objs[idx];
    size_t to = o.count - from > SLICE ? from + SLICE : o.count;
    kt_transfer_plan = o.plan;
    for (size_t i = from; i < to && !E.failed; i++)
        discover_ops(o.plan, (const char *)o.old + i * o.plan->old_size, 0);
    if (to < o.count) {
        E.rests = kt_grow(E.rests, &E.cap_rests, E.nrests + 1, sizeof *E.rests);
        E.rests[E.nrests++] = (struct rest){idx, to};
    }
}

static void discover(void)
{
    while ((E.nwork || E.npend || E.nlwork || E.nrests) && !E.failed) {
        if (E.nlwork) {
            size_t i = E.lwork[--E.nlwork];
            struct light l = E.lights[i];
            kt_transfer_plan = l.plan;
            discover_ops(l.plan, (const char *)l.old, 0);
            if (l.plan->one_pass) { /* fixed now, while its lines are in the cache */
                apply(l.plan, (const char *)l.old, (char *)l.old, 1, 0);
                E.lights[i].plan = NULL;
            }
            continue;
        }
        if (E.nrests) {
            struct rest r = E.rests[--E.nrests];
            discover_slice(r.obj, r.next);
            continue;
        }
        if (!E.nwork) {
            claims_flush();
            continue;
        }
        discover_slice(E.work[--E.nwork], 0);
    }
}

/* ---- allocation ---- */

static int cmp_obj_addr(const void *a, const void *b)
{
    uintptr_t x = E.objs[*(const uint32_t *)a].old, y = E.objs[*(const uint32_t *)b].old;
    return x < y ? -1 : x > y;
}

static void sort_rebuilt(void)
{
    if (!E.sorted_stale)
        return;
    free(E.sorted);
    E.sorted = malloc((E.nobjs + 1) * sizeof *E.sorted);
    if (!E.sorted)
        kt_oom("in the transfer engine");
    E.nsorted = 0;
    for (size_t i = 0; i < E.nobjs; i++)
        if (!E.objs[i].in_place && !E.objs[i].parent)
            E.sorted[E.nsorted++] = (uint32_t)i;
    qsort(E.sorted, E.nsorted, sizeof *E.sorted, cmp_obj_addr);
    E.sorted_stale = 0;
}

/* The rebuilt object whose old extent contains p, or NULL. */
static struct obj *containing(uintptr_t p)
{
    sort_rebuilt();
    size_t lo = 0, hi = E.nsorted;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (E.objs[E.sorted[mid]].old <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    struct obj *o = &E.objs[E.sorted[lo - 1]];
    return p < o->old + old_extent(o) ? o : NULL;
}

/* Claims that lie inside a rebuilt object (an element of a rebuilt array, a member of
 * a rebuilt struct, also one that is only fixed in place) become aliases of it: they
 * are rebuilt with it, once, and pointers to them land inside its new copy. */
static void find_aliases(void)
{
    uint32_t *all = malloc((E.nobjs + 1) * sizeof *all);
    if (!all)
        kt_oom("in the transfer engine");
    size_t n = 0;
    for (size_t i = 0; i < E.nobjs; i++)
        if (!E.objs[i].parent)
            all[n++] = (uint32_t)i;
    qsort(all, n, sizeof *all, cmp_obj_addr);
    uintptr_t end = 0;
    size_t owner = 0;
    for (size_t k = 0; k < n && !E.failed; k++) {
        struct obj *o = &E.objs[all[k]];
        uintptr_t oend = o->old + old_extent(o);
        if (o->old < end) {
            if (o->state == OBJ_FOUND && oend <= end)
                o->parent = (uint32_t)owner + 1;
            else if (o->state == OBJ_FOUND)
                fail("objects at %#lx and %#lx overlap without one containing the other",
                     (unsigned long)E.objs[owner].old, (unsigned long)o->old);
            else if (E.objs[owner].state == OBJ_FOUND)
                fail("the object at %#lx was transformed before the object containing it "
                     "(at %#lx) was found; migrate the variables that lead to them in one "
                     "batch", (unsigned long)o->old, (unsigned long)E.objs[owner].old);
            continue;
        }
        if (!o->in_place) {
            end = oend;
            owner = all[k];
        }
    }
    free(all);
    E.sorted_stale = 1;
}

/* Whether every object found since the last look for aliases is fixed in place: such
 * an object contains no other (only rebuilt ones do), so each needs only its own
 * container looked up, not every object sorted again. */
static int only_in_place_since_aliases(void)
{
    if (E.aliases_again)
        return 0;
    for (size_t i = E.aliases_done; i < E.nobjs; i++)
        if (!E.objs[i].in_place)
            return 0;
    return 1;
}

/* find_aliases for objects fixed in place found since the last look: each lies inside
 * a rebuilt object (an alias of it), or overlaps none. */
static void find_aliases_of_new(void)
{
    for (size_t i = E.aliases_done; i < E.nobjs && !E.failed; i++) {
        struct obj *o = &E.objs[i];
        if (o->parent || o->state != OBJ_FOUND)
            continue;
        struct obj *c = containing(o->old);
        if (!c)
            continue;
        if (o->old + old_extent(o) <= c->old + old_extent(c))
            o->parent = (uint32_t)(c - E.objs) + 1;
        else
            fail("objects at %#lx and %#lx overlap without one containing the other",
                 (unsigned long)c->old, (unsigned long)o->old);
    }
}

/* Whether objects from index `from` on are each a heap block of its own: the start of
 * an allocation, with its extent inside it (kt_maps_block_size).  Two such objects cannot
 * overlap (blocks do not), so while every object found is one there is no alias to look
 * for, and no sort of them all each round (which made a transfer of many rounds over
 * many objects quadratic: the bench's redis-like keyspace of 100K keys took over 60 s).
 * An object in other memory or inside a block, or an allocator that does not say,
 * makes every later look a full one. */
static int isolated(size_t from)
{
    for (size_t i = from; i < E.nobjs; i++) {
        const struct obj *o = &E.objs[i];
        if (o->whole == WHOLE_UNKNOWN) {
            size_t block = kt_maps_block_size(o->old);
            if (!block || old_extent(o) > block)
                return 0;
        } else if (o->whole == WHOLE_NO) {
            return 0;
        }
    }
    return 1;
}

static void look_for_aliases(void)
{
    if (!E.overlap_possible) {
        /* a grown object is judged again, with all the others */
        E.overlap_possible = !isolated(E.aliases_again ? 0 : E.isolated_done);
        E.isolated_done = E.nobjs;
        if (!E.overlap_possible) {
            E.aliases_again = 0;
            E.aliases_done = E.nobjs;
            return;
        }
    }
    if (only_in_place_since_aliases()) {
        find_aliases_of_new();
    } else {
        find_aliases();
        E.aliases_again = 0;
    }
    E.aliases_done = E.nobjs;
}

static void allocate(void)
{
    if (E.nesting && E.next_alloc < E.nobjs)
        look_for_aliases();
    for (size_t i = E.next_alloc; i < E.nobjs && !E.failed; i++) {
        struct obj *o = &E.objs[i];
        if (o->state != OBJ_FOUND)
            continue;
        o->state = OBJ_READY;
        if (o->in_place || o->parent || o->here)
            continue;
        char why[KT_ERRLEN];
        if (o->count == 1 && !in_old_static(o->old) && o->own != OWN_YES &&
            kt_own_block_check(o->old, o->plan, old_extent(o), why, sizeof why) < 0) {
            fail("%s", why);
            return;
        }
        size_t size = extent(o->plan, o->count, o->old, 1);
        o->nw = calloc(1, size ? size : 1);
        if (!o->nw) {
            fail("out of memory rebuilding %zu objects", o->count);
            return;
        }
        if (E.nallocs == E.cap_allocs)
            E.allocs = kt_grow(E.allocs, &E.cap_allocs, E.nallocs + 1, sizeof *E.allocs);
        E.allocs[E.nallocs++] = o->nw;
    }
    E.next_alloc = E.nobjs;
}

/* ---- pointer translation ---- */

static uintptr_t translate_static(uintptr_t p, const struct plan *target)
{
    char err[KT_ERRLEN] = "";
    uintptr_t r = kt_translate_static(p, target, err, sizeof err);
    if (err[0])
        fail("%s", err);
    return r;
}

/* The new address of heap address p, for a pointer to a `target` (NULL: unknown). */
static uintptr_t translate_heap(uintptr_t p, const struct plan *target, unsigned flags)
{
    /* A light object stays where it is and lies inside no rebuilt one (plan.h): neither
     * the map nor the sorted rebuilt objects need asking (the search of every list and
     * set value a $xform rule reached was 8 % of a redis-like keyspace). */
    if (target && target->light)
        return p;
    struct obj *o = map_find(p);
    if (o && o->parent)
        o = &E.objs[o->parent - 1]; /* an alias: resolve through its owner */
    if (o && o->in_place)
        return p;
    if (o && o->old == p && (!target || plan_same_old_type(o->plan, target)))
        return (uintptr_t)o->nw;
    if (!o && !(flags & PTR_MAY_INTERIOR))
        return p;
    if (!o)
        o = containing(p);
    if (!o)
        return p;
    size_t rel = p - o->old, esz = o->plan->old_size;
    size_t idx = esz && o->count > 1 ? rel / esz : 0;
    size_t inner = esz && o->count > 1 ? rel % esz : rel;
    long off = plan_translate_offset_to(o->plan, inner, target);
    if (off < 0) {
        fail("pointer into a dropped field of a rebuilt object");
        return p;
    }
    return (uintptr_t)o->nw + idx * o->plan->new_size + (size_t)off;
}

static uintptr_t translate(uintptr_t p, const struct plan_op *op, const char *ob)
{
    if (!p)
        return 0;
    if (in_old_static(p))
        return translate_static(p, op->sub);
    /* Objects that are not rebuilt stay where they are, unless they may lie inside a
     * rebuilt one. */
    const struct plan *sub = target_of(op, p, ob);
    if (sub && sub->mode != PLAN_REBUILD && sub->ptrs == 0 && !(op->ptr_flags & PTR_MAY_INTERIOR))
        return p;
    return translate_heap(p, sub, op->ptr_flags | (sub && sub->mode == PLAN_REBUILD
                                                       ? PTR_MAY_INTERIOR : 0));
}

static uintptr_t translate_fptr(uintptr_t p)
{
    char err[KT_ERRLEN] = "";
    uintptr_t r = kt_translate_fptr(p, err, sizeof err);
    if (err[0])
        fail("%s", err);
    return r;
}

/* ---- transform ---- */

static void __attribute__((noinline, cold)) rule_missing(int rule)
{
    char msg[100];
    kt_translate_rule_missing(rule, msg, sizeof msg);
    kt_update_fail("%s", msg);
}

/* A generated rule; one without code rolls the update back. */
static void run_rule(int rule, const void *in, void *out, const void *ob, void *nb)
{
    if (kt_translate_rule(rule, in, out, ob, nb))
        rule_missing(rule);
}

static void write_slot(char *slot, uintptr_t v, int in_place)
{
    if (in_place) {
        if (read_ptr(slot) == v)
            return;
        E.undo = kt_grow(E.undo, &E.cap_undo, E.nundo + 1, sizeof *E.undo);
        E.undo[E.nundo++] = (struct undo){.addr = slot, .value = read_ptr(slot)};
        E.fixed++;
    }
    memcpy(slot, &v, sizeof v);
}

static void apply(const struct plan *p, const char *ob, char *nb, int in_place, int depth);

static void apply_op(const struct plan_op *op, const char *ob, char *nb, int in_place,
                     int depth)
{
    switch (op->kind) {
    case OP_COPY:
        if (!in_place)
            memcpy(nb + op->new_off, ob + op->old_off, op->len);
        break;
    case OP_ZERO:
        if (!in_place)
            memset(nb + op->new_off, 0, op->len);
        break;
    case OP_INT:
        kt_write_int(nb + op->new_off, op->new_len,
                     kt_read_int(ob + op->old_off, op->len, op->old_signed));
        break;
    case OP_FLOAT:
        kt_write_float(nb + op->new_off, op->new_len, kt_read_float(ob + op->old_off, op->len));
        break;
    case OP_BITS:
        if (!in_place) /* in place, the layout is the same: the bits stay */
            kt_move_bits(op, ob, nb);
        break;
    case OP_ENUM:
        kt_map_enum(op, ob, nb);
        break;
    case OP_SUB:
        if (op->sub)
            apply(op->sub, ob + op->old_off, nb + op->new_off, in_place, depth + 1);
        break;
    case OP_ARRAY:
        for (size_t j = 0, n = op_count(op, ob); j < n; j++)
            apply(op->sub, ob + op->old_off + j * op->old_stride,
                  nb + op->new_off + j * op->new_stride, in_place, depth + 1);
        break;
    case OP_PTR:
    case OP_PTRARRAY:
        write_slot(nb + op->new_off, translate(read_ptr(ob + op->old_off), op, ob), in_place);
        break;
    case OP_FPTR:
        write_slot(nb + op->new_off, translate_fptr(read_ptr(ob + op->old_off)), in_place);
        break;
    case OP_RULE:
        run_rule(op->rule, ob + op->old_off, nb + op->new_off, ob, nb);
        break;
    }
}

/* A copy of the `len` bytes at obj, kept until the update ends, with an undo entry
 * that restores them. */
static const char *save_bytes(char *obj, size_t len)
{
    struct save_chunk *c = E.saves;
    if (!c || c->size - c->used < len) {
        size_t size = len > (1u << 20) ? len : (1u << 20);
        c = malloc(sizeof *c + size);
        if (!c)
            kt_oom("in the transfer engine");
        c->prev = E.saves, c->used = 0, c->size = size;
        E.saves = c;
    }
    char *copy = c->data + c->used;
    c->used += (len + 15) & ~(size_t)15;
    memcpy(copy, obj, len);
    E.undo = kt_grow(E.undo, &E.cap_undo, E.nundo + 1, sizeof *E.undo);
    E.undo[E.nundo++] = (struct undo){.addr = obj, .saved = copy, .len = len};
    return copy;
}

/* The object did not change: its copy and undo entry go, if nothing came after them. */
static void drop_save(const char *copy, size_t len)
{
    struct save_chunk *c = E.saves;
    size_t step = (len + 15) & ~(size_t)15;
    if (E.nundo == 0 || E.undo[E.nundo - 1].saved != copy || !c ||
        c->data + c->used - step != copy)
        return;
    E.nundo--;
    c->used -= step;
}

static void apply_ops(const struct plan *p, const char *ob, char *nb, int in_place, int depth)
{
    for (int i = 0; i < p->nops; i++)
        apply_op(&p->ops[i], ob, nb, in_place, depth);
}

/* An object fixed in place whose field rules run on it: they read the old object from
 * a copy (as they would read it when it is rebuilt) and write the object itself; the
 * copy undoes it on rollback. */
static void apply_rules_in_place(const struct plan *p, char *obj, int depth)
{
    const char *copy = save_bytes(obj, p->old_size);
    apply_ops(p, copy, obj, 1, depth);
    if (memcmp(copy, obj, p->old_size) == 0)
        drop_save(copy, p->old_size);
    else
        E.fixed++;
}

static void apply(const struct plan *p, const char *ob, char *nb, int in_place, int depth)
{
    if (E.failed)
        return;
    if (depth > 64) {
        fail("types nested more than 64 levels deep");
        return;
    }
    if (in_place && p->in_place_rules && ob == nb) {
        apply_rules_in_place(p, nb, depth);
        return;
    }
    if (p->type_rule >= 0) {
        const char *outer = kt_xf_rule_env;
        kt_xf_rule_env = p->env;
        run_rule(p->type_rule, ob, nb, ob, nb);
        kt_xf_rule_env = outer;
        return;
    }
    apply_ops(p, ob, nb, in_place, depth);
}

/* An object rebuilt at its own address (a library keeps it): transformed from a copy
 * of its old bytes, which go word by word to the undo log for a rollback. */
static void transform_here(const struct obj *o)
{
    size_t os = old_extent(o), ns = extent(o->plan, 1, o->old, 1);
    size_t words = ((os > ns ? os : ns) + 7) / 8;
    char *copy = malloc(words * 8);
    if (!copy) {
        fail("out of memory rebuilding an object in place");
        return;
    }
    memcpy(copy, (const char *)o->old, words * 8);
    E.undo = kt_grow(E.undo, &E.cap_undo, E.nundo + words, sizeof *E.undo);
    for (size_t w = 0; w < words; w++)
        E.undo[E.nundo++] = (struct undo){.addr = (char *)o->old + 8 * w,
                                          .value = ((uintptr_t *)copy)[w]};
    apply(o->plan, copy, o->nw, 0, 0);
    free(copy);
    E.transformed++;
}

static void transform_objects(void)
{
    for (size_t i = E.next_transform; i < E.nobjs && !E.failed; i++) {
        if (i + 8 < E.nobjs)
            __builtin_prefetch((const void *)E.objs[i + 8].old);
        if (E.objs[i].state != OBJ_READY || E.objs[i].parent)
            continue;
        E.objs[i].state = OBJ_DONE;
        /* A copy: a rule's XF_PTR may claim objects, and E.objs move when they grow. */
        struct obj o = E.objs[i];
        size_t os = o.plan->old_size, ns = o.plan->new_size;
        kt_transfer_plan = o.plan;
        if (o.here) {
            transform_here(&o);
            continue;
        }
        for (size_t k = 0; k < o.count; k++)
            apply(o.plan, (const char *)o.old + k * os, o.nw + k * ns, o.in_place, 0);
        if (o.in_place)
            continue;
        if (o.nul_terminated)
            memset(o.nw + (o.count - 1) * ns, 0, ns);
        E.transformed += (long)o.count;
    }
    E.next_transform = E.nobjs;
    for (size_t i = E.next_light; i < E.nlights && !E.failed; i++) {
        if (i + 8 < E.nlights)
            __builtin_prefetch((const void *)E.lights[i + 8].old);
        struct light l = E.lights[i];
        if (!l.plan)
            continue; /* fixed when it was read (plan.h, one_pass) */
        kt_transfer_plan = l.plan;
        apply(l.plan, (const char *)l.old, (char *)l.old, 1, 0);
    }
    E.next_light = E.nlights;
}

/* ---- interface ---- */

static int general_begin(const struct kt_engine_env *env)
{
    memset(&E, 0, sizeof E);
    E.env = *env;
    dense_begin();
    return 0;
}

static void general_find(const struct plan *p, const char *old_addr)
{
    if (p && p->mode != PLAN_CLEAN)
        discover_ops(p, old_addr, 0);
    discover();
}

static int general_settle(void)
{
    discover();
    allocate();
    return E.failed ? -1 : 0;
}

static void general_root(const struct plan *p, const char *old_addr, char *new_addr, size_t size)
{
    if (!p) {
        memcpy(new_addr, old_addr, size);
        return;
    }
    if (p->same_layout && p->type_rule < 0)
        memcpy(new_addr, old_addr, p->new_size < size ? p->new_size : size);
    if (p->mode != PLAN_CLEAN || !p->same_layout)
        apply(p, old_addr, new_addr, 0, 0);
}

static int general_drain(void)
{
    for (int round = 0; round < 1000 && !E.failed; round++) {
        discover();
        allocate();
        transform_objects();
        if (E.next_transform == E.nobjs && E.nwork == 0 && E.nrests == 0 &&
            E.next_light == E.nlights &&
            E.nlwork == 0)
            break;
    }
    return E.failed ? -1 : 0;
}

/* Claims an object on behalf of generated code ($xform closures via XF_PTR). */
static void *follow(const struct plan *target, const void *old, size_t count,
                    int nul_terminated)
{
    if (!old)
        return NULL;
    if (in_old_static((uintptr_t)old))
        return (void *)translate_static((uintptr_t)old, target);
    claim((uintptr_t)old, (struct plan *)target, count, nul_terminated);
    general_settle();
    return (void *)translate_heap((uintptr_t)old, target, PTR_MAY_INTERIOR);
}

static void general_follow(const struct plan *target, const void *in, void *out,
                           size_t count, int nul_terminated)
{
    void *old;
    memcpy(&old, in, sizeof old);
    void *nw = follow(target, old, count, nul_terminated);
    memcpy(out, &nw, sizeof nw);
}

static void *general_translate_fptr(const void *old)
{
    return (void *)translate_fptr((uintptr_t)old);
}

/* Also an address inside a rebuilt object (an element, a member) or an alias. */
static void *general_lookup_new(const void *old)
{
    if (!old)
        return NULL;
    if (in_old_static((uintptr_t)old))
        return (void *)translate_static((uintptr_t)old, NULL);
    return (void *)translate_heap((uintptr_t)old, NULL, PTR_MAY_INTERIOR);
}

static void general_apply_plan(const struct plan *p, const void *in, void *out)
{
    int in_place = in == out;
    if (in_place && !p->same_layout) {
        fail("a rule transforms a %s in place, but its layout changed", "type");
        return;
    }
    if (!in_place && p->mode != PLAN_CLEAN && p->type_rule < 0) {
        /* What it leads to is found and given new addresses first, as for a root. */
        discover_ops(p, in, 0);
        general_settle();
    }
    if (!in_place && p->same_layout && p->type_rule < 0)
        memcpy(out, in, p->new_size);
    apply(p, in, out, in_place, 0);
}

static const char *general_error(void)
{
    return E.failed ? E.err : NULL;
}

static void general_counts(long *transformed, long *fixed)
{
    *transformed = E.transformed;
    *fixed = E.fixed;
}

/* A transformer failed: the update rolls back. */
static void general_fail(const char *msg)
{
    kt_update_fail("%s", msg);
}

/* After a commit the old objects that were rebuilt are freed - only blocks of the main
 * malloc heap: an object elsewhere (a custom allocator's arena, another thread's
 * stack) is left alone rather than risk it - by a thread, so that freeing them need
 * not block the program. */
struct free_list {
    void **ptrs;
    size_t n;
};

static void *free_in_background(void *arg)
{
    struct free_list *l = arg;
    for (size_t i = 0; i < l->n; i++)
        free(l->ptrs[i]);
    free(l->ptrs);
    free(l);
    return NULL;
}

/* The old objects that were rebuilt, of the main heap. */
static struct free_list old_objects(void)
{
    uintptr_t heap_lo, heap_hi;
    kt_maps_heap_range(&heap_lo, &heap_hi);
    struct free_list pending = {NULL, 0};
    for (size_t i = 0; i < E.nobjs; i++) {
        const struct obj *o = &E.objs[i];
        if (o->in_place || o->parent || o->here || o->state != OBJ_DONE)
            continue;
        if (o->old < heap_lo || o->old >= heap_hi)
            continue;
        if (pending.n % 4096 == 0) {
            void **n = realloc(pending.ptrs, (pending.n + 4096) * sizeof *n);
            if (!n)
                break;
            pending.ptrs = n;
        }
        pending.ptrs[pending.n++] = (void *)o->old;
    }
    return pending;
}

static void free_in_background_start(struct free_list pending)
{
    if (!pending.n)
        return;
    struct free_list *l = malloc(sizeof *l);
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (l) {
        *l = pending;
        if (pthread_create(&t, &a, free_in_background, l) != 0)
            free_in_background(l);
    } else {
        free(pending.ptrs);
    }
    pthread_attr_destroy(&a);
}

static void free_engine(void)
{
    free(E.allocs);
    free(E.objs);
    free(E.table);
    free(E.dense);
    free(E.light_bits);
    free(E.lights);
    free(E.lwork);
    free(E.work);
    free(E.rests);
    free(E.undo);
    while (E.saves) {
        struct save_chunk *prev = E.saves->prev;
        free(E.saves);
        E.saves = prev;
    }
    free(E.sorted);
    memset(&E, 0, sizeof E);
}

/* On commit the engine's own arrays are freed before the old objects start going in
 * the background: glibc puts small freed blocks in its fast bins, and a free of a large
 * block after them consolidates them all under the arena's lock (a 1M-key keyspace
 * spent 280 ms of its pause in malloc_consolidate that way). */
static void general_end(int committed)
{
    kitsune_log("general engine: %zu heap object(s) visited (%zu without a map entry), "
                "%ld rebuilt, %ld pointer or object change(s) in place; %zu read only "
                "for the tag their rule dispatches on",
                E.nobjs + E.nlights, E.nlights, E.transformed, E.fixed, E.tag_only);
    struct free_list old = {NULL, 0};
    if (!committed) {
        for (size_t i = E.nundo; i-- > 0;)
            if (E.undo[i].len)
                memcpy(E.undo[i].addr, E.undo[i].saved, E.undo[i].len);
            else
                memcpy(E.undo[i].addr, &E.undo[i].value, sizeof E.undo[i].value);
        for (size_t i = 0; i < E.nallocs; i++)
            free(E.allocs[i]);
    } else {
        old = old_objects();
    }
    free_engine();
    free_in_background_start(old);
}

const struct kt_engine kt_engine_general = {
    .name = "general",
    .begin = general_begin,
    .find = general_find,
    .settle = general_settle,
    .root = general_root,
    .drain = general_drain,
    .error = general_error,
    .follow = general_follow,
    .apply_plan = general_apply_plan,
    .lookup_new = general_lookup_new,
    .translate_fptr = general_translate_fptr,
    .fail = general_fail,
    .helper_fail = NULL,
    .counts = general_counts,
    .end = general_end,
};

