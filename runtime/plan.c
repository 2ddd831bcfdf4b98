/* plan.c - the planner: compares two type summaries and decides, for each migrated
 * variable and every type reachable from it, how old objects become new ones
 * (see plan.h).  It never touches program memory. */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

static const struct ktt_type *otype(const struct plan_ctx *c, int t) { return &c->old->types[t]; }
static const struct ktt_type *ntype(const struct plan_ctx *c, int t) { return &c->new_->types[t]; }

static void diag(struct plan_ctx *c, const char *path, const char *decl, const char *stub,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void diag(struct plan_ctx *c, const char *path, const char *decl, const char *stub,
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
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    struct plan_diag *d = &c->diags[c->ndiags++];
    d->path = strdup(path);
    d->decl = decl ? strdup(decl) : NULL;
    d->what = strdup(what);
    d->stub = stub ? strdup(stub) : NULL;
}

/* "struct node", "union u", "enum e", a typedef name, or NULL when anonymous. */
static void type_label(const struct ktt *k, int t, char *buf, size_t len)
{
    ktt_type_name(k, t, buf, len);
}

/* Declared outside the program's source root (the summary gives an absolute path). */
static int is_foreign(const struct ktt_type *t)
{
    return (t->kind == KTT_STRUCT || t->kind == KTT_UNION) && t->decl && t->decl[0] == '/';
}

static int is_int(const struct ktt_type *t)
{
    return t->kind == KTT_BASE && t->enc != KTT_FLOAT;
}

/* ---- rules ---- */

static const char *type_rule_name(const struct ktt *k, int t, char *buf, size_t len)
{
    const struct ktt_type *ty = &k->types[t];
    if (ty->kind == KTT_TYPEDEF || ((ty->kind == KTT_STRUCT || ty->kind == KTT_UNION ||
                                     ty->kind == KTT_ENUM) && ty->name)) {
        type_label(k, t, buf, len);
        return buf;
    }
    return NULL;
}

static int find_rule(struct plan_ctx *c, enum rule_kind kind, const char *to,
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
            diag(c, to, NULL, NULL, "ambiguous rules: more than one rule targets %s%s%s", to,
                 to_field ? "." : "", to_field ? to_field : "");
            return found;
        }
        found = i;
    }
    return found;
}

static void use_rule(struct plan_ctx *c, int i)
{
    if (i >= 0)
        ((struct plan_rule *)c->rules)[i].used = 1;
}

/* ---- plan objects ---- */

static struct plan *find_plan(struct plan_ctx *c, int ot, int nt)
{
    for (struct plan *p = c->plans; p; p = p->next)
        if (p->old_type == ot && p->new_type == nt)
            return p;
    return NULL;
}

