/* fast.h - the forwarding engine (fast.c): transforms the heap without an old->new map
 * when the plans of an update allow it; the general engine (xform.c) does the rest.
 *
 * Used by migrate.c: plan_fast_eligible (plan.h) decides once per update, then per
 * batch the roots go through kt_fast_root and kt_fast_drain transforms everything they
 * lead to;
 * kt_fast_end commits (old objects are freed by a background thread) or rolls back. */
#ifndef KITSUNE_FAST_H
#define KITSUNE_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "kitsune_xf.h"
#include "plan.h"
#include "xform.h"

/* Starts the engine for an update on `threads` threads (1: the calling thread only);
 * rule_fns is the new version's table of generated rule functions (may be NULL). */
int kt_fast_begin(const struct kt_xf_env *env, const struct plan_ctx *c,
                  kitsune_rule_fn const *rule_fns, const struct plan_rule *rules, int nrules,
                  int threads);
/* Provided by migrate.c: the main malloc heap (whose bitmap is mapped up front). */
void kt_migrate_heap_range(uintptr_t *lo, uintptr_t *hi);
/* Whether the forwarding engine runs the current update. */
int kt_fast_active(void);
/* Fills a new variable from the old one; what its pointers lead to is queued. */
void kt_fast_root(const struct plan *p, const char *old_addr, char *new_addr, size_t size);
/* Transforms everything queued so far (on all threads).  0, or -1 with kt_fast_error. */
int kt_fast_drain(void);
const char *kt_fast_error(void);
void kt_fast_counts(long *transformed, long *fixed);
/* Commit: old rebuilt objects inside [heap_lo, heap_hi) are freed by a background
 * thread.  Rollback: every old object is restored and every new one freed. */
void kt_fast_end(int committed, uintptr_t heap_lo, uintptr_t heap_hi);

/* For the closures of generated code and for thread arguments at commit. */
void *kt_fast_lookup_new(const void *old);
/* XF_PTR($xform(...)) in a rule: the pointer slot `in` holds an old object of plan
 * `target` (count elements, or up to an all-zero one); `out`, in the object or
 * variable the rule fills, receives the new address (at once, or when the object is
 * rebuilt, like the engine's own pointer slots). */
void kt_fast_follow(const struct plan *target, const void *in, void *out, size_t count,
                    int nul_terminated);
/* XF_INVOKE($xform(...)) on memory held inline: fills `out` from `in` by plan p, or
 * fixes `in` in place when in == out. */
void kt_fast_apply_plan(const struct plan *p, const void *in, void *out);

/* A transformer failed on this thread: the engine stops and the batch fails. */
void kt_fast_fail(const char *msg);

/* A failure on a helper thread (out of memory, kitsune_xf_fail): it stops as after a
 * fault and the main thread rolls the update back; returns on any other thread. */
void kt_fast_helper_fail(const char *why);

/* The number of threads KITSUNE_THREADS asks for (default: online CPUs). */
int kt_fast_threads(void);

#endif
