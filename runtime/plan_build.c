/* plan_build.c - plan objects and a plan per kind of type.  Plans are kept in an index
 * by (old type, new type, environment, pointer levels) and built from a queue, so that
 * how far pointers lead never becomes recursion depth; inline members are built at
 * once (their layout decides their container's).  Here: scalars, arrays, enums,
 * unions, library types, type rules; pointers are in plan_pointer.c, struct members in
 * plan_fields.c. */
#include "plan_internal.h"

#include <ctype.h>

static size_t plan_hash(int ot, int nt, const char *env, int ptrs)
{
    uint64_t h = (uint64_t)(unsigned)ot * 0x9e3779b97f4a7c15ULL;
    h ^= (uint64_t)(unsigned)nt * 0xc2b2ae3d27d4eb4fULL;
    h ^= (uint64_t)(uintptr_t)env * 0x165667b19e3779f9ULL;
    h ^= (uint64_t)(unsigned)ptrs;
    h ^= h >> 29;
    return (size_t)h;
}

struct plan *plan_find(struct plan_ctx *c, int ot, int nt, const char *env,
                       int ptrs)
{
    if (!c->index)
        return NULL;
    for (size_t h = plan_hash(ot, nt, env, ptrs) & c->index_mask; c->index[h];
         h = (h + 1) & c->index_mask) {
        struct plan *p = c->index[h];
        if (p->old_type == ot && p->new_type == nt && p->env == env && p->ptrs == ptrs)
            return p;
    }
    return NULL;
}

static void index_insert(struct plan_ctx *c, struct plan *p)
{
    size_t h = plan_hash(p->old_type, p->new_type, p->env, p->ptrs) & c->index_mask;
    while (c->index[h])
        h = (h + 1) & c->index_mask;
    c->index[h] = p;
}

static void index_add(struct plan_ctx *c, struct plan *p)
{
    if (!c->index || (c->nplans + 1) * 2 > c->index_mask + 1) {
        size_t cap = c->index ? (c->index_mask + 1) * 2 : 256;
        free(c->index);
        c->index = calloc(cap, sizeof *c->index);
        if (!c->index)
            plan_oom();
        c->index_mask = cap - 1;
        for (struct plan *q = c->plans; q; q = q->next)
            index_insert(c, q);
    }
    index_insert(c, p);
    c->nplans++;
}

struct plan_op *plan_add_op(struct plan *p, enum op_kind kind, size_t old_off,
                            size_t new_off)
{
    struct plan_op *ops = realloc(p->ops, (size_t)(p->nops + 1) * sizeof *ops);
    if (!ops)
        plan_oom();
    p->ops = ops;
    struct plan_op *op = &ops[p->nops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->old_off = (uint32_t)old_off;
    op->new_off = (uint32_t)new_off;
    op->rule = -1;
    return op;
}

/* The plan for a type pair: found, or created empty and queued to be filled in, so
 * that how far pointers lead never becomes recursion depth. */
struct plan *plan_get(struct plan_ctx *c, struct tref r, const char *path,
                      const char *decl)
{
    struct plan *p = plan_find(c, r.ot, r.nt, r.env, r.ptrs);
    if (p)
        return p;
    p = calloc(1, sizeof *p);
    if (!p)
        plan_oom();
    const struct ktt_type *o = otype(c, r.ot), *n = ntype(c, r.nt);
    p->old_type = r.ot;
    p->new_type = r.nt;
    p->env = r.env;
    p->ptrs = r.ptrs;
    p->type_rule = -1;
    p->named_new = r.named_nt;
    p->old_kind = r.ptrs ? KTT_PTR : (int)o->kind;
    p->old_tag = r.ptrs ? NULL : o->name;
    p->old_size = r.ptrs ? sizeof(void *) : o->size;
    p->new_size = r.ptrs ? sizeof(void *) : n->size;
    p->path = strdup(path);
    p->decl = decl;
    if (!p->path)
        plan_oom();
    p->next = c->plans;
    c->plans = p;
    index_add(c, p);
    if (c->nqueue == c->cap_queue) {
        int cap = c->cap_queue ? c->cap_queue * 2 : 64;
        struct plan **q = realloc(c->queue, (size_t)cap * sizeof *q);
        if (!q)
            plan_oom();
        c->queue = q;
        c->cap_queue = cap;
    }
    c->queue[c->nqueue++] = p;
    return p;
}

static void build_plan(struct plan_ctx *c, struct plan *p, int depth);

/* A plan needed now: an inline member's (its layout decides its container's). */
struct plan *plan_inline(struct plan_ctx *c, struct tref r, const char *path,
                         const char *decl, int depth)
{
    struct plan *p = plan_get(c, r, path, decl);
    if (p->visiting)
        plan_diag(c, path, decl, NULL, "a type contains itself");
    else if (!p->built)
        build_plan(c, p, depth + 1);
    return p;
}

/* Builds every queued plan. */
void plan_drain(struct plan_ctx *c)
{
    while (c->nqueue > 0) {
        struct plan *p = c->queue[--c->nqueue];
        if (!p->built && !p->visiting)
            build_plan(c, p, 0);
    }
}

static int is_name_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_' || ch == '/' || ch == '.' || ch == '#';
}

