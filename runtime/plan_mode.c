/* plan_mode.c - the mode of each plan, a fixpoint over the plan graph: REBUILD when the
 * layout changed or a type rule runs, FIX when something inside needs remapping
 * (directly, or through a member or pointer target that is not CLEAN), else CLEAN;
 * then which FIX plans are light, adjacent copies merged, and why a plan's objects are
 * visited (for the update's log). */
#include "plan_internal.h"
#include "plan_dispatch.h"

void plan_mark_contained(const struct ktt *k, int t, uint8_t *set, int depth)
{
    /* Already marked means its contents are too: each type is entered once. */
    if (depth > MAX_DEPTH || t < 0 || set[t])
        return;
    set[t] = 1;
    const struct ktt_type *ty = &k->types[t];
    if (ty->kind == KTT_TYPEDEF || ty->kind == KTT_ARRAY)
        plan_mark_contained(k, ty->target, set, depth + 1);
    if (ty->kind == KTT_STRUCT || ty->kind == KTT_UNION)
        for (int i = 0; i < ty->nfields; i++)
            plan_mark_contained(k, ty->fields[i].type, set, depth + 1);
}

/* Types equal by name count as one: summaries may hold duplicates. */
void plan_widen_by_name(const struct ktt *k, uint8_t *set)
{
    for (int i = 0; i < k->ntypes; i++) {
        if (!set[i] || !k->types[i].name)
            continue;
        for (int j = 0; j < k->ntypes; j++)
            if (!set[j] && k->types[j].kind == k->types[i].kind && k->types[j].name &&
                strcmp(k->types[j].name, k->types[i].name) == 0)
                set[j] = 1;
    }
}

static int op_needs_visit(const struct plan_op *op)
{
    switch (op->kind) {
    case OP_COPY:
        return 0;
    case OP_BITS: /* bits that stay where they were need nothing */
        return op->old_off != op->new_off || op->old_bit != op->new_bit ||
               op->old_bits != op->new_bits;
    case OP_SUB:
    case OP_ARRAY:
        return op->sub && op->sub->mode != PLAN_CLEAN;
    case OP_PTR:
    case OP_PTRARRAY:
        /* E_SZ alone is no reason: a string in static data is flagged as such. */
        return op->ptr_flags || (op->sub && op->sub->mode != PLAN_CLEAN);
    case OP_RULE: /* code that only dispatches to clean plans changes nothing */
        return plan_dispatch_changes(op);
    default:
        return 1;
    }
}

static void set_pointer_flags(struct plan_ctx *c)
{
    for (struct plan *p = c->plans; p; p = p->next)
        for (int i = 0; i < p->nops; i++) {
            struct plan_op *op = &p->ops[i];
            if (op->kind != OP_PTR && op->kind != OP_PTRARRAY)
                continue;
            if (!op->sub || op->sub->ptrs > 0)
                continue; /* a pointer to a bare pointer: flagged when planned */
            int t = op->sub->old_type;
            if (c->may_static[t])
                op->ptr_flags |= PTR_MAY_STATIC;
            if (c->in_rebuilt[t] || op->sub->mode == PLAN_REBUILD)
                op->ptr_flags |= PTR_MAY_INTERIOR;
        }
}

