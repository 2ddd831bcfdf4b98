/* plan.c - the planner's entry points (plan.h): plan_build_flags runs the passes in
 * order (variables, $xform pairs, rule variables, dropped state, bindings, constant
 * data; then modes, merged copies, held and short objects), plans named pairs for
 * $xform, keeps the diagnostics, and frees everything.  The passes themselves are in
 * the files plan_internal.h lists.  The planner never touches program memory. */
#include "plan_internal.h"
#include "plan_dispatch.h"

#include <stdarg.h>

void plan_diag(struct plan_ctx *c, const char *path, const char *decl, const char *stub,
               const char *fmt, ...)
{
    for (int i = 0; i < c->ndiags; i++)
        if (strcmp(c->diags[i].path, path) == 0)
            return; /* one diagnostic per path */
    if (c->ndiags == c->cap_diags) {
        int cap = c->cap_diags ? c->cap_diags * 2 : 8;
        struct plan_diag *d = realloc(c->diags, (size_t)cap * sizeof *d);
        if (!d)
            return;
        c->diags = d;
        c->cap_diags = cap;
    }
    struct pstr what = {0};
    va_list ap;
    va_start(ap, fmt);
    pstr_vprintf(&what, fmt, ap);
    va_end(ap);
    struct plan_diag *d = &c->diags[c->ndiags++];
    d->path = pstr_dup(path);
    d->decl = decl ? pstr_dup(decl) : NULL;
    d->what = pstr_take(&what);
    d->stub = stub ? pstr_dup(stub) : NULL;
}

int plan_var_migrates(const struct ktt_var *v)
{
    if (v->flags & (KTT_VAR_READONLY | KTT_VAR_TLS))
        return 0; /* read-only memory cannot be filled; thread-local is per thread */
    return !(v->flags & (KTT_VAR_CONST | KTT_VAR_MANUAL)) || (v->flags & KTT_VAR_AUTO);
}

int plan_var_constant(const struct ktt_var *v)
{
    if (v->flags & (KTT_VAR_TLS | KTT_VAR_LOCAL))
        return 0;
    return (v->flags & KTT_VAR_READONLY) ||
           ((v->flags & KTT_VAR_CONST) && !(v->flags & KTT_VAR_AUTO));
}

/* An encoded variable's storage means something only under the same encoding: then
 * copying it carries the value over; a plain variable on either side cannot be paired
 * with one, nor two different encodings. */
static int same_encoding(const struct ktt_var *ov, const struct ktt_var *nv)
{
    unsigned e = ov->flags & KTT_VAR_ENCODED, f = nv->flags & KTT_VAR_ENCODED;
    if (!e && !f)
        return 1;
    return e && f && ov->encoding == nv->encoding && ov->size == nv->size;
}

static void plan_vars(struct plan_ctx *c)
{
    const struct ktt *o = c->old, *n = c->new_;
    c->vars = calloc((size_t)n->nvars + 1, sizeof *c->vars);
    if (!c->vars)
        plan_oom();
    for (int i = 0; i < n->nvars; i++) {
        const struct ktt_var *nv = &n->vars[i];
        if (!plan_var_migrates(nv))
            continue;
        struct plan_var *pv = &c->vars[c->nvars];
        pv->new_var = i;
        pv->old_var = -1;
        pv->rule = -1;
        int init = plan_find_rule(c, RULE_INIT_VAR, nv->key, NULL);
        int rule = plan_find_rule(c, RULE_VAR, nv->key, NULL);
        const char *from = nv->key;
        if (init >= 0) {
            plan_use_rule(c, init);
            pv->rule = init;
            c->nvars++;
            continue;
        }
        if (rule >= 0) {
            plan_use_rule(c, rule);
            from = c->rules[rule].from;
        }
        const struct ktt_var *ov = ktt_find_var(o, from);
        if (!ov || !plan_var_migrates(ov)) {
            if (rule >= 0)
                plan_diag(c, nv->key, nv->decl, NULL, "rule renames %s, which the old version "
                          "does not have", from);
            continue; /* a new variable keeps its initialiser */
        }
        if (!same_encoding(ov, nv)) {
            plan_diag(c, nv->key, nv->decl, NULL, "%s is kept by the compiler in an encoded form "
                      "(clang -O2 shrinks a variable that holds one of two values to a flag) in "
                      "%s, so its value cannot be carried over; declare it volatile in both "
                      "versions", nv->key,
                      (ov->flags & nv->flags & KTT_VAR_ENCODED) ? "both versions, differently"
                      : (ov->flags & KTT_VAR_ENCODED) ? "the old version" : "the new version");
            continue;
        }
        pv->old_var = (int)(ov - o->vars);
        c->nvars++;
        if (rule >= 0 && c->rules[rule].has_code) {
            /* The rule's code replaces the plan: planned last (plan_rule_vars). */
            pv->rule = rule;
            continue;
        }
        pv->plan = plan_pair(c, ov->type, nv->type, nv->key, nv->decl, 0);
    }
}