/* text with every occurrence of the name `from` (not part of a longer name) replaced
 * by `to`; NULL for NULL. */
static char *replace_name(const char *text, const char *from, const char *to)
{
    if (!text)
        return NULL;
    size_t nf = strlen(from), nt = strlen(to), n = 0;
    for (const char *p = strstr(text, from); p; p = strstr(p + nf, from))
        n++;
    char *out = malloc(strlen(text) + n * nt + 1), *w = out;
    if (!out)
        plan_oom();
    const char *p = text;
    for (const char *q = strstr(p, from); q; q = strstr(q + nf, from)) {
        if ((q > text && is_name_char(q[-1])) || isalnum((unsigned char)q[nf]) ||
            q[nf] == '_')
            continue;
        memcpy(w, p, (size_t)(q - p));
        w += q - p;
        memcpy(w, to, nt);
        w += nt;
        p = q + nf;
    }
    strcpy(w, p);
    return out;
}

static int under_path(const char *path, const char *root)
{
    size_t n = strlen(root);
    return strncmp(path, root, n) == 0 &&
           (path[n] == 0 || path[n] == '.' || path[n] == '[');
}

/* A variable whose type pair already has a plan, made for another variable: what that
 * plan could not decide at the other variable's own path (a `void *` global, say) is
 * as true of this one, and said of it in the same run. */
static void repeat_root_diags(struct plan_ctx *c, const struct plan *p, const char *path,
                              const char *decl)
{
    if (!p->path || strcmp(p->path, path) == 0)
        return;
    int n = c->ndiags;
    for (int i = 0; i < n; i++) {
        if (!under_path(c->diags[i].path, p->path))
            continue;
        char *dpath = replace_name(c->diags[i].path, p->path, path);
        char *stub = replace_name(c->diags[i].stub, p->path, path);
        char *what = strdup(c->diags[i].what);
        if (!what)
            plan_oom();
        plan_diag(c, dpath, decl, stub, "%s", what);
        free(dpath);
        free(stub);
        free(what);
    }
}

/* The plan of a variable's or a named type's pair. */
struct plan *plan_pair(struct plan_ctx *c, int ot, int nt, const char *path,
                       const char *decl, int depth)
{
    struct tref r = plan_tref(c, ot, nt, NULL, path, decl);
    struct plan *known = plan_find(c, r.ot, r.nt, r.env, r.ptrs);
    int built = known && known->built;
    struct plan *p = plan_inline(c, r, path, decl, depth);
    if (built)
        repeat_root_diags(c, p, path, decl);
    return p;
}

/* A slot that is an @b (void * E_T(@b) key): as wide as a pointer, holding a value of
 * the bound type. */
