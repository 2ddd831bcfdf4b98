/* plan_fields.c - the members of a struct: field rules (also on nested and anonymous
 * members, and those that run in place), bitfields, members that are new (an INIT rule
 * or a likely rename) and members that are gone (a drop rule when a rename is likely). */
#include "plan_internal.h"

const struct ktt_field *plan_find_field(const struct ktt_type *t, const char *name)
{
    for (int i = 0; i < t->nfields; i++)
        if (t->fields[i].name && strcmp(t->fields[i].name, name) == 0)
            return &t->fields[i];
    return NULL;
}

size_t plan_path_seg(const char *path)
{
    if (path[0] == '<') {
        const char *end = strchr(path, '>');
        if (end)
            return (size_t)(end - path) + 1;
    }
    return strcspn(path, ".");
}

char *plan_anon_name(const struct ktt *k, const struct ktt_field *f)
{
    const struct ktt_type *t = &k->types[ktt_resolve(k, f->type)];
    return pstr_fmt("<%s at %s>", t->kind == KTT_UNION ? "union" : "struct",
                    t->decl ? t->decl : "?");
}

int plan_anon_named(const struct ktt *k, const struct ktt_field *f, const char *seg,
                    size_t len)
{
    const struct ktt_type *t = &k->types[ktt_resolve(k, f->type)];
    if (f->name || (t->kind != KTT_STRUCT && t->kind != KTT_UNION) || len < 2 ||
        seg[0] != '<' || seg[len - 1] != '>')
        return 0;
    char *name = plan_anon_name(k, f);
    size_t i = 0; /* the rule table writes its spaces as ':' (rules.c) */
    while (i < len && name[i] && (name[i] == seg[i] || (name[i] == ' ' && seg[i] == ':')))
        i++;
    int whole = i == len && !name[i];
    free(name);
    if (whole)
        return 1;
    /* <m1,m2,...>: every member by name, in order */
    const char *p = seg + 1, *end = seg + len - 1;
    for (int i = 0; i < t->nfields; i++) {
        const char *m = t->fields[i].name;
        size_t n = m ? strlen(m) : 0;
        if (!m || (size_t)(end - p) < n || strncmp(p, m, n) != 0)
            return 0;
        p += n;
        if (i + 1 < t->nfields && (p >= end || *p++ != ','))
            return 0;
    }
    return p == end;
}

/* The member of t that path segment seg (len bytes) names: by name, or an anonymous
 * member by plan_anon_named. */
static const struct ktt_field *find_field_seg(const struct ktt *k, const struct ktt_type *t,
                                              const char *seg, size_t len)
{
    for (int i = 0; i < t->nfields; i++) {
        const struct ktt_field *f = &t->fields[i];
        if (f->name ? strlen(f->name) == len && strncmp(f->name, seg, len) == 0
                    : plan_anon_named(k, f, seg, len))
            return f;
    }
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
void plan_member_bits(const struct ktt_field *f, const struct ktt_type *t, long *pos,
                      int *bits)
{
    *pos = f->bit_size ? f->bit_offset : (long)f->offset * 8;
    *bits = f->bit_size ? f->bit_size : (int)t->size * 8;
}

int plan_enum_is_signed(const struct ktt_type *t)
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
    plan_member_bits(of, oft, &opos, &obits);
    plan_member_bits(nf, nft, &npos, &nbits);
    if ((!is_int(oft) && oft->kind != KTT_ENUM) || (!is_int(nft) && nft->kind != KTT_ENUM)) {
        plan_diag(c, path, nf->decl, NULL, "bitfield of unsupported type");
        return 1;
    }
    if (oft->kind == KTT_ENUM || nft->kind == KTT_ENUM) {
        struct plan *e = plan_pair(c, of->type, nf->type, path, nf->decl, 1);
        if (!e || e->nops != 1 || e->ops[0].kind != OP_COPY)
            plan_diag(c, path, nf->decl, NULL, "an enum bitfield whose values changed; write a "
                      "rule");
    }
    if (is_int(oft) && is_int(nft) && oft->enc != nft->enc &&
        !(oft->enc == KTT_UNSIGNED && nbits > obits) && oft->enc != KTT_BOOL &&
        nft->enc != KTT_BOOL) {
        char *stub = pstr_fmt("%s -> %s: { $out = $in; }", path, path);
        plan_diag(c, path, nf->decl, stub, "changed signedness");
        free(stub);
    }
    if (nbits < obits) {
        char *stub = pstr_fmt("%s -> %s: { $out = $in; }", path, path);
        plan_diag(c, path, nf->decl, stub, "narrowed from %d to %d bits", obits, nbits);
        free(stub);
    }
    struct plan_op *op = plan_add_op(p, OP_BITS, (size_t)(opos / 8), (size_t)(npos / 8));
    op->old_bit = (uint16_t)(opos % 8);
    op->old_bits = (uint16_t)obits;
    op->new_bit = (uint16_t)(npos % 8);
    op->new_bits = (uint16_t)nbits;
    op->old_signed = oft->kind == KTT_ENUM ? plan_enum_is_signed(oft) : oft->enc == KTT_SIGNED;
    return opos != npos || obits != nbits;
}

