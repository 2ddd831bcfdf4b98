/* dedup.c - merges structurally identical types (every CU has its own copy of each
 * header's types) by partition refinement: types start in classes by their own
 * properties and are split by the classes of the types they refer to until nothing
 * changes, which also merges recursive types correctly.  A struct known in one CU only
 * from a declaration is resolved to the one definition of that tag, when there is one.
 * Finally variables and functions are sorted and the types are numbered: those the
 * variables reach first, then the other named file-scope types. */
#include "kitc.h"

#include <stdlib.h>
#include <string.h>

static void put_u64(sbuf *b, uint64_t v)
{
    sb_put(b, &v, sizeof v);
}

static void put_str(sbuf *b, const char *s)
{
    sb_put(b, s ? s : "\x01", (s ? strlen(s) : 1) + 1);
}

static void put_pos(sbuf *b, struct pos p)
{
    put_str(b, p.file);
    put_u64(b, (uint64_t)p.line);
}

/* Everything that identifies a type except the types it refers to. */
static void local_sig(const struct type *t, sbuf *b)
{
    put_u64(b, t->kind);
    put_u64(b, t->size);
    put_str(b, t->name);
    put_str(b, t->enc);
    put_u64(b, (uint64_t)t->count);
    put_u64(b, (uint64_t)t->incomplete);
    put_u64(b, (uint64_t)t->varargs);
    put_str(b, t->annot);
    put_pos(b, t->pos);
    put_u64(b, t->nmem);
    for (size_t i = 0; i < t->nmem; i++) {
        const struct member *mb = &t->mem[i];
        put_str(b, mb->name);
        put_u64(b, mb->off);
        put_u64(b, (uint64_t)mb->bitfield);
        put_u64(b, mb->bitoff);
        put_u64(b, mb->bitsize);
        put_pos(b, mb->pos);
    }
    put_u64(b, t->nen);
    for (size_t i = 0; i < t->nen; i++) {
        put_str(b, t->en[i].name);
        put_u64(b, (uint64_t)t->en[i].value);
    }
    put_u64(b, t->nparam);
}

/* Calls fn on every type reference held by t, in a fixed order. */
static void for_refs(struct type *t, void (*fn)(int *ref, void *arg), void *arg)
{
    if (t->kind == K_PTR || t->kind == K_ARRAY || t->kind == K_TYPEDEF || t->kind == K_FUNC)
        fn(&t->target, arg);
    for (size_t i = 0; i < t->nmem; i++)
        fn(&t->mem[i].type, arg);
    for (size_t i = 0; i < t->nparam; i++)
        fn(&t->param[i], arg);
}

struct refsig {
    sbuf *b;
    const long *cls;
};

static void put_ref_class(int *ref, void *arg)
{
    struct refsig *r = arg;
    put_u64(r->b, (uint64_t)r->cls[*ref]);
}

/* Assigns class numbers to the signatures in sigs; returns the number of classes. */
static long classify(struct model *m, long *cls, const long *old)
{
    smap seen = {0};
    sbuf b = {0};
    for (size_t i = 0; i < m->nt; i++) {
        b.len = 0;
        if (!old) {
            local_sig(&m->t[i], &b);
        } else {
            put_u64(&b, (uint64_t)old[i]);
            struct refsig r = {&b, old};
            for_refs(&m->t[i], put_ref_class, &r);
        }
        long c = smap_get(&seen, b.s, b.len, -1);
        if (c < 0) {
            c = (long)seen.count;
            smap_put(&seen, b.s, b.len, c);
        }
        cls[i] = c;
    }
    long n = (long)seen.count;
    smap_free(&seen);
    sb_free(&b);
    return n;
}

/* Refines the classes of types' own properties (`local`, from classify(m, local,
 * NULL)) by the classes of the types they refer to, until nothing splits. */
static void refine(struct model *m, const long *local)
{
    long *cls = xmalloc(m->nt * sizeof *cls), *next = xmalloc(m->nt * sizeof *next);
    memcpy(cls, local, m->nt * sizeof *cls);
    long n = 0;
    for (size_t i = 0; i < m->nt; i++)
        n = cls[i] + 1 > n ? cls[i] + 1 : n;
    for (;;) {
        long k = classify(m, next, cls);
        long *tmp = cls;
        cls = next;
        next = tmp;
        if (k == n)
            break;
        n = k;
    }
    long *first = xmalloc((size_t)n * sizeof *first);
    for (long c = 0; c < n; c++)
        first[c] = -1;
    for (size_t i = 0; i < m->nt; i++) {
        if (first[cls[i]] < 0)
            first[cls[i]] = (long)i;
        m->t[i].rep = (int)first[cls[i]];
    }
    free(first);
    free(cls);
    free(next);
}

struct redirect {
    const int *map;
    int changed;
};

