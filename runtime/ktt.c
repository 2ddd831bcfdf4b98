/* ktt.c - reader for .ktt type summaries (docs/ktt-format.md).
 *
 * The parser is line oriented: each line is split into space-separated words and
 * dispatched on its first word.  Type ids are mapped to dense indices after the whole
 * file is read, so a type may be used before it is defined.  Every malformed input
 * yields an error naming the line; nothing is trusted. */
#include "ktt.h"
#include "pstr.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 64

struct parser {
    const char *name;
    int line;
    char *err;
    size_t errlen;
    struct ktt *k;
    long *ids;            /* file id of each type, parallel to k->types */
    int cap_types, cap_vars, cap_funcs;
    int cur_aggregate;    /* index of the last struct/union/enum, -1 if none */
    int cap_members;
};

static int fail(struct parser *p, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s:%d: %s", p->name, p->line, msg);
    return -1;
}

static int grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*arr, (size_t)ncap * elem);
    if (!n)
        return -1;
    memset((char *)n + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
    *arr = n;
    *cap = ncap;
    return 0;
}

static int parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 0);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_size(const char *s, size_t *out)
{
    long v;
    if (parse_long(s, &v) || v < 0)
        return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_addr(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (s[0] == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 16);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

/* A type reference is kept as the file id until resolve_ids() runs. */
static int parse_ref(struct parser *p, const char *s, int *out)
{
    long v;
    if (parse_long(s, &v) || v <= 0 || v > INT_MAX)
        return fail(p, "expected a type id, found '%s'", s);
    *out = (int)v;
    return 0;
}

/* Every string of the summary is copied through here: a failed copy is noted and the
 * line reported as out of memory, rather than a NULL key met later. */
static __thread int dup_failed;

static char *kdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        dup_failed = 1;
    return d;
}

static char *dup_or_null(const char *s)
{
    return strcmp(s, "-") == 0 ? NULL : kdup(s);
}

/* Sets a string field; a repeated word replaces the earlier value. */
static void set_str(char **field, const char *value)
{
    free(*field);
    *field = kdup(value);
}

/* Splits "[ANNOT...] [@ FILE:LINE]" tail words starting at w[i]. */
static int parse_tail(struct parser *p, char **w, int n, int i, struct ktt_type *t,
                      struct ktt_var *v, char **decl)
{
    for (; i < n; i++) {
        const char *a = w[i];
        if (strcmp(a, "@") == 0) {
            if (i + 1 >= n)
                return fail(p, "expected FILE:LINE after '@'");
            set_str(decl, w[i + 1]);
            i++;
        } else if (t && strcmp(a, "opaque") == 0) {
            t->flags |= KTT_OPAQUE;
        } else if (t && strcmp(a, "sz") == 0) {
            t->flags |= KTT_SZ;
        } else if (t && strncmp(a, "ptrarray=", 9) == 0) {
            set_str(&t->ptrarray, a + 9);
        } else if (t && strncmp(a, "len=", 4) == 0) {
            set_str(&t->len, a + 4);
        } else if (t && strncmp(a, "generic=", 8) == 0) {
            set_str(&t->generic, a + 8);
        } else if (t && strncmp(a, "tparam=", 7) == 0) {
            set_str(&t->tparam, a + 7);
        } else if (t && strncmp(a, "gargs=", 6) == 0) {
            set_str(&t->gargs, a + 6);
        } else if (t && strncmp(a, "inferred=", 9) == 0) {
            set_str(&t->inferred, a + 9);
        } else if (t && strncmp(a, "candidates=", 11) == 0) {
            set_str(&t->candidates, a + 11);
        } else if (t && strncmp(a, "held=", 5) == 0) {
            set_str(&t->held, a + 5);
        } else if (t && strncmp(a, "optional=", 9) == 0) {
            set_str(&t->optional, a + 9);
        } else if (t && strncmp(a, "holds=", 6) == 0) {
            set_str(&t->holds, a + 6);
        } else if (v && strcmp(a, "const") == 0) {
            v->flags |= KTT_VAR_CONST;
        } else if (v && strcmp(a, "manual") == 0) {
            v->flags |= KTT_VAR_MANUAL;
        } else if (v && strcmp(a, "auto") == 0) {
            v->flags |= KTT_VAR_AUTO;
        } else if (v && strcmp(a, "tls") == 0) {
            v->flags |= KTT_VAR_TLS;
        } else if (v && strcmp(a, "local") == 0) {
            v->flags |= KTT_VAR_LOCAL;
        } else if (v && strncmp(a, "frame=", 6) == 0) {
            set_str(&v->frame, a + 6);
        } else if (v && strncmp(a, "scope=", 6) == 0) {
            set_str(&v->scope, a + 6);
        } else if (v && strncmp(a, "loc=", 4) == 0) {
            set_str(&v->loc, a + 4);
        } else if (v && strncmp(a, "encoded=", 8) == 0) {
            char *end;
            errno = 0;
            v->encoding = strtoull(a + 8, &end, 16);
            if (errno || end == a + 8 || *end)
                return fail(p, "expected a hexadecimal hash in '%s'", a);
            v->flags |= KTT_VAR_ENCODED;
        } else {
            return fail(p, "unexpected word '%s'", a);
        }
    }
    return 0;
}

static int parse_type(struct parser *p, char **w, int n)
{
    struct ktt *k = p->k;
    long id;
    if (n < 3 || parse_long(w[1], &id) || id <= 0)
        return fail(p, "expected 'T ID KIND ...'");
    for (int i = 0; i < k->ntypes; i++)
        if (p->ids[i] == id)
            return fail(p, "type id %ld defined twice", id);
    if (grow((void **)&k->types, &p->cap_types, k->ntypes + 1, sizeof *k->types))
        return fail(p, "out of memory");
    int cap = p->cap_types;
    (void)cap;
    long *ids = realloc(p->ids, (size_t)p->cap_types * sizeof *ids);
    if (!ids)
        return fail(p, "out of memory");
    p->ids = ids;
    struct ktt_type *t = &k->types[k->ntypes];
    memset(t, 0, sizeof *t);
    p->ids[k->ntypes] = id;
    k->ntypes++;
    p->cur_aggregate = -1;
    p->cap_members = 0;
    t->count = -1;
    const char *kind = w[2];
    int i = 3;
    if (strcmp(kind, "void") == 0) {
        t->kind = KTT_VOID;
    } else if (strcmp(kind, "base") == 0) {
        t->kind = KTT_BASE;
        if (n < 6 || parse_size(w[3], &t->size))
            return fail(p, "expected 'base SIZE ENC NAME'");
        if (strcmp(w[4], "signed") == 0)
            t->enc = KTT_SIGNED;
        else if (strcmp(w[4], "unsigned") == 0)
            t->enc = KTT_UNSIGNED;
        else if (strcmp(w[4], "float") == 0)
            t->enc = KTT_FLOAT;
        else if (strcmp(w[4], "bool") == 0)
            t->enc = KTT_BOOL;
        else
            return fail(p, "expected an encoding (signed, unsigned, float, bool), found '%s'", w[4]);
        t->name = kdup(w[5]);
        i = 6;
    } else if (strcmp(kind, "ptr") == 0) {
        t->kind = KTT_PTR;
        if (n < 4 || parse_ref(p, w[3], &t->target))
            return fail(p, "expected 'ptr TARGET'");
        t->size = sizeof(void *);
        i = 4;
    } else if (strcmp(kind, "array") == 0) {
        t->kind = KTT_ARRAY;
        if (n < 5 || parse_ref(p, w[3], &t->target))
            return fail(p, "expected 'array ELEM COUNT'");
        if (strcmp(w[4], "-") != 0 && (parse_long(w[4], &t->count) || t->count < 0))
            return fail(p, "expected an element count or '-', found '%s'", w[4]);
        i = 5;
    } else if (strcmp(kind, "struct") == 0 || strcmp(kind, "union") == 0 ||
               strcmp(kind, "enum") == 0) {
        t->kind = kind[0] == 's' ? KTT_STRUCT : kind[0] == 'u' ? KTT_UNION : KTT_ENUM;
        if (n < 5 || parse_size(w[3], &t->size))
            return fail(p, "expected '%s SIZE TAG'", kind);
        t->name = dup_or_null(w[4]);
        p->cur_aggregate = k->ntypes - 1;
        i = 5;
    } else if (strcmp(kind, "typedef") == 0) {
        t->kind = KTT_TYPEDEF;
        if (n < 5 || parse_ref(p, w[3], &t->target))
            return fail(p, "expected 'typedef TARGET NAME'");
        t->name = kdup(w[4]);
        i = 5;
    } else if (strcmp(kind, "func") == 0) {
        t->kind = KTT_FUNC;
        long np;
        if (n < 5 || parse_ref(p, w[3], &t->target) || parse_long(w[4], &np) || np < 0 ||
            np > n - 5)
            return fail(p, "expected 'func RET NPARAMS PARAMS...'");
        t->nparams = (int)np;
        t->params = calloc((size_t)np + 1, sizeof(int));
        if (!t->params)
            return fail(p, "out of memory");
        for (int j = 0; j < np; j++)
            if (parse_ref(p, w[5 + j], &t->params[j]))
                return -1;
        i = 5 + (int)np;
        if (i < n && strcmp(w[i], "...") == 0) {
            t->varargs = 1;
            i++;
        }
    } else {
        return fail(p, "expected a type kind (void, base, ptr, array, struct, union, enum, "
                       "typedef, func), found '%s'", kind);
    }
    return parse_tail(p, w, n, i, t, NULL, &t->decl);
}

static int parse_field(struct parser *p, char **w, int n)
{
    struct ktt *k = p->k;
    if (p->cur_aggregate < 0 || k->types[p->cur_aggregate].kind == KTT_ENUM)
        return fail(p, "'F' outside a struct or union");
    struct ktt_type *t = &k->types[p->cur_aggregate];
    if (n < 4)
        return fail(p, "expected 'F NAME OFFSET TYPE'");
    if (grow((void **)&t->fields, &p->cap_members, t->nfields + 1, sizeof *t->fields))
        return fail(p, "out of memory");
    struct ktt_field *f = &t->fields[t->nfields++];
    memset(f, 0, sizeof *f);
    f->name = dup_or_null(w[1]);
    if (parse_size(w[2], &f->offset))
        return fail(p, "expected a byte offset, found '%s'", w[2]);
    if (parse_ref(p, w[3], &f->type))
        return -1;
    int i = 4;
    if (i < n && strcmp(w[i], "bit") == 0) {
        long off, size;
        if (i + 2 >= n || parse_long(w[i + 1], &off) || parse_long(w[i + 2], &size) ||
            off < 0 || size <= 0 || size > 64 || off > INT_MAX)
            return fail(p, "expected 'bit BITOFFSET BITSIZE'");
        f->bit_offset = (int)off;
        f->bit_size = (int)size;
        i += 3;
    }
    return parse_tail(p, w, n, i, NULL, NULL, &f->decl);
}

static int parse_enumerator(struct parser *p, char **w, int n)
{
    struct ktt *k = p->k;
    if (p->cur_aggregate < 0 || k->types[p->cur_aggregate].kind != KTT_ENUM)
        return fail(p, "'E' outside an enum");
    struct ktt_type *t = &k->types[p->cur_aggregate];
    long v;
    if (n != 3)
        return fail(p, "expected 'E NAME VALUE'");
    if (parse_long(w[2], &v)) {
        /* Enumerators of unsigned 64-bit enums may exceed LONG_MAX. */
        char *end;
        errno = 0;
        unsigned long long u = strtoull(w[2], &end, 0);
        if (errno || *end || end == w[2] || w[2][0] == '-')
            return fail(p, "expected an integer value, found '%s'", w[2]);
        v = (long)u;
    }
    if (grow((void **)&t->enums, &p->cap_members, t->nenums + 1, sizeof *t->enums))
        return fail(p, "out of memory");
    t->enums[t->nenums].name = kdup(w[1]);
    t->enums[t->nenums].value = v;
    t->nenums++;
    return 0;
}

static int parse_var(struct parser *p, char **w, int n)
{
    struct ktt *k = p->k;
    if (n < 5)
        return fail(p, "expected 'V KEY TYPE ADDR SIZE'");
    if (grow((void **)&k->vars, &p->cap_vars, k->nvars + 1, sizeof *k->vars))
        return fail(p, "out of memory");
    struct ktt_var *v = &k->vars[k->nvars++];
    memset(v, 0, sizeof *v);
    v->key = kdup(w[1]);
    if (parse_ref(p, w[2], &v->type))
        return -1;
    if (parse_addr(w[3], &v->addr))
        return fail(p, "expected a hexadecimal address, found '%s'", w[3]);
    if (parse_size(w[4], &v->size))
        return fail(p, "expected a size, found '%s'", w[4]);
    p->cur_aggregate = -1;
    return parse_tail(p, w, n, 5, NULL, v, &v->decl);
}

static int parse_func(struct parser *p, char **w, int n)
{
    struct ktt *k = p->k;
    if (n != 4)
        return fail(p, "expected 'X KEY ADDR SIZE'");
    if (grow((void **)&k->funcs, &p->cap_funcs, k->nfuncs + 1, sizeof *k->funcs))
        return fail(p, "out of memory");
    struct ktt_func *f = &k->funcs[k->nfuncs++];
    f->key = kdup(w[1]);
    if (parse_addr(w[2], &f->addr))
        return fail(p, "expected a hexadecimal address, found '%s'", w[2]);
    if (parse_size(w[3], &f->size))
        return fail(p, "expected a size, found '%s'", w[3]);
    p->cur_aggregate = -1;
    return 0;
}

static int parse_line(struct parser *p, char *line)
{
    char *w[MAX_WORDS];
    int n = 0;
    for (char *s = strtok(line, " \t\r"); s; s = strtok(NULL, " \t\r")) {
        if (n == MAX_WORDS)
            return fail(p, "too many words on one line");
        w[n++] = s;
    }
    if (n == 0 || w[0][0] == '#')
        return 0;
    if (p->line == 1 || (p->k->object == NULL && strcmp(w[0], "kitsune-ktt") == 0)) {
        if (strcmp(w[0], "kitsune-ktt") != 0 || n != 2)
            return fail(p, "expected 'kitsune-ktt 1' (not a kitsune type summary)");
        if (strcmp(w[1], "1") != 0)
            return fail(p, "unsupported summary version %s (this reader knows 1)", w[1]);
        p->k->object = kdup("");
        return 0;
    }
    if (strcmp(w[0], "object") == 0 && n == 2) {
        free(p->k->object);
        p->k->object = kdup(w[1]);
        return 0;
    }
    if (strcmp(w[0], "root") == 0 && n == 2) {
        free(p->k->root);
        p->k->root = kdup(w[1]);
        return 0;
    }
    if (strcmp(w[0], "T") == 0)
        return parse_type(p, w, n);
    if (strcmp(w[0], "F") == 0)
        return parse_field(p, w, n);
    if (strcmp(w[0], "E") == 0)
        return parse_enumerator(p, w, n);
    if (strcmp(w[0], "V") == 0)
        return parse_var(p, w, n);
    if (strcmp(w[0], "X") == 0)
        return parse_func(p, w, n);
    return fail(p, "expected a record (T, F, E, V, X, object, root), found '%s'", w[0]);
}

static int find_index(const struct parser *p, long id)
{
    /* Ids are usually dense and in order: try the direct slot first. */
    if (id >= 1 && id <= p->k->ntypes && p->ids[id - 1] == id)
        return (int)id - 1;
    for (int i = 0; i < p->k->ntypes; i++)
        if (p->ids[i] == id)
            return i;
    return -1;
}

static int resolve_ref(struct parser *p, int *ref)
{
    int idx = find_index(p, *ref);
    if (idx < 0) {
        p->line = 0;
        snprintf(p->err, p->errlen, "%s: type id %d is used but never defined", p->name,
                 *ref);
        return -1;
    }
    *ref = idx;
    return 0;
}

static int resolve_ids(struct parser *p)
{
    struct ktt *k = p->k;
    for (int i = 0; i < k->ntypes; i++) {
        struct ktt_type *t = &k->types[i];
        if ((t->kind == KTT_PTR || t->kind == KTT_ARRAY || t->kind == KTT_TYPEDEF ||
             t->kind == KTT_FUNC) && resolve_ref(p, &t->target))
            return -1;
        for (int j = 0; j < t->nfields; j++)
            if (resolve_ref(p, &t->fields[j].type))
                return -1;
        for (int j = 0; j < t->nparams; j++)
            if (resolve_ref(p, &t->params[j]))
                return -1;
    }
    for (int i = 0; i < k->nvars; i++)
        if (resolve_ref(p, &k->vars[i].type))
            return -1;
    return 0;
}

/* Sizes of typedefs and arrays come from their targets; typedef chains are followed
 * with a bound so that a cycle in hostile input cannot loop forever. */
static int compute_sizes(struct parser *p)
{
    struct ktt *k = p->k;
    for (int pass = 0; pass < 64; pass++) {
        int changed = 0;
        for (int i = 0; i < k->ntypes; i++) {
            struct ktt_type *t = &k->types[i];
            size_t size = t->size;
            if (t->kind == KTT_TYPEDEF)
                size = k->types[t->target].size;
            else if (t->kind == KTT_ARRAY && t->count > 0) {
                size_t elem = k->types[t->target].size;
                if (elem && (size_t)t->count > SIZE_MAX / elem)
                    return fail(p, "array type too large");
                size = elem * (size_t)t->count;
            }
            if (size != t->size) {
                t->size = size;
                changed = 1;
            }
        }
        if (!changed)
            return 0;
    }
    snprintf(p->err, p->errlen, "%s: cyclic typedef or array type", p->name);
    return -1;
}

static int cmp_var(const void *a, const void *b)
{
    return strcmp(((const struct ktt_var *)a)->key, ((const struct ktt_var *)b)->key);
}

static int cmp_func(const void *a, const void *b)
{
    return strcmp(((const struct ktt_func *)a)->key, ((const struct ktt_func *)b)->key);
}

int ktt_parse(const char *name, const char *text, size_t len, struct ktt *out, char *err,
              size_t errlen)
{
    struct parser p = {.name = name, .err = err, .errlen = errlen, .k = out,
                       .cur_aggregate = -1};
    memset(out, 0, sizeof *out);
    char *buf = malloc(len + 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    memcpy(buf, text, len);
    buf[len] = 0;
    int rc = 0;
    char *line = buf;
    dup_failed = 0;
    while (line && rc == 0) {
        char *nl = memchr(line, '\n', (size_t)(buf + len - line));
        if (nl)
            *nl = 0;
        p.line++;
        if (strlen(line) != (size_t)((nl ? nl : buf + len) - line))
            rc = fail(&p, "unexpected NUL byte");
        else
            rc = parse_line(&p, line);
        if (rc == 0 && dup_failed)
            rc = fail(&p, "out of memory");
        line = nl ? nl + 1 : NULL;
        if (line && line >= buf + len)
            line = NULL;
    }
    if (rc == 0 && !out->object) {
        snprintf(err, errlen, "%s:1: expected 'kitsune-ktt 1' (empty summary)", name);
        rc = -1;
    }
    if (rc == 0)
        rc = resolve_ids(&p);
    if (rc == 0)
        rc = compute_sizes(&p);
    free(buf);
    free(p.ids);
    if (rc) {
        ktt_free(out);
        return -1;
    }
    if (out->nvars)
        qsort(out->vars, (size_t)out->nvars, sizeof *out->vars, cmp_var);
    if (out->nfuncs)
        qsort(out->funcs, (size_t)out->nfuncs, sizeof *out->funcs, cmp_func);
    return 0;
}

int ktt_load_file(const char *path, struct ktt *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            char *n = realloc(text, cap);
            if (!n) {
                free(text);
                fclose(f);
                snprintf(err, errlen, "%s: out of memory", path);
                return -1;
            }
            text = n;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        snprintf(err, errlen, "%s: read error", path);
        return -1;
    }
    int rc = ktt_parse(path, text ? text : "", len, out, err, errlen);
    free(text);
    return rc;
}

void ktt_free(struct ktt *k)
{
    for (int i = 0; i < k->ntypes; i++) {
        struct ktt_type *t = &k->types[i];
        for (int j = 0; j < t->nfields; j++) {
            free(t->fields[j].name);
            free(t->fields[j].decl);
        }
        for (int j = 0; j < t->nenums; j++)
            free(t->enums[j].name);
        free(t->fields);
        free(t->enums);
        free(t->params);
        free(t->name);
        free(t->ptrarray);
        free(t->len);
        free(t->generic);
        free(t->tparam);
        free(t->gargs);
        free(t->inferred);
        free(t->candidates);
        free(t->held);
        free(t->optional);
        free(t->holds);
        free(t->decl);
    }
    for (int i = 0; i < k->nvars; i++) {
        free(k->vars[i].key);
        free(k->vars[i].decl);
        free(k->vars[i].frame);
        free(k->vars[i].loc);
        free(k->vars[i].scope);
    }
    for (int i = 0; i < k->nfuncs; i++)
        free(k->funcs[i].key);
    free(k->types);
    free(k->vars);
    free(k->funcs);
    free(k->object);
    free(k->root);
    memset(k, 0, sizeof *k);
}

const struct ktt_var *ktt_find_var(const struct ktt *k, const char *key)
{
    struct ktt_var probe = {.key = (char *)key};
    if (!k->nvars)
        return NULL;
    return bsearch(&probe, k->vars, (size_t)k->nvars, sizeof *k->vars, cmp_var);
}

const struct ktt_func *ktt_find_func(const struct ktt *k, const char *key)
{
    struct ktt_func probe = {.key = (char *)key};
    if (!k->nfuncs)
        return NULL;
    return bsearch(&probe, k->funcs, (size_t)k->nfuncs, sizeof *k->funcs, cmp_func);
}

int ktt_resolve(const struct ktt *k, int type)
{
    for (int guard = 0; guard < 64 && k->types[type].kind == KTT_TYPEDEF; guard++)
        type = k->types[type].target;
    return type;
}

static void type_name(const struct ktt *k, int type, struct pstr *b, int depth)
{
    const struct ktt_type *t = &k->types[type];
    if (depth > 8) {
        pstr_puts(b, "...");
        return;
    }
    switch (t->kind) {
    case KTT_VOID:
        pstr_puts(b, "void");
        break;
    case KTT_BASE:
    case KTT_TYPEDEF: {
        size_t at = b->len;
        pstr_puts(b, t->name);
        for (size_t i = at + 1; t->kind == KTT_BASE && i < b->len; i++)
            if (b->s[i] == '_')
                b->s[i] = ' '; /* "unsigned_int" is spelled "unsigned int" */
        break;
    }
    case KTT_STRUCT:
    case KTT_UNION:
    case KTT_ENUM:
        pstr_printf(b, "%s %s",
                    t->kind == KTT_STRUCT ? "struct" : t->kind == KTT_UNION ? "union" : "enum",
                    t->name ? t->name : "<anonymous>");
        break;
    case KTT_PTR:
        if (k->types[t->target].kind == KTT_FUNC) {
            pstr_puts(b, "function pointer");
            break;
        }
        type_name(k, t->target, b, depth + 1);
        pstr_puts(b, " *");
        break;
    case KTT_ARRAY:
        type_name(k, t->target, b, depth + 1);
        if (t->count >= 0)
            pstr_printf(b, "[%ld]", t->count);
        else
            pstr_puts(b, "[]");
        break;
    case KTT_FUNC:
        pstr_puts(b, "function");
        break;
    }
}

char *ktt_type_name_alloc(const struct ktt *k, int type)
{
    struct pstr b = {0};
    type_name(k, type, &b, 0);
    return pstr_take(&b);
}

const char *ktt_type_name(const struct ktt *k, int type, char *buf, size_t len)
{
    char *name = ktt_type_name_alloc(k, type);
    snprintf(buf, len, "%s", name);
    free(name);
    return buf;
}

uint64_t ktt_fingerprint(const char *text, size_t len)
{
    /* FNV-1a, 64 bits: cheap, and any change to the summary changes it. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