/* A member by dotted path ("a.b") from struct/union type t of the old summary: the
 * field, the type that holds it and that type's offset from the start of t. */
const struct ktt_field *plan_find_old_path(struct plan_ctx *c, int t, const char *path,
                                           int *parent, size_t *parent_off)
{
    const struct ktt_field *f = NULL;
    *parent_off = 0;
    for (int depth = 0; path && *path && depth < MAX_DEPTH; depth++) {
        size_t n = plan_path_seg(path);
        if (f) {
            *parent_off += f->offset;
            t = f->type;
        }
        t = ktt_resolve(c->old, t);
        if (otype(c, t)->kind != KTT_STRUCT && otype(c, t)->kind != KTT_UNION)
            return NULL;
        f = find_field_seg(c->old, otype(c, t), path, n);
        if (!f)
            return NULL;
        *parent = t;
        path = path[n] == '.' ? path + n + 1 : NULL;
    }
    return f;
}

/* The rule of `kind` for anonymous member nf of type tname at path prefix, named by
 * either form of plan_anon_named; -1 if none. */
static int find_anon_rule(struct plan_ctx *c, enum rule_kind kind, const char *tname,
                          const char *prefix, const struct ktt_field *nf)
{
    size_t pl = strlen(prefix);
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if (r->kind != kind || !r->to || !r->to_field || strcmp(r->to, tname) != 0 ||
            strncmp(r->to_field, prefix, pl) != 0)
            continue;
        const char *seg = r->to_field + pl;
        size_t n = strlen(seg);
        if (plan_path_seg(seg) == n && plan_anon_named(c->new_, nf, seg, n))
            return i;
    }
    return -1;
}

/* Whether some field rule names a member below `fpath` of type `tname` ("a" for
 * `struct T.a.b`): then member a is planned field by field inside T's plan. */
static int has_nested_rules(const struct plan_ctx *c, const char *tname, const char *fpath)
{
    size_t n = strlen(fpath);
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if ((r->kind == RULE_FIELD || r->kind == RULE_INIT_FIELD || r->kind == RULE_TAG) &&
            r->to && r->to_field &&
            strcmp(r->to, tname) == 0 && strncmp(r->to_field, fpath, n) == 0 &&
            r->to_field[n] == '.')
            return 1;
    }
    return 0;
}

/* Whether a field rule of a `tname` takes its value from old member `fpath`. */
static int field_taken_by_rule(const struct plan_ctx *c, const char *tname, const char *fpath)
{
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if (r->kind == RULE_FIELD && r->to && r->from_field && strcmp(r->to, tname) == 0 &&
            strcmp(r->from_field, fpath) == 0)
            return 1;
    }
    return 0;
}

/* Where plan_fields_at is: old struct `oname` (as rules name it), new struct `tname`,
 * members below the dotted `prefix`. */