static struct plan_op *add_op(struct plan *p, enum op_kind kind, size_t old_off,
                              size_t new_off)
{
    struct plan_op *ops = realloc(p->ops, (size_t)(p->nops + 1) * sizeof *ops);
    if (!ops)
        abort();
    p->ops = ops;
    struct plan_op *op = &ops[p->nops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->old_off = (uint32_t)old_off;
    op->new_off = (uint32_t)new_off;
    op->rule = -1;
    return op;
}

static struct plan *plan_pair(struct plan_ctx *c, int ot, int nt, const char *path,
                              const char *decl, int depth);

static void plan_slot(struct plan_ctx *c, struct plan *p, int ot, int nt, size_t old_off,
                      size_t new_off, int parent_old, const char *path, const char *decl,
                      int depth);

/* A pointer slot: function pointer, opaque, pointer array, string or object. */
static void plan_pointer(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                         const struct ktt_type *n, size_t old_off, size_t new_off,
                         int parent_old, const char *path, const char *decl, int depth)
{
    int otgt = ktt_resolve(c->old, o->target), ntgt = ktt_resolve(c->new_, n->target);
    const struct ktt_type *ot = otype(c, otgt), *nt = ntype(c, ntgt);
    if ((o->flags & KTT_OPAQUE) || (n->flags & KTT_OPAQUE)) {
        add_op(p, OP_COPY, old_off, new_off)->len = 8;
        return;
    }
    if (ot->kind == KTT_FUNC || nt->kind == KTT_FUNC) {
        if (ot->kind != nt->kind)
            diag(c, path, decl, NULL, "changed between a function pointer and a data pointer");
        add_op(p, OP_FPTR, old_off, new_off);
        return;
    }
    if (ot->kind == KTT_VOID || nt->kind == KTT_VOID) {
        if (ot->kind != nt->kind)
            diag(c, path, decl, NULL, "changed between void * and a typed pointer; "
                 "write a rule");
        else if (!o->tparam && !n->tparam) {
            char stub[600];
            snprintf(stub, sizeof stub, "annotate the declaration E_OPAQUE (never followed) or "
                     "write a rule: %s -> %s: { XF_INVOKE(XF_PTR($xform(struct T, struct T)), "
                     "&$in, &$out); }", path, path);
            diag(c, path, decl, stub, "void * cannot be followed without an annotation or "
                 "a rule");
        }
        struct plan_op *op = add_op(p, OP_PTR, old_off, new_off);
        op->ptr_flags = PTR_MAY_STATIC;
        return;
    }
    struct plan *sub = plan_pair(c, o->target, n->target, path, decl, depth + 1);
    if (o->ptrarray || n->ptrarray) {
        const char *spec = o->ptrarray ? o->ptrarray : n->ptrarray;
        struct plan_op *op = add_op(p, OP_PTRARRAY, old_off, new_off);
        op->sub = sub;
        op->old_stride = (uint32_t)ot->size;
        op->new_stride = (uint32_t)nt->size;
        op->count = -1;
        if (strncmp(spec, "self.", 5) == 0) {
            const struct ktt_type *par = parent_old >= 0 ? otype(c, parent_old) : NULL;
            const struct ktt_field *cf = NULL;
            for (int i = 0; par && i < par->nfields; i++)
                if (par->fields[i].name && strcmp(par->fields[i].name, spec + 5) == 0)
                    cf = &par->fields[i];
            const struct ktt_type *ct = cf ? otype(c, ktt_resolve(c->old, cf->type)) : NULL;
            if (!ct || !is_int(ct) || ct->size > 8)
                diag(c, path, decl, NULL, "E_PTRARRAY(%s): no integer field %s in the "
                     "enclosing struct", spec, spec + 5);
            else {
                op->count_off = (uint32_t)cf->offset;
                op->count_size = (uint8_t)ct->size;
                op->count_signed = ct->enc == KTT_SIGNED;
            }
        } else {
            char *end;
            long v = strtol(spec, &end, 10);
            if (*end || v < 0)
                diag(c, path, decl, NULL, "E_PTRARRAY(%s): expected a count or self.FIELD",
                     spec);
            op->count = v;
        }
        return;
    }
    struct plan_op *op = add_op(p, OP_PTR, old_off, new_off);
    op->sub = sub;
    op->nul_terminated = (o->flags & KTT_SZ) != 0;
}

static void plan_struct_fields(struct plan_ctx *c, struct plan *p, int ot, int nt,
                               const char *tname, int depth);

static void plan_slot(struct plan_ctx *c, struct plan *p, int ot, int nt, size_t old_off,
                      size_t new_off, int parent_old, const char *path, const char *decl,
                      int depth)
{
    int orr = ktt_resolve(c->old, ot), nr = ktt_resolve(c->new_, nt);
    const struct ktt_type *o = otype(c, orr), *n = ntype(c, nr);
    char oname[200], nname[200];
    type_label(c->old, ot, oname, sizeof oname);
    type_label(c->new_, nt, nname, sizeof nname);
    if (depth > MAX_DEPTH) {
        diag(c, path, decl, NULL, "types nested too deeply");
        return;
    }
    if (o->kind == KTT_BASE && n->kind == KTT_BASE) {
        if (o->size == n->size && o->enc == n->enc) {
            add_op(p, OP_COPY, old_off, new_off)->len = (uint32_t)n->size;
        } else if (is_int(o) && is_int(n) && n->size >= o->size &&
                   (o->enc == n->enc || o->enc == KTT_BOOL || n->enc == KTT_BOOL ||
                    (o->enc == KTT_UNSIGNED && n->size > o->size))) {
            struct plan_op *op = add_op(p, OP_INT, old_off, new_off);
            op->len = (uint32_t)o->size;
            op->new_len = (uint32_t)n->size;
            op->old_signed = o->enc == KTT_SIGNED;
            op->new_signed = n->enc == KTT_SIGNED;
        } else {
            char stub[400];
            snprintf(stub, sizeof stub, "%s -> %s: { $out = ($newtype(%s))$in; }", path, path,
                     nname);
            const char *why = is_int(o) && is_int(n)
                                  ? (n->size < o->size ? "narrowed" : "changed signedness")
                                  : "changed representation";
            diag(c, path, decl, stub, "%s from %s to %s", why, oname, nname);
            add_op(p, OP_ZERO, old_off, new_off)->len = (uint32_t)n->size;
        }
        return;
    }
    if (o->kind == KTT_ENUM && n->kind == KTT_ENUM) {
        struct plan *sub = plan_pair(c, orr, nr, path, decl, depth + 1);
        struct plan_op *op = add_op(p, OP_SUB, old_off, new_off);
        op->sub = sub;
        return;
    }
    if (o->kind == KTT_PTR && n->kind == KTT_PTR) {
        plan_pointer(c, p, o, n, old_off, new_off, parent_old, path, decl, depth);
        return;
    }
    if (o->kind == KTT_ARRAY && n->kind == KTT_ARRAY) {
        if (o->count != n->count) {
            char stub[400];
            snprintf(stub, sizeof stub, "%s -> %s: { /* copy the elements you keep */ }", path,
                     path);
            diag(c, path, decl, stub, "array length changed from %ld to %ld", o->count,
                 n->count);
            return;
        }
        struct plan *sub = plan_pair(c, o->target, n->target, path, decl, depth + 1);
        struct plan_op *op = add_op(p, OP_ARRAY, old_off, new_off);
        op->sub = sub;
        op->count = o->count < 0 ? 0 : o->count;
        op->old_stride = (uint32_t)otype(c, ktt_resolve(c->old, o->target))->size;
        op->new_stride = (uint32_t)ntype(c, ktt_resolve(c->new_, n->target))->size;
        return;
    }
    if ((o->kind == KTT_STRUCT || o->kind == KTT_UNION) && o->kind == n->kind) {
        struct plan *sub = plan_pair(c, ot, nt, path, decl, depth + 1);
        struct plan_op *op = add_op(p, OP_SUB, old_off, new_off);
        op->sub = sub;
        return;
    }
    char stub[400];
    snprintf(stub, sizeof stub, "%s -> %s: { /* build $out from $in */ }", path, path);
    diag(c, path, decl, stub, "type changed from %s to %s", oname, nname);
}

static const struct ktt_field *find_field(const struct ktt_type *t, const char *name)
{
    for (int i = 0; i < t->nfields; i++)
        if (t->fields[i].name && strcmp(t->fields[i].name, name) == 0)
            return &t->fields[i];
    return NULL;
}

static int nth_anonymous(const struct ktt_type *t, const struct ktt_field *f)
{
    int n = 0;
    for (int i = 0; i < t->nfields && &t->fields[i] != f; i++)
        if (!t->fields[i].name)
            n++;
    return n;
}

static const struct ktt_field *find_anonymous(const struct ktt_type *t, int nth)
{
    for (int i = 0; i < t->nfields; i++)
        if (!t->fields[i].name && nth-- == 0)
            return &t->fields[i];
    return NULL;
}

/* Position and width in bits of a member, bitfield or not. */
static void member_bits(const struct ktt_field *f, const struct ktt_type *t, long *pos,
                        int *bits)
{
    *pos = f->bit_size ? f->bit_offset : (long)f->offset * 8;
    *bits = f->bit_size ? f->bit_size : (int)t->size * 8;
}

static int enum_is_signed(const struct ktt_type *t)
{
    for (int i = 0; i < t->nenums; i++)
        if (t->enums[i].value < 0)
            return 1;
    return 0;
}

/* A bitfield, or a member that becomes or stops being one.  Returns 0 when the bits
 * do not move (the layout may still be the same). */
static int plan_bitfield(struct plan_ctx *c, struct plan *p, const struct ktt_field *of,
                         const struct ktt_field *nf, const char *path)
{
    const struct ktt_type *oft = otype(c, ktt_resolve(c->old, of->type));
    const struct ktt_type *nft = ntype(c, ktt_resolve(c->new_, nf->type));
    long opos, npos;
    int obits, nbits;
    member_bits(of, oft, &opos, &obits);
    member_bits(nf, nft, &npos, &nbits);
    if ((!is_int(oft) && oft->kind != KTT_ENUM) || (!is_int(nft) && nft->kind != KTT_ENUM)) {
        diag(c, path, nf->decl, NULL, "bitfield of unsupported type");
        return 1;
    }
    if (oft->kind == KTT_ENUM || nft->kind == KTT_ENUM) {
        struct plan *e = plan_pair(c, of->type, nf->type, path, nf->decl, 1);
        if (!e || e->nops != 1 || e->ops[0].kind != OP_COPY)
            diag(c, path, nf->decl, NULL, "an enum bitfield whose values changed; write a "
                 "rule");
    }
    if (is_int(oft) && is_int(nft) && oft->enc != nft->enc &&
        !(oft->enc == KTT_UNSIGNED && nbits > obits) && oft->enc != KTT_BOOL &&
        nft->enc != KTT_BOOL) {
        char stub[600];
        snprintf(stub, sizeof stub, "%s -> %s: { $out = $in; }", path, path);
        diag(c, path, nf->decl, stub, "changed signedness");
    }
    if (nbits < obits) {
        char stub[600];
        snprintf(stub, sizeof stub, "%s -> %s: { $out = $in; }", path, path);
        diag(c, path, nf->decl, stub, "narrowed from %d to %d bits", obits, nbits);
    }
    struct plan_op *op = add_op(p, OP_BITS, (size_t)(opos / 8), (size_t)(npos / 8));
    op->old_bit = (uint16_t)(opos % 8);
    op->old_bits = (uint16_t)obits;
    op->new_bit = (uint16_t)(npos % 8);
    op->new_bits = (uint16_t)nbits;
    op->old_signed = oft->kind == KTT_ENUM ? enum_is_signed(oft) : oft->enc == KTT_SIGNED;
    return opos != npos || obits != nbits;
}

/* A member by dotted path ("a.b") from struct/union type t of the old summary: the
 * field, the type that holds it and that type's offset from the start of t. */
static const struct ktt_field *find_old_path(struct plan_ctx *c, int t, const char *path,
                                             int *parent, size_t *parent_off)
{
    const struct ktt_field *f = NULL;
    char name[256];
    *parent_off = 0;
    for (int depth = 0; path && *path && depth < MAX_DEPTH; depth++) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (f) {
            *parent_off += f->offset;
            t = f->type;
        }
        t = ktt_resolve(c->old, t);
        if (n >= sizeof name || (otype(c, t)->kind != KTT_STRUCT &&
                                 otype(c, t)->kind != KTT_UNION))
            return NULL;
        memcpy(name, path, n);
        name[n] = 0;
        f = find_field(otype(c, t), name);
        if (!f)
            return NULL;
        *parent = t;
        path = dot ? dot + 1 : NULL;
    }
    return f;
}

