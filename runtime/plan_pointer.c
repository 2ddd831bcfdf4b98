/* plan_pointer.c - pointer slots: function pointers, E_OPAQUE (whose targets must keep
 * their layout), generic slots (E_T), void * told apart by allocation size, pointer
 * arrays (E_PTRARRAY), strings (E_SZ), and arrays of unknown length (E_ARRAY). */
#include "plan_internal.h"

/* E_PTRARRAY(n | self.F) on a pointer slot whose elements follow `sub`. */
/* A count given as `spec` (a literal, or self.F: integer field F of the enclosing old
 * struct) for op; `what` names the annotation in messages. */
static void plan_count(struct plan_ctx *c, struct plan_op *op, const char *spec,
                       int parent_old, const char *what, const char *path, const char *decl)
{
    op->count = -1;
    if (strncmp(spec, "self.", 5) == 0) {
        const struct ktt_type *par = parent_old >= 0 ? otype(c, parent_old) : NULL;
        const struct ktt_field *cf = NULL;
        for (int i = 0; par && i < par->nfields; i++)
            if (par->fields[i].name && strcmp(par->fields[i].name, spec + 5) == 0)
                cf = &par->fields[i];
        const struct ktt_type *ct = cf ? otype(c, ktt_resolve(c->old, cf->type)) : NULL;
        if (!ct || !is_int(ct) || ct->size > 8 || cf->bit_size) {
            plan_diag(c, path, decl, NULL, "%s(%s): no integer field %s in the enclosing struct",
                      what, spec, spec + 5);
            op->count = 0;
        } else {
            op->count_off = (uint32_t)cf->offset;
            op->count_size = (uint8_t)ct->size;
            op->count_signed = ct->enc == KTT_SIGNED;
        }
        return;
    }
    char *end;
    long v = strtol(spec, &end, 10);
    if (*end || v < 0)
        plan_diag(c, path, decl, NULL, "%s(%s): expected a count or self.FIELD", what, spec);
    op->count = v < 0 ? 0 : v;
}

/* E_PTRARRAY(n | self.F) on a pointer slot whose elements follow `sub`. */
static void plan_ptrarray(struct plan_ctx *c, struct plan *p, const char *spec,
                          struct plan *sub, size_t old_off, size_t new_off, int parent_old,
                          const char *path, const char *decl)
{
    struct plan_op *op = plan_add_op(p, OP_PTRARRAY, old_off, new_off);
    op->sub = sub;
    op->old_stride = (uint32_t)sub->old_size;
    op->new_stride = (uint32_t)sub->new_size;
    plan_count(c, op, spec, parent_old, "E_PTRARRAY", path, decl);
}

/* An array of unknown length (a flexible array member, `T items[]`): its length comes
 * from E_ARRAY(n | self.F); the object extends past its type's size. */
void plan_flex_array(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                     const struct ktt_type *n, struct plan *sub, size_t old_off,
                     size_t new_off, int parent_old, const char *path,
                     const char *decl)
{
    struct plan_op *op = plan_add_op(p, OP_ARRAY, old_off, new_off);
    op->sub = sub;
    op->old_stride = (uint32_t)sub->old_size;
    op->new_stride = (uint32_t)sub->new_size;
    const char *spec = o->len ? o->len : n->len;
    if (!spec) {
        /* Harmless while nothing moves or needs fixing; judged once modes are known. */
        op->flex = FLEX_UNKNOWN;
        op->count = 0;
        op->path = strdup(path);
        if (!op->path)
            plan_oom();
        return;
    }
    op->flex = FLEX_COUNTED;
    plan_count(c, op, spec, parent_old, "E_ARRAY", path, decl);
}

/* A data pointer slot to objects planned by `sub` (NULL: not followed). */
static void plan_data_pointer(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                              const struct ktt_type *n, struct plan *sub, size_t old_off,
                              size_t new_off, int parent_old, const char *path,
                              const char *decl)
{
    if (o->ptrarray || n->ptrarray) {
        plan_ptrarray(c, p, o->ptrarray ? o->ptrarray : n->ptrarray, sub, old_off, new_off,
                      parent_old, path, decl);
        return;
    }
    struct plan_op *op = plan_add_op(p, OP_PTR, old_off, new_off);
    op->sub = sub;
    op->nul_terminated = (o->flags & KTT_SZ) != 0;
}

