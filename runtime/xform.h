/* xform.h - interface of the transformation engine (xform.c) to the migration code
 * (migrate.c), which owns the versions, the plans and the rules. */
#ifndef KITSUNE_XFORM_H
#define KITSUNE_XFORM_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct kt_version;

struct kt_xf_env {
    const struct kt_version *old, *new_;
};

void kt_xf_engine_begin(const struct kt_xf_env *env);
/* Finds the heap objects reachable from a root variable (old address). */
void kt_xf_root(const struct plan *p, const char *old_addr);
/* Allocates what has been found so far. */
int kt_xf_settle(void);
/* Fills a new variable from the old one. */
void kt_xf_apply_root(const struct plan *p, const char *old_addr, char *new_addr, size_t size);
/* Transforms every object found so far (and what they lead to). */
int kt_xf_finish_batch(void);
void kt_xf_engine_end(int committed, void (*free_old)(void *));
const char *kt_xf_error(void);
void kt_xf_counts(long *transformed, long *fixed);

/* For generated code and the runtime: the new address of an old object or static. */
/* nul_terminated: an E_SZ array (count includes the all-zero last element). */
void *kt_xf_follow(const struct plan *target, const void *old, size_t count,
                   int nul_terminated);
void *kt_xf_translate_fptr(const void *old);
void *kt_xf_lookup_new(const void *old);
/* Transforms one object by a plan (in == out: in place). */
void kt_xf_apply_plan(const struct plan *p, const void *in, void *out);

/* Provided by migrate.c. */
void kt_xf_track_alloc(void *p);
void *kt_xf_new_func(const char *old_key);
char *kt_xf_new_var(const char *old_key, struct plan **plan);
void kt_xf_run_rule(int rule, const void *in, void *out, const void *old_base, void *new_base);

#endif