/* Whether some field rule names a member below `fpath` of type `tname` ("a" for
 * `struct T.a.b`): then member a is planned field by field inside T's plan. */
static int has_nested_rules(const struct plan_ctx *c, const char *tname, const char *fpath)
{
    size_t n = strlen(fpath);
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if ((r->kind == RULE_FIELD || r->kind == RULE_INIT_FIELD) && r->to && r->to_field &&
            strcmp(r->to, tname) == 0 && strncmp(r->to_field, fpath, n) == 0 &&
            r->to_field[n] == '.')
            return 1;
    }
    return 0;
}

/* Ops added since `from` were planned for a member of a struct at obase/nbase. */
static void shift_ops(struct plan *p, int from, size_t obase, size_t nbase)
{
    for (int j = from; j < p->nops; j++) {
        p->ops[j].old_off += (uint32_t)obase;
        p->ops[j].new_off += (uint32_t)nbase;
        if (p->ops[j].kind == OP_PTRARRAY && p->ops[j].count < 0)
            p->ops[j].count_off += (uint32_t)obase;
    }
}

/* Plans the members of old struct ot / new struct nt, which lie at obase / nbase in
 * the objects of plan p (top_ot is p's old type; rules name fields from there, with
 * the dotted path prefix + member).  Returns whether the layout stayed the same. */
