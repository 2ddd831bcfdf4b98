/* plan_place.c - objects that cannot be moved or rebuilt freely: a struct allocated
 * ending before its E_OPTIONAL member gets a second plan for that prefix, and an
 * object whose member a library holds (E_HELD, libevent's struct event) is rebuilt at
 * its own address or the update is refused. */
#include "plan_internal.h"

/* ---- objects allocated shorter than their type (E_OPTIONAL) ----
 * A struct whose member F is E_OPTIONAL may be allocated ending where F starts (Redis
 * allocates sizeof(robj) minus its trailing member).  Such an object is transformed
 * with a second plan covering only that prefix: the engine picks it by the object's
 * allocation size.  An update that moves data between the prefix and the tail cannot
 * be carried out on a short object and is refused. */

static size_t op_new_span(const struct plan_op *op)
{
    switch (op->kind) {
    case OP_COPY:
    case OP_ZERO:
    case OP_RULE:
        return op->len;
    case OP_INT:
    case OP_FLOAT:
    case OP_ENUM:
        return op->new_len;
    case OP_SUB:
        return op->sub ? op->sub->new_size : 0;
    case OP_ARRAY:
        return (size_t)(op->count < 0 ? 0 : op->count) * op->new_stride;
    case OP_PTR:
    case OP_PTRARRAY:
    case OP_FPTR:
        return 8;
    default:
        return 1;
    }
}

/* The member of t at byte offset off, for messages. */
static const char *member_name_at(const struct ktt_type *t, size_t off)
{
    const char *name = "?";
    for (int i = 0; i < t->nfields; i++)
        if (t->fields[i].offset <= off && t->fields[i].name)
            name = t->fields[i].name;
    return name;
}

/* The operations of p that a short object takes (a copy of each), or NULL when the
 * update moves data across the cut (reported). */
static struct plan_op *short_ops(struct plan_ctx *c, struct plan *p, const char *name,
                                 size_t ocut, size_t ncut, int *nops);

void plan_short(struct plan_ctx *c, struct plan *p)
{
    const struct ktt_type *o = otype(c, p->old_type), *n = ntype(c, p->new_type);
    if (p->ptrs > 0 || o->kind != KTT_STRUCT || !o->optional || p->mode == PLAN_CLEAN)
        return;
    const struct ktt_field *of = plan_find_field(o, o->optional);
    const struct ktt_field *nf = n->optional && strcmp(n->optional, o->optional) == 0
                                     ? plan_find_field(n, n->optional) : NULL;
    if (!of)
        return;
    char *name = type_label(c->old, p->old_type);
    int w = 0;
    struct plan_op *ops = NULL;
    if (!nf || n->kind != KTT_STRUCT) {
        plan_diag(c, name, n->decl, NULL, "objects of %s may end before %s (E_OPTIONAL), but in "
                  "the new version %s.%s is not E_OPTIONAL: an object without it cannot become "
                  "one that has it", name, o->optional, name, o->optional);
    } else if (p->type_rule >= 0) {
        plan_diag(c, name, n->decl, NULL, "objects of %s may end before %s (E_OPTIONAL), but a "
                  "type rule with code converts the whole object; write field rules instead",
                  name, o->optional);
    } else {
        ops = short_ops(c, p, name, of->offset, nf->offset, &w);
    }
    free(name);
    if (!ops)
        return;
    struct plan *s = malloc(sizeof *s);
    if (!s)
        plan_oom();
    *s = *p;
    s->ops = ops;
    s->nops = w;
    s->old_size = of->offset;
    s->new_size = nf->offset;
    s->flex_op = -1;
    s->path = pstr_dup(p->path ? p->path : "");
    s->short_plan = NULL;
    s->next = c->plans;
    c->plans = s;
    p->short_plan = s;
}

static struct plan_op *short_ops(struct plan_ctx *c, struct plan *p, const char *name,
                                 size_t ocut, size_t ncut, int *nops)
{
    const struct ktt_type *o = otype(c, p->old_type), *n = ntype(c, p->new_type);
    struct plan_op *ops = calloc((size_t)p->nops + 1, sizeof *ops);
    if (!ops)
        plan_oom();
    int w = 0;
    for (int i = 0; i < p->nops; i++) {
        struct plan_op op = p->ops[i];
        size_t ospan = plan_op_old_span(&op), nspan = op_new_span(&op);
        int from_tail = ospan > 0 && op.old_off >= ocut;
        int to_tail = op.new_off + nspan > ncut;
        if (from_tail && op.new_off >= ncut)
            continue; /* tail to tail: a short object has none */
        if (!from_tail && !ospan && op.new_off >= ncut)
            continue; /* a new member of the tail (zeroed, INIT) */
        if (op.kind == OP_COPY && !from_tail && op.old_off + ospan > ocut &&
            op.new_off + (ocut - op.old_off) <= ncut) {
            op.len = (uint32_t)(ocut - op.old_off); /* merged copies across the cut */
            ospan = op.len;
            to_tail = 0;
        }
        if (from_tail || to_tail || op.old_off + ospan > ocut) {
            char *fpath = pstr_fmt("%s.%s", name, from_tail ? member_name_at(o, op.old_off)
                                                            : member_name_at(n, op.new_off));
            plan_diag(c, fpath, n->decl, NULL, "objects of %s may end before %s (E_OPTIONAL), "
                      "and this update moves %s %s the optional part", name, o->optional, fpath,
                      from_tail ? "out of" : "into");
            free(fpath);
            free(ops);
            return NULL;
        }
        if (op.enum_map) {
            long long *m = malloc((size_t)op.n_enum * 2 * sizeof *m);
            if (!m)
                plan_oom();
            memcpy(m, op.enum_map, (size_t)op.n_enum * 2 * sizeof *m);
            op.enum_map = m;
        }
        op.path = NULL;
        ops[w++] = op;
    }
    *nops = w;
    return ops;
}