struct field_scope {
    const struct ktt_type *o, *n;
    const char *oname, *tname, *prefix;
};

/* Whether old member `of` is gone: the new struct has no member of its name and no
 * rule takes its value. */
static int field_gone(const struct plan_ctx *c, const struct field_scope *s,
                      const struct ktt_field *of)
{
    if (!of->name || plan_find_field(s->n, of->name))
        return 0;
    char *fpath = pstr_fmt("%s%s", s->prefix, of->name);
    int gone = !field_taken_by_rule(c, s->tname, fpath);
    free(fpath);
    return gone;
}

/* A gone old member of the same type as new member nf that no drop rule names: nf is
 * probably its new name.  Prefers one at the same offset.  NULL when there is none. */
static const struct ktt_field *renamed_field(struct plan_ctx *c, const struct field_scope *s,
                                             const struct ktt_field *nf)
{
    const struct ktt_field *best = NULL;
    for (int i = 0; i < s->o->nfields; i++) {
        const struct ktt_field *of = &s->o->fields[i];
        if (!field_gone(c, s, of) || !of->bit_size != !nf->bit_size ||
            !plan_same_named_type(c, of->type, nf->type, 0))
            continue;
        char *fpath = pstr_fmt("%s%s", s->prefix, of->name);
        int dropped = plan_find_drop_rule(c, s->oname, fpath) >= 0;
        free(fpath);
        if (dropped)
            continue;
        if (!best || (of->offset == nf->offset && best->offset != nf->offset))
            best = of;
    }
    return best;
}

/* Gone members whose values would be lost while a member of the same type is new (and
 * filled by an INIT rule; one without a rule was reported as a likely rename). */
static void plan_gone_fields(struct plan_ctx *c, const struct field_scope *s)
{
    for (int i = 0; i < s->o->nfields; i++) {
        const struct ktt_field *of = &s->o->fields[i];
        if (!field_gone(c, s, of))
            continue;
        char *fpath = pstr_fmt("%s%s", s->prefix, of->name);
        if (plan_find_drop_rule(c, s->oname, fpath) >= 0) {
            free(fpath);
            continue; /* said so: also fine where nothing like it appears */
        }
        for (int j = 0; j < s->n->nfields; j++) {
            const struct ktt_field *nf = &s->n->fields[j];
            if (!nf->name || plan_find_field(s->o, nf->name) || !!of->bit_size != !!nf->bit_size ||
                !plan_same_named_type(c, of->type, nf->type, 0))
                continue;
            char *nfpath = pstr_fmt("%s%s", s->prefix, nf->name);
            int init = -1;
            for (int r = 0; r < c->nrules && init < 0; r++)
                if (c->rules[r].kind == RULE_INIT_FIELD && c->rules[r].to &&
                    c->rules[r].to_field && strcmp(c->rules[r].to, s->tname) == 0 &&
                    strcmp(c->rules[r].to_field, nfpath) == 0)
                    init = r;
            if (init >= 0) {
                char *opath = pstr_fmt("%s.%s", s->oname, fpath);
                char *stub = pstr_fmt("%s -> (dropped)", opath);
                plan_diag(c, opath, of->decl, stub, "field removed while %s.%s of the same type is "
                          "new (INIT): its values would be lost; if it was renamed, %s -> %s.%s "
                          "instead of the INIT", s->tname, nfpath, opath, s->tname, nfpath);
                free(opath);
                free(stub);
            }
            free(nfpath);
            if (init >= 0)
                break;
        }
        free(fpath);
    }
}

/* Ops added since `from` were planned for a member of a struct at obase/nbase. */
static void shift_ops(struct plan *p, int from, size_t obase, size_t nbase)
{
    for (int j = from; j < p->nops; j++) {
        p->ops[j].old_off += (uint32_t)obase;
        p->ops[j].new_off += (uint32_t)nbase;
        if ((p->ops[j].kind == OP_PTRARRAY || p->ops[j].kind == OP_ARRAY) &&
            p->ops[j].count < 0)
            p->ops[j].count_off += (uint32_t)obase;
    }
}

