/* plan_tag.c - SWITCH rules: a void * member whose type a tag field of its struct says.
 *
 * `SWITCH struct msg.payload ON self.kind { MSG_NUM: struct num  2: struct text }`
 * (docs/xf-language.md §2.3.3) gives the pointer op one plan per case and the position
 * of the tag in the old object; the general engine reads the tag of each object it
 * meets and follows the plan of its case (runtime/bytag.c).  Also the stub of such a
 * rule, which xfgen suggests for a void * whose candidates the allocation's size cannot
 * tell apart. */
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"

/* The value of SWITCH case `v` ("1", "-0x2", "MSG_TEXT") for a tag of type tt: an
 * integer in C syntax, or an enumerator of the tag's enum, else of any enum of the old
 * summary.  0 when it is neither. */
static int tag_case_value(const struct plan_ctx *c, const struct ktt_type *tt, const char *v,
                          long long *out)
{
    if ((v[0] >= '0' && v[0] <= '9') || v[0] == '-') {
        char *end;
        *out = strtoll(v, &end, 0);
        while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
            end++;
        return *end == '\0';
    }
    for (int pass = 0; pass < 2; pass++)
        for (int t = 0; t < c->old->ntypes; t++) {
            const struct ktt_type *e = &c->old->types[t];
            if (e->kind != KTT_ENUM || (pass == 0 && e != tt))
                continue;
            for (int i = 0; i < e->nenums; i++)
                if (strcmp(e->enums[i].name, v) == 0) {
                    *out = e->enums[i].value;
                    return 1;
                }
        }
    return 0;
}

/* Where the SWITCH's tag is in the old object (top_ot), into op.  0 and a diagnostic
 * when it is not an integer or enum member of at most 56 bits. */
static int tag_field(struct plan_ctx *c, struct plan_op *op, int top_ot, const char *tag,
                     const char *path, const char *decl, const struct ktt_type **tt)
{
    int parent = top_ot;
    size_t base = 0;
    const struct ktt_field *tf = plan_find_old_path(c, top_ot, tag, &parent, &base);
    char *oname = type_label(c->old, top_ot);
    int ok = 0;
    long pos;
    int bits;
    if (!tf) {
        plan_diag(c, path, decl, NULL, "SWITCH ON self.%s: the old %s has no field %s", tag,
                  oname, tag);
    } else if (*tt = otype(c, ktt_resolve(c->old, tf->type)),
               plan_member_bits(tf, *tt, &pos, &bits),
               (!is_int(*tt) && (*tt)->kind != KTT_ENUM) || bits > 56 || bits < 1) {
        plan_diag(c, path, decl, NULL, "SWITCH ON self.%s: the tag must be an integer or enum "
                  "member of the old %s (of at most 56 bits if a bitfield)", tag, oname);
    } else {
        pos += (long)base * 8;
        op->tag_off = (uint32_t)(pos / 8);
        op->tag_bit = (uint16_t)(pos % 8);
        op->tag_bits = (uint16_t)bits;
        op->tag_len = (uint8_t)((op->tag_bit + bits + 7) / 8);
        op->tag_signed = (*tt)->kind == KTT_ENUM ? plan_enum_is_signed(*tt)
                                                 : (*tt)->enc == KTT_SIGNED;
        ok = 1;
    }
    free(oname);
    return ok;
}

/* The plan of one case's type ("struct_text"), NULL for [opaque]; *ok = 0 and a
 * diagnostic when it is not a struct or union of both versions. */
static struct plan *case_plan(struct plan_ctx *c, const char *type, const char *path,
                              const char *decl, int *ok)
{
    if (strcmp(type, "[opaque]") == 0)
        return NULL;
    int ot = plan_find_arg_type(c->old, type), nt = plan_find_arg_type(c->new_, type);
    char *shown = pstr_dup(type);
    char *us = strchr(shown, '_');
    if (us && (strncmp(shown, "struct_", 7) == 0 || strncmp(shown, "union_", 6) == 0 ||
               strncmp(shown, "typedef_", 8) == 0))
        *us = ' ';
    if (ot < 0 || nt < 0) {
        plan_diag(c, path, decl, NULL, "SWITCH case %s: the %s version has no type %s", shown,
                  ot < 0 ? "old" : "new", shown);
        *ok = 0;
    } else if (ot = ktt_resolve(c->old, ot), nt = ktt_resolve(c->new_, nt),
               (otype(c, ot)->kind != KTT_STRUCT && otype(c, ot)->kind != KTT_UNION) ||
                   otype(c, ot)->kind != ntype(c, nt)->kind) {
        plan_diag(c, path, decl, NULL, "SWITCH case %s: not a struct or union in both versions "
                  "(write (opaque) for objects kept as they are)", shown);
        *ok = 0;
    }
    free(shown);
    if (!*ok)
        return NULL;
    return plan_get(c, plan_tref(c, ot, nt, NULL, path, decl), path, decl);
}

static int is_void_pointer(const struct ktt *k, int t)
{
    const struct ktt_type *p = &k->types[ktt_resolve(k, t)];
    return p->kind == KTT_PTR && k->types[ktt_resolve(k, p->target)].kind == KTT_VOID;
}

