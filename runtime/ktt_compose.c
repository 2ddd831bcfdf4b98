/* ktt_compose.c - one summary out of several: a main program's and its modules'.
 *
 * A version whose program dlopens its own modules (docs/plugins.md) is planned and
 * transferred as one summary: the main object's types, variables and functions, then
 * each module's, whose keys carry the module's name ("http@http.c/count").  Shared by
 * the runtime (which composes the running and the next version) and xfgen (--module),
 * so that both plan the same thing. */
#include <stdlib.h>
#include <string.h>

#include "ktt.h"

static char *dup_opt(const char *s, int *bad)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *bad = 1;
    return d;
}

static char *prefixed(const char *prefix, const char *key, int *bad)
{
    if (!prefix)
        return dup_opt(key, bad);
    size_t a = strlen(prefix), b = strlen(key);
    char *d = malloc(a + b + 2);
    if (!d) {
        *bad = 1;
        return NULL;
    }
    memcpy(d, prefix, a);
    d[a] = '@';
    memcpy(d + a + 1, key, b + 1);
    return d;
}

static void *grow(void *arr, size_t n, size_t elem, int *bad)
{
    void *p = realloc(arr, (n ? n : 1) * elem);
    if (!p)
        *bad = 1;
    return p ? p : arr;
}

static int copy_type(struct ktt_type *d, const struct ktt_type *s, int shift, int *bad)
{
    *d = *s;
    d->target = s->target + (s->target >= 0 ? shift : 0);
    d->fields = NULL;
    d->enums = NULL;
    d->params = NULL;
    d->nfields = d->nenums = d->nparams = 0;
    d->name = dup_opt(s->name, bad);
    d->ptrarray = dup_opt(s->ptrarray, bad);
    d->len = dup_opt(s->len, bad);
    d->generic = dup_opt(s->generic, bad);
    d->tparam = dup_opt(s->tparam, bad);
    d->gargs = dup_opt(s->gargs, bad);
    d->inferred = dup_opt(s->inferred, bad);
    d->candidates = dup_opt(s->candidates, bad);
    d->decl = dup_opt(s->decl, bad);
    if (s->nfields) {
        d->fields = calloc((size_t)s->nfields, sizeof *d->fields);
        if (!d->fields)
            return *bad = 1;
        d->nfields = s->nfields;
        for (int j = 0; j < s->nfields; j++) {
            d->fields[j] = s->fields[j];
            d->fields[j].type = s->fields[j].type + shift;
            d->fields[j].name = dup_opt(s->fields[j].name, bad);
            d->fields[j].decl = dup_opt(s->fields[j].decl, bad);
        }
    }
    if (s->nenums) {
        d->enums = calloc((size_t)s->nenums, sizeof *d->enums);
        if (!d->enums)
            return *bad = 1;
        d->nenums = s->nenums;
        for (int j = 0; j < s->nenums; j++) {
            d->enums[j].value = s->enums[j].value;
            d->enums[j].name = dup_opt(s->enums[j].name, bad);
        }
    }
    if (s->nparams) {
        d->params = calloc((size_t)s->nparams, sizeof *d->params);
        if (!d->params)
            return *bad = 1;
        d->nparams = s->nparams;
        for (int j = 0; j < s->nparams; j++)
            d->params[j] = s->params[j] + shift;
    }
    return *bad;
}

int ktt_append(struct ktt *dst, const struct ktt *src, const char *prefix)
{
    int bad = 0, shift = dst->ntypes;
    if (!dst->object)
        dst->object = dup_opt(src->object, &bad);
    if (!dst->root)
        dst->root = dup_opt(src->root, &bad);
    dst->types = grow(dst->types, (size_t)(dst->ntypes + src->ntypes), sizeof *dst->types, &bad);
    dst->vars = grow(dst->vars, (size_t)(dst->nvars + src->nvars), sizeof *dst->vars, &bad);
    dst->funcs = grow(dst->funcs, (size_t)(dst->nfuncs + src->nfuncs), sizeof *dst->funcs, &bad);
    if (bad)
        return -1;
    for (int i = 0; i < src->ntypes; i++) {
        memset(&dst->types[dst->ntypes], 0, sizeof *dst->types);
        int rc = copy_type(&dst->types[dst->ntypes], &src->types[i], shift, &bad);
        dst->ntypes++; /* counted even when incomplete: ktt_free frees what is there */
        if (rc)
            return -1;
    }
    for (int i = 0; i < src->nvars; i++) {
        struct ktt_var *v = &dst->vars[dst->nvars++];
        *v = src->vars[i];
        v->type = src->vars[i].type + shift;
        v->key = prefixed(prefix, src->vars[i].key, &bad);
        v->decl = dup_opt(src->vars[i].decl, &bad);
    }
    for (int i = 0; i < src->nfuncs; i++) {
        struct ktt_func *f = &dst->funcs[dst->nfuncs++];
        *f = src->funcs[i];
        f->key = prefixed(prefix, src->funcs[i].key, &bad);
    }
    return bad ? -1 : 0;
}

static int cmp_var(const void *a, const void *b)
{
    return strcmp(((const struct ktt_var *)a)->key, ((const struct ktt_var *)b)->key);
}

static int cmp_func(const void *a, const void *b)
{
    return strcmp(((const struct ktt_func *)a)->key, ((const struct ktt_func *)b)->key);
}

void ktt_sort_keys(struct ktt *k)
{
    if (k->nvars)
        qsort(k->vars, (size_t)k->nvars, sizeof *k->vars, cmp_var);
    if (k->nfuncs)
        qsort(k->funcs, (size_t)k->nfuncs, sizeof *k->funcs, cmp_func);
}

int ktt_duplicate_key(const struct ktt *k)
{
    for (int i = 1; i < k->nvars; i++)
        if (strcmp(k->vars[i - 1].key, k->vars[i].key) == 0)
            return 1;
    for (int i = 1; i < k->nfuncs; i++)
        if (strcmp(k->funcs[i - 1].key, k->funcs[i].key) == 0)
            return 1;
    return 0;
}

void ktt_module_name(const char *path, char *out, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".so") == 0)
        n -= 3;
    if (n >= len)
        n = len - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}
