/* fptr_check.c - before the pause: function pointers in the old version's static data
 * whose function the new version does not have.
 *
 * A function pointer is remapped to the new function of the same key, or to the new
 * side of a rename rule (`file.c/old_fn -> new_fn`).  One without a target would stop
 * the transfer halfway and roll the update back after the program paused; for pointers
 * held in the migrated variables themselves (tables of handlers, hash functions) the
 * check is made while the request is checked, so such an update is refused without
 * pausing anything.  Only the variables' own bytes are read (aligned pointer-sized
 * words of mapped static data): pointers are not followed while the program runs, so
 * function pointers in heap objects are still checked during the transfer. */
#include <stdio.h>
#include <string.h>

#include "version.h"
#include "fptr_check.h"
#include "plan.h"

struct fptr_check {
    const struct kt_version *old, *nv;
    const struct plan_ctx *ctx;
    char *err;
    size_t errlen;
};

/* "[2].fn" for the byte at `off` inside an old object of type t. */
static void member_path(const struct ktt *k, int t, size_t off, char *buf, size_t len)
{
    size_t w = strlen(buf);
    for (int depth = 0; depth < 32 && w + 1 < len; depth++) {
        const struct ktt_type *ty = &k->types[ktt_resolve(k, t)];
        if (ty->kind == KTT_ARRAY) {
            const struct ktt_type *el = &k->types[ktt_resolve(k, ty->target)];
            size_t i = el->size ? off / el->size : 0;
            w += (size_t)snprintf(buf + w, len - w, "[%zu]", i);
            off -= i * el->size;
            t = ty->target;
            continue;
        }
        if (ty->kind != KTT_STRUCT && ty->kind != KTT_UNION)
            return;
        const struct ktt_field *f = NULL;
        for (int i = 0; i < ty->nfields && !f; i++) {
            size_t fsize = k->types[ktt_resolve(k, ty->fields[i].type)].size;
            if (ty->fields[i].offset <= off && off < ty->fields[i].offset + fsize)
                f = &ty->fields[i];
        }
        if (!f)
            return;
        if (f->name)
            w += (size_t)snprintf(buf + w, len - w, ".%s", f->name);
        off -= f->offset;
        t = f->type;
    }
}

/* 0, or -1 with the error written: the function pointer at `slot` (byte `off` of the
 * variable) has no target in the new version. */
static int check_slot(struct fptr_check *fc, const struct ktt_var *ov, uintptr_t slot,
                      size_t off)
{
    uintptr_t f;
    memcpy(&f, (const void *)slot, sizeof f);
    const struct kt_addr_entry *e = f ? kt_version_lookup_addr(fc->old, f) : NULL;
    if (!e || e->func < 0 || e->lo != f)
        return 0; /* NULL, another library's code; anything else the transfer judges */
    if (ktt_find_func(&fc->nv->ktt, plan_func_target(fc->ctx, e->key)))
        return 0;
    char path[300];
    snprintf(path, sizeof path, "%s", ov->key);
    member_path(&fc->old->ktt, ov->type, off, path, sizeof path);
    snprintf(fc->err, fc->errlen, "function pointer %s points to %s, which the new version "
             "does not have; if it was renamed, add a rule: %s -> NEW_NAME", path, e->key,
             e->key);
    return -1;
}

static int walk(struct fptr_check *fc, const struct ktt_var *ov, const struct plan *p,
                uintptr_t at, size_t off, int depth)
{
    if (!p || p->mode == PLAN_CLEAN || p->type_rule >= 0 || depth > 32)
        return 0; /* nothing to remap, or a rule's code decides */
    for (int i = 0; i < p->nops; i++) {
        const struct plan_op *op = &p->ops[i];
        if (op->kind == OP_FPTR) {
            if (check_slot(fc, ov, at + op->old_off, off + op->old_off))
                return -1;
        } else if (op->kind == OP_SUB) {
            if (walk(fc, ov, op->sub, at + op->old_off, off + op->old_off, depth + 1))
                return -1;
        } else if (op->kind == OP_ARRAY && !op->flex && op->sub &&
                   op->sub->mode != PLAN_CLEAN) {
            for (long j = 0; j < op->count; j++) {
                size_t o = op->old_off + (size_t)j * op->old_stride;
                if (walk(fc, ov, op->sub, at + o, off + o, depth + 1))
                    return -1;
            }
        }
    }
    return 0;
}

int kt_fptr_check(const struct plan_ctx *ctx, const struct kt_version *old,
                  const struct kt_version *nv, char *err, size_t errlen)
{
    struct fptr_check fc = {old, nv, ctx, err, errlen};
    for (int i = 0; i < ctx->nvars; i++) {
        const struct plan_var *pv = &ctx->vars[i];
        if (pv->old_var < 0 || pv->rule >= 0 || !pv->plan)
            continue;
        const struct ktt_var *ov = &old->ktt.vars[pv->old_var];
        if (ov->flags & KTT_VAR_LOCAL)
            continue; /* in a frame of the running main thread: checked when moved */
        if (walk(&fc, ov, pv->plan, old->base + ov->addr, 0, 0))
            return -1;
    }
    return 0;
}