int plan_dropped_var(const struct plan_ctx *c, int from)
{
    for (int i = from; i < c->old->nvars; i++) {
        if (!plan_var_migrates(&c->old->vars[i]))
            continue;
        int kept = 0;
        for (int j = 0; j < c->nvars && !kept; j++)
            kept = c->vars[j].old_var == i;
        if (!kept)
            return i;
    }
    return -1;
}

/* Plans a variable without diagnostics of its own (its plan is only used in part). */
static void plan_quietly(struct plan_ctx *c, struct plan_var *pv)
{
    const struct ktt_var *ov = &c->old->vars[pv->old_var];
    const struct ktt_var *nv = &c->new_->vars[pv->new_var];
    int ndiags = c->ndiags;
    pv->plan = plan_pair(c, ov->type, nv->type, nv->key, nv->decl, 0);
    plan_drain(c);
    while (c->ndiags > ndiags) {
        struct plan_diag *d = &c->diags[--c->ndiags];
        free(d->path);
        free(d->decl);
        free(d->what);
        free(d->stub);
    }
}

/* Variables transformed by a rule with code still get a plan (pointers into them are
 * translated with it), but what it could not decide is the rule's business: planned
 * after everything else, so a type they share with other variables was judged for
 * those, and without diagnostics of their own. */
static void plan_rule_vars(struct plan_ctx *c)
{
    for (int i = 0; i < c->nvars; i++) {
        struct plan_var *pv = &c->vars[i];
        if (!pv->plan && pv->old_var >= 0 && pv->rule >= 0)
            plan_quietly(c, pv);
    }
}

/* A variable that is constant data in either version (plan_var_constant) is the new
 * version's own: never filled, whatever its type became.  Pointers into the old
 * version's copy are translated into the new one's by its plan, made the same quiet
 * way, last. */
static void plan_constant_vars(struct plan_ctx *c)
{
    const struct ktt *o = c->old, *n = c->new_;
    c->constants = calloc((size_t)n->nvars + 1, sizeof *c->constants);
    if (!c->constants)
        plan_oom();
    for (int i = 0; i < n->nvars; i++) {
        const struct ktt_var *nv = &n->vars[i], *ov = ktt_find_var(o, nv->key);
        if (!ov || (ov->flags | nv->flags) & KTT_VAR_TLS ||
            !(plan_var_constant(nv) || plan_var_constant(ov)))
            continue;
        struct plan_var *pv = &c->constants[c->nconstants++];
        *pv = (struct plan_var){.old_var = (int)(ov - o->vars), .new_var = i, .rule = -1};
        plan_quietly(c, pv);
    }
}

int plan_build(struct plan_ctx *c, const struct ktt *old, const struct ktt *nv,
               const struct plan_rule *rules, int nrules)
{
    return plan_build_flags(c, old, nv, rules, nrules, 0);
}

int plan_build_flags(struct plan_ctx *c, const struct ktt *old, const struct ktt *nv,
                     const struct plan_rule *rules, int nrules, unsigned flags)
{
    memset(c, 0, sizeof *c);
    c->flags = flags;
    c->old = old;
    c->new_ = nv;
    c->rules = rules;
    c->nrules = nrules;
    plan_func_renames(c);
    plan_vars(c);
    plan_drain(c);
    c->xform = calloc((size_t)nrules + 1, sizeof *c->xform);
    if (!c->xform)
        plan_oom();
    for (int i = 0; i < nrules; i++)
        if (rules[i].kind == RULE_XFORM) {
            plan_use_rule(c, i);
            /* with each binding (plan_bindings) when it passes a parameter on */
            c->xform[i] = plan_passes_on(&rules[i]) ? NULL
                          : plan_for_names_args(c, rules[i].from, rules[i].to,
                                                rules[i].gen_args, NULL);
        }
    plan_drain(c);
    plan_rule_vars(c);
    plan_dropped_vars(c);
    plan_bindings(c);
    plan_constant_vars(c); /* last: what it plans first has no diagnostics */
    plan_compute_modes(c);
    c->built = 1;
    for (struct plan *p = c->plans; p; p = p->next)
        plan_simplify(p);
    plan_check_held(c);
    plan_mark_light(c); /* after simplify: flex_op is known */
    for (struct plan *p = c->plans; p; p = p->next)
        plan_short(c, p); /* last: a short plan is a copy of its plan */
    return c->ndiags;
}