void plan_compute_modes(struct plan_ctx *c)
{
    int n = c->old->ntypes;
    c->may_static = calloc((size_t)n + 1, 1);
    c->in_rebuilt = calloc((size_t)n + 1, 1);
    if (!c->may_static || !c->in_rebuilt)
        plan_oom();
    for (int i = 0; i < c->old->nvars; i++)
        if (!(c->old->vars[i].flags & KTT_VAR_LOCAL))
            plan_mark_contained(c->old, c->old->vars[i].type, c->may_static, 0);
    plan_widen_by_name(c->old, c->may_static);
    for (struct plan *p = c->plans; p; p = p->next)
        p->mode = p->same_layout && p->type_rule < 0 ? PLAN_CLEAN : PLAN_REBUILD;
    for (struct plan *p = c->plans; p; p = p->next)
        if (p->mode == PLAN_REBUILD && p->ptrs == 0) {
            const struct ktt_type *t = &c->old->types[p->old_type];
            for (int i = 0; i < t->nfields; i++)
                plan_mark_contained(c->old, t->fields[i].type, c->in_rebuilt, 0);
            if (t->kind == KTT_ARRAY)
                plan_mark_contained(c->old, t->target, c->in_rebuilt, 0);
        }
    plan_widen_by_name(c->old, c->in_rebuilt);
    set_pointer_flags(c);
    plan_dispatch_resolve(c);
    for (int changed = 1; changed;) {
        changed = 0;
        for (struct plan *p = c->plans; p; p = p->next) {
            if (p->mode != PLAN_CLEAN)
                continue;
            for (int i = 0; i < p->nops; i++)
                if (op_needs_visit(&p->ops[i])) {
                    p->mode = PLAN_FIX;
                    changed = 1;
                    break;
                }
        }
    }
    for (struct plan *p = c->plans; p; p = p->next)
        for (int i = 0; i < p->nops; i++) {
            const struct plan_op *op = &p->ops[i];
            if ((op->kind == OP_SUB || op->kind == OP_ARRAY) && op->sub &&
                op->sub->mode != PLAN_CLEAN)
                p->nests = 1;
            /* a rebuilt object moves to an allocation of its own: the stub says what
             * that means for objects carved from larger blocks (runtime/own_block.c) */
            if (op->flex == FLEX_UNKNOWN &&
                (p->mode == PLAN_REBUILD || (op->sub && op->sub->mode != PLAN_CLEAN)))
                plan_diag(c, op->path, p->decl,
                          p->mode == PLAN_REBUILD
                              ? "annotate the member with its length: T items[] "
                                "E_ARRAY(self.count_field); objects that live inside a larger "
                                "block (an allocator's pages) cannot be rebuilt at all, the "
                                "update would roll back: keep the type's layout, or write rules "
                                "for the pointers to them"
                              : "annotate the member with its length: T items[] "
                                "E_ARRAY(self.count_field)",
                          "an array of unknown length in an object that is %s",
                          p->mode == PLAN_REBUILD ? "rebuilt" : "fixed in place");
        }
}

/* A light plan whose ops can be applied when the object is first read (plan.h,
 * one_pass): every pointer it translates keeps its value or leads to static data or
 * code, never to an object rebuilt later. */
static int one_pass(const struct plan *p)
{
    if (!p->light || p->in_place_rules || p->type_rule >= 0)
        return 0;
    for (int i = 0; i < p->nops; i++) {
        const struct plan_op *op = &p->ops[i];
        switch (op->kind) {
        case OP_COPY:
        case OP_FPTR:
            break;
        case OP_PTR:
        case OP_PTRARRAY:
            /* an untyped pointer (no sub) may lead to a rebuilt object: the map says */
            if (op->nalts || (op->ptr_flags & PTR_MAY_INTERIOR) || !op->sub ||
                op->sub->mode == PLAN_REBUILD || op->sub->ptrs > 0)
                return 0;
            break;
        default:
            return 0;
        }
    }
    return 1;
}

/* Plans whose objects the general engine may visit without an entry in its old->new
 * map (plan.h, light): fixed in place, never an alias inside a rebuilt object, and -
 * when their rules run in place, which must happen once - never also met as an
 * array or inside another object. */