static void plan_param_slot(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                            const struct ktt_type *n, size_t old_off, size_t new_off,
                            const char *env, const char *path, const char *decl, int depth)
{
    struct tref r = plan_tref_param(c, o, n, env, path, decl);
    if (!r.ok || r.opaque) {
        plan_add_op(p, OP_COPY, old_off, new_off)->len = 8;
        return;
    }
    if (r.ptrs > 0) {
        r.ptrs--;
        struct plan_op *op = plan_add_op(p, OP_PTR, old_off, new_off);
        op->sub = plan_get(c, r, path, decl);
        return;
    }
    const struct ktt_type *bo = otype(c, r.ot), *bn = ntype(c, r.nt);
    if (bo->size > 8 || bn->size > 8 || bo->kind == KTT_STRUCT || bo->kind == KTT_UNION) {
        plan_diag(c, path, decl, NULL, "a pointer-sized generic slot bound to %s, which does "
                  "not fit in it", bo->name ? bo->name : "an aggregate");
        plan_add_op(p, OP_COPY, old_off, new_off)->len = 8;
        return;
    }
    plan_add_op(p, OP_COPY, old_off, new_off)->len = 8;
    plan_slot(c, p, r.ot, r.nt, old_off, new_off, -1, r.env, path, decl, depth);
}

/* Whether `$out = 0;` initialises a field of this type (a union, struct or array
 * needs memset). */
int plan_is_scalar(const struct ktt *k, int t)
{
    enum ktt_kind kind = k->types[ktt_resolve(k, t)].kind;
    return kind == KTT_BASE || kind == KTT_ENUM || kind == KTT_PTR;
}

void plan_slot(struct plan_ctx *c, struct plan *p, int ot, int nt, size_t old_off,
               size_t new_off, int parent_old, const char *env, const char *path,
               const char *decl, int depth)
{
    int orr = ktt_resolve(c->old, ot), nr = ktt_resolve(c->new_, nt);
    const struct ktt_type *o = otype(c, orr), *n = ntype(c, nr);
    if (depth > MAX_DEPTH) {
        plan_diag(c, path, decl, NULL, "types nested too deeply");
        return;
    }
    if ((o->kind == KTT_VOID && o->tparam) || (n->kind == KTT_VOID && n->tparam)) {
        plan_param_slot(c, p, o, n, old_off, new_off, env, path, decl, depth);
        return;
    }
    if (o->kind == KTT_BASE && n->kind == KTT_BASE) {
        if (o->size == n->size && o->enc == n->enc) {
            plan_add_op(p, OP_COPY, old_off, new_off)->len = (uint32_t)n->size;
        } else if (is_int(o) && is_int(n) && n->size >= o->size &&
                   (o->enc == n->enc || o->enc == KTT_BOOL || n->enc == KTT_BOOL ||
                    (o->enc == KTT_UNSIGNED && n->size > o->size))) {
            struct plan_op *op = plan_add_op(p, OP_INT, old_off, new_off);
            op->len = (uint32_t)o->size;
            op->new_len = (uint32_t)n->size;
            op->old_signed = o->enc == KTT_SIGNED;
            op->new_signed = n->enc == KTT_SIGNED;
        } else if (o->enc == KTT_FLOAT && n->enc == KTT_FLOAT && n->size > o->size &&
                   (o->size == 4 || o->size == 8) && (n->size == 8 || n->size == 16)) {
            struct plan_op *op = plan_add_op(p, OP_FLOAT, old_off, new_off);
            op->len = (uint32_t)o->size;
            op->new_len = (uint32_t)n->size;
        } else {
            char *oname = type_label(c->old, ot), *nname = type_label(c->new_, nt);
            char *stub = pstr_fmt("%s -> %s: { $out = ($newtype(%s))$in; }", path, path,
                                  nname);
            const char *why = is_int(o) && is_int(n)
                                  ? (n->size < o->size ? "narrowed" : "changed signedness")
                                  : "changed representation";
            plan_diag(c, path, decl, stub, "%s from %s to %s", why, oname, nname);
            free(oname);
            free(nname);
            free(stub);
            plan_add_op(p, OP_ZERO, old_off, new_off)->len = (uint32_t)n->size;
        }
        return;
    }
    if (o->kind == KTT_PTR && n->kind == KTT_PTR) {
        plan_pointer(c, p, o, n, old_off, new_off, parent_old, env, path, decl);
        return;
    }
    if (o->kind == KTT_ARRAY && n->kind == KTT_ARRAY) {
        if (o->count < 0 && n->count < 0) {
            struct tref r = plan_tref(c, o->target, n->target, env, path, decl);
            plan_flex_array(c, p, o, n, plan_inline(c, r, path, decl, depth), old_off,
                            new_off, parent_old, path, decl);
            return;
        }
        /* A grown array keeps its old elements and gets zeroed new ones; a shrunk one
         * would lose elements, which only a rule may decide. */
        int grown = o->count >= 0 && n->count > o->count;
        if (o->count != n->count && !grown) {
            char *stub = pstr_fmt("%s -> %s: { /* copy the elements you keep */ }", path, path);
            if (o->count >= 0 && n->count >= 0)
                plan_diag(c, path, decl, stub, "array shrinks from %ld to %ld elements: the last "
                          "%ld would be lost; write a rule that says which to keep", o->count,
                          n->count, o->count - n->count);
            else
                plan_diag(c, path, decl, stub, "array length changed from %ld to %ld", o->count,
                          n->count);
            free(stub);
            if (o->count < 0 || n->count < 0)
                return;
            /* Planned anyway over the elements both have: a plan used without its
             * diagnostics (constant data) still translates pointers into them. */
        }
        struct tref r = plan_tref(c, o->target, n->target, env, path, decl);
        struct plan *sub = plan_inline(c, r, path, decl, depth);
        struct plan_op *op = plan_add_op(p, OP_ARRAY, old_off, new_off);
        op->sub = sub;
        op->count = o->count < 0 ? 0 : o->count < n->count ? o->count : n->count;
        op->old_stride = (uint32_t)sub->old_size;
        op->new_stride = (uint32_t)sub->new_size;
        if (grown) {
            size_t stride = sub->new_size;
            plan_add_op(p, OP_ZERO, 0, new_off + (size_t)o->count * stride)->len =
                (uint32_t)((size_t)(n->count - o->count) * stride);
        }
        return;
    }
    if (((o->kind == KTT_STRUCT || o->kind == KTT_UNION) && o->kind == n->kind) ||
        (o->kind == KTT_ENUM && n->kind == KTT_ENUM)) {
        struct tref r = plan_tref(c, ot, nt, env, path, decl);
        struct plan_op *op = plan_add_op(p, OP_SUB, old_off, new_off);
        op->sub = plan_inline(c, r, path, decl, depth);
        return;
    }
    char *oname = type_label(c->old, ot), *nname = type_label(c->new_, nt);
    char *stub = pstr_fmt("%s -> %s: { /* build $out from $in */ }", path, path);
    plan_diag(c, path, decl, stub, "type changed from %s to %s", oname, nname);
    free(oname);
    free(nname);
    free(stub);
}

