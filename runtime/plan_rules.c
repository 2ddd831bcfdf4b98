/* plan_rules.c - the rules of an .xf file as the planner looks them up, and what they
 * must say about state with no counterpart: an old variable that no new one takes over,
 * or a function renamed (`file.c/old_fn -> new_fn`), whose pointers all follow it. */
#include "plan_internal.h"

/* The name rules give type t ("struct T", a typedef name) in a new allocation, or NULL
 * when rules cannot name it. */
char *plan_type_rule_name(const struct ktt *k, int t)
{
    const struct ktt_type *ty = &k->types[t];
    if (ty->kind == KTT_TYPEDEF || ((ty->kind == KTT_STRUCT || ty->kind == KTT_UNION ||
                                     ty->kind == KTT_ENUM) && ty->name))
        return type_label(k, t);
    return NULL;
}

int plan_find_rule(struct plan_ctx *c, enum rule_kind kind, const char *to,
                   const char *to_field)
{
    int found = -1;
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if (r->kind != kind || !r->to || strcmp(r->to, to) != 0)
            continue;
        if (to_field && (!r->to_field || strcmp(r->to_field, to_field) != 0))
            continue;
        if (found >= 0) {
            plan_diag(c, to, NULL, NULL, "ambiguous rules: more than one rule targets %s%s%s", to,
                      to_field ? "." : "", to_field ? to_field : "");
            return found;
        }
        found = i;
    }
    return found;
}

void plan_use_rule(struct plan_ctx *c, int i)
{
    if (i >= 0)
        ((struct plan_rule *)c->rules)[i].used = 1;
}

/* ---- dropped state ----
 * State that no new variable or field takes over is lost.  That must be a decision,
 * written as a rule (`old -> (dropped)`): for an old variable holding state, and for a
 * field that vanishes while a field of the same type appears (a likely rename). */

/* The RULE_DROP for variable `from` (field NULL) or field `field` of type `from`; every
 * match is marked used.  -1 when there is none. */
int plan_find_drop_rule(struct plan_ctx *c, const char *from, const char *field)
{
    int found = -1;
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if (r->kind != RULE_DROP || !r->from || strcmp(r->from, from) != 0 ||
            !r->from_field != !field || (field && strcmp(r->from_field, field) != 0))
            continue;
        plan_use_rule(c, i);
        found = i;
    }
    return found;
}

/* Whether old type ot and new type nt are the same type, by name and shape: what a
 * renamed variable or field keeps. */
int plan_same_named_type(const struct plan_ctx *c, int ot, int nt, int depth)
{
    ot = ktt_resolve(c->old, ot);
    nt = ktt_resolve(c->new_, nt);
    const struct ktt_type *o = otype(c, ot), *n = ntype(c, nt);
    if (o->kind != n->kind || depth > 8 || !o->tparam != !n->tparam)
        return 0;
    switch (o->kind) {
    case KTT_BASE:
        return o->size == n->size && o->enc == n->enc;
    case KTT_PTR:
        return plan_same_named_type(c, o->target, n->target, depth + 1);
    case KTT_ARRAY:
        return o->count == n->count && plan_same_named_type(c, o->target, n->target, depth + 1);
    case KTT_STRUCT:
    case KTT_UNION:
    case KTT_ENUM:
        return o->name && n->name && strcmp(o->name, n->name) == 0;
    default:
        return 1;
    }
}

/* Length of the part of a key before the variable's name ("net.c/", "f.c/run#"). */
static size_t key_scope_len(const char *key)
{
    size_t n = 0;
    for (size_t i = 0; key[i]; i++)
        if (key[i] == '/' || key[i] == '#' || key[i] == '@')
            n = i + 1;
    return n;
}

/* A new variable in the same scope as old variable ov, of the same type, that nothing
 * fills and that was not suggested for another one (`suggested`, per new variable):
 * ov was probably renamed to it.  NULL when there is none. */
