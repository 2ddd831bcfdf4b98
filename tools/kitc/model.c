/* model.c - creating, cloning and annotating the raw types of kitc's model, their
 * sizes, and the keys and sizes of its variables. */
#include "kitc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int type_new(struct model *m, enum kind kind)
{
    grow(&m->t, &m->capt, m->nt + 1, sizeof *m->t);
    struct type *t = &m->t[m->nt];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->count = -1;
    t->origin = -1;
    t->rep = (int)m->nt;
    return (int)m->nt++;
}

int array_of(struct model *m, int elem, int64_t count)
{
    int id = type_new(m, K_ARRAY);
    m->t[id].target = elem;
    m->t[id].count = count;
    return id;
}

static void *dup_array(const void *p, size_t n, size_t size)
{
    if (!n)
        return NULL;
    void *q = xmalloc(n * size);
    memcpy(q, p, n * size);
    return q;
}

int type_clone(struct model *m, int id)
{
    int c = type_new(m, K_VOID);
    struct type *src = &m->t[id], *t = &m->t[c];
    *t = *src;
    t->mem = dup_array(src->mem, src->nmem, sizeof *src->mem);
    t->en = dup_array(src->en, src->nen, sizeof *src->en);
    t->param = dup_array(src->param, src->nparam, sizeof *src->param);
    t->annot = src->annot ? xstrdup(src->annot) : NULL;
    t->rep = c;
    t->id = 0;
    t->clone = 1;
    return c;
}

void type_add_annot(struct type *t, const char *tok)
{
    char *s = t->annot ? xasprintf("%s %s", t->annot, tok) : xstrdup(tok);
    free(t->annot);
    t->annot = s;
}

int type_rep(const struct model *m, int id)
{
    while (m->t[id].rep != id)
        id = m->t[id].rep;
    return id;
}

char *model_relfile(const struct model *m, const char *file)
{
    return path_relative(file, m->root ? m->root : "/");
}

static char *key_of(const struct model *m, const char *name, const char *func,
                    int external, struct pos pos)
{
    if (!func && external)
        return xstrdup(name);
    char *rel = pos.file ? model_relfile(m, pos.file) : xstrdup("?");
    char *key = func ? xasprintf("%s/%s#%s", rel, func, name)
                     : xasprintf("%s/%s", rel, name);
    free(rel);
    return key;
}

void make_keys(struct model *m)
{
    for (size_t i = 0; i < m->nv; i++) {
        struct var *v = &m->v[i];
        v->key = v->flags & VF_LOCAL ? xasprintf("%s#%s", v->func, v->name)
                                     : key_of(m, v->name, v->func, v->external, v->pos);
    }
    for (size_t i = 0; i < m->nf; i++) {
        struct func *f = &m->f[i];
        f->key = key_of(m, f->name, NULL, f->external, f->pos);
    }
}

/* The size of a type, through the class representatives; -1 when it cannot be known:
 * an array of unknown length, a struct known only from a declaration, void, a
 * function. */
int64_t type_size(const struct model *m, int id)
{
    for (int depth = 0; depth < 1000; depth++) {
        const struct type *t = &m->t[type_rep(m, id)];
        switch (t->kind) {
        case K_TYPEDEF:
            id = t->target;
            continue;
        case K_ARRAY: {
            if (t->count < 0)
                return -1;
            int64_t e = type_size(m, t->target);
            return e < 0 ? -1 : t->count * e;
        }
        case K_VOID:
        case K_FUNC:
            return -1;
        case K_STRUCT:
        case K_UNION:
        case K_ENUM:
            return t->incomplete ? -1 : (int64_t)t->size;
        default:
            return (int64_t)t->size;
        }
    }
    return -1;
}

static const char *type_kind_word(enum kind k)
{
    static const char *const words[] = {"void", "base type", "pointer", "array", "struct",
                                        "union", "enum", "typedef", "function"};
    return words[k];
}

/* What makes the size of type id unknown, for the error message. */
static void why_unknown(const struct model *m, int id, char *buf, size_t len)
{
    for (int depth = 0; depth < 1000; depth++) {
        const struct type *t = &m->t[type_rep(m, id)];
        if (t->kind == K_TYPEDEF) {
            id = t->target;
        } else if (t->kind == K_ARRAY && t->count >= 0) {
            id = t->target;
        } else if (t->kind == K_ARRAY) {
            snprintf(buf, len, "an array of unknown length");
            return;
        } else if (t->name) {
            snprintf(buf, len, "%s %s has no definition in the object", type_kind_word(t->kind),
                     t->name);
            return;
        } else {
            snprintf(buf, len, "its type is %s", type_kind_word(t->kind));
            return;
        }
    }
    snprintf(buf, len, "its type is too deep");
}

static void var_error(const struct var *v, const char *fmt, ...)
{
    va_list ap;
    if (v->pos.file)
        fprintf(stderr, "%s:%d: ", v->pos.file, v->pos.line);
    fprintf(stderr, "kitc: variable '%s': ", v->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int var_sizes(struct model *m)
{
    int errors = 0;
    for (size_t i = 0; i < m->nv; i++) {
        struct var *v = &m->v[i];
        int64_t size = type_size(m, v->type);
        int migrated = !(v->flags & (VF_CONST | VF_TLS));
        if (size < 0 && (v->flags & VF_LOCAL)) { /* a VLA: left out, said so */
            fprintf(stderr, "kitc: warning: local %s has no fixed size; it is not noted\n",
                    v->key);
            v->flags |= VF_DROP;
            continue;
        }
        if (size < 0) {
            char why[300];
            why_unknown(m, v->type, why, sizeof why);
            var_error(v, "cannot determine its size (%s)", why);
            errors++;
            continue;
        }
        if (migrated && v->sym_size > size && !(v->flags & VF_MANUAL)) {
            var_error(v, "the object is %lld bytes but its type only %lld (an initialised "
                      "flexible array member?); the rest would not be migrated: mark it "
                      "E_MANUAL_MIGRATE and migrate it by hand", (long long)v->sym_size,
                      (long long)size);
            errors++;
            continue;
        }
        v->size = (uint64_t)(v->sym_size > size ? v->sym_size : size);
    }
    size_t n = 0;
    for (size_t i = 0; i < m->nv; i++)
        if (!(m->v[i].flags & VF_DROP))
            m->v[n++] = m->v[i];
    m->nv = n;
    return errors ? -1 : 0;
}
