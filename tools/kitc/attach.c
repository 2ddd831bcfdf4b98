/* attach.c - applies the source annotations to the DWARF model.  Declarations are
 * matched by kind, name, canonical file and line.  An annotation on a pointer or array
 * level clones the chain of types from the declared type down to that level, so the
 * annotated level becomes its own type entry (deduplication later merges equal ones);
 * E_GENERIC marks the struct or typedef itself; E_MANUAL/AUTO_MIGRATE set V flags. */
#include "kitc.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CHAIN 64

struct attach {
    struct model *m;
    const struct annot_list *l;
    smap index;      /* "kind|file|line|name" -> first annotation index + 1 */
    long *next;      /* next annotation of the same declaration + 1 */
    char *reported;  /* per annotation: error already printed */
    pmap canon;      /* DWARF path -> canonical path (interned) */
    strpool pool;
    int errors;
};

static const char *canon_of(struct attach *at, const char *file)
{
    if (!file)
        return NULL;
    long v = pmap_get(&at->canon, file, -1);
    if (v >= 0)
        return at->pool.s[v];
    char *c = path_canonical(file);
    const char *p = intern(&at->pool, c);
    free(c);
    v = smap_get(&at->pool.map, p, strlen(p), -1);
    pmap_put(&at->canon, file, v);
    return p;
}

static char *decl_key(enum ann_target kind, const char *file, int line, const char *name)
{
    return xasprintf("%d|%s|%d|%s", kind, file, line, name ? name : "-");
}

static void build_index(struct attach *at)
{
    at->next = xcalloc(at->l->n + 1, sizeof *at->next);
    at->reported = xcalloc(at->l->n + 1, 1);
    for (size_t i = at->l->n; i-- > 0;) {
        const struct annot *a = &at->l->a[i];
        char *k = decl_key(a->target, a->decl_file, a->decl_line, a->decl_name);
        at->next[i] = smap_get(&at->index, k, strlen(k), 0);
        smap_put(&at->index, k, strlen(k), (long)i + 1);
        free(k);
    }
}

/* First annotation (index + 1) of a declaration, 0 if none. */
static long first_annot(struct attach *at, enum ann_target kind, struct pos p, const char *name)
{
    const char *file = canon_of(at, p.file);
    if (!file || !at->l->n)
        return 0;
    char *k = decl_key(kind, file, p.line, name);
    long i = smap_get(&at->index, k, strlen(k), 0);
    free(k);
    return i;
}

static int fail(struct attach *at, const struct annot *a, const char *msg)
{
    size_t i = (size_t)(a - at->l->a);
    if (!at->reported[i]) {
        fprintf(stderr, "%s: kitc: %s\n", a->where, msg);
        at->reported[i] = 1;
        at->errors++;
    }
    return -1;
}

/* ---- the token an annotation adds ----------------------------------------------- */

static char *token_of(const struct annot *a)
{
    switch (a->kind) {
    case A_OPAQUE:
        return xstrdup("opaque");
    case A_SZ:
        return xstrdup("sz");
    case A_PTRARRAY:
        return a->inferred ? xasprintf("ptrarray=%s inferred=%s", a->arg, a->inferred)
                           : xasprintf("ptrarray=%s", a->arg);
    case A_ARRAY:
        return xasprintf("len=%s", a->arg);
    case A_GENERIC:
        return xasprintf("generic=%s", a->arg);
    case A_T:
        return xasprintf("tparam=%s", a->arg);
    case A_G:
        return xasprintf("gargs=%s", a->arg);
    case A_HELD:
        return xasprintf("held=%s", a->arg);
    default:
        return NULL;
    }
}

/* The class a token belongs to; two tokens of one class on one type conflict. */
static const char *token_class(const char *tok)
{
    if (strcmp(tok, "opaque") == 0 || strcmp(tok, "sz") == 0 ||
        strncmp(tok, "ptrarray=", 9) == 0)
        return "pointer";
    const char *eq = strchr(tok, '=');
    return eq ? tok : "?";
}

static int has_conflict(const struct type *t, const char *tok)
{
    if (!t->annot)
        return 0;
    const char *cls = token_class(tok);
    size_t n = strchr(cls, '=') ? (size_t)(strchr(cls, '=') - cls) + 1 : strlen(cls);
    char *copy = xstrdup(t->annot);
    int conflict = 0;
    for (char *p = strtok(copy, " "); p && !conflict; p = strtok(NULL, " "))
        conflict = strncmp(token_class(p), cls, n) == 0;
    free(copy);
    return conflict;
}

/* ---- walking a declared type ---------------------------------------------------- */

