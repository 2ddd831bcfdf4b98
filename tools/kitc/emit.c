/* emit.c - writes the model as .ktt text (docs/ktt-format.md): header, the numbered
 * types in id order with their F and E lines, then V and X lines sorted by key. */
#include "kitc.h"

#include <stdlib.h>
#include <string.h>

static int ref(const struct model *m, int id)
{
    return m->t[type_rep(m, id)].id;
}

static void put_pos(const struct model *m, FILE *out, struct pos p)
{
    if (!p.file)
        return;
    char *rel = model_relfile(m, p.file);
    fprintf(out, " @ %s:%d", rel, p.line);
    free(rel);
}

static void put_annot(FILE *out, const struct type *t)
{
    if (t->annot)
        fprintf(out, " %s", t->annot);
}

static void emit_members(const struct model *m, FILE *out, const struct type *t)
{
    for (size_t i = 0; i < t->nmem; i++) {
        const struct member *mb = &t->mem[i];
        fprintf(out, "F %s %llu %d", mb->name ? mb->name : "-", (unsigned long long)mb->off,
                ref(m, mb->type));
        if (mb->bitfield)
            fprintf(out, " bit %llu %llu", (unsigned long long)mb->bitoff,
                    (unsigned long long)mb->bitsize);
        put_pos(m, out, mb->pos);
        fputc('\n', out);
    }
}

static void emit_enumerators(FILE *out, const struct type *t)
{
    for (size_t i = 0; i < t->nen; i++) {
        const struct enumerator *e = &t->en[i];
        if (e->is_unsigned)
            fprintf(out, "E %s %llu\n", e->name, (unsigned long long)e->value);
        else
            fprintf(out, "E %s %lld\n", e->name, (long long)e->value);
    }
}

static void emit_type(const struct model *m, FILE *out, const struct type *t)
{
    fprintf(out, "T %d ", t->id);
    switch (t->kind) {
    case K_VOID:
        fputs("void", out);
        put_annot(out, t);
        break;
    case K_BASE:
        fprintf(out, "base %llu %s %s", (unsigned long long)t->size, t->enc, t->name);
        break;
    case K_PTR:
        fprintf(out, "ptr %d", ref(m, t->target));
        put_annot(out, t);
        break;
    case K_ARRAY:
        fprintf(out, "array %d ", ref(m, t->target));
        if (t->count < 0)
            fputc('-', out);
        else
            fprintf(out, "%lld", (long long)t->count);
        put_annot(out, t);
        break;
    case K_STRUCT:
    case K_UNION:
    case K_ENUM:
        fprintf(out, "%s %llu %s", t->kind == K_STRUCT ? "struct" : t->kind == K_UNION ? "union"
                                                                                      : "enum",
                (unsigned long long)t->size, t->name ? t->name : "-");
        put_annot(out, t);
        put_pos(m, out, t->pos);
        break;
    case K_TYPEDEF:
        fprintf(out, "typedef %d %s", ref(m, t->target), t->name);
        put_annot(out, t);
        put_pos(m, out, t->pos);
        break;
    case K_FUNC:
        fprintf(out, "func %d %zu", ref(m, t->target), t->nparam);
        for (size_t i = 0; i < t->nparam; i++)
            fprintf(out, " %d", ref(m, t->param[i]));
        if (t->varargs)
            fputs(" ...", out);
        break;
    }
    fputc('\n', out);
    if (t->kind == K_STRUCT || t->kind == K_UNION)
        emit_members(m, out, t);
    else if (t->kind == K_ENUM)
        emit_enumerators(out, t);
}

static void emit_var(const struct model *m, FILE *out, const struct var *v)
{
    fprintf(out, "V %s %d 0x%llx %llu", v->key, ref(m, v->type), (unsigned long long)v->addr,
            (unsigned long long)v->size);
    if (v->flags & VF_CONST)
        fputs(" const", out);
    if (v->flags & VF_MANUAL)
        fputs(" manual", out);
    if (v->flags & VF_AUTO)
        fputs(" auto", out);
    if (v->flags & VF_TLS)
        fputs(" tls", out);
    if (v->flags & VF_ENCODED)
        fprintf(out, " encoded=%016llx", (unsigned long long)v->encoding);
    if (v->flags & VF_LOCAL)
        fprintf(out, " local frame=%s%s%s loc=%s", *v->frame ? v->frame : "-",
                v->scope ? " scope=" : "", v->scope ? v->scope : "", v->loc ? v->loc : "-");
    put_pos(m, out, v->pos);
    fputc('\n', out);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

void emit_ktt(const struct model *m, FILE *out)
{
    fprintf(out, "kitsune-ktt 1\nobject %s\nroot %s\n", base_name(m->object), m->root);
    int n = 0;
    for (size_t i = 0; i < m->nt; i++)
        if (m->t[i].id > n)
            n = m->t[i].id;
    const struct type **order = xcalloc((size_t)n + 1, sizeof *order);
    for (size_t i = 0; i < m->nt; i++)
        if (m->t[i].id)
            order[m->t[i].id] = &m->t[i];
    for (int id = 1; id <= n; id++)
        emit_type(m, out, order[id]);
    free(order);
    for (size_t i = 0; i < m->nv; i++)
        emit_var(m, out, &m->v[i]);
    for (size_t i = 0; i < m->nf; i++)
        fprintf(out, "X %s 0x%llx %llu\n", m->f[i].key, (unsigned long long)m->f[i].addr,
                (unsigned long long)m->f[i].size);
}
