/* engine.h - the one interface of the two engines that carry an update's state over
 * into the new version (docs/design.md §6).
 *
 * migrate.c chooses the engine once per update (kt_migrate_begin) and drives it; every
 * batch (kitsune_do_automigrate, MIGRATE_*, the thread arguments at commit) is
 *
 *     find(root) for each root    what the roots lead to is found first (general only)
 *     settle()                    ... and given its new addresses
 *     root(each)                  each new variable filled from its old one
 *     drain()                     everything they lead to transformed; 0 or -1 + error()
 *
 * and the update ends with end(committed).  Generated code reaches the running engine
 * through the closures (closure.c: follow, apply_plan, lookup_new, translate_fptr,
 * fail), and a failure on a helper thread (oom.c, kitsune_xf_fail) through
 * kt_engine_helper_fail.
 *
 *   general     (xform.c) finds every reachable object first and keeps an old->new
 *               map: interior pointers, sharing, cycles, rules, closures, $gen;
 *   forwarding  (fast.c) forwarding words beside the old objects and a bitmap over the
 *               heap, no map, several threads; when plan_fast_eligible accepts the plans.
 *
 * The engines know neither each other nor migrate.c: what both need of the update (the
 * versions, the plans, the rules, pointers into static data, function pointers) is in
 * translate.c, which migrate.c sets up before begin and tears down after end. */
#ifndef KITSUNE_ENGINE_H
#define KITSUNE_ENGINE_H

#include <stddef.h>

#include "translate.h"

struct plan;

struct kt_engine {
    const char *name;  /* for the log: "general", "forwarding" */
    /* Starts the engine for the update env describes (kept by translate.c); 0, or -1
     * when it cannot (out of memory): the other engine runs. */
    int (*begin)(const struct kt_engine_env *env);
    /* A batch.  find and settle may be NULL (nothing to find first). */
    void (*find)(const struct plan *p, const char *old_addr);
    int (*settle)(void);
    void (*root)(const struct plan *p, const char *old_addr, char *new_addr, size_t size);
    int (*drain)(void);
    const char *(*error)(void); /* why a batch failed, or NULL */
    /* For generated code: XF_PTR($xform(..)) on the pointer slot `in` to objects of
     * plan `target` (count of them, or up to an all-zero one), the new pointer to
     * `out`; XF_INVOKE($xform(..)) on memory held inline (in == out: in place); the
     * new address of an old object or static; of a function pointer. */
    void (*follow)(const struct plan *target, const void *in, void *out, size_t count,
                   int nul_terminated);
    void (*apply_plan)(const struct plan *p, const void *in, void *out);
    void *(*lookup_new)(const void *old);
    void *(*translate_fptr)(const void *old);
    /* A transformer failed on this thread: the batch fails (or the update rolls back). */
    void (*fail)(const char *msg);
    /* A failure on one of the engine's helper threads: the helper stops, the main
     * thread rolls back; returns on any other thread.  NULL: no helper threads. */
    void (*helper_fail)(const char *why);
    void (*counts)(long *transformed, long *fixed);
    /* Commit (old objects freed, in the background) or rollback (the old state exactly
     * as it was, every new object freed). */
    void (*end)(int committed);
};

extern const struct kt_engine kt_engine_general;    /* xform.c */
extern const struct kt_engine kt_engine_forwarding; /* fast.c */

/* The engine of the update in progress (engine.c), set by migrate.c; NULL between
 * updates. */
const struct kt_engine *kt_engine_running(void);
void kt_engine_set_running(const struct kt_engine *e);
/* The running engine's helper_fail, if it has one. */
void kt_engine_helper_fail(const char *why);

#endif