/* ---- objects a library holds ----
 * A library that keeps the address of a member (libevent an event's, registered with
 * event_add) would go on using the old object after an update moved it.  kitsune knows
 * such a member by its type: one marked E_HELD(lib) where it is used, or libevent's
 * struct event, which every libevent program embeds by value. */

/* The library holding objects of type t (a struct or union), or NULL. */
static const char *held_by(const struct ktt_type *t)
{
    if (t->held)
        return t->held;
    if (t->kind == KTT_STRUCT && t->name && strcmp(t->name, "event") == 0 &&
        outside_root(t) && strstr(t->decl, "event"))
        return "libevent";
    return NULL;
}

/* A member held by a library: where it lies in the object (".ev", ".a.ev"), its
 * offset and the name of its type. */
struct held {
    struct pstr where;
    char *what;
    size_t off;
};

/* The member of t held by value (through nested structs, unions and arrays) that a
 * library holds: its library, with *h describing it (h->where is built from the
 * innermost member out, so each level puts its own name in front).  `seen` marks the
 * types searched already (a hostile summary may nest a struct in itself). */
static const char *held_member(const struct ktt *k, int t, struct held *h, uint8_t *seen,
                               int depth)
{
    t = ktt_resolve(k, t);
    if (t < 0 || t >= k->ntypes || seen[t] || depth > MAX_DEPTH)
        return NULL;
    seen[t] = 1;
    const struct ktt_type *ty = &k->types[t];
    if (ty->kind == KTT_ARRAY)
        return held_member(k, ty->target, h, seen, depth + 1);
    if (ty->kind != KTT_STRUCT && ty->kind != KTT_UNION)
        return NULL;
    const char *lib = held_by(ty);
    if (lib) {
        h->what = type_label(k, t);
        return lib;
    }
    for (int i = 0; i < ty->nfields; i++) {
        lib = held_member(k, ty->fields[i].type, h, seen, depth + 1);
        if (lib) {
            char *inner = pstr_take(&h->where);
            pstr_printf(&h->where, ".%s%s", ty->fields[i].name ? ty->fields[i].name : "-",
                        inner);
            free(inner);
            h->off += ty->fields[i].offset;
            return lib;
        }
    }
    return NULL;
}

static void held_free(struct held *h)
{
    pstr_free(&h->where);
    free(h->what);
}

/* Why an object holding member h (a library's) cannot be rebuilt where it is, when the
 * new version holds nh (or nothing: nlib NULL). */
static void held_diag(struct plan_ctx *c, const struct plan *s, const char *lib,
                      const struct held *h, const char *nlib, const struct held *nh)
{
    const char *where = pstr_str(&h->where), *nwhere = pstr_str(&nh->where);
    char *name = type_label(c->old, s->old_type);
    plan_diag(c, name, ntype(c, s->new_type)->decl, NULL,
              "objects of %s hold a %s (%s%s) whose address %s keeps, and this update "
              "would move them: %s; keep %s%s where it is and the new %s no larger, so "
              "that they are rebuilt where they are", name, h->what, name, where, lib,
              !nlib || strcmp(where, nwhere) != 0 ? "the new version does not hold it "
              "there" : h->off != nh->off ? "the member moves within the object"
              : s->new_size > s->old_size ? "the new layout is larger"
              : "they are allocated short or end in an array of unknown length",
              name, where, name);
    free(name);
}

/* A heap object holding such a member must stay where it is: it is fixed in place when
 * its layout stays, rebuilt at its own address when the new layout fits in the old one
 * with the member where it was; otherwise the update is refused before the pause. */
void plan_check_held(struct plan_ctx *c)
{
    int nt = c->old->ntypes > c->new_->ntypes ? c->old->ntypes : c->new_->ntypes;
    uint8_t *seen = malloc((size_t)nt + 1);
    if (!seen)
        plan_oom();
    for (struct plan *p = c->plans; p; p = p->next)
        for (int i = 0; i < p->nops; i++) {
            const struct plan_op *op = &p->ops[i];
            struct plan *s = op->sub;
            if ((op->kind != OP_PTR && op->kind != OP_PTRARRAY) || !s || s->ptrs > 0 ||
                s->mode != PLAN_REBUILD || s->rebuild_here)
                continue;
            struct held h = {0}, nh = {0};
            memset(seen, 0, (size_t)nt + 1);
            const char *lib = held_member(c->old, s->old_type, &h, seen, 0);
            if (!lib)
                continue;
            memset(seen, 0, (size_t)nt + 1);
            const char *nlib = held_member(c->new_, s->new_type, &nh, seen, 0);
            if (nlib && strcmp(pstr_str(&h.where), pstr_str(&nh.where)) == 0 &&
                h.off == nh.off && s->new_size <= s->old_size && s->flex_op < 0 &&
                !otype(c, s->old_type)->optional)
                s->rebuild_here = 1;
            else
                held_diag(c, s, lib, &h, nlib, &nh);
            held_free(&h);
            held_free(&nh);
        }
    free(seen);
}