/* Whether a field rule may run on the object where it lies (PLAN_RULES_IN_PLACE): its
 * old field has the new one's offset and size, so the layout stays the same and the
 * engine runs the rule on the object itself, keeping a copy of the old bytes for the
 * rule to read and for a rollback. */
static int rule_fits_in_place(const struct plan_ctx *c, const struct plan_op *op,
                              const struct ktt_field *nf)
{
    if (!(c->flags & PLAN_RULES_IN_PLACE) || op->old_off != op->new_off || op->len == 0)
        return 0;
    return op->len == ntype(c, ktt_resolve(c->new_, nf->type))->size;
}

static int plan_fields_at(struct plan_ctx *c, struct plan *p, int ot, int nt, int top_ot,
                          const char *tname, const char *prefix, size_t obase, size_t nbase,
                          int depth);

/* A new member nf and where it is: path "struct T.a.b", fpath "a.b" (as rules name it). */
struct field_at {
    const struct ktt_field *nf;
    const char *path, *fpath;
};

/* A new member without an old one to take its value from: a likely rename, or an INIT
 * rule to write. */
static void new_field_diag(struct plan_ctx *c, const struct field_scope *s,
                           const struct field_at *m)
{
    const struct ktt_field *was = m->nf->name ? renamed_field(c, s, m->nf) : NULL;
    char *stub;
    if (was) {
        char *opath = pstr_fmt("%s.%s%s", s->oname, s->prefix, was->name);
        stub = pstr_fmt("%s -> %s", opath, m->path);
        plan_diag(c, m->path, m->nf->decl, stub, "new field, and %s of the same type is gone: "
                  "renamed? (if not, INIT %s and %s -> (dropped))", opath, m->path, opath);
        free(opath);
    } else {
        stub = pstr_fmt("INIT %s: { %s }", m->path, plan_is_scalar(c->new_, m->nf->type)
                                                        ? "$out = 0;"
                                                        : "memset(&$out, 0, sizeof $out);");
        plan_diag(c, m->path, m->nf->decl, stub, "new field needs an INIT rule");
    }
    free(stub);
}

/* Plans new member m of struct nt (old struct ot, at obase / nbase in the objects of p;
 * see plan_fields_at).  Returns whether the member keeps its place and representation. */