static int plan_fields_at(struct plan_ctx *c, struct plan *p, int ot, int nt, int top_ot,
                          const char *tname, const char *prefix, size_t obase, size_t nbase,
                          int depth)
{
    const struct ktt_type *o = otype(c, ot), *n = ntype(c, nt);
    int same = o->size == n->size && o->nfields == n->nfields;
    for (int i = 0; i < n->nfields; i++) {
        const struct ktt_field *nf = &n->fields[i];
        char path[600], fpath[400];
        snprintf(fpath, sizeof fpath, "%s%s", prefix, nf->name ? nf->name : "<anonymous>");
        snprintf(path, sizeof path, "%s.%s", tname, fpath);
        const struct ktt_field *of = NULL;
        int of_parent = ot;
        size_t of_base = obase, nf_abs = nbase + nf->offset;
        int rule = nf->name ? find_rule(c, RULE_FIELD, tname, fpath) : -1;
        int init = nf->name ? find_rule(c, RULE_INIT_FIELD, tname, fpath) : -1;
        if (rule >= 0) {
            use_rule(c, rule);
            of = find_old_path(c, top_ot, c->rules[rule].from_field, &of_parent, &of_base);
            if (!of)
                diag(c, path, nf->decl, NULL, "rule names old field %s, which %s does not "
                     "have", c->rules[rule].from_field, tname);
            if (c->rules[rule].has_code) {
                struct plan_op *op = add_op(p, OP_RULE, of ? of_base + of->offset : 0, nf_abs);
                op->rule = rule;
                op->len = of ? (uint32_t)otype(c, ktt_resolve(c->old, of->type))->size : 0;
                same = 0;
                continue;
            }
        } else if (init >= 0) {
            use_rule(c, init);
            struct plan_op *op = add_op(p, OP_RULE, 0, nf_abs);
            op->rule = init;
            same = 0;
            continue;
        } else {
            of = nf->name ? find_field(o, nf->name)
                          : find_anonymous(o, nth_anonymous(n, nf));
        }
        if (!of) {
            char stub[600];
            snprintf(stub, sizeof stub, "INIT %s: { $out = 0; }", path);
            diag(c, path, nf->decl, stub, "new field needs an INIT rule");
            same = 0;
            continue;
        }
        if (of->offset != nf->offset || of_base != obase)
            same = 0;
        int oft = ktt_resolve(c->old, of->type), nft = ktt_resolve(c->new_, nf->type);
        if (nf->name && rule < 0 && has_nested_rules(c, tname, fpath) &&
            otype(c, oft)->kind == KTT_STRUCT && ntype(c, nft)->kind == KTT_STRUCT) {
            char sub[400];
            snprintf(sub, sizeof sub, "%s.", fpath);
            plan_fields_at(c, p, oft, nft, top_ot, tname, sub, of_base + of->offset, nf_abs,
                           depth + 1);
            same = 0;
            continue;
        }
        int before = p->nops;
        if (of->bit_size || nf->bit_size) {
            if (plan_bitfield(c, p, of, nf, path))
                same = 0;
            shift_ops(p, before, of_base, nbase);
            continue;
        }
        plan_slot(c, p, of->type, nf->type, of->offset, nf->offset, of_parent, path, nf->decl,
                  depth);
        shift_ops(p, before, of_base, nbase);
        for (int j = before; j < p->nops; j++) {
            const struct plan_op *op = &p->ops[j];
            if (op->kind == OP_INT || op->kind == OP_ZERO)
                same = 0;
            if ((op->kind == OP_SUB || op->kind == OP_ARRAY) && op->sub &&
                !op->sub->same_layout)
                same = 0;
        }
    }
    /* A dropped field makes the old bytes meaningless in the new layout. */
    for (int i = 0; i < o->nfields && same; i++) {
        const struct ktt_field *of = &o->fields[i];
        if (of->name && !find_field(n, of->name))
            same = 0;
    }
    return same;
}

