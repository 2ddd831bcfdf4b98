/* model.c - creating, cloning and annotating the raw types of kitc's model. */
#include "kitc.h"

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
        v->key = key_of(m, v->name, v->func, v->external, v->pos);
    }
    for (size_t i = 0; i < m->nf; i++) {
        struct func *f = &m->f[i];
        f->key = key_of(m, f->name, NULL, f->external, f->pos);
    }
}