/* The cases of rule r ("V=TYPE;...") into alts/vals; 0 on a diagnostic. */
static int read_cases(struct plan_ctx *c, const struct plan_rule *r, const struct ktt_type *tt,
                      struct plan_op *op, const char *path, const char *decl)
{
    int ok = 1, k = 0;
    for (const char *w = r->cases; ok && w && *w;) {
        size_t len = strcspn(w, ";");
        char *one = pstr_ndup(w, len), *eq = strchr(one, '=');
        w = w[len] ? w + len + 1 : NULL;
        if (!eq) {
            ok = 0;
        } else {
            *eq = '\0';
            if (strcmp(one, "default") == 0) {
                op->tag_default = k;
            } else if (!tag_case_value(c, tt, one, &op->tag_vals[k])) {
                plan_diag(c, path, decl, NULL, "SWITCH case %s: not an integer nor an "
                          "enumerator of the old version", one);
                ok = 0;
            }
            if (ok)
                op->alts[k++] = case_plan(c, eq + 1, path, decl, &ok);
        }
        free(one);
    }
    op->nalts = k;
    return ok;
}

int plan_by_tag(struct plan_ctx *c, struct plan *p, int r, const struct ktt_field *of,
                const struct ktt_field *nf, int top_ot, size_t old_off, size_t new_off,
                const char *path)
{
    const struct plan_rule *rule = &c->rules[r];
    if (!is_void_pointer(c->old, of->type) || !is_void_pointer(c->new_, nf->type)) {
        plan_diag(c, path, nf->decl, NULL, "SWITCH names %s, which is not a void * in both "
                  "versions (a typed pointer needs no SWITCH)", path);
        return 0;
    }
    struct plan_op tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.tag_default = -1;
    const struct ktt_type *tt = NULL;
    int ok = tag_field(c, &tmp, top_ot, rule->tag, path, nf->decl, &tt);
    int cap = 1;
    for (const char *w = rule->cases; *w; w++)
        cap += *w == ';';
    tmp.alts = calloc((size_t)cap, sizeof *tmp.alts);
    tmp.tag_vals = calloc((size_t)cap, sizeof *tmp.tag_vals);
    if (!tmp.alts || !tmp.tag_vals)
        plan_oom();
    if (!ok || !read_cases(c, rule, tt, &tmp, path, nf->decl)) {
        free(tmp.alts);
        free(tmp.tag_vals);
        plan_add_op(p, OP_COPY, old_off, new_off)->len = 8;
        return 1;
    }
    struct plan_op *op = plan_add_op(p, OP_PTR, old_off, new_off);
    op->tag_off = tmp.tag_off;
    op->tag_len = tmp.tag_len;
    op->tag_bit = tmp.tag_bit;
    op->tag_bits = tmp.tag_bits;
    op->tag_signed = tmp.tag_signed;
    op->tag_default = tmp.tag_default;
    op->tag_vals = tmp.tag_vals;
    op->alts = tmp.alts;
    op->nalts = tmp.nalts;
    op->tag_name = pstr_dup(rule->tag);
    op->ptr_flags = PTR_MAY_STATIC | PTR_MAY_INTERIOR;
    op->path = pstr_dup(path);
    return 1;
}

/* The tag a SWITCH stub guesses for struct t: its first enum member, else an integer
 * member named like a tag; NULL if none. */
static const char *guess_tag(const struct plan_ctx *c, const struct ktt_type *t)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < t->nfields; i++) {
            const struct ktt_field *f = &t->fields[i];
            const struct ktt_type *ft = otype(c, ktt_resolve(c->old, f->type));
            if (!f->name)
                continue;
            if (pass == 0 ? ft->kind == KTT_ENUM
                          : is_int(ft) && (strstr(f->name, "type") || strstr(f->name, "kind") ||
                                           strstr(f->name, "tag")))
                return f->name;
        }
    return NULL;
}

char *plan_switch_stub(struct plan_ctx *c, const struct plan *p, const char *path,
                       const char *list)
{
    if (!p || p->ptrs > 0 || p->old_type < 0 || !strchr(path, '.') ||
        otype(c, p->old_type)->kind != KTT_STRUCT)
        return NULL;
    const char *tag = guess_tag(c, otype(c, p->old_type));
    struct pstr b = {0};
    pstr_printf(&b, "SWITCH %s ON self.%s { /* the tag's value for each: */", path,
                tag ? tag : "TAG");
    int i = 0;
    for (const char *w = list; w && *w; w = strchr(w, ',') ? strchr(w, ',') + 1 : NULL) {
        char *one = pstr_ndup(w, strcspn(w, ","));
        int agg = strncmp(one, "struct_", 7) == 0 || strncmp(one, "union_", 6) == 0;
        if (agg)
            *strchr(one, '_') = ' ';
        pstr_printf(&b, " %d: %s", ++i, agg ? one : "(opaque)");
        free(one);
    }
    pstr_puts(&b, " }");
    return pstr_take(&b);
}
