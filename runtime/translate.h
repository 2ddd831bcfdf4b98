/* translate.h - what both engines need of an update and use alike (translate.c): the
 * versions, the plans and the rules of the update in progress, the new address of a
 * pointer into the old version's static data or of a function pointer, and running a
 * generated rule.
 *
 * A leaf: it knows the versions and the planner, not the engines nor migrate.c, so the
 * general engine (xform.c) and the forwarding engine (fast.c) share it without sharing
 * each other.  migrate.c sets it up (kt_translate_begin) before it starts an engine and
 * tears it down after the engine has ended.  Everything here only reads the versions
 * and the plans, so the forwarding engine's helper threads call it freely. */
#ifndef KITSUNE_TRANSLATE_H
#define KITSUNE_TRANSLATE_H

#include <stddef.h>
#include <stdint.h>

#include "kitsune_xf.h"
#include "plan.h"

struct kt_version;

/* One update, as the engines see it. */
struct kt_engine_env {
    const struct kt_version *old, *new_;
    struct plan_ctx *ctx;             /* the plans (owned by migrate.c) */
    const struct plan_rule *rules;    /* the rule table xfgen embedded */
    int nrules;
    kitsune_rule_fn const *rule_fns;  /* the new version's generated rule code, or NULL */
    int threads;                      /* forwarding engine: threads to drain on */
};

/* The update's environment, in force until kt_translate_end. */
void kt_translate_begin(const struct kt_engine_env *env);
void kt_translate_end(void);
const struct kt_engine_env *kt_translate_env(void);

/* The new version's function for an old function key (renames by rule), or NULL. */
void *kt_translate_new_func(const char *old_key);
/* The new variable an old variable (or constant) key is carried into, with its plan. */
char *kt_translate_new_var(const char *old_key, struct plan **plan);

/* The new address of a pointer into the old version's static data (by key; `target`
 * picks a struct or its first member) and of a function pointer.  On failure they
 * return p and write a message to err. */
uintptr_t kt_translate_static(uintptr_t p, const struct plan *target, char *err,
                              size_t errlen);
uintptr_t kt_translate_fptr(uintptr_t p, char *err, size_t errlen);
/* Whether p lies in the old version's objects (their segments, not only their span). */
int kt_translate_in_old(uintptr_t p);

/* Runs generated rule `rule` (in is NULL for INIT rules); -1 when the new version has
 * no code for it, which kt_translate_rule_missing says (once per object: kept apart
 * from the call, off its path). */
int kt_translate_rule(int rule, const void *in, void *out, const void *old_base,
                      void *new_base);
void kt_translate_rule_missing(int rule, char *err, size_t errlen);

/* The generic bindings of the type whose rule is running ($gen), or NULL: set by the
 * general engine around a type rule, read by the closures. */
extern __thread const char *kt_xf_rule_env;

#endif