static int union_holds_pointers(struct plan_ctx *c, int t, int depth)
{
    const struct ktt_type *ty = otype(c, ktt_resolve(c->old, t));
    if (depth > MAX_DEPTH)
        return 0;
    if (ty->kind == KTT_PTR)
        return !(ty->flags & KTT_OPAQUE);
    if (ty->kind == KTT_ARRAY)
        return union_holds_pointers(c, ty->target, depth + 1);
    if (ty->kind == KTT_STRUCT || ty->kind == KTT_UNION)
        for (int i = 0; i < ty->nfields; i++)
            if (union_holds_pointers(c, ty->fields[i].type, depth + 1))
                return 1;
    return 0;
}

/* A pointer-sized union whose members all sit at offset 0 and are function pointers or
 * pointers (Snort's OutputFuncNode: a handler or its argument): 1 when it has a
 * function pointer and every other member is E_OPAQUE (it is remapped as a function
 * pointer when it holds one of the old version's functions), 2 when some data pointer
 * is not E_OPAQUE, 0 for any other union. */
static int fptr_union(const struct ktt *k, const struct ktt_type *u)
{
    int fptrs = 0, plain = 0;
    if (u->kind != KTT_UNION || u->size != sizeof(void *) || u->nfields == 0)
        return 0;
    for (int i = 0; i < u->nfields; i++) {
        const struct ktt_field *f = &u->fields[i];
        const struct ktt_type *t = &k->types[ktt_resolve(k, f->type)];
        if (f->offset != 0 || f->bit_size || t->kind != KTT_PTR)
            return 0;
        const struct ktt_type *target = &k->types[ktt_resolve(k, t->target)];
        if (target->kind == KTT_FUNC && !(t->flags & KTT_OPAQUE))
            fptrs++;
        else if (!(t->flags & KTT_OPAQUE))
            plain++;
    }
    if (!fptrs)
        return 0;
    return plain ? 2 : 1;
}