/* The chain of pointer and array types from t down to the first other type. */
struct chain {
    int node[MAX_CHAIN];
    int n;          /* node[n - 1] is the base (not a pointer or array) */
    int ptr[MAX_CHAIN];
    int nptr;       /* ptr[0] is the outermost pointer (index into node) */
};

static void chain_of(const struct model *m, int t, struct chain *c)
{
    c->n = c->nptr = 0;
    while (c->n < MAX_CHAIN - 1) {
        c->node[c->n++] = t;
        const struct type *ty = &m->t[t];
        if (ty->kind != K_PTR && ty->kind != K_ARRAY)
            break;
        if (ty->kind == K_PTR)
            c->ptr[c->nptr++] = c->n - 1;
        t = ty->target;
    }
}

/* Replaces node[k] of the chain by `leaf`, cloning the nodes above it. */
static int rebuild(struct model *m, const int *node, int k, int leaf)
{
    int cur = leaf;
    for (int i = k - 1; i >= 0; i--) {
        int c = type_clone(m, node[i]);
        m->t[c].target = cur;
        cur = c;
    }
    return cur;
}

/* Clones node[k] with token added; returns the new declared type or -1. */
static int annotate_at(struct attach *at, const struct annot *a, const int *node, int k,
                       const char *tok)
{
    if (has_conflict(&at->m->t[node[k]], tok))
        return fail(at, a, "conflicting annotations on one type level");
    int c = type_clone(at->m, node[k]);
    type_add_annot(&at->m->t[c], tok);
    return rebuild(at->m, node, k, c);
}

/* Extends the chain's base through typedefs down to a pointer; index of it or -1. */
static int typedef_pointer(const struct model *m, int *node, int n)
{
    int k = n - 1;
    while (k < MAX_CHAIN - 1 && m->t[node[k]].kind == K_TYPEDEF) {
        node[k + 1] = m->t[node[k]].target;
        k++;
    }
    return m->t[node[k]].kind == K_PTR ? k : -1;
}

static int apply_pointer(struct attach *at, const struct annot *a, struct chain *c,
                         const char *tok)
{
    int k;
    if (a->stars > c->nptr)
        return fail(at, a, "annotation stands after more '*' than the type has pointers");
    if (a->stars > 0) {
        k = c->ptr[c->nptr - a->stars];
    } else if ((k = typedef_pointer(at->m, c->node, c->n)) < 0) {
        return fail(at, a, "pointer annotation on a type that is not a pointer");
    }
    if (!tok) /* E_PTR: the default, nothing to record */
        return c->node[0];
    return annotate_at(at, a, c->node, k, tok);
}

static int apply_array(struct attach *at, const struct annot *a, struct chain *c,
                       const char *tok)
{
    int level = a->bracket < 0 ? 0 : a->bracket;
    int k = 0, seen = -1;
    for (; k < c->n; k++) {
        if (at->m->t[c->node[k]].kind == K_PTR)
            break;
        if (at->m->t[c->node[k]].kind == K_ARRAY && ++seen == level)
            break;
    }
    if (seen != level || k >= c->n)
        return fail(at, a, "E_ARRAY on a type that is not an array");
    return annotate_at(at, a, c->node, k, tok);
}

/* E_T: `void E_T(@a) *p` (p points to an @a) marks the pointer to void; `void *
 * E_T(@a) p` (p is an @a) replaces that pointer level by an annotated void. */
static int apply_tparam(struct attach *at, const struct annot *a, struct chain *c,
                        const char *tok)
{
    struct model *m = at->m;
    if (a->stars == 0) {
        if (m->t[c->node[c->n - 1]].kind != K_VOID)
            return fail(at, a, "E_T qualifies void or a pointer");
        return annotate_at(at, a, c->node, c->nptr ? c->ptr[c->nptr - 1] : c->n - 1, tok);
    }
    if (a->stars > c->nptr)
        return fail(at, a, "annotation stands after more '*' than the type has pointers");
    int v = type_new(m, K_VOID);
    type_add_annot(&m->t[v], tok);
    return rebuild(m, c->node, c->ptr[c->nptr - a->stars], v);
}

static int apply_gargs(struct attach *at, const struct annot *a, struct chain *c,
                       const char *tok)
{
    enum kind k = at->m->t[c->node[c->n - 1]].kind;
    if (a->stars != 0 || (k != K_STRUCT && k != K_UNION && k != K_TYPEDEF))
        return fail(at, a, "E_G must follow the name of a struct, union or typedef");
    int r = annotate_at(at, a, c->node, c->n - 1, tok);
    if (r >= 0) {
        struct chain done;
        chain_of(at->m, r, &done);
        at->m->t[done.node[done.n - 1]].origin = c->node[c->n - 1];
    }
    return r;
}