static int find_named_type(const struct ktt *k, const char *name)
{
    for (int i = 0; i < k->ntypes; i++) {
        const struct ktt_type *t = &k->types[i];
        if (!t->name || t->kind == KTT_BASE)
            continue;
        char *spelled = type_label(k, i);
        int same = strcmp(spelled, name) == 0;
        free(spelled);
        if (same)
            return i;
    }
    return -1;
}

struct plan *plan_for_names(struct plan_ctx *c, const char *old_name, const char *new_name)
{
    if (c->built) {
        /* The pair's plan may hold generic bindings (a generic typedef): what was
         * planned for the rule is the answer, not a search by type. */
        for (int i = 0; i < c->nrules; i++)
            if (c->rules[i].kind == RULE_XFORM && !c->rules[i].gen_args &&
                strcmp(c->rules[i].from, old_name) == 0 && strcmp(c->rules[i].to, new_name) == 0)
                return c->xform[i];
        return NULL;
    }
    int ot = find_named_type(c->old, old_name), nt = find_named_type(c->new_, new_name);
    if (ot < 0 || nt < 0) {
        plan_diag(c, new_name, NULL, NULL, "no type %s in the %s version",
                  ot < 0 ? old_name : new_name, ot < 0 ? "old" : "new");
        return NULL;
    }
    struct plan *p = plan_pair(c, ot, nt, new_name, NULL, 0);
    plan_drain(c);
    return p;
}

/* $xform(T0, T1, closures): the pair with the bindings the closures stand for, `env`
 * giving those of parameters passed on ("@t").  After plan_build, only found. */
struct plan *plan_for_names_args(struct plan_ctx *c, const char *old_name,
                                 const char *new_name, const char *args, const char *env)
{
    if (!args)
        return plan_for_names(c, old_name, new_name);
    if (c->built && !strchr(args, '@')) {
        /* as plan_for_names: the plan made for the rule */
        for (int i = 0; i < c->nrules; i++) {
            const struct plan_rule *r = &c->rules[i];
            if (r->kind == RULE_XFORM && r->gen_args && strcmp(r->gen_args, args) == 0 &&
                strcmp(r->from, old_name) == 0 && strcmp(r->to, new_name) == 0)
                return c->xform[i];
        }
        return NULL;
    }
    char *bound = plan_substitute(args, env);
    char *what = pstr_fmt("$xform(%s, %s, ...) = %s<%s>", old_name, new_name, new_name,
                          bound);
    struct plan *p = NULL;
    int ot = find_named_type(c->old, old_name), nt = find_named_type(c->new_, new_name);
    if (ot < 0 || nt < 0 || strchr(bound, '@')) {
        if (!c->built && strchr(bound, '@'))
            plan_diag(c, new_name, NULL, NULL, "generic argument %s: a parameter passed on with "
                      "$gen has no binding here", what);
        else if (!c->built)
            plan_diag(c, new_name, NULL, NULL, "no type %s in the %s version",
                      ot < 0 ? old_name : new_name, ot < 0 ? "old" : "new");
    } else {
        struct tref r = plan_tref_bound(c, ot, nt, bound, what, new_name, new_name, NULL);
        if (r.ok && c->built) {
            p = plan_find(c, r.ot, r.nt, r.env, r.ptrs);
        } else if (r.ok) {
            p = plan_inline(c, r, new_name, NULL, 0);
            plan_drain(c);
        }
    }
    free(bound);
    free(what);
    return p;
}

void plan_free(struct plan_ctx *c)
{
    for (struct plan *p = c->plans, *next; p; p = next) {
        next = p->next;
        for (int i = 0; i < p->nops; i++) {
            free(p->ops[i].enum_map);
            free(p->ops[i].path);
            free(p->ops[i].alts);
            free(p->ops[i].tag_vals);
            free((char *)p->ops[i].tag_name);
            free(p->ops[i].alt_sizes);
            plan_dispatch_release(&p->ops[i]);
        }
        free(p->ops);
        free(p->path);
        free(p);
    }
    for (int i = 0; i < c->ndiags; i++) {
        free(c->diags[i].path);
        free(c->diags[i].decl);
        free(c->diags[i].what);
        free(c->diags[i].stub);
    }
    free(c->diags);
    free(c->vars);
    free(c->constants);
    free(c->may_static);
    free(c->in_rebuilt);
    free(c->queue);
    free(c->index);
    free(c->xform);
    for (int i = 0; i < c->nenvs; i++)
        free(c->envs[i]);
    free(c->envs);
    free(c->fn_renames);
    memset(c, 0, sizeof *c);
}