static void plan_struct_fields(struct plan_ctx *c, struct plan *p, int ot, int nt,
                               const char *tname, int depth)
{
    p->same_layout = plan_fields_at(c, p, ot, nt, ot, tname, "", 0, 0, depth);
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

static int same_union_layout(struct plan_ctx *c, const struct ktt_type *o,
                             const struct ktt_type *n)
{
    if (o->size != n->size || o->nfields != n->nfields)
        return 0;
    for (int i = 0; i < o->nfields; i++) {
        char a[200], b[200];
        ktt_type_name(c->old, o->fields[i].type, a, sizeof a);
        ktt_type_name(c->new_, n->fields[i].type, b, sizeof b);
        if (strcmp(a, b) != 0 || o->fields[i].offset != n->fields[i].offset)
            return 0;
    }
    return 1;
}

static void plan_enum(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                      const struct ktt_type *n, const char *path, const char *decl)
{
    int identical = o->size == n->size && o->nenums <= n->nenums;
    long long *map = calloc((size_t)o->nenums * 2 + 2, sizeof *map);
    int nmap = 0;
    for (int i = 0; i < o->nenums; i++) {
        const struct ktt_enumerator *e = &o->enums[i], *m = NULL;
        for (int j = 0; j < n->nenums; j++)
            if (strcmp(n->enums[j].name, e->name) == 0)
                m = &n->enums[j];
        if (!m) {
            char stub[400];
            snprintf(stub, sizeof stub, "%s -> %s: { $out = /* value for %s */ 0; }", path,
                     path, e->name);
            diag(c, path, decl, stub, "enumerator %s was removed", e->name);
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
        add_op(p, OP_COPY, 0, 0)->len = (uint32_t)n->size;
        p->same_layout = 1;
        return;
    }
    struct plan_op *op = add_op(p, OP_ENUM, 0, 0);
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

static struct plan *plan_pair(struct plan_ctx *c, int ot, int nt, const char *path,
                              const char *decl, int depth)
{
    char oname[200], nname[200], rbuf[200];
    int type_rule = -1;
    const char *rname = type_rule_name(c->new_, nt, rbuf, sizeof rbuf);
    if (rname)
        type_rule = find_rule(c, RULE_TYPE, rname, NULL);
    int orr = ktt_resolve(c->old, ot), nr = ktt_resolve(c->new_, nt);
    if (type_rule < 0 && nr != nt) {
        /* `conn_t x;` is also covered by a rule written for `struct conn` */
        char tbuf[200];
        const char *tname = type_rule_name(c->new_, nr, tbuf, sizeof tbuf);
        if (tname)
            type_rule = find_rule(c, RULE_TYPE, tname, NULL);
    }
    struct plan *p = find_plan(c, orr, nr);
    if (p)
        return p;
    p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->old_type = orr;
    p->new_type = nr;
    p->type_rule = -1;
    p->next = c->plans;
    c->plans = p;
    const struct ktt_type *o = otype(c, orr), *n = ntype(c, nr);
    p->old_kind = (int)o->kind;
    p->old_tag = o->name;
    p->old_size = o->size;
    p->new_size = n->size;
    type_label(c->old, orr, oname, sizeof oname);
    type_label(c->new_, nr, nname, sizeof nname);
    if (depth > MAX_DEPTH) {
        diag(c, path, decl, NULL, "types nested too deeply");
        return p;
    }
    if (type_rule >= 0) {
        use_rule(c, type_rule);
        if (c->rules[type_rule].has_code) {
            /* The programmer's code replaces the generated transformer. */
            p->type_rule = type_rule;
            p->same_layout = 0;
            return p;
        }
    }
    int named = (o->kind == KTT_STRUCT || o->kind == KTT_UNION || o->kind == KTT_ENUM) &&
                o->name && n->name;
    if (named && o->kind == n->kind && strcmp(o->name, n->name) != 0 && type_rule < 0) {
        char stub[600];
        snprintf(stub, sizeof stub, "%s -> %s", oname, nname);
        diag(c, path, n->decl, stub, "type renamed from %s to %s without a rule", oname,
             nname);
    }
    p->visiting = 1;
    if (is_foreign(o) || is_foreign(n)) {
        /* A library's type (declared outside the source root, e.g. pthread_mutex_t or
         * FILE): the library owns what it points to, so it is copied, never followed. */
        p->same_layout = o->size == n->size;
        if (!p->same_layout)
            diag(c, path, n->decl, NULL, "library type %s changed size from %zu to %zu",
                 nname, o->size, n->size);
        add_op(p, OP_COPY, 0, 0)->len = (uint32_t)(o->size < n->size ? o->size : n->size);
    } else if (o->kind == KTT_STRUCT && n->kind == KTT_STRUCT) {
        plan_struct_fields(c, p, orr, nr, n->name || !rname ? nname : rname, depth);
    } else if (o->kind == KTT_UNION && n->kind == KTT_UNION) {
        p->same_layout = same_union_layout(c, o, n);
        add_op(p, OP_COPY, 0, 0)->len = (uint32_t)(o->size < n->size ? o->size : n->size);
        if (!p->same_layout) {
            char stub[600];
            snprintf(stub, sizeof stub, "%s -> %s: { /* copy the member in use */ }", nname,
                     nname);
            diag(c, nname, n->decl, stub, "union changed; say how to convert it");
        } else if (union_holds_pointers(c, orr, 0)) {
            char stub[600];
            snprintf(stub, sizeof stub, "%s -> %s: { XF_INVOKE(/* closure for the member in "
                     "use */, &$in, &$out); }", nname, nname);
            diag(c, nname, n->decl, stub, "union holds pointers; write a rule saying which "
                 "member is in use, or annotate them E_OPAQUE");
        }
    } else if (o->kind == KTT_ENUM && n->kind == KTT_ENUM) {
        plan_enum(c, p, o, n, path, decl);
    } else if (o->kind == KTT_VOID && n->kind == KTT_VOID) {
        p->same_layout = 1;
    } else if (o->kind == KTT_FUNC && n->kind == KTT_FUNC) {
        p->same_layout = 1;
    } else {
        /* Scalars, pointers and arrays: one slot at offset 0. */
        plan_slot(c, p, orr, nr, 0, 0, -1, path, decl, depth);
        p->same_layout = o->size == n->size;
        for (int j = 0; j < p->nops; j++) {
            const struct plan_op *op = &p->ops[j];
            if (op->kind == OP_INT || op->kind == OP_ZERO ||
                ((op->kind == OP_ARRAY || op->kind == OP_SUB) && op->sub &&
                 !op->sub->same_layout))
                p->same_layout = 0;
        }
    }
    p->visiting = 0;
    return p;
}

/* ---- modes ---- */

static void mark_contained(const struct ktt *k, int t, uint8_t *set, int depth)
{
    if (depth > MAX_DEPTH || t < 0)
        return;
    set[t] = 1;
    const struct ktt_type *ty = &k->types[t];
    if (ty->kind == KTT_TYPEDEF || ty->kind == KTT_ARRAY)
        mark_contained(k, ty->target, set, depth + 1);
    if (ty->kind == KTT_STRUCT || ty->kind == KTT_UNION)
        for (int i = 0; i < ty->nfields; i++)
            mark_contained(k, ty->fields[i].type, set, depth + 1);
}

/* Types equal by name count as one: summaries may hold duplicates. */
static void widen_by_name(const struct ktt *k, uint8_t *set)
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
        return op->ptr_flags || (op->sub && op->sub->mode != PLAN_CLEAN) ||
               op->nul_terminated;
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
            if (!op->sub)
                continue;
            int t = op->sub->old_type;
            if (c->may_static[t])
                op->ptr_flags |= PTR_MAY_STATIC;
            if (c->in_rebuilt[t] || op->sub->mode == PLAN_REBUILD)
                op->ptr_flags |= PTR_MAY_INTERIOR;
        }
}

static void compute_modes(struct plan_ctx *c)
{
    int n = c->old->ntypes;
    c->may_static = calloc((size_t)n + 1, 1);
    c->in_rebuilt = calloc((size_t)n + 1, 1);
    for (int i = 0; i < c->old->nvars; i++)
        mark_contained(c->old, c->old->vars[i].type, c->may_static, 0);
    widen_by_name(c->old, c->may_static);
    for (struct plan *p = c->plans; p; p = p->next)
        p->mode = p->same_layout && p->type_rule < 0 ? PLAN_CLEAN : PLAN_REBUILD;
    for (struct plan *p = c->plans; p; p = p->next)
        if (p->mode == PLAN_REBUILD) {
            const struct ktt_type *t = &c->old->types[p->old_type];
            for (int i = 0; i < t->nfields; i++)
                mark_contained(c->old, t->fields[i].type, c->in_rebuilt, 0);
            if (t->kind == KTT_ARRAY)
                mark_contained(c->old, t->target, c->in_rebuilt, 0);
        }
    widen_by_name(c->old, c->in_rebuilt);
    set_pointer_flags(c);
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
        for (int i = 0; i < p->nops; i++)
            if ((p->ops[i].kind == OP_SUB || p->ops[i].kind == OP_ARRAY) && p->ops[i].sub &&
                p->ops[i].sub->mode != PLAN_CLEAN)
                p->nests = 1;
}

/* Merges adjacent copies; inside CLEAN targets nothing but copies remain. */
static void simplify(struct plan *p)
{
    int w = 0;
    for (int i = 0; i < p->nops; i++) {
        struct plan_op op = p->ops[i];
        if ((op.kind == OP_PTR || op.kind == OP_SUB || op.kind == OP_ARRAY) &&
            !op_needs_visit(&op)) {
            size_t len = op.kind == OP_PTR ? 8
                         : op.kind == OP_SUB ? op.sub->old_size
                                             : (size_t)op.count * op.old_stride;
            if (op.kind == OP_ARRAY && op.old_stride != op.new_stride)
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
}

int plan_var_migrates(const struct ktt_var *v)
{
    return !(v->flags & (KTT_VAR_CONST | KTT_VAR_MANUAL | KTT_VAR_TLS)) ||
           (v->flags & KTT_VAR_AUTO && !(v->flags & KTT_VAR_TLS));
}

static void plan_vars(struct plan_ctx *c)
{
    const struct ktt *o = c->old, *n = c->new_;
    c->vars = calloc((size_t)n->nvars + 1, sizeof *c->vars);
    for (int i = 0; i < n->nvars; i++) {
        const struct ktt_var *nv = &n->vars[i];
        if (!plan_var_migrates(nv))
            continue;
        struct plan_var *pv = &c->vars[c->nvars];
        pv->new_var = i;
        pv->old_var = -1;
        pv->rule = -1;
        int init = find_rule(c, RULE_INIT_VAR, nv->key, NULL);
        int rule = find_rule(c, RULE_VAR, nv->key, NULL);
        const char *from = nv->key;
        if (init >= 0) {
            use_rule(c, init);
            pv->rule = init;
            c->nvars++;
            continue;
        }
        if (rule >= 0) {
            use_rule(c, rule);
            from = c->rules[rule].from;
        }
        const struct ktt_var *ov = ktt_find_var(o, from);
        if (!ov || !plan_var_migrates(ov)) {
            if (rule >= 0)
                diag(c, nv->key, nv->decl, NULL, "rule renames %s, which the old version "
                     "does not have", from);
            continue; /* a new variable keeps its initialiser */
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

/* Variables transformed by a rule with code still get a plan (pointers into them are
 * translated with it), but what it could not decide is the rule's business: planned
 * after everything else, so a type they share with other variables was judged for
 * those, and without diagnostics of their own. */
static void plan_rule_vars(struct plan_ctx *c)
{
    for (int i = 0; i < c->nvars; i++) {
        struct plan_var *pv = &c->vars[i];
        if (pv->plan || pv->old_var < 0 || pv->rule < 0)
            continue;
        const struct ktt_var *ov = &c->old->vars[pv->old_var];
        const struct ktt_var *nv = &c->new_->vars[pv->new_var];
        int ndiags = c->ndiags;
        pv->plan = plan_pair(c, ov->type, nv->type, nv->key, nv->decl, 0);
        while (c->ndiags > ndiags) {
            struct plan_diag *d = &c->diags[--c->ndiags];
            free(d->path);
            free(d->decl);
            free(d->what);
            free(d->stub);
        }
    }
}

int plan_build(struct plan_ctx *c, const struct ktt *old, const struct ktt *nv,
               const struct plan_rule *rules, int nrules)
{
    memset(c, 0, sizeof *c);
    c->old = old;
    c->new_ = nv;
    c->rules = rules;
    c->nrules = nrules;
    plan_vars(c);
    for (int i = 0; i < nrules; i++)
        if (rules[i].kind == RULE_XFORM) {
            use_rule(c, i);
            plan_for_names(c, rules[i].from, rules[i].to);
        }
    plan_rule_vars(c);
    compute_modes(c);
    c->built = 1;
    for (struct plan *p = c->plans; p; p = p->next)
        simplify(p);
    return c->ndiags;
}

static int find_named_type(const struct ktt *k, const char *name)
{
    char buf[200];
    for (int i = 0; i < k->ntypes; i++) {
        const struct ktt_type *t = &k->types[i];
        if (!t->name || t->kind == KTT_BASE)
            continue;
        ktt_type_name(k, i, buf, sizeof buf);
        if (strcmp(buf, name) == 0)
            return i;
    }
    return -1;
}

struct plan *plan_for_names(struct plan_ctx *c, const char *old_name, const char *new_name)
{
    int ot = find_named_type(c->old, old_name), nt = find_named_type(c->new_, new_name);
    if (c->built) {
        struct plan *p = ot >= 0 && nt >= 0 ? find_plan(c, ktt_resolve(c->old, ot),
                                                        ktt_resolve(c->new_, nt)) : NULL;
        return p;
    }
    if (ot < 0 || nt < 0) {
        diag(c, new_name, NULL, NULL, "no type %s in the %s version",
             ot < 0 ? old_name : new_name, ot < 0 ? "old" : "new");
        return NULL;
    }
    struct plan *p = plan_pair(c, ot, nt, new_name, NULL, 0);
    return p;
}

void plan_free(struct plan_ctx *c)
{
    for (struct plan *p = c->plans, *next; p; p = next) {
        next = p->next;
        for (int i = 0; i < p->nops; i++)
            free(p->ops[i].enum_map);
        free(p->ops);
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
    free(c->may_static);
    free(c->in_rebuilt);
    memset(c, 0, sizeof *c);
}

int plan_same_old_type(const struct plan *a, const struct plan *b)
{
    if (a == b || a->old_type == b->old_type)
        return 1;
    return a->old_kind == b->old_kind && a->old_tag && b->old_tag &&
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
static size_t op_old_span(const struct plan_op *op)
{
    switch (op->kind) {
    case OP_COPY:
    case OP_INT:
    case OP_ENUM:
    case OP_RULE:
        return op->len;
    case OP_SUB:
        return op->sub ? op->sub->old_size : 0;
    case OP_ARRAY:
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
        size_t span = op_old_span(op);
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