/* Whether old type ot and new type nt hold their values in the same bytes the same
 * way (a union copied as bytes keeps every member). */
int plan_same_shape(struct plan_ctx *c, int ot, int nt, int depth)
{
    const struct ktt_type *o = otype(c, ktt_resolve(c->old, ot));
    const struct ktt_type *n = ntype(c, ktt_resolve(c->new_, nt));
    if (depth > MAX_DEPTH || o->kind != n->kind || o->size != n->size)
        return 0;
    switch (o->kind) {
    case KTT_BASE:
        return o->enc == n->enc;
    case KTT_ENUM:
        if (o->nenums > n->nenums)
            return 0;
        for (int i = 0; i < o->nenums; i++) {
            int found = 0;
            for (int j = 0; j < n->nenums; j++)
                if (strcmp(o->enums[i].name, n->enums[j].name) == 0)
                    found = o->enums[i].value == n->enums[j].value;
            if (!found)
                return 0;
        }
        return 1;
    case KTT_ARRAY:
        return o->count == n->count && plan_same_shape(c, o->target, n->target, depth + 1);
    case KTT_STRUCT:
    case KTT_UNION:
        if (o->nfields != n->nfields)
            return 0;
        for (int i = 0; i < o->nfields; i++) {
            const struct ktt_field *a = &o->fields[i], *b = &n->fields[i];
            if ((a->name == NULL) != (b->name == NULL) ||
                (a->name && strcmp(a->name, b->name) != 0) || a->offset != b->offset ||
                a->bit_offset != b->bit_offset || a->bit_size != b->bit_size ||
                !plan_same_shape(c, a->type, b->type, depth + 1))
                return 0;
        }
        return 1;
    default:
        return 1; /* pointers, functions, void: the bytes mean the same */
    }
}

static int same_union_layout(struct plan_ctx *c, const struct ktt_type *o,
                             const struct ktt_type *n)
{
    if (o->size != n->size || o->nfields != n->nfields)
        return 0;
    for (int i = 0; i < o->nfields; i++)
        if (o->fields[i].offset != n->fields[i].offset ||
            !plan_same_shape(c, o->fields[i].type, n->fields[i].type, 0))
            return 0;
    return 1;
}

static void plan_enum(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                      const struct ktt_type *n, const char *path, const char *decl)
{
    int identical = o->size == n->size && o->nenums <= n->nenums;
    long long *map = calloc((size_t)o->nenums * 2 + 2, sizeof *map);
    if (!map)
        plan_oom();
    int nmap = 0;
    for (int i = 0; i < o->nenums; i++) {
        const struct ktt_enumerator *e = &o->enums[i], *m = NULL;
        for (int j = 0; j < n->nenums; j++)
            if (strcmp(n->enums[j].name, e->name) == 0)
                m = &n->enums[j];
        if (!m) {
            char *stub = pstr_fmt("%s -> %s: { $out = /* value for %s */ 0; }", path, path,
                                  e->name);
            plan_diag(c, path, decl, stub, "enumerator %s was removed", e->name);
            free(stub);
            identical = 0;
            continue;
        }
        if (m->value != e->value)
            identical = 0;
        map[nmap * 2] = e->value;
        map[nmap * 2 + 1] = m->value;
        nmap++;
    }
    if (identical) {
        free(map);
        plan_add_op(p, OP_COPY, 0, 0)->len = (uint32_t)n->size;
        p->same_layout = 1;
        return;
    }
    struct plan_op *op = plan_add_op(p, OP_ENUM, 0, 0);
    op->len = (uint32_t)o->size;
    op->new_len = (uint32_t)n->size;
    op->old_signed = 0; /* as C: an enum without negative values is unsigned */
    for (int i = 0; i < o->nenums; i++)
        if (o->enums[i].value < 0)
            op->old_signed = 1;
    op->enum_map = map;
    op->n_enum = nmap;
    /* Values change: the object is rebuilt, never rewritten in place, so the old state
     * stays intact for a rollback and a value is never mapped twice. */
    p->same_layout = 0;
}

