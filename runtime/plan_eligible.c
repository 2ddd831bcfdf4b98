/* plan_eligible.c - whether the plans of an update allow the forwarding engine
 * (runtime/fast.c), and if not, why.
 *
 * It reads plans only, so it lives with the planner (kitsune_types) and the planner's
 * unit tests reach each reason it gives.  The forwarding engine keeps no old->new map:
 * a rebuilt object's first word holds its new address until commit.  That is right only
 * while an object to rebuild is reached through pointers to its start (never held
 * inline in another transformed heap object, nor as an element of an array that is
 * also reached one object at a time), objects fixed in place change no value (a second
 * visit is harmless), and no generated code follows pointers the planner does not see
 * ($gen).  Everything else runs on the general engine (xform.c). */
#include "plan.h"
#include "pstr.h"

#include <stdlib.h>
#include <string.h>

static int changes_values(const struct plan_op *op)
{
    switch (op->kind) {
    case OP_INT:
    case OP_ENUM:
    case OP_FLOAT:
    case OP_RULE:
        return 1;
    case OP_BITS:
        return op->old_off != op->new_off || op->old_bit != op->new_bit ||
               op->old_bits != op->new_bits;
    default:
        return 0;
    }
}

void plan_mark_inside(const struct ktt *k, const struct plan *p, uint8_t *set)
{
    const struct ktt_type *t = &k->types[p->old_type];
    if (t->kind == KTT_STRUCT || t->kind == KTT_UNION)
        for (int i = 0; i < t->nfields; i++)
            plan_mark_contained(k, t->fields[i].type, set, 0);
    if (t->kind == KTT_ARRAY)
        plan_mark_contained(k, t->target, set, 0);
}

/* The old type name of plan p, for messages, in a new allocation. */
static char *plan_name(const struct plan_ctx *c, const struct plan *p)
{
    if (p->ptrs > 0 || p->old_type < 0)
        return pstr_dup(p->path);
    char *name = ktt_type_name_alloc(c->old, p->old_type);
    if (!name[0]) {
        free(name);
        return pstr_dup(p->path);
    }
    return name;
}

/* What the whole update rules out: $gen, objects allocated short, objects rebuilt
 * where they are.  NULL when none. */
static char *update_refusal(const struct plan_ctx *c, const struct plan_rule *rules,
                            int nrules)
{
    for (int i = 0; i < nrules; i++)
        if (rules[i].kind == RULE_GEN)
            return pstr_dup("a rule transforms generic bindings with $gen (generated code "
                            "follows pointers the planner does not see)");
    for (const struct plan *p = c->plans; p; p = p->next)
        if (p->short_plan || p->rebuild_here)
            /* the general engine picks the plan by each object's allocation size, and
             * rebuilds an object at its own address */
            return pstr_fmt(p->short_plan ? "objects of %s may be allocated short "
                            "(E_OPTIONAL)" : "objects of %s are rebuilt where they are (a "
                            "library holds them)", p->old_tag ? p->old_tag : "a struct");
    return NULL;
}

/* How the types of the old version are met in the heap (per old type): single and
 * array, the types of objects reached through pointers (as one object or as an
 * array); inside, the types held inline in such objects.  Variables are no concern:
 * pointers into them are translated by key; pointers to unchanged data inside rebuilt
 * objects are resolved by the engine (resolve_inners in fast.c). */
struct reach {
    uint8_t *single, *array, *inside;
};

/* Op of plan p: NULL, or why the engine cannot carry it out.  Records the objects it
 * reaches in r. */