/* "struct_a,struct_b" of a candidates= token as C spelling: "struct a" (n-th one), in
 * a new allocation; NULL past the last. */
static char *candidate_name(const char *list, int n)
{
    for (; n > 0 && list; n--)
        list = (list = strchr(list, ',')) ? list + 1 : NULL;
    if (!list || !*list)
        return NULL;
    char *name = pstr_ndup(list, strcspn(list, ","));
    static const char *const keywords[] = {"struct_", "union_", "enum_"};
    for (int k = 0; k < 3; k++)
        if (strncmp(name, keywords[k], strlen(keywords[k])) == 0)
            name[strlen(keywords[k]) - 1] = ' ';
    return name;
}

/* The candidates of a candidates= or holds= token as C spells them, ", " between. */
static char *candidate_list(const char *list)
{
    struct pstr all = {0};
    pstr_puts(&all, "");
    char *one;
    for (int i = 0; (one = candidate_name(list, i)) != NULL; i++) {
        pstr_printf(&all, "%s%s", i ? ", " : "", one);
        free(one);
    }
    return pstr_take(&all);
}

/* An unannotated void * kitc could not type: with the candidate types it saw in the
 * source, the suggested rule names the first of them. */
static void void_pointer_diag(struct plan_ctx *c, const struct plan *p,
                              const struct ktt_type *ptr, const char *path, const char *decl)
{
    char *first = ptr->candidates ? candidate_name(ptr->candidates, 0) : NULL, *stub;
    if (first) {
        char *list = candidate_list(ptr->candidates);
        char *sw = plan_switch_stub(c, p, path, ptr->candidates);
        if (sw)
            stub = pstr_fmt("annotate the declaration E_OPAQUE (never followed) or write a "
                            "rule: %s", sw);
        else
            stub = pstr_fmt("annotate the declaration E_OPAQUE (never followed) or write a "
                            "rule: %s -> %s: { /* the object's type: %s */ "
                            "XF_INVOKE(XF_PTR($xform(%s, %s)), &$in, &$out); }", path, path,
                            list, first, first);
        free(sw);
        plan_diag(c, path, decl, stub, "void * holds several types in the source (%s; kitc "
                  "--explain shows where); annotate it or write a rule", list);
        free(list);
        free(first);
        free(stub);
        return;
    }
    stub = pstr_fmt("annotate the declaration E_OPAQUE (never followed) or write a rule: "
                    "%s -> %s: { XF_INVOKE(XF_PTR($xform(struct T, struct T)), &$in, &$out); }",
                    path, path);
    plan_diag(c, path, decl, stub, "void * cannot be followed without an annotation or a rule "
              "(kitc found no evidence of its type in the source)");
    free(stub);
}

/* The struct or union an E_OPAQUE pointer leads to through its pointer levels (item **
 * -> item), or -1: a library's type, a base type, void. */
static int opaque_target(const struct ktt *k, int t, int *levels)
{
    for (int depth = 0; depth < 8; depth++) {
        const struct ktt_type *ty = &k->types[t = ktt_resolve(k, t)];
        *levels = depth;
        if (ty->kind == KTT_PTR)
            t = ty->target;
        else
            return (ty->kind == KTT_STRUCT || ty->kind == KTT_UNION) && !is_foreign(ty)
                       ? t
                       : -1;
    }
    return -1;
}

/* Never following an E_OPAQUE pointer is right only while the objects behind it keep
 * their layout: the new code would read an old object with the new layout.  The type it
 * leads to (struct item * E_OPAQUE), or for a void * the types kitc saw it hold
 * (holds=), must keep its shape; otherwise the update is refused, naming the type, and
 * a rule for the field decides (`$out = (void *)$in;` if the objects are not read with the new
 * layout, $xform to rebuild them). */
