/* fast_plans.c - the plans of an update compiled for the forwarding engine.
 *
 * Each planner plan gets a struct fplan: its ops in the order the engine applies them,
 * whether the plan copies the forwarding word's bytes (so that a rollback can restore
 * them from the new object), and which types are containers of data that interior
 * pointers may reach (fast.c, "Interior pointers").  Done once per update, before the
 * transfer. */
#include <stdlib.h>
#include <string.h>

#include "fast_internal.h"
#include "oom.h"


/* Marks the new bytes the operations of p write at `base` (coverage, 1 byte each). */
static int cover(const struct plan *p, uint8_t *cov, size_t size, size_t base, int depth)
{
    if (depth > 64 || p->type_rule >= 0)
        return -1;
    for (int i = 0; i < p->nops; i++) {
        const struct plan_op *op = &p->ops[i];
        size_t off = base + op->new_off, len = 0;
        switch (op->kind) {
        case OP_COPY:
        case OP_ZERO:
            len = op->len;
            break;
        case OP_INT:
        case OP_FLOAT:
        case OP_ENUM:
            len = op->new_len;
            break;
        case OP_PTR:
        case OP_PTRARRAY:
        case OP_FPTR:
            len = 8;
            break;
        case OP_SUB:
            if (op->sub && cover(op->sub, cov, size, off, depth + 1))
                return -1;
            break;
        case OP_ARRAY:
            if (op->count < 0 || op->flex || !op->sub || (size_t)op->count > 4096)
                return -1;
            for (long j = 0; j < op->count; j++)
                if (cover(op->sub, cov, size, off + (size_t)j * op->new_stride, depth + 1))
                    return -1;
            break;
        default: /* BITS keep the bytes around them; rules may write nothing */
            break;
        }
        if (off + len > size)
            return -1;
        memset(cov + off, 1, len);
    }
    return 0;
}

/* Whether bytes [0,8) of the old object become bytes [0,8) of the new one unchanged. */
static int copies_first_word(const struct plan *p, int depth)
{
    if (depth > 64 || p->type_rule >= 0)
        return 0;
    for (int i = 0; i < p->nops; i++) {
        const struct plan_op *op = &p->ops[i];
        if (op->old_off != 0 || op->new_off != 0)
            continue;
        if (op->kind == OP_COPY && op->len >= 8)
            return 1;
        if (op->kind == OP_SUB && op->sub && op->sub->old_size >= 8)
            return copies_first_word(op->sub, depth + 1);
    }
    return 0;
}