/* E_HELD(lib): the member is a struct or union (through typedefs, or an array of
 * them) whose address the library keeps; the token goes on that struct or union. */
static int apply_held(struct attach *at, const struct annot *a, struct chain *c,
                      const char *tok)
{
    int node[MAX_CHAIN], k = 0;
    for (int i = 0; i < c->n; i++)
        node[i] = c->node[i];
    k = c->n - 1;
    if (c->nptr > 0)
        return fail(at, a, "E_HELD qualifies a member held by value, not a pointer");
    while (k < MAX_CHAIN - 1 && at->m->t[node[k]].kind == K_TYPEDEF) {
        node[k + 1] = at->m->t[node[k]].target;
        k++;
    }
    enum kind kind = at->m->t[node[k]].kind;
    if (kind != K_STRUCT && kind != K_UNION)
        return fail(at, a, "E_HELD qualifies a member whose type is a struct or union");
    return annotate_at(at, a, node, k, tok);
}

/* Applies a type-level annotation to declared type t; the new type or -1. */
static int apply(struct attach *at, const struct annot *a, int t)
{
    struct chain c;
    chain_of(at->m, t, &c);
    char *tok = token_of(a);
    int r;
    switch (a->kind) {
    case A_OPAQUE:
    case A_PTR:
    case A_PTRARRAY:
    case A_SZ:
        r = apply_pointer(at, a, &c, tok);
        break;
    case A_ARRAY:
        r = apply_array(at, a, &c, tok);
        break;
    case A_T:
        r = apply_tparam(at, a, &c, tok);
        break;
    case A_G:
        r = apply_gargs(at, a, &c, tok);
        break;
    case A_HELD:
        r = apply_held(at, a, &c, tok);
        break;
    default:
        r = fail(at, a, "annotation cannot qualify this declaration");
        break;
    }
    free(tok);
    return r;
}

/* Applies every annotation of one declaration to *type. */
static void apply_all(struct attach *at, long first, int *type)
{
    for (long i = first; i; i = at->next[i - 1]) {
        const struct annot *a = &at->l->a[i - 1];
        if (a->kind == A_GENERIC || a->kind == A_MANUAL || a->kind == A_AUTO ||
            a->kind == A_NOTELOCALS || a->kind == A_OPTIONAL)
            continue;
        int r = apply(at, a, *type);
        if (r >= 0)
            *type = r;
    }
}

static void mark_generic(struct attach *at, long first, int id)
{
    for (long i = first; i; i = at->next[i - 1]) {
        const struct annot *a = &at->l->a[i - 1];
        if (a->kind != A_GENERIC)
            continue;
        char *tok = token_of(a);
        if (has_conflict(&at->m->t[id], tok))
            fail(at, a, "conflicting annotations on one type");
        else
            type_add_annot(&at->m->t[id], tok);
        free(tok);
    }
}

static void attach_generic(struct attach *at, int id)
{
    struct type *t = &at->m->t[id];
    if (t->kind == K_STRUCT || t->kind == K_UNION)
        mark_generic(at, first_annot(at, t->kind == K_STRUCT ? AT_STRUCT : AT_UNION, t->pos,
                                     t->name), id);
    else if (t->kind == K_TYPEDEF)
        mark_generic(at, first_annot(at, AT_TYPEDEF, t->pos, t->name), id);
}

static void attach_members(struct attach *at, int id)
{
    struct model *m = at->m;
    if (m->t[id].kind != K_STRUCT && m->t[id].kind != K_UNION)
        return;
    for (size_t j = 0; j < m->t[id].nmem; j++) {
        struct member *mb = &m->t[id].mem[j];
        if (!mb->name)
            continue;
        long first = first_annot(at, AT_FIELD, mb->pos, mb->name);
        int type = mb->type;
        apply_all(at, first, &type);
        m->t[id].mem[j].type = type;
        for (long i = first; i; i = at->next[i - 1])
            if (at->l->a[i - 1].kind == A_OPTIONAL) {
                /* E_OPTIONAL: objects may be allocated ending where this member
                 * starts; recorded on the struct (optional=FIELD). */
                char *tok = xasprintf("optional=%s", m->t[id].mem[j].name);
                if (has_conflict(&m->t[id], tok))
                    fail(at, &at->l->a[i - 1], "E_OPTIONAL on two members of one struct");
                else
                    type_add_annot(&m->t[id], tok);
                free(tok);
            }
    }
}