static void opaque_layout_check(struct plan_ctx *c, const struct ktt_type *o,
                                const struct ktt_type *n, const char *path, const char *decl)
{
    for (int i = 0;; i++) {
        int ot, nt, levels = 0, nlevels;
        if (o->holds || n->holds) {
            char *arg = candidate_name(o->holds ? o->holds : n->holds, i);
            if (!arg)
                return;
            for (char *q = arg; *q; q++)
                if (*q == ' ')
                    *q = '_';
            ot = plan_find_arg_type(c->old, arg);
            nt = plan_find_arg_type(c->new_, arg);
            free(arg);
            ot = ot < 0 ? -1 : opaque_target(c->old, ot, &levels);
            nt = nt < 0 ? -1 : opaque_target(c->new_, nt, &nlevels);
        } else {
            if (i > 0)
                return;
            ot = opaque_target(c->old, o->target, &levels);
            nt = opaque_target(c->new_, n->target, &nlevels);
        }
        if (ot < 0 || nt < 0 || plan_same_shape(c, ot, nt, 0))
            continue;
        char *oname = type_label(c->old, ot), *stub;
        if (levels == 0)
            stub = pstr_fmt("%s -> %s: { $out = (void *)$in; /* or rebuild them: "
                            "XF_INVOKE(XF_PTR($xform(%s, %s)), &$in, &$out); */ }", path,
                            path, oname, oname);
        else
            stub = pstr_fmt("%s -> %s: { $out = (void *)$in; /* or describe the pointers "
                            "with E_PTRARRAY instead of E_OPAQUE */ }", path, path);
        plan_diag(c, path, decl, stub, "E_OPAQUE pointer to %s, whose layout changed (%zu to %zu "
                  "bytes): the objects behind it are not transformed and the new code would read "
                  "them with the new layout; write a rule for the field", oname,
                  otype(c, ot)->size, ntype(c, nt)->size);
        free(oname);
        free(stub);
    }
}

/* Whether objects of sizes a and b may get allocations of the same usable size: glibc
 * hands out a free chunk whole when less than its minimum chunk (32 bytes) would be
 * left, so an allocation may have 16 bytes more than asked for (bysize.c). */
static int usable_sizes_clash(size_t a, size_t b)
{
    size_t ua = plan_usable_size(a), ub = plan_usable_size(b);
    return ua == ub || ua + 16 == ub || ub + 16 == ua;
}

/* A void * kitc saw holding several structs: when their allocations differ in usable
 * size, each object's type is decided at the update by the size of its allocation
 * (1: the op is added).  0: a candidate is not a struct or union of both versions (the
 * caller reports the void *); -1: reported here, two of them have the same size. */
static int plan_by_size(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                        const struct ktt_type *n, size_t old_off, size_t new_off,
                        const char *path, const char *decl)
{
    enum { MAX_ALTS = 16 };
    int ots[MAX_ALTS], nts[MAX_ALTS], k = 0;
    const char *list = o->candidates;
    if (!list || !n->candidates || strcmp(list, n->candidates) != 0)
        return 0;
    for (const char *w = list; w && *w; w = strchr(w, ',') ? strchr(w, ',') + 1 : NULL) {
        if (k == MAX_ALTS)
            return 0;
        char *name = pstr_ndup(w, strcspn(w, ","));
        int ot = plan_find_arg_type(c->old, name), nt = plan_find_arg_type(c->new_, name);
        free(name);
        if (ot < 0 || nt < 0)
            return 0;
        ot = ktt_resolve(c->old, ot);
        nt = ktt_resolve(c->new_, nt);
        if ((otype(c, ot)->kind != KTT_STRUCT && otype(c, ot)->kind != KTT_UNION) ||
            otype(c, ot)->kind != ntype(c, nt)->kind || is_foreign(otype(c, ot)))
            return 0;
        ots[k] = ot;
        nts[k++] = nt;
    }
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++)
            if (usable_sizes_clash(otype(c, ots[i])->size, otype(c, ots[j])->size)) {
                size_t ua = plan_usable_size(otype(c, ots[i])->size),
                       ub = plan_usable_size(otype(c, ots[j])->size);
                char *a = type_label(c->old, ots[i]), *b = type_label(c->old, ots[j]);
                char *all = candidate_list(list);
                char *sw = plan_switch_stub(c, p, path, list);
                char *stub = sw ? pstr_fmt("annotate the declaration E_OPAQUE (never followed) "
                                           "or write a rule: %s", sw)
                                : pstr_fmt("annotate the declaration E_OPAQUE (never followed) "
                                           "or write a rule: %s -> %s: { /* by a tag of $base: "
                                           "*/ XF_INVOKE(XF_PTR($xform(%s, %s)), &$in, &$out); }",
                                           path, path, a, a);
                free(sw);
                if (ua == ub)
                    plan_diag(c, path, decl, stub, "void * holds several types in the source "
                              "(%s), and %s and %s are allocated with the same usable size (%zu "
                              "bytes), so which one an object is cannot be told at the update; "
                              "annotate it or write a rule", all, a, b, ua);
                else
                    plan_diag(c, path, decl, stub, "void * holds several types in the source "
                              "(%s), and %s and %s are allocated with usable sizes 16 bytes apart "
                              "(%zu and %zu: glibc may hand out 16 bytes more than asked), so "
                              "which one an object is cannot be told at the update; annotate it "
                              "or write a rule", all, a, b, ua, ub);
                free(a);
                free(b);
                free(all);
                free(stub);
                return -1;
            }
    struct plan **alts = calloc((size_t)k, sizeof *alts);
    size_t *sizes = calloc((size_t)k, sizeof *sizes);
    char *where = strdup(path);
    if (!alts || !sizes || !where)
        plan_oom();
    for (int i = 0; i < k; i++) {
        alts[i] = plan_get(c, plan_tref(c, ots[i], nts[i], NULL, path, decl), path, decl);
        sizes[i] = plan_usable_size(otype(c, ots[i])->size);
    }
    struct plan_op *op = plan_add_op(p, OP_PTR, old_off, new_off);
    op->ptr_flags = PTR_MAY_STATIC | PTR_MAY_INTERIOR;
    op->alts = alts;
    op->alt_sizes = sizes;
    op->nalts = k;
    op->path = where;
    return 1;
}

