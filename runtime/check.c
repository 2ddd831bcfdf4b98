/* check.c - `kitsune update --check`: after the state has been transferred and before
 * the update commits, walk the new version's state by its own types and verify that
 * no pointer refers into the old version's code or writable data, and that every other
 * pointer refers to mapped memory.  On a violation the update rolls back and the
 * report names the path, e.g. "server.db->table[17]->next->val".
 *
 * The walk is driven by the new version's type summary alone, independent of the
 * planner, so it also catches a transformation that went wrong.  It is iterative: an
 * explicit stack of objects, each remembering how it was reached.
 *
 * The same walk over the old version's state, by the old types, finds where a wild
 * pointer the engines refused is kept (kt_check_find_path): the refusal then names it
 * from its root, "table[2]->next->next = 0x...". */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "version.h"
#include "check.h"
#include "maps.h"
#include "opaque_check.h"

struct reached {
    uintptr_t addr;
    int type;       /* struct type index in the new summary */
    int parent;     /* index of the object it was reached from, -1 for a variable */
    char *label;    /* path from the parent: "counter", ".db->", "->next" */
};

struct walk {
    const struct kt_version *old, *nv;
    struct reached *objs;
    int nobjs, cap;
    uintptr_t *seen;     /* open addressing set of visited addresses */
    size_t seen_mask, nseen;
    struct kt_maps maps;
    char *err;
    size_t errlen;
    int failed;
    uintptr_t find; /* kt_check_find_path: the value looked for */
    struct kt_opaque_roots *collect; /* kt_check_opaque_roots: no violations, the
                                        never-followed pointers are noted */
    int no_paths;    /* collect: no path is written for what is noted (the walk of a
                        100K-key keyspace spent most of its time formatting paths that
                        only a failure reads); a failed check walks again for them */
    uint8_t *reach;  /* collect: per type, whether a never-followed pointer may be
                        reached from it (the others are not walked) */
};

static int seen_add(struct walk *w, uintptr_t a)
{
    if ((w->nseen + 1) * 2 > w->seen_mask + 1) {
        size_t size = w->seen_mask ? (w->seen_mask + 1) * 2 : 4096;
        uintptr_t *n = calloc(size, sizeof *n);
        if (!n)
            return 0;
        for (size_t i = 0; w->seen && i <= w->seen_mask; i++)
            if (w->seen[i]) {
                size_t h = (w->seen[i] * 0x9e3779b97f4a7c15ULL) >> 20 & (size - 1);
                while (n[h])
                    h = (h + 1) & (size - 1);
                n[h] = w->seen[i];
            }
        free(w->seen);
        w->seen = n;
        w->seen_mask = size - 1;
    }
    size_t h = (a * 0x9e3779b97f4a7c15ULL) >> 20 & w->seen_mask;
    while (w->seen[h]) {
        if (w->seen[h] == a)
            return 0;
        h = (h + 1) & w->seen_mask;
    }
    w->seen[h] = a;
    w->nseen++;
    return 1;
}

static void path_of(const struct walk *w, int idx, const char *tail, char *out, size_t len)
{
    /* Labels from the object back to its variable, then printed in order. */
    const char *parts[256];
    int n = 0;
    for (int i = idx; i >= 0 && n < 255; i = w->objs[i].parent)
        parts[n++] = w->objs[i].label;
    size_t used = 0;
    out[0] = 0;
    while (n-- > 0 && used < len)
        used += (size_t)snprintf(out + used, len - used, "%s", parts[n]);
    if (used < len)
        snprintf(out + used, len - used, "%s", tail);
}

static void violation(struct walk *w, int obj, const char *where, const char *what)
{
    if (w->failed || w->collect)
        return;
    char path[1024];
    path_of(w, obj, where, path, sizeof path);
    snprintf(w->err, w->errlen, "check failed: %s %s", path, what);
    w->failed = 1;
}

static void push(struct walk *w, uintptr_t addr, int type, int parent, const char *label)
{
    if (!seen_add(w, addr))
        return;
    if (w->nobjs == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 1024;
        struct reached *n = realloc(w->objs, (size_t)w->cap * sizeof *n);
        if (!n) {
            w->failed = 1;
            return;
        }
        w->objs = n;
    }
    char *copy = label ? strdup(label) : NULL;
    if (label && !copy) {
        w->failed = 1;
        return;
    }
    w->objs[w->nobjs++] = (struct reached){addr, type, parent, copy};
}

static int in_old_writable_or_code(const struct kt_version *old, uintptr_t p)
{
    for (int i = 0; i < old->nseg; i++)
        if (p >= old->seg[i].lo && p < old->seg[i].hi &&
            (old->seg[i].prot & (PROT_WRITE | PROT_EXEC)))
            return 1;
    return 0;
}

/* Found the slot holding the value looked for: its path is the "error". */
static int found(struct walk *w, int obj, const char *where, uintptr_t p)
{
    if (!w->find || p != w->find)
        return 0;
    if (!w->failed)
        path_of(w, obj, where, w->err, w->errlen);
    w->failed = 1;
    return 1;
}

