/* plan_offsets.c - queries on finished plans, for the engines: where a byte of an old
 * object lands in the new one (pointers into objects are translated with it), and
 * whether an object begins with another (a pointer to a first member). */
#include "plan_internal.h"

int plan_same_old_type(const struct plan *a, const struct plan *b)
{
    if (a == b || (a->old_type == b->old_type && a->ptrs == b->ptrs))
        return 1;
    return a->ptrs == b->ptrs && a->old_kind == b->old_kind && a->old_tag && b->old_tag &&
           a->old_size == b->old_size && strcmp(a->old_tag, b->old_tag) == 0;
}

int plan_starts_with(const struct plan *outer, const struct plan *inner)
{
    for (int depth = 0; outer && depth < MAX_DEPTH; depth++) {
        const struct plan_op *first = NULL;
        for (int i = 0; i < outer->nops; i++)
            if (outer->ops[i].old_off == 0 &&
                (outer->ops[i].kind == OP_SUB || outer->ops[i].kind == OP_ARRAY))
                first = &outer->ops[i];
        if (!first || !first->sub)
            return 0;
        outer = first->sub;
        if (plan_same_old_type(outer, inner))
            return 1;
    }
    return 0;
}

/* Bytes of the old object an op reads (0: none, or nothing a pointer can target). */
size_t plan_op_old_span(const struct plan_op *op)
{
    switch (op->kind) {
    case OP_COPY:
    case OP_INT:
    case OP_FLOAT:
    case OP_ENUM:
    case OP_RULE:
        return op->len;
    case OP_SUB:
        return op->sub ? op->sub->old_size : 0;
    case OP_ARRAY:
        if (op->flex == FLEX_COUNTED && op->count < 0)
            return SIZE_MAX / 2; /* as long as the object */
        return (size_t)op->count * op->old_stride;
    case OP_PTR:
    case OP_PTRARRAY:
    case OP_FPTR:
        return 8;
    default:
        return 0;
    }
}

long plan_translate_offset_to(const struct plan *p, size_t off, const struct plan *target)
{
    if (off == 0 && (!target || plan_same_old_type(p, target)))
        return 0;
    if (p->same_layout)
        return (long)off;
    for (int i = 0; i < p->nops; i++) {
        const struct plan_op *op = &p->ops[i];
        size_t span = plan_op_old_span(op);
        if (off < op->old_off || off >= op->old_off + span)
            continue;
        size_t rel = off - op->old_off;
        if (op->kind == OP_SUB && op->sub) {
            long r = plan_translate_offset_to(op->sub, rel, target);
            return r < 0 ? -1 : (long)op->new_off + r;
        }
        if (op->kind == OP_ARRAY && op->sub) {
            size_t idx = rel / op->old_stride, inner = rel % op->old_stride;
            long r = plan_translate_offset_to(op->sub, inner, target);
            return r < 0 ? -1 : (long)(op->new_off + idx * op->new_stride) + r;
        }
        if (op->kind == OP_COPY)
            return (long)(op->new_off + rel);
        return rel == 0 ? (long)op->new_off : -1;
    }
    return -1;
}

long plan_translate_offset(const struct plan *p, size_t off)
{
    return plan_translate_offset_to(p, off, NULL);
}