static void redirect_ref(int *ref, void *arg)
{
    struct redirect *r = arg;
    if (r->map[*ref] != *ref) {
        *ref = r->map[*ref];
        r->changed = 1;
    }
}

/* The definitions of one tag. */
struct defs {
    int *rep;
    size_t n, cap;
};

static int components(const char *path)
{
    int n = 0;
    for (; *path; path++)
        n += *path == '/';
    return n;
}

/* Steps from directory dir to the directory of file: up to the directory they share,
 * then down ("/a/b" to "/a/b/x.c": 0, to "/a/c/x.c": 2). */
static int distance(const char *dir, const char *file)
{
    int shared = 0;
    size_t i = 0;
    for (; dir[i] && dir[i] == file[i]; i++)
        if (dir[i] == '/' && i > 0)
            shared++;
    if (!dir[i] && file[i] == '/') /* "/a/b" and "/a/bc/x.c" share "/a" only */
        shared++;
    return (components(dir) - shared) + (components(file) - 1 - shared);
}

/* A declaration's own file is not in the DWARF, but the files of the declarations that
 * use it are: users[t] is the deepest directory holding every member, typedef and
 * variable whose type leads to declared-only type t through pointers and arrays. */
static void note_user(const struct model *m, char **users, int t, const char *file)
{
    for (int depth = 0; depth < 64 && file; depth++) {
        const struct type *ty = &m->t[t];
        if (ty->kind == K_PTR || ty->kind == K_ARRAY) {
            t = ty->target;
            continue;
        }
        if (!ty->incomplete)
            return;
        char *dir = path_dirname(file);
        if (users[t]) {
            char *common = path_common_dir(users[t], dir);
            free(users[t]);
            free(dir);
            dir = common;
        }
        users[t] = dir;
        return;
    }
}

static char **find_users(const struct model *m)
{
    char **users = xcalloc(m->nt, sizeof *users);
    for (size_t i = 0; i < m->nt; i++) {
        const struct type *t = &m->t[i];
        for (size_t j = 0; j < t->nmem; j++)
            note_user(m, users, t->mem[j].type, t->mem[j].pos.file ? t->mem[j].pos.file
                                                                     : t->pos.file);
        if (t->kind == K_TYPEDEF)
            note_user(m, users, t->target, t->pos.file);
    }
    for (size_t i = 0; i < m->nv; i++)
        note_user(m, users, m->v[i].type, m->v[i].pos.file);
    return users;
}

/* The definition a declaration means: the only one; or, when one program holds two
 * (two libraries each with a struct dict), the one whose file is strictly nearer than
 * any other to `user`, the directory of the declarations that use it (a member of a
 * struct in deps/hiredis/async.h means deps/hiredis/dict.h's, one in src/server.h
 * src/dict.h's).  -1 when none is. */
static int pick_definition(const struct model *m, const struct defs *d, const char *user)
{
    if (d->n == 1)
        return d->rep[0];
    int best = -1, best_dist = 0, tie = 0;
    for (size_t i = 0; user && i < d->n; i++) {
        const char *file = m->t[d->rep[i]].pos.file;
        if (!file)
            return -1;
        int dist = distance(user, file);
        if (best < 0 || dist < best_dist) {
            best = d->rep[i];
            best_dist = dist;
            tie = 0;
        } else if (dist == best_dist) {
            tie = 1;
        }
    }
    return tie ? -1 : best;
}

/* Maps each declared-only struct/union/enum to the file-scope definition of its tag,
 * in whichever unit it is (a block-scope type is never what a declaration means).
 * Returns whether any is mapped. */
static int resolve_declarations(struct model *m, int *map)
{
    smap index = {0}; /* "kind tag" -> index into defs */
    char **users = find_users(m);
    struct defs *defs = NULL;
    size_t ndefs = 0, capdefs = 0;
    int changed = 0;
    for (size_t i = 0; i < m->nt; i++) {
        map[i] = (int)i;
        struct type *t = &m->t[i];
        if (t->incomplete || t->local || !t->name || t->rep != (int)i ||
            (t->kind != K_STRUCT && t->kind != K_UNION && t->kind != K_ENUM) ||
            (t->annot && strstr(t->annot, "gargs=")))
            continue;
        char *k = xasprintf("%d %s", t->kind, t->name);
        long d = smap_get(&index, k, strlen(k), -1);
        if (d < 0) {
            grow(&defs, &capdefs, ndefs + 1, sizeof *defs);
            defs[ndefs] = (struct defs){0};
            d = (long)ndefs++;
            smap_put(&index, k, strlen(k), d);
        }
        grow(&defs[d].rep, &defs[d].cap, defs[d].n + 1, sizeof *defs[d].rep);
        defs[d].rep[defs[d].n++] = (int)i;
        free(k);
    }
    for (size_t i = 0; i < m->nt; i++) {
        struct type *t = &m->t[type_rep(m, (int)i)];
        if (!t->incomplete || !t->name)
            continue;
        char *k = xasprintf("%d %s", t->kind, t->name);
        long d = smap_get(&index, k, strlen(k), -1);
        free(k);
        int def = d < 0 ? -1 : pick_definition(m, &defs[d], users[i]);
        if (def >= 0) {
            map[i] = def;
            changed = 1;
        }
    }
    for (size_t d = 0; d < ndefs; d++)
        free(defs[d].rep);
    free(defs);
    for (size_t i = 0; i < m->nt; i++)
        free(users[i]);
    free(users);
    smap_free(&index);
    return changed;
}