/* A pointer the engines never follow (collect mode): its value and where it is. */
static void note_opaque(struct walk *w, int obj, const char *where, uintptr_t p)
{
    struct kt_opaque_roots *r = w->collect;
    if (p < 4096 || r->failed)
        return;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        uintptr_t *nw = realloc(r->words, cap * sizeof *nw);
        if (nw)
            r->words = nw;
        char **np = nw ? realloc(r->paths, cap * sizeof *np) : NULL;
        if (!np) {
            r->failed = w->failed = 1;
            return;
        }
        r->paths = np;
        r->cap = cap;
    }
    r->paths[r->n] = NULL;
    if (!w->no_paths) {
        char path[1024];
        path_of(w, obj, where, path, sizeof path);
        if (!(r->paths[r->n] = strdup(path))) {
            r->failed = w->failed = 1;
            return;
        }
    }
    r->words[r->n++] = p;
}

static void check_pointer(struct walk *w, int obj, const char *where, uintptr_t p, int target)
{
    const struct ktt *k = &w->nv->ktt;
    if (!p || found(w, obj, where, p))
        return;
    int t = ktt_resolve(k, target);
    if (w->collect && k->types[t].kind == KTT_VOID && !k->types[t].tparam) {
        note_opaque(w, obj, where, p); /* a void * the planner left untyped */
        return;
    }
    if (w->find) { /* the old state: followed where the engines would */
        size_t size = k->types[t].size ? k->types[t].size : 1;
        if (!kt_maps_contains_range(&w->maps, p, size) || kt_maps_why(p, size) ||
            (p >= w->nv->lo && p < w->nv->hi))
            return;
    } else
    if (in_old_writable_or_code(w->old, p)) {
        const struct kt_addr_entry *e = kt_version_lookup_addr(w->old, p);
        char what[300];
        snprintf(what, sizeof what, "points into the old version (%s)",
                 e ? e->key : "code or data");
        violation(w, obj, where, what);
        return;
    }
    if (!w->find && !kt_maps_contains(&w->maps, p)) {
        violation(w, obj, where, "points to unmapped memory");
        return;
    }
    const struct ktt_type *tt = &k->types[t];
    if ((tt->kind == KTT_STRUCT || tt->kind == KTT_UNION) && !(tt->decl && tt->decl[0] == '/') &&
        (!w->reach || w->reach[t])) {
        char label[300];
        if (!w->no_paths)
            snprintf(label, sizeof label, "%s->", where);
        push(w, p, t, obj, w->no_paths ? NULL : label);
    }
}

/* Checks the pointers stored inline in one object of type `type` at `base`. */
static void check_inline(struct walk *w, int obj, uintptr_t base, int type, char *where,
                         size_t wlen, int depth)
{
    const struct ktt *k = &w->nv->ktt;
    int t = ktt_resolve(k, type);
    const struct ktt_type *tt = &k->types[t];
    size_t at = strlen(where);
    if (depth > 32 || w->failed || (w->reach && !w->reach[t]))
        return;
    if (tt->kind == KTT_PTR) {
        uintptr_t p;
        memcpy(&p, (const void *)base, sizeof p);
        if (w->find && ((tt->flags & KTT_OPAQUE) ||
                        k->types[ktt_resolve(k, tt->target)].kind == KTT_FUNC))
            return;
        if (tt->flags & KTT_OPAQUE) {
            /* a pointer to bytes or numbers (char * E_OPAQUE buf) leads to no pointer */
            int to = k->types[ktt_resolve(k, tt->target)].kind;
            if (w->collect && to != KTT_BASE && to != KTT_ENUM)
                note_opaque(w, obj, where, p);
            /* Not followed, but it must not lead back into the old version either. */
            if (p && in_old_writable_or_code(w->old, p))
                violation(w, obj, where, "(E_OPAQUE) points into the old version");
            return;
        }
        int target = ktt_resolve(k, tt->target);
        if (k->types[target].kind == KTT_FUNC) {
            if (p && in_old_writable_or_code(w->old, p))
                violation(w, obj, where, "is a function pointer into the old version");
            return;
        }
        check_pointer(w, obj, where, p, target);
    } else if (tt->kind == KTT_STRUCT && !(tt->decl && tt->decl[0] == '/')) {
        for (int i = 0; i < tt->nfields && !w->failed; i++) {
            const struct ktt_field *f = &tt->fields[i];
            if (f->bit_size)
                continue;
            if (!w->no_paths)
                snprintf(where + at, wlen - at, "%s%s",
                         at == 0 || where[at - 1] == '>' ? "" : ".",
                         f->name ? f->name : "<anonymous>");
            check_inline(w, obj, base + f->offset, f->type, where, wlen, depth + 1);
        }
    } else if (tt->kind == KTT_ARRAY && tt->count > 0) {
        size_t esz = k->types[ktt_resolve(k, tt->target)].size;
        for (long i = 0; i < tt->count && !w->failed; i++) {
            if (!w->no_paths)
                snprintf(where + at, wlen - at, "[%ld]", i);
            check_inline(w, obj, base + (size_t)i * esz, tt->target, where, wlen, depth + 1);
        }
    }
    where[at] = 0;
}

