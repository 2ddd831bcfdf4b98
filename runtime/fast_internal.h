/* fast_internal.h - what the forwarding engine's files share (fast.c and fast_*.c).
 *
 * The engine is one idea per file: fast.c the traversal (bitmaps, side map, rebuilding
 * objects, the work stack) and its interface (struct kt_engine); fast_plans.c the
 * plans compiled for it; fast_threads.c the helper threads' lives (start, the signal
 * handler that stops one, the stop); fast_end.c the rollback and the commit (freeing
 * the old objects in the background).  Its state is one struct, F, hidden from the
 * program libkitsune lives in (fast.c explains the design). */
#ifndef KITSUNE_FAST_INTERNAL_H
#define KITSUNE_FAST_INTERNAL_H

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "plan.h"
#include "kitsune_xf.h"
#include "engine.h"

#pragma GCC visibility push(hidden)


#define GRAN_SHIFT 4
#define REGION_SHIFT 26
#define REGION_GRANS ((size_t)1 << (REGION_SHIFT - GRAN_SHIFT))
#define REGION_WORDS (REGION_GRANS / 64)
#define BW 2 /* words per 64 granules, interleaved: mark, ready; then all new words */
#define READY_BYTES_OFF (REGION_WORDS * (BW + 1) * sizeof(uint64_t))
/* then one byte per granule: "ready" with several threads, set by a plain store */
#define CONT_BYTES_OFF (READY_BYTES_OFF + REGION_GRANS)
/* then one byte per granule: at the start of a container, its plan (F.contplans) */
#define REGION_BYTES (CONT_BYTES_OFF + REGION_GRANS)
#define MAX_CONTPLANS 255
#define NREGIONS 4096 /* 256 GiB of address space */
#define MAX_THREADS 64
#define BATCH 64
#define VISIT_CHUNK 64
#define SOLO_MAX 8 /* the main thread works alone (no atomics) until its stack is this long */
#define SPIN 4000 /* pause instructions an idle thread spins before it sleeps */

enum { B_MARK, B_READY };

struct region {
    uintptr_t key; /* (address >> REGION_SHIFT) + 1; 0: free */
    uint64_t *bits;
};

struct fplan;

/* An operation as this engine uses it: the plan's, compacted, with its sub plan and
 * rule function resolved. */
struct fop {
    uint32_t kind, len, old_off, new_off;
    struct fplan *sub;
    const struct plan_op *op;
    kitsune_rule_fn fn;   /* RULE: the generated function (NULL: none) */
    int init;             /* RULE: an INIT rule (no old value) */
};

/* A plan as this engine uses it. */
struct fplan {
    const struct plan *p;
    int mode;             /* p->mode */
    struct fop *ops;
    int nops;
    kitsune_rule_fn type_fn; /* type_rule >= 0: its function */
    int recover;          /* old bytes [0,8) are copied to new bytes [0,8) */
    int side;             /* objects shorter than a forwarding word: side map */
    int zero_all;         /* allocate zeroed */
    uint32_t (*zero)[2];  /* else: byte ranges (offset, length) no operation writes */
    int nzero;
    int container;        /* REBUILD holding data that interior pointers may reach */
    int cont_id;          /* its index in F.contplans (0: recorded in an array) */
};

/* I_ARRAY: a slot (a) holding an array of rebuilt objects (b); its `wd` holds the
 * element count << 2, whether it ends at an all-zero element << 1, and in place. */
enum item_kind { I_SLOT, I_SLOT_IN_PLACE, I_VISIT, I_ARRAY };

struct item {
    uintptr_t a;          /* SLOT: the slot to fill; VISIT: the object */
    uintptr_t b;          /* SLOT: the old target; VISIT: the number of elements */
    uintptr_t fk;         /* the plan, with the kind in its low 2 bits */
    uint64_t *wd;         /* SLOT: the target's bitmap words if known, else NULL */
};

struct undo {
    uintptr_t *slot;
    uintptr_t value;
};

struct first {
    uintptr_t obj, word;
};

/* A rebuilt object that holds unchanged data some pointer may point into. */
struct container {
    uintptr_t old, nw;
    const struct fplan *f;
    size_t count;         /* an array of that many objects of f (0: one object) */
};

/* A pointer slot that may point inside a rebuilt container, resolved after the drain. */
struct inner {
    uintptr_t *slot;
    uintptr_t old;
    const struct plan *target;
    int in_place;
};