/* Resolving declarations can make definitions equal: struct session's copy in a unit
 * where its member's struct hash was only declared matches the other copy once that
 * declaration is resolved, and a declaration of struct session then has one definition
 * instead of two.  So resolving and merging repeat until no reference changes. */
void dedup_types(struct model *m)
{
    long *local = xmalloc(m->nt * sizeof *local); /* own properties: fixed by redirects */
    classify(m, local, NULL);
    refine(m, local);
    int *map = xmalloc(m->nt * sizeof *map);
    for (int round = 0; round < 64 && resolve_declarations(m, map); round++) {
        struct redirect r = {map, 0};
        for (size_t i = 0; i < m->nt; i++)
            for_refs(&m->t[i], redirect_ref, &r);
        for (size_t i = 0; i < m->nv; i++)
            redirect_ref(&m->v[i].type, &r);
        if (!r.changed)
            break;
        refine(m, local);
    }
    free(map);
    free(local);
}

/* ---- ordering and numbering ----------------------------------------------------- */

static int var_cmp(const void *a, const void *b)
{
    const struct var *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int func_cmp(const void *a, const void *b)
{
    const struct func *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void warn_dup(const char *what, const char *key, uint64_t a, uint64_t b)
{
    fprintf(stderr, "kitc: warning: %s %s is defined twice (0x%llx and 0x%llx); "
            "keeping the first\n", what, key, (unsigned long long)a, (unsigned long long)b);
}

static void unique_vars(struct model *m)
{
    if (m->nv)
        qsort(m->v, m->nv, sizeof *m->v, var_cmp);
    size_t n = 0;
    for (size_t i = 0; i < m->nv; i++) {
        if (n && strcmp(m->v[n - 1].key, m->v[i].key) == 0) {
            if (m->v[n - 1].addr != m->v[i].addr)
                warn_dup("variable", m->v[i].key, m->v[n - 1].addr, m->v[i].addr);
            m->v[n - 1].flags |= m->v[i].flags & (VF_MANUAL | VF_AUTO);
            continue;
        }
        m->v[n++] = m->v[i];
    }
    m->nv = n;
}

static void unique_funcs(struct model *m)
{
    if (m->nf)
        qsort(m->f, m->nf, sizeof *m->f, func_cmp);
    size_t n = 0;
    for (size_t i = 0; i < m->nf; i++) {
        if (n && strcmp(m->f[n - 1].key, m->f[i].key) == 0) {
            if (m->f[n - 1].addr != m->f[i].addr)
                warn_dup("function", m->f[i].key, m->f[n - 1].addr, m->f[i].addr);
            continue;
        }
        m->f[n++] = m->f[i];
    }
    m->nf = n;
}

struct numbering {
    struct model *m;
    int next;
};

static void number(struct numbering *nb, int id);

static void number_ref(int *ref, void *arg)
{
    number(arg, *ref);
}

static void number(struct numbering *nb, int id)
{
    struct type *t = &nb->m->t[type_rep(nb->m, id)];
    if (t->id)
        return;
    t->id = ++nb->next;
    for_refs(t, number_ref, nb);
}

/* A type listed even when no variable reaches it: a named type read from DWARF at file
 * scope (rules and generic arguments name types; the unnamed ones they spell with `*`
 * and `[]` follow from those).  Not a declaration, which says nothing, nor a clone made
 * for an annotation, which exists only where its declaration uses it. */
static int listed_anyway(const struct type *t)
{
    int named = t->kind == K_STRUCT || t->kind == K_UNION || t->kind == K_ENUM ||
                t->kind == K_TYPEDEF || t->kind == K_BASE;
    return named && t->name && !t->incomplete && !t->clone && !t->local;
}

void assign_ids(struct model *m)
{
    unique_vars(m);
    unique_funcs(m);
    for (size_t i = 0; i < m->nt; i++)
        m->t[i].id = 0;
    struct numbering nb = {m, 0};
    for (size_t i = 0; i < m->nv; i++)
        number(&nb, m->v[i].type);
    for (size_t i = 0; i < m->nt; i++)
        if (listed_anyway(&m->t[i]))
            number(&nb, (int)i);
}