static void walk_state(struct walk *w)
{
    const struct kt_version *nv = w->nv;
    char where[1024];
    for (int i = 0; i < nv->ktt.nvars && !w->failed; i++) {
        const struct ktt_var *v = &nv->ktt.vars[i];
        if (v->flags & (KTT_VAR_TLS | KTT_VAR_CONST | KTT_VAR_LOCAL))
            continue;
        snprintf(where, sizeof where, "%s", v->key);
        check_inline(w, -1, nv->base + v->addr, v->type, where, sizeof where, 0);
    }
    for (int i = 0; i < w->nobjs && !w->failed; i++) {
        where[0] = 0;
        check_inline(w, i, w->objs[i].addr, w->objs[i].type, where, sizeof where, 0);
    }
    for (int i = 0; i < w->nobjs; i++)
        free(w->objs[i].label);
    free(w->objs);
    free(w->seen);
}

int kt_check_find_path(const struct kt_version *v, uintptr_t value, char *path, size_t len)
{
    struct walk w = {.old = v, .nv = v, .err = path, .errlen = len, .find = value};
    path[0] = 0;
    /* What may be followed (the threads are still parked): mapped, and in the heap an
     * allocation. */
    if (kt_maps_load(&w.maps) || kt_maps_snapshot()) {
        kt_maps_free(&w.maps);
        return -1;
    }
    walk_state(&w);
    kt_maps_snapshot_free();
    kt_maps_free(&w.maps);
    return w.failed && path[0] ? 0 : -1;
}

int kt_check_state(const struct kt_version *old, const struct kt_version *nv, char *err,
                   size_t errlen)
{
    struct walk w = {.old = old, .nv = nv, .err = err, .errlen = errlen};
    if (kt_maps_load(&w.maps)) {
        snprintf(err, errlen, "check failed: cannot read /proc/self/maps");
        return -1;
    }
    walk_state(&w);
    kt_maps_free(&w.maps);
    if (!w.failed)
        kt_log("check passed: %d object(s) reached from the new version's variables",
               w.nobjs);
    return w.failed ? -1 : 0;
}

/* Whether a never-followed pointer may lie in or be reached from type t, given what
 * reach says of the others (check_inline's view: structs, arrays, pointers). */
static int may_reach(const struct ktt *k, const uint8_t *reach, int t)
{
    const struct ktt_type *tt = &k->types[t];
    if (tt->kind == KTT_PTR) {
        int target = ktt_resolve(k, tt->target);
        const struct ktt_type *to = &k->types[target];
        if (tt->flags & KTT_OPAQUE)
            return to->kind != KTT_BASE && to->kind != KTT_ENUM;
        if (to->kind == KTT_VOID)
            return !to->tparam;
        return (to->kind == KTT_STRUCT || to->kind == KTT_UNION) && reach[target];
    }
    if (tt->kind == KTT_STRUCT && !(tt->decl && tt->decl[0] == '/')) {
        for (int i = 0; i < tt->nfields; i++)
            if (!tt->fields[i].bit_size && reach[ktt_resolve(k, tt->fields[i].type)])
                return 1;
        return 0;
    }
    if (tt->kind == KTT_ARRAY && tt->count > 0)
        return reach[ktt_resolve(k, tt->target)];
    return 0;
}

/* reach[] for every type of the summary: a fixpoint, types only (no heap). */
static uint8_t *reach_table(const struct ktt *k)
{
    uint8_t *reach = calloc((size_t)k->ntypes + 1, 1);
    for (int changed = 1; reach && changed;) {
        changed = 0;
        for (int t = 0; t < k->ntypes; t++)
            if (!reach[t] && may_reach(k, reach, t))
                reach[t] = 1, changed = 1;
    }
    return reach;
}

int kt_check_opaque_roots(const struct kt_version *old, const struct kt_version *nv,
                          struct kt_opaque_roots *out, int with_paths)
{
    struct walk w = {.old = old, .nv = nv, .err = (char[8]){0}, .errlen = 8, .collect = out,
                     .no_paths = !with_paths};
    memset(out, 0, sizeof *out);
    if (!(w.reach = reach_table(&nv->ktt)) || kt_maps_load(&w.maps)) {
        free(w.reach);
        return -1;
    }
    walk_state(&w);
    kt_maps_free(&w.maps);
    free(w.reach);
    return out->failed ? -1 : 0;
}

void kt_opaque_roots_free(struct kt_opaque_roots *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->paths[i]);
    free(r->paths);
    free(r->words);
    memset(r, 0, sizeof *r);
}