struct worker {
    struct item *st;
    size_t n, cap;
    size_t compact_at, shrink_at; /* the stack's bounds (fast.c, restack) */
    long compact_due;     /* ... and when `transformed` reaches this */
    struct {
        uintptr_t key;
        uint64_t *bits;
    } cache[4];
    struct undo *undo;
    size_t nundo, cap_undo;
    struct first *firsts;
    size_t nfirsts, cap_firsts;
    struct container *conts;
    size_t nconts, cap_conts;
    struct inner *inners;
    size_t ninners, cap_inners;
    long transformed, fixed;
    double t_start, t_end, t_idle, t_cpu; /* KITSUNE_ENGINE_STATS */
    long shares, takes;
    char *cur_new;        /* a new object not yet published (freed on rollback) */
    uintptr_t dst_lo, dst_hi; /* the new object or variable being filled: where a
                                 rule's $xform may leave a slot to fill later */
    int sync_depth;       /* inside a rule's $xform that rebuilds at once */
    int index;
    volatile sig_atomic_t failed;
    int guarded;          /* a helper inside its sigsetjmp */
    volatile sig_atomic_t in_alloc; /* a helper that crashed inside the allocator: it
                                       never exits (helper_main), nobody joins it */
    int finished;         /* helper_main is past its work (under F.lock) */
    uintptr_t stack_hi;   /* a helper: where its frames end (helper_main's) */
    char err[KT_ERRLEN];
    sigjmp_buf jmp;
    pthread_t tid;
};

enum side_kind { S_FWD = 1, S_FIX = 2 };

struct side_ent {
    uintptr_t key;
    uintptr_t val;        /* FWD: new address (0 while being rebuilt); FIX: elements */
    uint32_t kind;
    uint32_t ready;
    size_t count;         /* FWD of an array: its elements + 1 (0: one object) */
};

struct fast_state {
    int active, draining, mt, nthreads;
    int ready_bytes;      /* several threads: READY is a byte per granule */
    int populated;        /* the bitmap over the main heap is mapped */
    int solo;             /* the main thread works alone until there is work to share */
    int track_new;        /* keep the NEW bitmap: arrays fixed in place may overlap */
    int interior;         /* some rebuilt objects are containers (struct container) */
    kitsune_rule_fn const *rule_fns;
    const struct plan_rule *rules;
    int nrules;
    struct kt_engine_env env;
    uintptr_t old_lo, old_len, new_lo, new_len; /* the versions' spans */
    struct worker *w;
    struct region *regions;
    pthread_mutex_t region_lock;
    /* plans */
    struct fplan *fplans;
    size_t nfplans;
    struct fplan **index;
    size_t index_mask;
    /* side map */
    pthread_mutex_t side_lock;
    struct side_ent *side;
    size_t side_mask, nside;
    /* shared work stack */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct item *shared;
    size_t nshared, cap_shared;
    int idle, done, helpers;
    int hungry, halt;     /* read without the lock; halt: every worker stops (a failure) */
    size_t nshared_hint;  /* nshared, for spinning threads (read without the lock) */
    /* container plans found through the byte map, and the longest (in granules) */
    struct fplan *contplans[MAX_CONTPLANS + 1];
    int ncontplans;
    size_t cont_grans;
    /* other containers of all threads, sorted by old address; inner slots still open */
    struct container *conts;
    size_t nconts, cap_conts;
    struct inner *inners;
    size_t ninners, cap_inners;
    /* untyped lookups by rules while draining, checked at the end */
    uintptr_t *lookups;
    size_t nlookups, cap_lookups;
    pthread_mutex_t lookup_lock;
    char err[KT_ERRLEN];
};

extern struct fast_state F;
extern __thread struct worker *cur_w; /* the worker of this thread, during a transfer */

/* Records w's first failure; the other threads stop at their next look. */
void wfail(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The engine's compiled plan of a planner plan (NULL: none, nothing to do). */
static inline struct fplan *fplan_of(const struct plan *p)
{
    if (!p || !F.index)
        return NULL;
    size_t h = (size_t)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ULL >> 32) & F.index_mask;
    for (; F.index[h]; h = (h + 1) & F.index_mask)
        if (F.index[h]->p == p)
            return F.index[h];
    return NULL;
}

/* fast_plans.c */
void fast_compile_plans(const struct plan_ctx *c);
void fast_free_plans(void);

/* fast_threads.c */
/* Starts the helpers, each running work (fast.c's: its share until there is none). */
void fast_start_helpers(void (*work)(struct worker *));
void fast_stop_helpers(void);
/* The handlers that turn a fault on a helper into its failure (on while helpers run). */
void fast_set_handlers(int on);

/* fast_end.c */
void fast_end(int committed);

#pragma GCC visibility pop

#endif