/* The type rule for p's new type, by the name it was reached by or its own; -1 none.
 * *name: the name the rule has or would have (NULL when rules cannot name the type), in
 * a new allocation. */
static int type_rule_for(struct plan_ctx *c, const struct plan *p, char **name)
{
    int rule = -1;
    char *rname = p->named_new >= 0 ? plan_type_rule_name(c->new_, p->named_new) : NULL;
    if (rname)
        rule = plan_find_rule(c, RULE_TYPE, rname, NULL);
    if (rule < 0) {
        char *own = plan_type_rule_name(c->new_, p->new_type);
        int r2 = own ? plan_find_rule(c, RULE_TYPE, own, NULL) : -1;
        if ((r2 >= 0 || !rname) && own) {
            rule = r2;
            free(rname);
            rname = own;
        } else {
            if (r2 >= 0 || !rname)
                rule = r2;
            free(own);
        }
    }
    *name = rname;
    return rule;
}

/* A union's plan: copied as bytes when every member keeps its shape; nname is what
 * rules call it. */
static void build_union_plan(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                             const struct ktt_type *n, const char *nname)
{
    p->same_layout = same_union_layout(c, o, n);
    plan_add_op(p, OP_COPY, 0, 0)->len = (uint32_t)(o->size < n->size ? o->size : n->size);
    char *stub = NULL;
    if (!p->same_layout) {
        stub = pstr_fmt("%s -> %s: { /* copy the member in use */ }", nname, nname);
        plan_diag(c, nname, n->decl, stub, "union changed; say how to convert it");
    } else if (fptr_union(c->old, o) == 1 && fptr_union(c->new_, n) == 1) {
        /* Its value is a function of the old version (remapped to the new one of
         * the same key), or a value of the opaque members, copied as it is. */
        plan_add_op(p, OP_FPTR, 0, 0);
    } else if (fptr_union(c->old, o) == 2) {
        stub = pstr_fmt("annotate the union's data pointers E_OPAQUE, or write a rule: "
                        "%s -> %s: { XF_INVOKE(/* closure for the member in use */, &$in, "
                        "&$out); }", nname, nname);
        plan_diag(c, nname, n->decl, stub, "union of a function pointer and data pointers "
                  "that are not E_OPAQUE; with them E_OPAQUE it is remapped as a function "
                  "pointer when it holds one");
    } else if (union_holds_pointers(c, p->old_type, 0)) {
        stub = pstr_fmt("%s -> %s: { XF_INVOKE(/* closure for the member in use */, &$in, "
                        "&$out); }", nname, nname);
        plan_diag(c, nname, n->decl, stub, "union holds pointers; write a rule saying which "
                  "member is in use, or annotate them E_OPAQUE");
    }
    free(stub);
}

static void build_kind_plan(struct plan_ctx *c, struct plan *p, const char *rname,
                            int depth);

static void build_type_plan(struct plan_ctx *c, struct plan *p, int depth)
{
    const struct ktt_type *o = otype(c, p->old_type), *n = ntype(c, p->new_type);
    const char *path = p->path, *decl = p->decl;
    char *rname;
    int type_rule = type_rule_for(c, p, &rname);
    if (depth > MAX_DEPTH) {
        plan_diag(c, path, decl, NULL, "types nested too deeply");
        free(rname);
        return;
    }
    plan_use_rule(c, type_rule);
    if (type_rule >= 0 && c->rules[type_rule].has_code) {
        /* The programmer's code replaces the generated transformer. */
        p->type_rule = type_rule;
        p->same_layout = 0;
    } else {
        int named = (o->kind == KTT_STRUCT || o->kind == KTT_UNION || o->kind == KTT_ENUM) &&
                    o->name && n->name;
        if (named && o->kind == n->kind && strcmp(o->name, n->name) != 0 && type_rule < 0) {
            char *oname = type_label(c->old, p->old_type);
            char *nname = type_label(c->new_, p->new_type);
            char *stub = pstr_fmt("%s -> %s", oname, nname);
            plan_diag(c, path, n->decl, stub, "type renamed from %s to %s without a rule", oname,
                      nname);
            free(oname);
            free(nname);
            free(stub);
        }
        build_kind_plan(c, p, rname, depth);
    }
    free(rname);
}