static const struct ktt_var *renamed_var(struct plan_ctx *c, const struct ktt_var *ov,
                                         uint8_t *suggested)
{
    size_t scope = key_scope_len(ov->key);
    for (int i = 0; i < c->new_->nvars; i++) {
        const struct ktt_var *nv = &c->new_->vars[i];
        if (suggested[i] || !plan_var_migrates(nv) || ktt_find_var(c->old, nv->key) ||
            key_scope_len(nv->key) != scope || strncmp(nv->key, ov->key, scope) != 0 ||
            !plan_same_named_type(c, ov->type, nv->type, 0))
            continue;
        int taken = 0;
        for (int r = 0; r < c->nrules && !taken; r++)
            taken = (c->rules[r].kind == RULE_VAR || c->rules[r].kind == RULE_INIT_VAR) &&
                    c->rules[r].to && strcmp(c->rules[r].to, nv->key) == 0;
        if (!taken) {
            suggested[i] = 1;
            return nv;
        }
    }
    return NULL;
}

void plan_dropped_vars(struct plan_ctx *c)
{
    uint8_t *suggested = calloc((size_t)c->new_->nvars + 1, 1);
    if (!suggested)
        plan_oom();
    for (int i = plan_dropped_var(c, 0); i >= 0; i = plan_dropped_var(c, i + 1)) {
        const struct ktt_var *ov = &c->old->vars[i];
        /* Kept under its key but not migrated (now const or E_MANUAL_MIGRATE): the new
         * version's own decision. */
        if (ktt_find_var(c->new_, ov->key) || plan_find_drop_rule(c, ov->key, NULL) >= 0)
            continue;
        const struct ktt_var *nv = renamed_var(c, ov, suggested);
        char *stub;
        if (nv) {
            stub = pstr_fmt("%s -> %s", ov->key, nv->key);
            plan_diag(c, ov->key, ov->decl, stub, "not in the new version, and %s of the same "
                      "type is new: renamed? (if not, %s -> (dropped))", nv->key, ov->key);
        } else {
            stub = pstr_fmt("%s -> (dropped)", ov->key);
            plan_diag(c, ov->key, ov->decl, stub, "not in the new version: its state would be "
                      "lost; say so with a rule, or rename it (%s -> NEW_NAME)", ov->key);
        }
        free(stub);
    }
    free(suggested);
}

/* ---- function renames ----
 *
 * A rule `file.c/old_fn -> new_fn` whose new side is a function of the new version
 * (and no variable) renames a function: every pointer to old_fn, static or on the heap,
 * goes to new_fn (Kitsune registered such renames for hash functions kept in tables). */

void plan_func_renames(struct plan_ctx *c)
{
    c->fn_renames = calloc((size_t)c->nrules + 1, sizeof *c->fn_renames);
    if (!c->fn_renames)
        plan_oom();
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if (r->kind != RULE_VAR || !r->from || ktt_find_var(c->new_, r->to) ||
            !ktt_find_func(c->new_, r->to))
            continue;
        plan_use_rule(c, i);
        if (r->has_code) {
            plan_diag(c, r->to, NULL, NULL, "function rename %s -> %s cannot have code", r->from,
                      r->to);
            continue;
        }
        if (!ktt_find_func(c->old, r->from)) {
            plan_diag(c, r->to, NULL, NULL, "rule renames function %s, which the old version "
                      "does not have", r->from);
            continue;
        }
        const char *to = plan_func_target(c, r->from);
        if (to != r->from) {
            plan_diag(c, r->from, NULL, NULL, "ambiguous rules: function %s is renamed to both "
                      "%s and %s", r->from, to, r->to);
            continue;
        }
        c->fn_renames[c->nfn_renames++] = i;
    }
}

const char *plan_func_target(const struct plan_ctx *c, const char *old_key)
{
    for (int i = 0; i < c->nfn_renames; i++) {
        const struct plan_rule *r = &c->rules[c->fn_renames[i]];
        if (strcmp(r->from, old_key) == 0)
            return r->to;
    }
    return old_key;
}