static int plan_field(struct plan_ctx *c, struct plan *p, const struct field_scope *s,
                      int ot, int top_ot, const struct field_at *m, size_t obase,
                      size_t nbase, int depth)
{
    const struct ktt_field *nf = m->nf, *of = NULL;
    const char *tname = s->tname, *path = m->path, *fpath = m->fpath;
    int of_parent = ot;
    size_t of_base = obase, nf_abs = nbase + nf->offset;
    int rule = nf->name ? plan_find_rule(c, RULE_FIELD, tname, fpath)
                        : find_anon_rule(c, RULE_FIELD, tname, s->prefix, nf);
    int init = nf->name ? plan_find_rule(c, RULE_INIT_FIELD, tname, fpath) : -1;
    if (rule >= 0) {
        plan_use_rule(c, rule);
        of = plan_find_old_path(c, top_ot, c->rules[rule].from_field, &of_parent, &of_base);
        if (!of)
            plan_diag(c, path, nf->decl, NULL, "rule names old field %s, which %s does not "
                      "have", c->rules[rule].from_field, tname);
        if (c->rules[rule].has_code) {
            struct plan_op *op = plan_add_op(p, OP_RULE, of ? of_base + of->offset : 0, nf_abs);
            op->rule = rule;
            op->len = of ? (uint32_t)otype(c, ktt_resolve(c->old, of->type))->size : 0;
            if (!rule_fits_in_place(c, op, nf))
                return 0;
            p->in_place_rules = 1;
            return 1;
        }
    } else if (init >= 0) {
        plan_use_rule(c, init);
        struct plan_op *op = plan_add_op(p, OP_RULE, 0, nf_abs);
        op->rule = init;
        return 0;
    } else {
        of = nf->name ? plan_find_field(s->o, nf->name)
                      : find_anonymous(s->o, nth_anonymous(s->n, nf));
    }
    if (!of) {
        new_field_diag(c, s, m);
        return 0;
    }
    int same = of->offset == nf->offset && of_base == obase;
    int oft = ktt_resolve(c->old, of->type), nft = ktt_resolve(c->new_, nf->type);
    if (nf->name && rule < 0 && has_nested_rules(c, tname, fpath) &&
        otype(c, oft)->kind == KTT_STRUCT && ntype(c, nft)->kind == KTT_STRUCT) {
        char *sub = pstr_fmt("%s.", fpath);
        plan_fields_at(c, p, oft, nft, top_ot, tname, sub, of_base + of->offset, nf_abs,
                       depth + 1);
        free(sub);
        return 0;
    }
    int before = p->nops;
    if (of->bit_size || nf->bit_size) {
        if (plan_bitfield(c, p, of, nf, path))
            same = 0;
        shift_ops(p, before, of_base, nbase);
        return same;
    }
    int tag = nf->name ? plan_find_rule(c, RULE_TAG, tname, fpath) : -1;
    plan_use_rule(c, tag);
    if (tag >= 0 && plan_by_tag(c, p, tag, of, nf, top_ot, of_base + of->offset, nf_abs, path))
        return same;
    plan_slot(c, p, of->type, nf->type, of->offset, nf->offset, of_parent, p->env, path,
              nf->decl, depth);
    shift_ops(p, before, of_base, nbase);
    for (int j = before; j < p->nops; j++) {
        const struct plan_op *op = &p->ops[j];
        if (op->kind == OP_INT || op->kind == OP_FLOAT || op->kind == OP_ZERO)
            same = 0;
        if ((op->kind == OP_SUB || op->kind == OP_ARRAY) && op->sub && !op->sub->same_layout)
            same = 0;
    }
    return same;
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
    char *oname = plan_type_rule_name(c->old, top_ot);
    struct field_scope scope = {o, n, oname ? oname : tname, tname, prefix};
    for (int i = 0; i < n->nfields; i++) {
        const struct ktt_field *nf = &n->fields[i];
        const struct ktt_type *nft0 = ntype(c, ktt_resolve(c->new_, nf->type));
        char *anon = !nf->name && (nft0->kind == KTT_STRUCT || nft0->kind == KTT_UNION)
                         ? plan_anon_name(c->new_, nf)
                         : NULL;
        char *fpath = pstr_fmt("%s%s", prefix, nf->name ? nf->name
                                               : anon ? anon : "<anonymous>");
        char *path = pstr_fmt("%s.%s", tname, fpath);
        struct field_at m = {nf, path, fpath};
        if (!plan_field(c, p, &scope, ot, top_ot, &m, obase, nbase, depth))
            same = 0;
        free(anon);
        free(fpath);
        free(path);
    }
    plan_gone_fields(c, &scope);
    /* A dropped field makes the old bytes meaningless in the new layout. */
    for (int i = 0; i < o->nfields && same; i++) {
        const struct ktt_field *of = &o->fields[i];
        if (of->name && !plan_find_field(n, of->name))
            same = 0;
    }
    free(oname);
    return same;
}

/* Rules run after the generated operations, so their code sees the new object's
 * other members already converted. */
static void rules_last(struct plan *p)
{
    int w = 0;
    if (p->nops == 0)
        return;
    struct plan_op *tmp = malloc((size_t)(p->nops + 1) * sizeof *tmp);
    if (!tmp)
        plan_oom();
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < p->nops; i++)
            if ((p->ops[i].kind == OP_RULE) == pass)
                tmp[w++] = p->ops[i];
    memcpy(p->ops, tmp, (size_t)p->nops * sizeof *tmp);
    free(tmp);
}

void plan_struct_fields(struct plan_ctx *c, struct plan *p, int ot, int nt,
                        const char *tname, int depth)
{
    p->same_layout = plan_fields_at(c, p, ot, nt, ot, tname, "", 0, 0, depth);
    rules_last(p);
}