static char *op_refusal(const struct plan_ctx *c, const struct plan *p,
                        const struct plan_op *op, struct reach *r)
{
    if (p->mode == PLAN_FIX && changes_values(op)) {
        char *name = plan_name(c, p);
        char *why = pstr_fmt("%s is fixed in place but a value in it is converted", name);
        free(name);
        return why;
    }
    if (op->kind != OP_PTR && op->kind != OP_PTRARRAY)
        return NULL;
    const struct plan *s = op->sub;
    if (s && s->mode == PLAN_CLEAN)
        return NULL;
    if (s && s->ptrs == 0) {
        int arr = op->kind == OP_PTRARRAY || op->nul_terminated;
        (arr ? r->array : r->single)[s->old_type] = 1;
        plan_mark_inside(c->old, s, r->inside);
        return NULL;
    }
    char *name = plan_name(c, p);
    /* a void * decided per object: the general engine picks each one's plan (bytag.c,
     * bysize.c) */
    char *why = s ? pstr_fmt("a pointer in %s points to a generic pointer slot", name)
              : op->nalts ? pstr_fmt("%s is a void * whose objects' type is decided one by "
                                     "one, %s", op->path ? op->path : name,
                                     op->tag_len ? "by a SWITCH on a tag field"
                                                 : "by allocation size")
                          : pstr_fmt("an untyped pointer in %s", name);
    free(name);
    return why;
}

/* A $xform pair: its objects may be reached by a pointer a rule follows (XF_PTR), so
 * they count as reached by pointer (held inline too: general). */
static char *xform_refusal(const struct plan_ctx *c, const struct plan_rule *rules,
                           int nrules, struct reach *r)
{
    for (int i = 0; i < nrules && c->xform; i++) {
        const struct plan *s = rules[i].kind == RULE_XFORM ? c->xform[i] : NULL;
        if (rules[i].kind == RULE_XFORM && !s && rules[i].gen_args &&
            strchr(rules[i].gen_args, '@'))
            return pstr_fmt("$xform(%s, %s) passes a generic parameter on (its plans "
                            "depend on where it runs)", rules[i].from, rules[i].to);
        if (!s || s->mode == PLAN_CLEAN || s->ptrs > 0)
            continue;
        r->single[s->old_type] = 1;
        plan_mark_inside(c->old, s, r->inside);
    }
    return NULL;
}

/* A type reached by pointer must be reached that way only: not also held inline in
 * another transformed heap object, nor as an element of an array (interior pointers). */
static char *interior_refusal(const struct ktt *k, const struct reach *r)
{
    for (int t = 0; t < k->ntypes; t++) {
        if (!r->single[t] || (!r->inside[t] && !r->array[t]))
            continue;
        char *name = ktt_type_name_alloc(k, t);
        char *why = pstr_fmt("objects of type %s are reached by pointer and also %s "
                             "(interior pointers)", name, r->inside[t]
                                 ? "held inside other heap objects that are transformed"
                                 : "as elements of arrays");
        free(name);
        return why;
    }
    return NULL;
}

static char *refusal(const struct plan_ctx *c, const struct plan_rule *rules, int nrules)
{
    char *why = update_refusal(c, rules, nrules);
    if (why)
        return why;
    const struct ktt *k = c->old;
    size_t n = (size_t)k->ntypes + 1;
    struct reach r = {calloc(n, 1), calloc(n, 1), calloc(n, 1)};
    if (!r.single || !r.array || !r.inside)
        plan_out_of_memory();
    for (const struct plan *p = c->plans; p && !why; p = p->next)
        for (int i = 0; p->mode != PLAN_CLEAN && i < p->nops && !why; i++)
            why = op_refusal(c, p, &p->ops[i], &r);
    if (!why)
        why = xform_refusal(c, rules, nrules, &r);
    if (!why) {
        plan_widen_by_name(k, r.single);
        plan_widen_by_name(k, r.array);
        plan_widen_by_name(k, r.inside);
        why = interior_refusal(k, &r);
    }
    free(r.single);
    free(r.array);
    free(r.inside);
    return why;
}

int plan_fast_eligible(const struct plan_ctx *c, const struct plan_rule *rules, int nrules,
                       char **why)
{
    *why = refusal(c, rules, nrules);
    return *why == NULL;
}