/* The operations of plan p by the kind of its types; rname is the name rules give the
 * new type (NULL: none). */
static void build_kind_plan(struct plan_ctx *c, struct plan *p, const char *rname,
                            int depth)
{
    int orr = p->old_type, nr = p->new_type;
    const struct ktt_type *o = otype(c, orr), *n = ntype(c, nr);
    const char *path = p->path, *decl = p->decl;
    char *nname = type_label(c->new_, nr);
    if (is_foreign(o) || is_foreign(n)) {
        /* A library's type (declared outside the source root, e.g. pthread_mutex_t or
         * FILE): the library owns what it points to, so it is copied, never followed. */
        p->same_layout = o->size == n->size;
        if (!p->same_layout)
            plan_diag(c, path, n->decl, NULL, "library type %s changed size from %zu to %zu",
                      nname, o->size, n->size);
        plan_add_op(p, OP_COPY, 0, 0)->len = (uint32_t)(o->size < n->size ? o->size : n->size);
    } else if (o->kind == KTT_STRUCT && n->kind == KTT_STRUCT) {
        plan_struct_fields(c, p, orr, nr, n->name || !rname ? nname : rname, depth);
    } else if (o->kind == KTT_UNION && n->kind == KTT_UNION) {
        /* An anonymous union is named by the field it was reached by: a rule for that
         * field (struct T.u -> struct T.u) is the one to write. */
        build_union_plan(c, p, o, n, !n->name && path[0] ? path : nname);
    } else if (o->kind == KTT_ENUM && n->kind == KTT_ENUM) {
        plan_enum(c, p, o, n, path, decl);
    } else if ((o->kind == KTT_VOID && !o->tparam) && (n->kind == KTT_VOID && !n->tparam)) {
        p->same_layout = 1;
    } else if (o->kind == KTT_FUNC && n->kind == KTT_FUNC) {
        p->same_layout = 1;
    } else {
        /* Scalars, pointers and arrays: one slot at offset 0. */
        plan_slot(c, p, orr, nr, 0, 0, -1, p->env, path, decl, depth);
        p->same_layout = o->size == n->size;
        for (int j = 0; j < p->nops; j++) {
            const struct plan_op *op = &p->ops[j];
            if (op->kind == OP_INT || op->kind == OP_FLOAT || op->kind == OP_ZERO ||
                ((op->kind == OP_ARRAY || op->kind == OP_SUB) && op->sub &&
                 !op->sub->same_layout))
                p->same_layout = 0;
        }
    }
    free(nname);
}

/* A plan for `ptrs` levels of pointer above a type: one pointer slot. */
static void build_pointer_plan(struct plan_ctx *c, struct plan *p)
{
    struct tref r = {.ot = p->old_type, .nt = p->new_type, .named_nt = p->named_new,
                     .env = p->env, .ptrs = p->ptrs - 1, .ok = 1};
    struct plan_op *op = plan_add_op(p, OP_PTR, 0, 0);
    op->sub = plan_get(c, r, p->path, p->decl);
    op->ptr_flags = PTR_MAY_STATIC | PTR_MAY_INTERIOR; /* no summary entry to judge by */
    p->same_layout = 1;
}

static void build_plan(struct plan_ctx *c, struct plan *p, int depth)
{
    p->visiting = 1;
    if (p->ptrs > 0)
        build_pointer_plan(c, p);
    else
        build_type_plan(c, p, depth);
    p->visiting = 0;
    p->built = 1;
}