static void compile_plan(struct fplan *f)
{
    const struct plan *p = f->p;
    f->ops = calloc((size_t)p->nops + 1, sizeof *f->ops);
    if (!f->ops)
        kt_oom("in the forwarding engine");
    f->nops = p->nops;
    for (int i = 0; i < p->nops; i++) {
        const struct plan_op *op = &p->ops[i];
        struct fop *o = &f->ops[i];
        o->kind = op->kind;
        o->len = op->len;
        o->old_off = op->old_off;
        o->new_off = op->new_off;
        o->sub = fplan_of(op->sub);
        o->op = op;
        if (op->kind == OP_RULE && op->rule >= 0 && op->rule < F.nrules && F.rule_fns) {
            o->fn = F.rule_fns[op->rule];
            o->init = F.rules[op->rule].kind == RULE_INIT_VAR ||
                      F.rules[op->rule].kind == RULE_INIT_FIELD;
        }
        if ((op->kind == OP_PTRARRAY || (op->kind == OP_PTR && op->nul_terminated)) &&
            op->sub && op->sub->mode == PLAN_FIX)
            F.track_new = 1;
    }
    if (p->type_rule >= 0 && p->type_rule < F.nrules && F.rule_fns)
        f->type_fn = F.rule_fns[p->type_rule];
    f->side = p->old_size < 8;
    if (p->mode != PLAN_REBUILD)
        return;
    f->recover = copies_first_word(p, 0);
    size_t size = p->new_size;
    if (p->flex_op >= 0 || size < 8 || size > 4096) {
        f->zero_all = 1;
        return;
    }
    uint8_t *cov = calloc(size, 1);
    if (!cov)
        kt_oom("in the forwarding engine");
    if (cover(p, cov, size, 0, 0)) {
        f->zero_all = 1;
        free(cov);
        return;
    }
    for (size_t i = 0; i < size;) {
        if (cov[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < size && !cov[j])
            j++;
        if (f->nzero >= 8) { /* ragged: cheaper to zero everything */
            f->zero_all = 1;
            break;
        }
        f->zero = realloc(f->zero, (size_t)(f->nzero + 1) * sizeof *f->zero);
        if (!f->zero)
            kt_oom("in the forwarding engine");
        f->zero[f->nzero][0] = (uint32_t)i;
        f->zero[f->nzero][1] = (uint32_t)(j - i);
        f->nzero++;
        i = j;
    }
    free(cov);
}

/* Whether op is a pointer to unchanged data that may lie inside a rebuilt object (the
 * planner's PTR_MAY_INTERIOR on a pointer to a type held inline in a rebuilt one). */
static int interior_candidate(const struct plan_op *op)
{
    return (op->kind == OP_PTR || op->kind == OP_PTRARRAY) && op->sub &&
           op->sub->mode == PLAN_CLEAN && op->sub->ptrs == 0 &&
           (op->ptr_flags & PTR_MAY_INTERIOR);
}

/* Rebuilt plans whose objects hold (inline, at any depth) a type that an interior
 * candidate points to: their objects are recorded as they are rebuilt. */
static void mark_containers(const struct plan_ctx *c)
{
    const struct ktt *k = c->old;
    uint8_t *targets = calloc((size_t)k->ntypes + 1, 1), *in = calloc((size_t)k->ntypes + 1, 1);
    if (!targets || !in)
        kt_oom("in the forwarding engine");
    int any = 0;
    for (const struct plan *p = c->plans; p; p = p->next)
        for (int i = 0; i < p->nops; i++)
            if (p->mode != PLAN_CLEAN && interior_candidate(&p->ops[i]))
                any = targets[p->ops[i].sub->old_type] = 1;
    plan_widen_by_name(k, targets);
    for (size_t i = 0; any && i < F.nfplans; i++) {
        struct fplan *f = &F.fplans[i];
        if (f->mode != PLAN_REBUILD || f->p->ptrs > 0 || f->p->old_type < 0)
            continue;
        memset(in, 0, (size_t)k->ntypes + 1);
        plan_mark_inside(k, f->p, in);
        for (int t = 0; t < k->ntypes && !f->container; t++)
            f->container = in[t] && targets[t];
        F.interior |= f->container;
        /* (objects shorter than a forwarding word have none to read: in the array) */
        if (f->container && f->p->flex_op < 0 && !f->side && F.ncontplans < MAX_CONTPLANS) {
            f->cont_id = ++F.ncontplans;
            F.contplans[f->cont_id] = f;
            size_t g = (f->p->old_size + 15) >> GRAN_SHIFT;
            if (g > F.cont_grans)
                F.cont_grans = g;
        }
    }
    free(targets);
    free(in);
}

void fast_compile_plans(const struct plan_ctx *c)
{
    size_t n = 0;
    for (const struct plan *p = c->plans; p; p = p->next)
        n++;
    F.fplans = calloc(n + 1, sizeof *F.fplans);
    size_t cap = 64;
    while (cap < 2 * n + 2)
        cap *= 2;
    F.index = calloc(cap, sizeof *F.index);
    if (!F.fplans || !F.index)
        kt_oom("in the forwarding engine");
    F.index_mask = cap - 1;
    F.nfplans = 0;
    for (const struct plan *p = c->plans; p; p = p->next) {
        struct fplan *f = &F.fplans[F.nfplans++];
        f->p = p;
        f->mode = p->mode;
        size_t h = (size_t)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ULL >> 32) & F.index_mask;
        while (F.index[h])
            h = (h + 1) & F.index_mask;
        F.index[h] = f;
    }
    for (size_t i = 0; i < F.nfplans; i++)
        compile_plan(&F.fplans[i]);
    mark_containers(c);
}

void fast_free_plans(void)
{
    for (size_t i = 0; i < F.nfplans; i++) {
        free(F.fplans[i].ops);
        free(F.fplans[i].zero);
    }
    free(F.fplans);
    free(F.index);
    F.fplans = NULL;
    F.index = NULL;
    F.nfplans = 0;
}