static void attach_typedef(struct attach *at, int id)
{
    struct model *m = at->m;
    if (m->t[id].kind != K_TYPEDEF)
        return;
    int type = m->t[id].target;
    apply_all(at, first_annot(at, AT_TYPEDEF, m->t[id].pos, m->t[id].name), &type);
    m->t[id].target = type;
}

/* An E_G use was cloned from its struct or typedef before all annotations were
 * in place: give it the final members or target. */
static void refresh_instance(struct model *m, int id)
{
    struct type *t = &m->t[id];
    if (t->origin < 0)
        return;
    const struct type *o = &m->t[t->origin];
    if (t->kind == K_TYPEDEF)
        t->target = o->target;
    for (size_t j = 0; j < t->nmem && j < o->nmem; j++)
        t->mem[j].type = o->mem[j].type;
}

static void attach_var(struct attach *at, struct var *v)
{
    long first = first_annot(at, AT_VAR, v->pos, v->name);
    for (long i = first; i; i = at->next[i - 1]) {
        const struct annot *a = &at->l->a[i - 1];
        if (a->kind == A_MANUAL)
            v->flags |= VF_MANUAL;
        else if (a->kind == A_AUTO)
            v->flags |= VF_AUTO;
    }
    apply_all(at, first, &v->type);
}

/* Whether a function named `func` defined in `file` (canonical) is E_NOTELOCALS. */
static int notes_locals(struct attach *at, const char *func, const char *file)
{
    for (size_t i = 0; i < at->l->n; i++) {
        const struct annot *a = &at->l->a[i];
        if (a->kind == A_NOTELOCALS && a->decl_name && strcmp(a->decl_name, func) == 0 &&
            file && strcmp(a->decl_file, file) == 0)
            return 1;
    }
    return 0;
}

/* The locals of E_NOTELOCALS functions join the variables.  The copies of one local
 * (its function's out-of-line code, and where it was inlined) are one variable found
 * in all their ranges; a local of a nested block that shadows another of the same name
 * is left out (its key would be the same). */
static void add_noted_locals(struct attach *at)
{
    struct model *m = at->m;
    size_t first = m->nv;
    for (size_t i = 0; i < m->nlv; i++) {
        struct var *lv = &m->lv[i];
        if (!notes_locals(at, lv->func, canon_of(at, lv->pos.file)))
            continue;
        struct var *same = NULL;
        for (size_t j = first; j < m->nv && !same; j++)
            if (strcmp(m->v[j].func, lv->func) == 0 && strcmp(m->v[j].name, lv->name) == 0 &&
                m->v[j].pos.file == lv->pos.file)
                same = &m->v[j];
        if (same && same->origin == lv->origin) {
            char *fr = xasprintf("%s%s%s", same->frame, *same->frame && *lv->frame ? "," : "",
                                 lv->frame);
            free(same->frame);
            same->frame = fr;
            if (lv->loc) {
                char *lc = same->loc ? xasprintf("%s,%s", same->loc, lv->loc) : xstrdup(lv->loc);
                free(same->loc);
                same->loc = lc;
            }
            if (lv->scope) {
                char *sc = same->scope ? xasprintf("%s,%s", same->scope, lv->scope)
                                       : xstrdup(lv->scope);
                free(same->scope);
                same->scope = sc;
            }
        }
        if (same)
            continue;
        grow(&m->v, &m->capv, m->nv + 1, sizeof *m->v);
        m->v[m->nv] = *lv;
        m->v[m->nv].name = xstrdup(lv->name);
        m->v[m->nv].func = xstrdup(lv->func);
        m->v[m->nv].frame = xstrdup(lv->frame);
        m->v[m->nv].loc = lv->loc ? xstrdup(lv->loc) : NULL;
        m->v[m->nv].scope = lv->scope ? xstrdup(lv->scope) : NULL;
        m->nv++;
    }
}

int annotations_attach(struct model *m, const struct annot_list *l)
{
    if (!l->n)
        return 0;
    struct attach at = {0};
    at.m = m;
    at.l = l;
    build_index(&at);
    add_noted_locals(&at);
    size_t n = m->nt; /* clones made on the way need no visit */
    for (size_t i = 0; i < n; i++)
        attach_generic(&at, (int)i);
    for (size_t i = 0; i < n; i++)
        attach_members(&at, (int)i);
    for (size_t i = 0; i < n; i++)
        attach_typedef(&at, (int)i);
    for (size_t i = 0; i < m->nv; i++)
        attach_var(&at, &m->v[i]);
    for (size_t i = 0; i < m->nt; i++)
        refresh_instance(m, (int)i);
    smap_free(&at.index);
    pmap_free(&at.canon);
    free(at.next);
    free(at.reported);
    return at.errors ? -1 : 0;
}