/* A pointer slot: function pointer, opaque, generic, pointer array, string or object. */
void plan_pointer(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                  const struct ktt_type *n, size_t old_off, size_t new_off,
                  int parent_old, const char *env, const char *path, const char *decl)
{
    if ((o->flags & KTT_OPAQUE) || (n->flags & KTT_OPAQUE)) {
        opaque_layout_check(c, o, n, path, decl);
        plan_add_op(p, OP_COPY, old_off, new_off)->len = 8;
        return;
    }
    if (o->tparam || n->tparam) {
        /* void E_T(@a) *p: points to whatever @a is bound to. */
        struct tref r = plan_tref_param(c, o, n, env, path, decl);
        if (r.untyped)
            plan_add_op(p, OP_PTR, old_off, new_off)->ptr_flags = PTR_MAY_STATIC;
        else if (!r.ok || r.opaque)
            plan_add_op(p, OP_COPY, old_off, new_off)->len = 8;
        else
            plan_data_pointer(c, p, o, n, plan_get(c, r, path, decl), old_off, new_off,
                              parent_old, path, decl);
        return;
    }
    int otgt = ktt_resolve(c->old, o->target), ntgt = ktt_resolve(c->new_, n->target);
    const struct ktt_type *ot = otype(c, otgt), *nt = ntype(c, ntgt);
    if (ot->kind == KTT_FUNC || nt->kind == KTT_FUNC) {
        if (ot->kind != nt->kind)
            plan_diag(c, path, decl, NULL, "changed between a function pointer and a data pointer");
        plan_add_op(p, OP_FPTR, old_off, new_off);
        return;
    }
    if ((ot->kind == KTT_VOID && !ot->tparam) || (nt->kind == KTT_VOID && !nt->tparam)) {
        int by_size = 0;
        if (ot->kind != nt->kind)
            plan_diag(c, path, decl, NULL, "changed between void * and a typed pointer; "
                      "write a rule");
        else if ((by_size = plan_by_size(c, p, o, n, old_off, new_off, path, decl)) == 0)
            void_pointer_diag(c, p, o->candidates ? o : n, path, decl);
        if (by_size > 0)
            return;
        struct plan_op *op = plan_add_op(p, OP_PTR, old_off, new_off);
        op->ptr_flags = PTR_MAY_STATIC;
        return;
    }
    struct tref r = plan_tref(c, o->target, n->target, env, path, decl);
    plan_data_pointer(c, p, o, n, plan_get(c, r, path, decl), old_off, new_off, parent_old,
                      path, decl);
}
