/* translate.c - the update's environment and the translations both engines share
 * (translate.h): new functions and variables by old key, pointers into the old static
 * data and function pointers, generated rules. */
#include "kitsune.h"
#include "translate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oom.h"
#include "version.h"

static struct kt_engine_env env;
static const struct plan_var **by_old_key; /* plan and constant vars by old key */
static int n_by_old_key;

__thread const char *kt_xf_rule_env;

static int cmp_old_key(const void *a, const void *b)
{
    const struct plan_var *x = *(const struct plan_var *const *)a;
    const struct plan_var *y = *(const struct plan_var *const *)b;
    return strcmp(env.old->ktt.vars[x->old_var].key, env.old->ktt.vars[y->old_var].key);
}

void kt_translate_begin(const struct kt_engine_env *e)
{
    const struct plan_ctx *c = e->ctx;
    env = *e;
    by_old_key = calloc((size_t)(c->nvars + c->nconstants) + 1, sizeof *by_old_key);
    if (!by_old_key)
        kt_oom("indexing the variables");
    n_by_old_key = 0;
    for (int i = 0; i < c->nvars; i++)
        if (c->vars[i].old_var >= 0)
            by_old_key[n_by_old_key++] = &c->vars[i];
    for (int i = 0; i < c->nconstants; i++)
        by_old_key[n_by_old_key++] = &c->constants[i];
    qsort(by_old_key, (size_t)n_by_old_key, sizeof *by_old_key, cmp_old_key);
}

void kt_translate_end(void)
{
    free(by_old_key);
    by_old_key = NULL;
    n_by_old_key = 0;
    memset(&env, 0, sizeof env);
}

const struct kt_engine_env *kt_translate_env(void)
{
    return &env;
}

void *kt_translate_new_func(const char *old_key)
{
    return kt_version_func_addr(env.new_, plan_func_target(env.ctx, old_key));
}

static const struct plan_var *var_by_old_key(const char *key)
{
    int lo = 0, hi = n_by_old_key - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const struct plan_var *pv = by_old_key[mid];
        int c = strcmp(env.old->ktt.vars[pv->old_var].key, key);
        if (c == 0)
            return pv;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

char *kt_translate_new_var(const char *old_key, struct plan **plan)
{
    const struct plan_var *pv = var_by_old_key(old_key);
    if (!pv)
        return NULL;
    *plan = pv->plan;
    return (char *)(env.new_->base + env.new_->ktt.vars[pv->new_var].addr);
}

int kt_translate_in_old(uintptr_t p)
{
    const struct kt_version *o = env.old;
    return p >= o->lo && p < o->hi && (!o->nmods || kt_version_contains(o, p));
}

uintptr_t kt_translate_static(uintptr_t p, const struct plan *target, char *err,
                              size_t errlen)
{
    const struct kt_addr_entry *e = kt_version_lookup_addr(env.old, p);
    if (!e)
        return p; /* literals and other read-only data stay mapped */
    if (e->func >= 0) {
        void *f = kt_translate_new_func(e->key);
        if (!f)
            snprintf(err, errlen, "pointer to function %s, which the new version does not "
                     "have", e->key);
        return f ? (uintptr_t)f + (p - e->lo) : p;
    }
    struct plan *vp;
    char *nv = kt_translate_new_var(e->key, &vp);
    if (!nv) {
        const struct ktt_var *ov = &env.old->ktt.vars[e->var];
        if ((ov->flags & KTT_VAR_READONLY) && !(ov->flags & KTT_VAR_RELRO))
            return p; /* the old .rodata stays readable (kt_version_retire) */
        if (ov->flags & KTT_VAR_READONLY)
            snprintf(err, errlen, "pointer into read-only variable %s, which the new version "
                     "does not have (the old copy is unmapped when the old version retires)",
                     e->key);
        else
            snprintf(err, errlen, "pointer into variable %s, which is not carried over to "
                     "the new version", e->key);
        return p;
    }
    long off = vp ? plan_translate_offset_to(vp, p - e->lo, target) : (long)(p - e->lo);
    if (off < 0) {
        snprintf(err, errlen, "pointer into a dropped part of variable %s", e->key);
        return p;
    }
    return (uintptr_t)nv + (uintptr_t)off;
}

uintptr_t kt_translate_fptr(uintptr_t p, char *err, size_t errlen)
{
    if (!p || !kt_translate_in_old(p))
        return p; /* NULL, or code of another library */
    const struct kt_addr_entry *e = kt_version_lookup_addr(env.old, p);
    if (!e || e->func < 0 || e->lo != p) {
        snprintf(err, errlen, "function pointer %#lx into the old version is not the start "
                 "of a function", (unsigned long)p);
        return p;
    }
    void *f = kt_translate_new_func(e->key);
    if (!f)
        snprintf(err, errlen, "function pointer to %s, which the new version does not have",
                 e->key);
    return f ? (uintptr_t)f : p;
}

int kt_translate_rule(int rule, const void *in, void *out, const void *old_base,
                      void *new_base)
{
    kitsune_rule_fn const *table = env.rule_fns;
    if (rule < 0 || rule >= env.nrules || !table || !table[rule])
        return -1;
    enum rule_kind k = env.rules[rule].kind;
    if (k == RULE_INIT_VAR || k == RULE_INIT_FIELD)
        in = NULL;
    table[rule](in, out, old_base, new_base);
    return 0;
}

void kt_translate_rule_missing(int rule, char *err, size_t errlen)
{
    snprintf(err, errlen, "rule %d has no generated code in the new version", rule);
}