void plan_mark_light(struct plan_ctx *c)
{
    size_t n = (size_t)c->old->ntypes + 1;
    uint8_t *as_array = calloc(n, 1), *inline_in = calloc(n, 1);
    if (!as_array || !inline_in)
        plan_oom();
    for (struct plan *p = c->plans; p; p = p->next) {
        if (p->ptrs == 0 && p->old_type >= 0) {
            const struct ktt_type *t = &c->old->types[p->old_type];
            for (int i = 0; i < t->nfields; i++)
                plan_mark_contained(c->old, t->fields[i].type, inline_in, 0);
            if (t->kind == KTT_ARRAY)
                plan_mark_contained(c->old, t->target, inline_in, 0);
        }
        for (int i = 0; i < p->nops; i++) {
            const struct plan_op *op = &p->ops[i];
            if ((op->kind == OP_PTRARRAY || op->nul_terminated) && op->sub &&
                op->sub->old_type >= 0)
                as_array[op->sub->old_type] = 1;
        }
    }
    for (int i = 0; i < c->nrules; i++)
        if (c->rules[i].kind == RULE_XFORM && c->xform && c->xform[i])
            as_array[c->xform[i]->old_type] = 1; /* XF_PTRARRAY may claim arrays */
    plan_widen_by_name(c->old, as_array);
    plan_widen_by_name(c->old, inline_in);
    for (struct plan *p = c->plans; p; p = p->next) {
        int t = p->old_type;
        p->light = p->mode == PLAN_FIX && p->ptrs == 0 && t >= 0 && !p->nests &&
                   p->flex_op < 0 &&
                   p->type_rule < 0 && !c->in_rebuilt[t] &&
                   (!p->in_place_rules || (!as_array[t] && !inline_in[t]));
        p->one_pass = one_pass(p);
    }
    free(as_array);
    free(inline_in);
}

/* Merges adjacent copies; inside CLEAN targets nothing but copies remain. */
void plan_simplify(struct plan *p)
{
    int w = 0;
    for (int i = 0; i < p->nops; i++) {
        struct plan_op op = p->ops[i];
        if (op.kind == OP_RULE && op.dispatched && !op_needs_visit(&op)) {
            plan_dispatch_release(&op); /* a rule that changes nothing: a copy */
            uint32_t off = op.old_off, len = op.len;
            memset(&op, 0, sizeof op);
            op.kind = OP_COPY;
            op.old_off = op.new_off = off;
            op.len = len;
            op.rule = -1;
        }
        if ((op.kind == OP_PTR || op.kind == OP_SUB || op.kind == OP_ARRAY) &&
            !op_needs_visit(&op)) {
            size_t len = op.kind == OP_PTR ? 8
                         : op.kind == OP_SUB ? op.sub->old_size
                                             : (size_t)op.count * op.old_stride;
            if (op.kind == OP_ARRAY && (op.old_stride != op.new_stride || op.flex))
                goto keep;
            if (op.kind == OP_SUB && op.sub->old_size != op.sub->new_size)
                goto keep;
            memset(&op, 0, sizeof op);
            op.kind = OP_COPY;
            op.old_off = p->ops[i].old_off;
            op.new_off = p->ops[i].new_off;
            op.len = (uint32_t)len;
            op.rule = -1;
        }
    keep:
        if (op.kind == OP_COPY && w > 0 && p->ops[w - 1].kind == OP_COPY &&
            p->ops[w - 1].old_off + p->ops[w - 1].len == op.old_off &&
            p->ops[w - 1].new_off + p->ops[w - 1].len == op.new_off) {
            p->ops[w - 1].len += op.len;
            continue;
        }
        p->ops[w++] = op;
    }
    p->nops = w;
    p->flex_op = -1;
    int rules_left = 0, visits = 0, tag_op = -1;
    for (int i = 0; i < p->nops; i++) {
        if (p->ops[i].flex == FLEX_COUNTED)
            p->flex_op = i;
        rules_left |= p->ops[i].kind == OP_RULE;
        if (op_needs_visit(&p->ops[i])) {
            visits++;
            if (plan_dispatch_finish(&p->ops[i]))
                tag_op = i;
        }
    }
    if (!rules_left)
        p->in_place_rules = 0; /* its rules were pruned: nothing runs on the object */
    p->tag_op = visits == 1 && p->mode == PLAN_FIX ? tag_op : -1;
}

/* The member of struct/union plan p at old offset off, or NULL. */
static const struct ktt_field *field_at(const struct plan_ctx *c, const struct plan *p,
                                        size_t off)
{
    if (p->ptrs > 0 || p->old_type < 0)
        return NULL;
    const struct ktt_type *t = otype(c, ktt_resolve(c->old, p->old_type));
    if (t->kind != KTT_STRUCT && t->kind != KTT_UNION)
        return NULL;
    for (int i = 0; i < t->nfields; i++)
        if (t->fields[i].offset == off && !t->fields[i].bit_size)
            return &t->fields[i];
    return NULL;
}

/* "T *" or "T" for what op holds, and " (member)" when it is a member; in a new
 * allocation. */
static char *describe_slot(const struct plan_ctx *c, const struct plan *p,
                           const struct plan_op *op)
{
    const struct ktt_field *f = field_at(c, p, op->old_off);
    char *tn = f ? ktt_type_name_alloc(c->old, f->type) : NULL;
    if ((!f || strstr(tn, "void")) && (op->kind == OP_PTR || op->kind == OP_PTRARRAY) &&
        op->sub && op->sub->ptrs == 0 && op->sub->old_type >= 0) {
        /* a generic slot (void * in the summary): the type it is bound to */
        char *bound = ktt_type_name_alloc(c->old, op->sub->old_type);
        free(tn);
        tn = pstr_fmt("%s *", bound);
        free(bound);
    }
    char *slot = pstr_fmt("%s%s%s%s", tn && tn[0] ? tn : "a pointer", f && f->name ? " (" : "",
                          f && f->name ? f->name : "", f && f->name ? ")" : "");
    free(tn);
    return slot;
}

/* Why op makes the objects of its plan visited. */
static char *why_op(const char *slot, const struct plan_op *op)
{
    switch (op->kind) {
    case OP_FPTR:
        return pstr_fmt("holds a function pointer%s",
                        strchr(slot, '(') ? strchr(slot, '(') - 1 : "");
    case OP_RULE:
        return pstr_fmt("a field rule on %s runs in place", slot);
    case OP_PTR:
    case OP_PTRARRAY:
        if (op->ptr_flags & PTR_MAY_STATIC)
            return pstr_fmt("holds %s, which may point into the old version's static data",
                            slot);
        if (op->sub && op->sub->mode == PLAN_REBUILD)
            return pstr_fmt("holds %s, to objects that are rebuilt", slot);
        if (op->ptr_flags & PTR_MAY_INTERIOR)
            return pstr_fmt("holds %s, which may point into a rebuilt object", slot);
        return pstr_fmt("holds %s, to objects that are visited", slot);
    case OP_SUB:
    case OP_ARRAY:
        return pstr_fmt("holds %s inline, which is visited", slot);
    default:
        return pstr_fmt("a value in it is converted: %s", slot);
    }
}

char *plan_why_visited(const struct plan_ctx *c, const struct plan *p)
{
    if (p->mode == PLAN_REBUILD) {
        if (p->type_rule >= 0)
            return pstr_dup("rebuilt by its type rule");
        if (p->old_size != p->new_size)
            return pstr_fmt("rebuilt: its size changes from %zu to %zu bytes", p->old_size,
                            p->new_size);
        return pstr_dup("rebuilt: its layout changes");
    }
    for (int i = 0; i < p->nops; i++) {
        const struct plan_op *op = &p->ops[i];
        if (!op_needs_visit(op))
            continue;
        char *slot = describe_slot(c, p, op);
        char *why = op->kind == OP_RULE && op->dispatched ? plan_dispatch_why(c, op, slot)
                                                          : why_op(slot, op);
        free(slot);
        return why;
    }
    return pstr_dup("nothing to do");
}
