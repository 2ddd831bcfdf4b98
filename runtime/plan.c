/* plan.c - the planner: compares two type summaries and decides, for each migrated
 * variable and every type reachable from it, how old objects become new ones
 * (see plan.h).  It never touches program memory. */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

static __attribute__((noreturn)) void plan_oom(void)
{
    plan_out_of_memory(); /* the linking program's: plan.h */
}

static const struct ktt_type *otype(const struct plan_ctx *c, int t) { return &c->old->types[t]; }
static const struct ktt_type *ntype(const struct plan_ctx *c, int t) { return &c->new_->types[t]; }

static void diag(struct plan_ctx *c, const char *path, const char *decl, const char *stub,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void diag(struct plan_ctx *c, const char *path, const char *decl, const char *stub,
                 const char *fmt, ...)
{
    for (int i = 0; i < c->ndiags; i++)
        if (strcmp(c->diags[i].path, path) == 0)
            return; /* one diagnostic per path */
    if (c->ndiags == c->cap_diags) {
        int cap = c->cap_diags ? c->cap_diags * 2 : 8;
        struct plan_diag *d = realloc(c->diags, (size_t)cap * sizeof *d);
        if (!d)
            return;
        c->diags = d;
        c->cap_diags = cap;
    }
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    struct plan_diag *d = &c->diags[c->ndiags++];
    d->path = strdup(path);
    d->decl = decl ? strdup(decl) : NULL;
    d->what = strdup(what);
    d->stub = stub ? strdup(stub) : NULL;
    if (!d->path || !d->what || (decl && !d->decl) || (stub && !d->stub))
        plan_oom();
}

/* "struct node", "union u", "enum e", a typedef name, or NULL when anonymous. */
static void type_label(const struct ktt *k, int t, char *buf, size_t len)
{
    ktt_type_name(k, t, buf, len);
}

/* Declared outside the program's source root (the summary gives an absolute path). */
static int outside_root(const struct ktt_type *t)
{
    return t->decl && t->decl[0] == '/';
}

/* A library's struct or union, copied as bytes.  A header that describes its type with
 * generic annotations (kitsune.h's heap lists) has it planned like the program's. */
static int is_foreign(const struct ktt_type *t)
{
    return (t->kind == KTT_STRUCT || t->kind == KTT_UNION) && outside_root(t) &&
           !t->generic && !t->gargs;
}

static int is_int(const struct ktt_type *t)
{
    return t->kind == KTT_BASE && t->enc != KTT_FLOAT;
}

/* ---- rules ---- */

static const char *type_rule_name(const struct ktt *k, int t, char *buf, size_t len)
{
    const struct ktt_type *ty = &k->types[t];
    if (ty->kind == KTT_TYPEDEF || ((ty->kind == KTT_STRUCT || ty->kind == KTT_UNION ||
                                     ty->kind == KTT_ENUM) && ty->name)) {
        type_label(k, t, buf, len);
        return buf;
    }
    return NULL;
}

static int find_rule(struct plan_ctx *c, enum rule_kind kind, const char *to,
                     const char *to_field)
{
    int found = -1;
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if (r->kind != kind || !r->to || strcmp(r->to, to) != 0)
            continue;
        if (to_field && (!r->to_field || strcmp(r->to_field, to_field) != 0))
            continue;
        if (found >= 0) {
            diag(c, to, NULL, NULL, "ambiguous rules: more than one rule targets %s%s%s", to,
                 to_field ? "." : "", to_field ? to_field : "");
            return found;
        }
        found = i;
    }
    return found;
}

static void use_rule(struct plan_ctx *c, int i)
{
    if (i >= 0)
        ((struct plan_rule *)c->rules)[i].used = 1;
}

/* ---- dropped state ----
 * State that no new variable or field takes over is lost.  That must be a decision,
 * written as a rule (`old -> (dropped)`): for an old variable holding state, and for a
 * field that vanishes while a field of the same type appears (a likely rename). */

/* The RULE_DROP for variable `from` (field NULL) or field `field` of type `from`; every
 * match is marked used.  -1 when there is none. */
static int find_drop_rule(struct plan_ctx *c, const char *from, const char *field)
{
    int found = -1;
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if (r->kind != RULE_DROP || !r->from || strcmp(r->from, from) != 0 ||
            !r->from_field != !field || (field && strcmp(r->from_field, field) != 0))
            continue;
        use_rule(c, i);
        found = i;
    }
    return found;
}

/* Whether old type ot and new type nt are the same type, by name and shape: what a
 * renamed variable or field keeps. */
static int same_named_type(const struct plan_ctx *c, int ot, int nt, int depth)
{
    ot = ktt_resolve(c->old, ot);
    nt = ktt_resolve(c->new_, nt);
    const struct ktt_type *o = otype(c, ot), *n = ntype(c, nt);
    if (o->kind != n->kind || depth > 8 || !o->tparam != !n->tparam)
        return 0;
    switch (o->kind) {
    case KTT_BASE:
        return o->size == n->size && o->enc == n->enc;
    case KTT_PTR:
        return same_named_type(c, o->target, n->target, depth + 1);
    case KTT_ARRAY:
        return o->count == n->count && same_named_type(c, o->target, n->target, depth + 1);
    case KTT_STRUCT:
    case KTT_UNION:
    case KTT_ENUM:
        return o->name && n->name && strcmp(o->name, n->name) == 0;
    default:
        return 1;
    }
}

/* Length of the part of a key before the variable's name ("net.c/", "f.c/run#"). */
static size_t key_scope_len(const char *key)
{
    size_t n = 0;
    for (size_t i = 0; key[i]; i++)
        if (key[i] == '/' || key[i] == '#' || key[i] == '@')
            n = i + 1;
    return n;
}

/* A new variable in the same scope as old variable ov, of the same type, that nothing
 * fills and that was not suggested for another one (`suggested`, per new variable):
 * ov was probably renamed to it.  NULL when there is none. */
static const struct ktt_var *renamed_var(struct plan_ctx *c, const struct ktt_var *ov,
                                         uint8_t *suggested)
{
    size_t scope = key_scope_len(ov->key);
    for (int i = 0; i < c->new_->nvars; i++) {
        const struct ktt_var *nv = &c->new_->vars[i];
        if (suggested[i] || !plan_var_migrates(nv) || ktt_find_var(c->old, nv->key) ||
            key_scope_len(nv->key) != scope || strncmp(nv->key, ov->key, scope) != 0 ||
            !same_named_type(c, ov->type, nv->type, 0))
            continue;
        int taken = 0;
        for (int r = 0; r < c->nrules && !taken; r++)
            taken = (c->rules[r].kind == RULE_VAR || c->rules[r].kind == RULE_INIT_VAR) &&
                    c->rules[r].to && strcmp(c->rules[r].to, nv->key) == 0;
        if (!taken) {
            suggested[i] = 1;
            return nv;
        }
    }
    return NULL;
}

static void plan_dropped_vars(struct plan_ctx *c)
{
    uint8_t *suggested = calloc((size_t)c->new_->nvars + 1, 1);
    if (!suggested)
        plan_oom();
    for (int i = plan_dropped_var(c, 0); i >= 0; i = plan_dropped_var(c, i + 1)) {
        const struct ktt_var *ov = &c->old->vars[i];
        /* Kept under its key but not migrated (now const or E_MANUAL_MIGRATE): the new
         * version's own decision. */
        if (ktt_find_var(c->new_, ov->key) || find_drop_rule(c, ov->key, NULL) >= 0)
            continue;
        const struct ktt_var *nv = renamed_var(c, ov, suggested);
        char stub[600];
        if (nv) {
            snprintf(stub, sizeof stub, "%s -> %s", ov->key, nv->key);
            diag(c, ov->key, ov->decl, stub, "not in the new version, and %s of the same "
                 "type is new: renamed? (if not, %s -> (dropped))", nv->key, ov->key);
        } else {
            snprintf(stub, sizeof stub, "%s -> (dropped)", ov->key);
            diag(c, ov->key, ov->decl, stub, "not in the new version: its state would be "
                 "lost; say so with a rule, or rename it (%s -> NEW_NAME)", ov->key);
        }
    }
    free(suggested);
}

/* ---- generic bindings ----
 *
 * Inside a generic struct (E_GENERIC(@a, ...)) the parameters are bound by the use
 * that reached it (E_G(args)).  A binding environment is text, "@a=struct_conn;@b=int",
 * interned so that equal environments are the same pointer; arguments are spelled as
 * in the summary's gargs= (docs/ktt-format.md). */

static const char *intern(struct plan_ctx *c, const char *s)
{
    if (!s)
        return NULL;
    for (int i = 0; i < c->nenvs; i++)
        if (strcmp(c->envs[i], s) == 0)
            return c->envs[i];
    if (c->nenvs == c->cap_envs) {
        int cap = c->cap_envs ? c->cap_envs * 2 : 16;
        char **v = realloc(c->envs, (size_t)cap * sizeof *v);
        if (!v)
            plan_oom();
        c->envs = v;
        c->cap_envs = cap;
    }
    c->envs[c->nenvs] = strdup(s);
    if (!c->envs[c->nenvs])
        plan_oom();
    return c->envs[c->nenvs++];
}

/* Splits a comma-separated list at top level (not inside <...>); returns the count. */
static int split_args(const char *s, char out[][200], int max)
{
    int n = 0, depth = 0;
    size_t len = 0;
    for (const char *p = s;; p++) {
        if (*p == '\0' || (*p == ',' && depth == 0)) {
            if (n < max) {
                out[n][len < 199 ? len : 199] = '\0';
                n++;
            }
            len = 0;
            if (*p == '\0')
                return n;
            continue;
        }
        if (*p == '<')
            depth++;
        else if (*p == '>')
            depth--;
        if (n < max && len < 199)
            out[n][len] = *p;
        len++;
    }
}

/* The argument bound to parameter `param` ("@a") in env, copied into buf; NULL if none. */
static const char *env_get(const char *env, const char *param, char *buf, size_t len)
{
    size_t pl = strlen(param);
    for (const char *p = env; p && *p;) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > pl && strncmp(p, param, pl) == 0 && p[pl] == '=') {
            snprintf(buf, len, "%.*s", (int)(n - pl - 1), p + pl + 1);
            return buf;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Replaces every @param in `arg` by its binding in env (unbound ones stay). */
static void substitute(const char *arg, const char *env, char *out, size_t len)
{
    size_t w = 0;
    for (const char *p = arg; *p && w + 1 < len;) {
        if (*p != '@') {
            out[w++] = *p++;
            continue;
        }
        char name[100], val[400];
        size_t n = 1;
        while (p[n] && p[n] != ',' && p[n] != '<' && p[n] != '>' && p[n] != '*' && n < 99)
            n++;
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        const char *v = env_get(env, name, val, sizeof val);
        w += (size_t)snprintf(out + w, len - w, "%s", v ? v : name);
        p += n;
    }
    out[w < len ? w : len - 1] = '\0';
}

/* The environment inside a generic type with parameters `params` ("@a,@b") used with
 * arguments `args` where `outer` holds.  Returns NULL and sets *bad on a count
 * mismatch. */
static const char *bind(struct plan_ctx *c, const char *params, const char *args,
                        const char *outer, int *bad)
{
    char ps[16][200], as[16][200];
    int np = split_args(params, ps, 16), na = split_args(args, as, 16);
    if (np != na) {
        *bad = 1;
        return NULL;
    }
    char env[2048];
    size_t w = 0;
    for (int i = 0; i < np && w < sizeof env; i++) {
        char val[400];
        substitute(as[i], outer, val, sizeof val);
        w += (size_t)snprintf(env + w, sizeof env - w, "%s%s=%s", i ? ";" : "", ps[i], val);
    }
    return intern(c, env);
}

/* Every parameter of `params` bound to [untyped]: as [opaque], but a pointer of the
 * parameter's type still leads to the new object when what it points to was rebuilt
 * (reached from elsewhere). */
static const char *bind_untyped(struct plan_ctx *c, const char *params)
{
    char ps[16][200], env[2048];
    int np = split_args(params, ps, 16);
    size_t w = 0;
    for (int i = 0; i < np && w < sizeof env; i++)
        w += (size_t)snprintf(env + w, sizeof env - w, "%s%s=[untyped]", i ? ";" : "", ps[i]);
    return intern(c, env);
}

/* The generic parameters of a struct, union or typedef: on the entry itself, or on
 * another entry of the same name (a use may not repeat them). */
static const char *params_of(const struct ktt *k, int t)
{
    const struct ktt_type *ty = &k->types[t];
    if (ty->generic || !ty->name)
        return ty->generic;
    for (int i = 0; i < k->ntypes; i++)
        if (k->types[i].kind == ty->kind && k->types[i].generic && k->types[i].name &&
            strcmp(k->types[i].name, ty->name) == 0)
            return k->types[i].generic;
    return NULL;
}

static int find_arg_type(const struct ktt *k, const char *name);

/* A generic argument as C spells it: "struct_conn*" is "struct conn *", "typedef_T"
 * is "T". */
static void arg_spelling(const char *arg, char *buf, size_t len)
{
    static const char *const tags[] = {"struct_", "union_", "enum_", "typedef_"};
    const char *tag = "";
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (strncmp(arg, tags[i], strlen(tags[i])) == 0) {
            tag = tags[i];
            arg += strlen(tags[i]);
        }
    size_t n = strcspn(arg, "*");
    snprintf(buf, len, "%.*s%s%.*s%s%s", tag[0] && tag[0] != 't' ? (int)strlen(tag) - 1 : 0,
             tag, tag[0] && tag[0] != 't' ? " " : "", (int)n, arg, arg[n] ? " " : "", arg + n);
}

/* Each argument of an E_G use names a type of version k (`old` says which): checked
 * where the use is, so that the message names it (a heap list's element type). */
static void check_use_args(struct plan_ctx *c, const struct ktt *k, const char *args,
                           const char *path, const char *decl)
{
    char as[16][200];
    int na = split_args(args, as, 16);
    for (int i = 0; i < na && i < 16; i++) {
        char base[200];
        snprintf(base, sizeof base, "%s", as[i]);
        for (size_t n = strlen(base); n > 0 && base[n - 1] == '*'; n--)
            base[n - 1] = '\0';
        if (base[0] == '@' || base[0] == '[' || strchr(base, '<') ||
            find_arg_type(k, base) >= 0)
            continue;
        char spelled[200], use[200];
        arg_spelling(base, spelled, sizeof spelled);
        arg_spelling(as[i], use, sizeof use);
        diag(c, path, decl, NULL, "E_G(%s): no type %s in the %s version; name a type the "
             "program defines (one that no code uses has no debug info unless built with "
             "-fno-eliminate-unused-debug-types)", use, spelled, k == c->old ? "old" : "new");
    }
}

/* Follows typedefs from t, applying the E_G bindings met on the way.  With
 * `first_bound`, env already binds t's own parameters (t was named in an argument such
 * as struct_list<int,int,int>, and its own gargs= belong to some other use).  Returns
 * the resolved type and sets *out to the bindings that hold inside it. */
static int enter(struct plan_ctx *c, const struct ktt *k, int t, const char *env,
                 int first_bound, const char **out, const char *path, const char *decl)
{
    for (int i = 0; i < MAX_DEPTH && t >= 0; i++) {
        const struct ktt_type *ty = &k->types[t];
        int aggregate = ty->kind == KTT_STRUCT || ty->kind == KTT_UNION;
        if (i == 0 && first_bound) {
            /* env is already the inside of t */
        } else if ((aggregate || ty->kind == KTT_TYPEDEF) && ty->gargs) {
            const char *params = params_of(k, t);
            int bad = 0;
            check_use_args(c, k, ty->gargs, path, decl);
            env = params ? bind(c, params, ty->gargs, env, &bad) : NULL;
            if (!params || bad)
                diag(c, path, decl, NULL, "E_G(%s) does not match the parameters of %s "
                     "(%s)", ty->gargs, ty->name ? ty->name : "<anonymous>",
                     params ? params : "none");
        } else if (ty->generic && outside_root(ty)) {
            /* A header's generic type used without E_G (a kitsune_heaplist of elements
             * it does not name): what its slots point to is not followed, but an
             * object rebuilt because it is reached from elsewhere is found again. */
            env = bind_untyped(c, ty->generic);
        } else if (aggregate) {
            env = NULL; /* a plain struct binds nothing; an unbound generic neither */
        } else if (ty->kind == KTT_BASE || ty->kind == KTT_ENUM || ty->kind == KTT_FUNC ||
                   (ty->kind == KTT_VOID && !ty->tparam)) {
            env = NULL; /* nothing inside can use a parameter */
        }
        if (ty->kind != KTT_TYPEDEF)
            break;
        t = ty->target;
    }
    *out = env;
    return t;
}

/* A type named in a generic argument: "struct_conn", "union_u", "enum_e", a typedef
 * or base type name ("unsigned_int", "typedef_T"); -1 if the summary has none. */
static int find_arg_type(const struct ktt *k, const char *name)
{
    static const struct { const char *prefix; enum ktt_kind kind; } tags[] = {
        {"struct_", KTT_STRUCT}, {"union_", KTT_UNION}, {"enum_", KTT_ENUM}};
    for (size_t j = 0; j < sizeof tags / sizeof tags[0]; j++) {
        size_t pl = strlen(tags[j].prefix);
        if (strncmp(name, tags[j].prefix, pl) != 0)
            continue;
        int found = -1;
        for (int i = 0; i < k->ntypes; i++) {
            const struct ktt_type *t = &k->types[i];
            if (t->kind == tags[j].kind && t->name && strcmp(t->name, name + pl) == 0 &&
                (found < 0 || (!t->gargs && k->types[found].gargs)))
                found = i; /* prefer the entry of the definition itself */
        }
        return found;
    }
    if (strncmp(name, "typedef_", 8) == 0)
        name += 8;
    static const struct { const char *alias, *name; } aliases[] = {
        {"long_int", "long"}, {"short_int", "short"}, {"unsigned", "unsigned_int"},
        {"long_unsigned_int", "unsigned_long"}, {"long_long_int", "long_long"},
        {"short_unsigned_int", "unsigned_short"}, {"signed_int", "int"},
        {"_Bool", "bool"}};
    for (size_t j = 0; j < sizeof aliases / sizeof aliases[0]; j++)
        if (strcmp(name, aliases[j].alias) == 0)
            name = aliases[j].name;
    int found = -1;
    for (int i = 0; i < k->ntypes; i++) {
        const struct ktt_type *t = &k->types[i];
        if ((t->kind == KTT_BASE || t->kind == KTT_TYPEDEF) && t->name &&
            strcmp(t->name, name) == 0 &&
            (found < 0 || (!t->gargs && k->types[found].gargs)))
            found = i;
    }
    return found;
}

/* A type in both versions, with the bindings that hold inside it and a number of
 * pointer levels above it (a generic argument may be "struct_conn*"). */
struct tref {
    int ot, nt;          /* resolved types */
    int named_nt;        /* the new type as named (a typedef), for type rules */
    const char *env;
    int ptrs;
    int opaque;          /* the argument [opaque]: never followed */
    int untyped;         /* [untyped] (also opaque): a pointer is translated, not followed */
    int ok;
};

/* The types ot/nt (of one slot) where `env` holds. */
static struct tref tref_of(struct plan_ctx *c, int ot, int nt, const char *env,
                           const char *path, const char *decl)
{
    struct tref r = {.named_nt = nt, .ok = 1};
    const char *oenv, *nenv;
    r.ot = enter(c, c->old, ot, env, 0, &oenv, path, decl);
    r.nt = enter(c, c->new_, nt, env, 0, &nenv, path, decl);
    if (oenv != nenv)
        diag(c, path, decl, NULL, "generic arguments changed from <%s> to <%s>",
             oenv ? oenv : "", nenv ? nenv : "");
    r.env = nenv;
    return r;
}

/* Types ot/nt used with generic arguments `args` ("" for none), as in `arg` (for
 * messages; `name` is the type's). */
static struct tref tref_bound(struct plan_ctx *c, int ot, int nt, const char *args,
                              const char *arg, const char *name, const char *path,
                              const char *decl)
{
    struct tref r = {.ot = -1, .nt = -1, .named_nt = -1};
    const char *env = NULL;
    if (args[0]) {
        const char *params = params_of(c->new_, nt);
        int bad = 0;
        env = params ? bind(c, params, args, NULL, &bad) : NULL;
        if (!params || bad) {
            diag(c, path, decl, NULL, "generic argument %s: %s takes parameters (%s)", arg,
                 name, params ? params : "none");
            return r;
        }
    }
    const char *oenv, *nenv;
    r.ot = enter(c, c->old, ot, env, args[0] != '\0', &oenv, path, decl);
    r.nt = enter(c, c->new_, nt, env, args[0] != '\0', &nenv, path, decl);
    r.named_nt = nt;
    r.env = nenv;
    r.ok = 1;
    return r;
}

/* Whether check_use_args has already said that no type `spelled` exists: the use is
 * what the programmer fixes, not the generic type's insides (kitsune.h's heap list). */
static int use_diagnosed(const struct plan_ctx *c, const char *spelled)
{
    char what[300];
    snprintf(what, sizeof what, "): no type %s in the ", spelled);
    for (int i = 0; i < c->ndiags; i++)
        if (strncmp(c->diags[i].what, "E_G(", 4) == 0 && strstr(c->diags[i].what, what))
            return 1;
    return 0;
}

/* The type a generic argument names, in both versions. */
static struct tref tref_of_arg(struct plan_ctx *c, const char *arg, const char *path,
                               const char *decl)
{
    struct tref r = {.ot = -1, .nt = -1, .named_nt = -1};
    if (strcmp(arg, "[opaque]") == 0 || strcmp(arg, "[untyped]") == 0) {
        r.opaque = r.ok = 1;
        r.untyped = arg[1] == 'u';
        return r;
    }
    char base[400], args[400] = "";
    snprintf(base, sizeof base, "%s", arg);
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '*') {
        base[--n] = '\0';
        r.ptrs++;
    }
    char *lt = strchr(base, '<');
    if (lt && n > 0 && base[n - 1] == '>') {
        base[n - 1] = '\0';
        snprintf(args, sizeof args, "%s", lt + 1);
        *lt = '\0';
    }
    int ot = find_arg_type(c->old, base), nt = find_arg_type(c->new_, base);
    if (ot < 0 || nt < 0) {
        char spelled[400];
        arg_spelling(base, spelled, sizeof spelled);
        if (!use_diagnosed(c, spelled))
            diag(c, path, decl, NULL, "generic argument %s: no type %s in the %s version",
                 arg, spelled, ot >= 0 ? "new" : nt >= 0 ? "old" : "old or the new");
        return r;
    }
    struct tref b = tref_bound(c, ot, nt, args, arg, base, path, decl);
    b.ptrs = r.ptrs;
    return b;
}

/* The argument bound to a parameter use (E_T(@a)) on old type o / new type n. */
static struct tref tref_of_param(struct plan_ctx *c, const struct ktt_type *o,
                                 const struct ktt_type *n, const char *env, const char *path,
                                 const char *decl)
{
    struct tref r = {.ot = -1, .nt = -1, .named_nt = -1};
    if (!o->tparam || !n->tparam || strcmp(o->tparam, n->tparam) != 0) {
        diag(c, path, decl, NULL, "generic parameter changed from %s to %s; write a rule",
             o->tparam ? o->tparam : "none", n->tparam ? n->tparam : "none");
        return r;
    }
    char arg[400];
    if (!env_get(env, n->tparam, arg, sizeof arg)) {
        char stub[600];
        snprintf(stub, sizeof stub, "bind %s where the generic type is used: "
                 "struct T E_G(struct S, ...) *field", n->tparam);
        diag(c, path, decl, stub, "E_T(%s) has no binding here (no E_G on the use)",
             n->tparam);
        return r;
    }
    return tref_of_arg(c, arg, path, decl);
}

/* ---- plan objects ---- */

static size_t plan_hash(int ot, int nt, const char *env, int ptrs)
{
    uint64_t h = (uint64_t)(unsigned)ot * 0x9e3779b97f4a7c15ULL;
    h ^= (uint64_t)(unsigned)nt * 0xc2b2ae3d27d4eb4fULL;
    h ^= (uint64_t)(uintptr_t)env * 0x165667b19e3779f9ULL;
    h ^= (uint64_t)(unsigned)ptrs;
    h ^= h >> 29;
    return (size_t)h;
}

static struct plan *find_plan_env(struct plan_ctx *c, int ot, int nt, const char *env,
                                  int ptrs)
{
    if (!c->index)
        return NULL;
    for (size_t h = plan_hash(ot, nt, env, ptrs) & c->index_mask; c->index[h];
         h = (h + 1) & c->index_mask) {
        struct plan *p = c->index[h];
        if (p->old_type == ot && p->new_type == nt && p->env == env && p->ptrs == ptrs)
            return p;
    }
    return NULL;
}

static void index_insert(struct plan_ctx *c, struct plan *p)
{
    size_t h = plan_hash(p->old_type, p->new_type, p->env, p->ptrs) & c->index_mask;
    while (c->index[h])
        h = (h + 1) & c->index_mask;
    c->index[h] = p;
}

static void index_add(struct plan_ctx *c, struct plan *p)
{
    if (!c->index || (c->nplans + 1) * 2 > c->index_mask + 1) {
        size_t cap = c->index ? (c->index_mask + 1) * 2 : 256;
        free(c->index);
        c->index = calloc(cap, sizeof *c->index);
        if (!c->index)
            plan_oom();
        c->index_mask = cap - 1;
        for (struct plan *q = c->plans; q; q = q->next)
            index_insert(c, q);
    }
    index_insert(c, p);
    c->nplans++;
}

static struct plan_op *add_op(struct plan *p, enum op_kind kind, size_t old_off,
                              size_t new_off)
{
    struct plan_op *ops = realloc(p->ops, (size_t)(p->nops + 1) * sizeof *ops);
    if (!ops)
        plan_oom();
    p->ops = ops;
    struct plan_op *op = &ops[p->nops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->old_off = (uint32_t)old_off;
    op->new_off = (uint32_t)new_off;
    op->rule = -1;
    return op;
}

/* The plan for a type pair: found, or created empty and queued to be filled in, so
 * that how far pointers lead never becomes recursion depth. */
static struct plan *plan_get(struct plan_ctx *c, struct tref r, const char *path,
                             const char *decl)
{
    struct plan *p = find_plan_env(c, r.ot, r.nt, r.env, r.ptrs);
    if (p)
        return p;
    p = calloc(1, sizeof *p);
    if (!p)
        plan_oom();
    const struct ktt_type *o = otype(c, r.ot), *n = ntype(c, r.nt);
    p->old_type = r.ot;
    p->new_type = r.nt;
    p->env = r.env;
    p->ptrs = r.ptrs;
    p->type_rule = -1;
    p->named_new = r.named_nt;
    p->old_kind = r.ptrs ? KTT_PTR : (int)o->kind;
    p->old_tag = r.ptrs ? NULL : o->name;
    p->old_size = r.ptrs ? sizeof(void *) : o->size;
    p->new_size = r.ptrs ? sizeof(void *) : n->size;
    p->path = strdup(path);
    p->decl = decl;
    if (!p->path)
        plan_oom();
    p->next = c->plans;
    c->plans = p;
    index_add(c, p);
    if (c->nqueue == c->cap_queue) {
        int cap = c->cap_queue ? c->cap_queue * 2 : 64;
        struct plan **q = realloc(c->queue, (size_t)cap * sizeof *q);
        if (!q)
            plan_oom();
        c->queue = q;
        c->cap_queue = cap;
    }
    c->queue[c->nqueue++] = p;
    return p;
}

static void build_plan(struct plan_ctx *c, struct plan *p, int depth);

/* A plan needed now: an inline member's (its layout decides its container's). */
static struct plan *plan_inline(struct plan_ctx *c, struct tref r, const char *path,
                                const char *decl, int depth)
{
    struct plan *p = plan_get(c, r, path, decl);
    if (p->visiting)
        diag(c, path, decl, NULL, "a type contains itself");
    else if (!p->built)
        build_plan(c, p, depth + 1);
    return p;
}

/* Builds every queued plan. */
static void drain(struct plan_ctx *c)
{
    while (c->nqueue > 0) {
        struct plan *p = c->queue[--c->nqueue];
        if (!p->built && !p->visiting)
            build_plan(c, p, 0);
    }
}

static int is_name_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_' || ch == '/' || ch == '.' || ch == '#';
}

/* text with every occurrence of the name `from` (not part of a longer name) replaced
 * by `to`; NULL for NULL. */
static char *replace_name(const char *text, const char *from, const char *to)
{
    if (!text)
        return NULL;
    size_t nf = strlen(from), nt = strlen(to), n = 0;
    for (const char *p = strstr(text, from); p; p = strstr(p + nf, from))
        n++;
    char *out = malloc(strlen(text) + n * nt + 1), *w = out;
    if (!out)
        plan_oom();
    const char *p = text;
    for (const char *q = strstr(p, from); q; q = strstr(q + nf, from)) {
        if ((q > text && is_name_char(q[-1])) || isalnum((unsigned char)q[nf]) ||
            q[nf] == '_')
            continue;
        memcpy(w, p, (size_t)(q - p));
        w += q - p;
        memcpy(w, to, nt);
        w += nt;
        p = q + nf;
    }
    strcpy(w, p);
    return out;
}

static int under_path(const char *path, const char *root)
{
    size_t n = strlen(root);
    return strncmp(path, root, n) == 0 &&
           (path[n] == 0 || path[n] == '.' || path[n] == '[');
}

/* A variable whose type pair already has a plan, made for another variable: what that
 * plan could not decide at the other variable's own path (a `void *` global, say) is
 * as true of this one, and said of it in the same run. */
static void repeat_root_diags(struct plan_ctx *c, const struct plan *p, const char *path,
                              const char *decl)
{
    if (!p->path || strcmp(p->path, path) == 0)
        return;
    int n = c->ndiags;
    for (int i = 0; i < n; i++) {
        if (!under_path(c->diags[i].path, p->path))
            continue;
        char *dpath = replace_name(c->diags[i].path, p->path, path);
        char *stub = replace_name(c->diags[i].stub, p->path, path);
        char *what = strdup(c->diags[i].what);
        if (!what)
            plan_oom();
        diag(c, dpath, decl, stub, "%s", what);
        free(dpath);
        free(stub);
        free(what);
    }
}

/* The plan of a variable's or a named type's pair. */
static struct plan *plan_pair(struct plan_ctx *c, int ot, int nt, const char *path,
                              const char *decl, int depth)
{
    struct tref r = tref_of(c, ot, nt, NULL, path, decl);
    struct plan *known = find_plan_env(c, r.ot, r.nt, r.env, r.ptrs);
    int built = known && known->built;
    struct plan *p = plan_inline(c, r, path, decl, depth);
    if (built)
        repeat_root_diags(c, p, path, decl);
    return p;
}

static void plan_slot(struct plan_ctx *c, struct plan *p, int ot, int nt, size_t old_off,
                      size_t new_off, int parent_old, const char *env, const char *path,
                      const char *decl, int depth);

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
            diag(c, path, decl, NULL, "%s(%s): no integer field %s in the enclosing struct",
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
        diag(c, path, decl, NULL, "%s(%s): expected a count or self.FIELD", what, spec);
    op->count = v < 0 ? 0 : v;
}

/* E_PTRARRAY(n | self.F) on a pointer slot whose elements follow `sub`. */
static void plan_ptrarray(struct plan_ctx *c, struct plan *p, const char *spec,
                          struct plan *sub, size_t old_off, size_t new_off, int parent_old,
                          const char *path, const char *decl)
{
    struct plan_op *op = add_op(p, OP_PTRARRAY, old_off, new_off);
    op->sub = sub;
    op->old_stride = (uint32_t)sub->old_size;
    op->new_stride = (uint32_t)sub->new_size;
    plan_count(c, op, spec, parent_old, "E_PTRARRAY", path, decl);
}

/* An array of unknown length (a flexible array member, `T items[]`): its length comes
 * from E_ARRAY(n | self.F); the object extends past its type's size. */
static void plan_flex_array(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                            const struct ktt_type *n, struct plan *sub, size_t old_off,
                            size_t new_off, int parent_old, const char *path,
                            const char *decl)
{
    struct plan_op *op = add_op(p, OP_ARRAY, old_off, new_off);
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
    struct plan_op *op = add_op(p, OP_PTR, old_off, new_off);
    op->sub = sub;
    op->nul_terminated = (o->flags & KTT_SZ) != 0;
}

/* "struct_a,struct_b" of a candidates= token as C spelling: "struct a" (n-th one). */
static int candidate_name(const char *list, int n, char *buf, size_t size)
{
    for (; n > 0 && list; n--)
        list = (list = strchr(list, ',')) ? list + 1 : NULL;
    if (!list || !*list)
        return 0;
    size_t len = strcspn(list, ",");
    snprintf(buf, size, "%.*s", (int)len, list);
    static const char *const keywords[] = {"struct_", "union_", "enum_"};
    for (int k = 0; k < 3; k++)
        if (strncmp(buf, keywords[k], strlen(keywords[k])) == 0)
            buf[strlen(keywords[k]) - 1] = ' ';
    return 1;
}

/* The SWITCH rule that decides each object of void * field `path` by a tag of the
 * struct p that holds it, with one case per candidate of `list` ("struct_a,char"; one
 * that is not a struct or union is an (opaque) case).  The tag is a guess to check: the
 * struct's first enum member, else an integer member named like a tag (type, kind,
 * tag), else TAG; the values are placeholders.  0 when path is not a struct's field. */
static int switch_stub(struct plan_ctx *c, const struct plan *p, const char *path,
                       const char *list, char *buf, size_t len)
{
    if (!p || p->ptrs > 0 || p->old_type < 0 || !strchr(path, '.') ||
        otype(c, p->old_type)->kind != KTT_STRUCT)
        return 0;
    const struct ktt_type *t = otype(c, p->old_type);
    const char *tag = NULL;
    for (int pass = 0; pass < 2 && !tag; pass++)
        for (int i = 0; i < t->nfields && !tag; i++) {
            const struct ktt_field *f = &t->fields[i];
            const struct ktt_type *ft = otype(c, ktt_resolve(c->old, f->type));
            if (!f->name)
                continue;
            if (pass == 0 ? ft->kind == KTT_ENUM
                          : is_int(ft) && (strstr(f->name, "type") || strstr(f->name, "kind") ||
                                           strstr(f->name, "tag")))
                tag = f->name;
        }
    int n = snprintf(buf, len, "SWITCH %s ON self.%s { /* the tag's value for each: */",
                     path, tag ? tag : "TAG");
    char one[200];
    for (int i = 0; candidate_name(list, i, one, sizeof one) && n >= 0 && (size_t)n < len;
         i++) {
        int agg = strncmp(one, "struct ", 7) == 0 || strncmp(one, "union ", 6) == 0;
        n += snprintf(buf + n, len - n, " %d: %s", i + 1, agg ? one : "(opaque)");
    }
    if (n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - n, " }");
    return 1;
}

/* An unannotated void * kitc could not type: with the candidate types it saw in the
 * source, the suggested rule names the first of them. */
static void void_pointer_diag(struct plan_ctx *c, const struct plan *p,
                              const struct ktt_type *ptr, const char *path, const char *decl)
{
    char first[200], stub[900], what[700], sw[700];
    if (ptr->candidates && candidate_name(ptr->candidates, 0, first, sizeof first)) {
        char list[500] = "";
        char one[200];
        for (int i = 0; candidate_name(ptr->candidates, i, one, sizeof one); i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     one);
        if (switch_stub(c, p, path, ptr->candidates, sw, sizeof sw))
            snprintf(stub, sizeof stub, "annotate the declaration E_OPAQUE (never followed) "
                     "or write a rule: %s", sw);
        else
            snprintf(stub, sizeof stub, "annotate the declaration E_OPAQUE (never followed) "
                     "or write a rule: %s -> %s: { /* the object's type: %s */ "
                     "XF_INVOKE(XF_PTR($xform(%s, %s)), &$in, &$out); }", path, path, list,
                     first, first);
        snprintf(what, sizeof what, "void * holds several types in the source (%s; kitc "
                 "--explain shows where); annotate it or write a rule", list);
        diag(c, path, decl, stub, "%s", what);
        return;
    }
    snprintf(stub, sizeof stub, "annotate the declaration E_OPAQUE (never followed) or "
             "write a rule: %s -> %s: { XF_INVOKE(XF_PTR($xform(struct T, struct T)), "
             "&$in, &$out); }", path, path);
    diag(c, path, decl, stub, "void * cannot be followed without an annotation or a rule "
         "(kitc found no evidence of its type in the source)");
}

static int same_shape(struct plan_ctx *c, int ot, int nt, int depth);
static void member_bits(const struct ktt_field *f, const struct ktt_type *t, long *pos,
                        int *bits);
static int enum_is_signed(const struct ktt_type *t);
static const struct ktt_field *find_old_path(struct plan_ctx *c, int t, const char *path,
                                             int *parent, size_t *parent_off);

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
    char one[200], oname[200];
    for (int i = 0;; i++) {
        int ot, nt, levels = 0, nlevels;
        if (o->holds || n->holds) {
            if (!candidate_name(o->holds ? o->holds : n->holds, i, one, sizeof one))
                return;
            char arg[200];
            snprintf(arg, sizeof arg, "%s", one);
            for (char *q = arg; *q; q++)
                if (*q == ' ')
                    *q = '_';
            ot = find_arg_type(c->old, arg);
            nt = find_arg_type(c->new_, arg);
            ot = ot < 0 ? -1 : opaque_target(c->old, ot, &levels);
            nt = nt < 0 ? -1 : opaque_target(c->new_, nt, &nlevels);
        } else {
            if (i > 0)
                return;
            ot = opaque_target(c->old, o->target, &levels);
            nt = opaque_target(c->new_, n->target, &nlevels);
        }
        if (ot < 0 || nt < 0 || same_shape(c, ot, nt, 0))
            continue;
        type_label(c->old, ot, oname, sizeof oname);
        char stub[900];
        if (levels == 0)
            snprintf(stub, sizeof stub, "%s -> %s: { $out = (void *)$in; /* or rebuild them: "
                     "XF_INVOKE(XF_PTR($xform(%s, %s)), &$in, &$out); */ }", path, path,
                     oname, oname);
        else
            snprintf(stub, sizeof stub, "%s -> %s: { $out = (void *)$in; /* or describe the "
                     "pointers with E_PTRARRAY instead of E_OPAQUE */ }", path, path);
        diag(c, path, decl, stub, "E_OPAQUE pointer to %s, whose layout changed (%zu to %zu "
             "bytes): the objects behind it are not transformed and the new code would read "
             "them with the new layout; write a rule for the field", oname,
             otype(c, ot)->size, ntype(c, nt)->size);
    }
}

size_t plan_usable_size(size_t n)
{
    size_t chunk = (n + 8 + 15) & ~(size_t)15;
    return (chunk < 32 ? 32 : chunk) - 8;
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
        char name[200];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(w, ","), w);
        if (k == MAX_ALTS)
            return 0;
        int ot = find_arg_type(c->old, name), nt = find_arg_type(c->new_, name);
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
            if (plan_usable_size(otype(c, ots[i])->size) ==
                plan_usable_size(otype(c, ots[j])->size)) {
                char a[200], b[200];
                type_label(c->old, ots[i], a, sizeof a);
                type_label(c->old, ots[j], b, sizeof b);
                char stub[900], all[500] = "", one[200];
                for (int m = 0; candidate_name(list, m, one, sizeof one); m++)
                    snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s",
                             m ? ", " : "", one);
                char sw[700];
                if (switch_stub(c, p, path, list, sw, sizeof sw))
                    snprintf(stub, sizeof stub, "annotate the declaration E_OPAQUE (never "
                             "followed) or write a rule: %s", sw);
                else
                    snprintf(stub, sizeof stub, "annotate the declaration E_OPAQUE (never "
                             "followed) or write a rule: %s -> %s: { /* by a tag of $base: */ "
                             "XF_INVOKE(XF_PTR($xform(%s, %s)), &$in, &$out); }", path, path,
                             a, a);
                diag(c, path, decl, stub, "void * holds several types in the source (%s), "
                     "and %s and %s are allocated with the same usable size (%zu bytes), so "
                     "which one an object is cannot be told at the update; annotate it or "
                     "write a rule", all, a, b, plan_usable_size(otype(c, ots[i])->size));
                return -1;
            }
    struct plan **alts = calloc((size_t)k, sizeof *alts);
    size_t *sizes = calloc((size_t)k, sizeof *sizes);
    char *where = strdup(path);
    if (!alts || !sizes || !where)
        plan_oom();
    for (int i = 0; i < k; i++) {
        alts[i] = plan_get(c, tref_of(c, ots[i], nts[i], NULL, path, decl), path, decl);
        sizes[i] = plan_usable_size(otype(c, ots[i])->size);
    }
    struct plan_op *op = add_op(p, OP_PTR, old_off, new_off);
    op->ptr_flags = PTR_MAY_STATIC | PTR_MAY_INTERIOR;
    op->alts = alts;
    op->alt_sizes = sizes;
    op->nalts = k;
    op->path = where;
    return 1;
}

/* ---- SWITCH: a void * field whose target type a tag field of its object picks ---- */

/* The value of SWITCH case `v` ("1", "-0x2", "MSG_TEXT") for a tag of type tt: an
 * integer in C syntax, or an enumerator of the tag's enum, else of any enum of the old
 * summary.  0 when it is neither. */
static int tag_case_value(const struct plan_ctx *c, const struct ktt_type *tt, const char *v,
                          long long *out)
{
    char *end;
    if ((v[0] >= '0' && v[0] <= '9') || v[0] == '-') {
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

/* The tag field of a SWITCH, read on the old object (top_ot): its position in op.  0
 * and a diagnostic when it is not an integer or enum member of at most 8 bytes. */
static int plan_tag_field(struct plan_ctx *c, struct plan_op *op, int top_ot, const char *tag,
                          const char *path, const char *decl, const struct ktt_type **tt)
{
    int parent = top_ot;
    size_t base = 0;
    const struct ktt_field *tf = find_old_path(c, top_ot, tag, &parent, &base);
    char oname[200];
    type_label(c->old, top_ot, oname, sizeof oname);
    if (!tf) {
        diag(c, path, decl, NULL, "SWITCH ON self.%s: the old %s has no field %s", tag, oname,
             tag);
        return 0;
    }
    *tt = otype(c, ktt_resolve(c->old, tf->type));
    long pos;
    int bits;
    member_bits(tf, *tt, &pos, &bits);
    pos += (long)base * 8;
    if ((!is_int(*tt) && (*tt)->kind != KTT_ENUM) || bits > 56 || bits < 1) {
        diag(c, path, decl, NULL, "SWITCH ON self.%s: the tag must be an integer or enum "
             "member of the old %s (of at most 56 bits if a bitfield)", tag, oname);
        return 0;
    }
    op->tag_off = (uint32_t)(pos / 8);
    op->tag_bit = (uint16_t)(pos % 8);
    op->tag_bits = (uint16_t)bits;
    op->tag_len = (uint8_t)((op->tag_bit + bits + 7) / 8);
    op->tag_signed = (*tt)->kind == KTT_ENUM ? enum_is_signed(*tt) : (*tt)->enc == KTT_SIGNED;
    op->tag_name = intern(c, tag);
    return 1;
}

/* The plan of one SWITCH case's type ("struct_text"), NULL for [opaque]; *ok = 0 and a
 * diagnostic when it is not a struct or union of both versions. */
static struct plan *plan_tag_case(struct plan_ctx *c, const char *type, const char *path,
                                  const char *decl, int *ok)
{
    if (strcmp(type, "[opaque]") == 0)
        return NULL;
    int ot = find_arg_type(c->old, type), nt = find_arg_type(c->new_, type);
    char shown[200];
    arg_spelling(type, shown, sizeof shown);
    if (ot < 0 || nt < 0) {
        diag(c, path, decl, NULL, "SWITCH case %s: the %s version has no type %s", shown,
             ot < 0 ? "old" : "new", shown);
        *ok = 0;
        return NULL;
    }
    ot = ktt_resolve(c->old, ot);
    nt = ktt_resolve(c->new_, nt);
    if ((otype(c, ot)->kind != KTT_STRUCT && otype(c, ot)->kind != KTT_UNION) ||
        otype(c, ot)->kind != ntype(c, nt)->kind) {
        diag(c, path, decl, NULL, "SWITCH case %s: not a struct or union in both versions "
             "(write (opaque) for objects kept as they are)", shown);
        *ok = 0;
        return NULL;
    }
    return plan_get(c, tref_of(c, ot, nt, NULL, path, decl), path, decl);
}

/* SWITCH path ON self.TAG { V: T ... } (rule `r`) on void * field of/nf of the struct
 * whose old type is top_ot, at old_off/new_off in its plan p: one plan per case, chosen
 * per object at the update by the old object's tag (runtime/bytag.c).  0 when the field
 * is not a void * (reported; the caller plans it as usual). */
static int plan_by_tag(struct plan_ctx *c, struct plan *p, int r, const struct ktt_field *of,
                       const struct ktt_field *nf, int top_ot, size_t old_off, size_t new_off,
                       const char *path)
{
    const struct plan_rule *rule = &c->rules[r];
    const struct ktt_type *o = otype(c, ktt_resolve(c->old, of->type));
    const struct ktt_type *n = ntype(c, ktt_resolve(c->new_, nf->type));
    if (o->kind != KTT_PTR || n->kind != KTT_PTR ||
        otype(c, ktt_resolve(c->old, o->target))->kind != KTT_VOID ||
        ntype(c, ktt_resolve(c->new_, n->target))->kind != KTT_VOID) {
        diag(c, path, nf->decl, NULL, "SWITCH names %s, which is not a void * in both "
             "versions (a typed pointer needs no SWITCH)", path);
        return 0;
    }
    struct plan_op tmp;
    memset(&tmp, 0, sizeof tmp);
    const struct ktt_type *tt = NULL;
    int ok = plan_tag_field(c, &tmp, top_ot, rule->tag, path, nf->decl, &tt);
    int k = 0, cap = 1;
    for (const char *w = rule->cases; *w; w++)
        cap += *w == ';';
    struct plan **alts = calloc((size_t)cap, sizeof *alts);
    long long *vals = calloc((size_t)cap, sizeof *vals);
    if (!alts || !vals)
        plan_oom();
    tmp.tag_default = -1;
    for (const char *w = rule->cases; ok && w && *w;) {
        char one[300], *eq;
        size_t len = strcspn(w, ";");
        snprintf(one, sizeof one, "%.*s", (int)len, w);
        w = w[len] ? w + len + 1 : NULL;
        if (!(eq = strchr(one, '='))) {
            ok = 0;
            break;
        }
        *eq = '\0';
        if (strcmp(one, "default") == 0) {
            tmp.tag_default = k;
        } else if (!tag_case_value(c, tt, one, &vals[k])) {
            diag(c, path, nf->decl, NULL, "SWITCH case %s: not an integer nor an enumerator "
                 "of the old version", one);
            ok = 0;
            break;
        }
        alts[k++] = plan_tag_case(c, eq + 1, path, nf->decl, &ok);
    }
    if (!ok) {
        free(alts);
        free(vals);
        add_op(p, OP_COPY, old_off, new_off)->len = 8;
        return 1;
    }
    struct plan_op *op = add_op(p, OP_PTR, old_off, new_off);
    op->tag_off = tmp.tag_off;
    op->tag_len = tmp.tag_len;
    op->tag_bit = tmp.tag_bit;
    op->tag_bits = tmp.tag_bits;
    op->tag_signed = tmp.tag_signed;
    op->tag_name = tmp.tag_name;
    op->tag_default = tmp.tag_default;
    op->tag_vals = vals;
    op->ptr_flags = PTR_MAY_STATIC | PTR_MAY_INTERIOR;
    op->alts = alts;
    op->nalts = k;
    op->path = strdup(path);
    if (!op->path)
        plan_oom();
    return 1;
}

/* A pointer slot: function pointer, opaque, generic, pointer array, string or object. */
static void plan_pointer(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                         const struct ktt_type *n, size_t old_off, size_t new_off,
                         int parent_old, const char *env, const char *path, const char *decl)
{
    if ((o->flags & KTT_OPAQUE) || (n->flags & KTT_OPAQUE)) {
        opaque_layout_check(c, o, n, path, decl);
        add_op(p, OP_COPY, old_off, new_off)->len = 8;
        return;
    }
    if (o->tparam || n->tparam) {
        /* void E_T(@a) *p: points to whatever @a is bound to. */
        struct tref r = tref_of_param(c, o, n, env, path, decl);
        if (r.untyped)
            add_op(p, OP_PTR, old_off, new_off)->ptr_flags = PTR_MAY_STATIC;
        else if (!r.ok || r.opaque)
            add_op(p, OP_COPY, old_off, new_off)->len = 8;
        else
            plan_data_pointer(c, p, o, n, plan_get(c, r, path, decl), old_off, new_off,
                              parent_old, path, decl);
        return;
    }
    int otgt = ktt_resolve(c->old, o->target), ntgt = ktt_resolve(c->new_, n->target);
    const struct ktt_type *ot = otype(c, otgt), *nt = ntype(c, ntgt);
    if (ot->kind == KTT_FUNC || nt->kind == KTT_FUNC) {
        if (ot->kind != nt->kind)
            diag(c, path, decl, NULL, "changed between a function pointer and a data pointer");
        add_op(p, OP_FPTR, old_off, new_off);
        return;
    }
    if ((ot->kind == KTT_VOID && !ot->tparam) || (nt->kind == KTT_VOID && !nt->tparam)) {
        int by_size = 0;
        if (ot->kind != nt->kind)
            diag(c, path, decl, NULL, "changed between void * and a typed pointer; "
                 "write a rule");
        else if ((by_size = plan_by_size(c, p, o, n, old_off, new_off, path, decl)) == 0)
            void_pointer_diag(c, p, o->candidates ? o : n, path, decl);
        if (by_size > 0)
            return;
        struct plan_op *op = add_op(p, OP_PTR, old_off, new_off);
        op->ptr_flags = PTR_MAY_STATIC;
        return;
    }
    struct tref r = tref_of(c, o->target, n->target, env, path, decl);
    plan_data_pointer(c, p, o, n, plan_get(c, r, path, decl), old_off, new_off, parent_old,
                      path, decl);
}

/* A slot that is an @b (void * E_T(@b) key): as wide as a pointer, holding a value of
 * the bound type. */
static void plan_param_slot(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                            const struct ktt_type *n, size_t old_off, size_t new_off,
                            const char *env, const char *path, const char *decl, int depth)
{
    struct tref r = tref_of_param(c, o, n, env, path, decl);
    if (!r.ok || r.opaque) {
        add_op(p, OP_COPY, old_off, new_off)->len = 8;
        return;
    }
    if (r.ptrs > 0) {
        r.ptrs--;
        struct plan_op *op = add_op(p, OP_PTR, old_off, new_off);
        op->sub = plan_get(c, r, path, decl);
        return;
    }
    const struct ktt_type *bo = otype(c, r.ot), *bn = ntype(c, r.nt);
    if (bo->size > 8 || bn->size > 8 || bo->kind == KTT_STRUCT || bo->kind == KTT_UNION) {
        diag(c, path, decl, NULL, "a pointer-sized generic slot bound to %s, which does "
             "not fit in it", bo->name ? bo->name : "an aggregate");
        add_op(p, OP_COPY, old_off, new_off)->len = 8;
        return;
    }
    add_op(p, OP_COPY, old_off, new_off)->len = 8;
    plan_slot(c, p, r.ot, r.nt, old_off, new_off, -1, r.env, path, decl, depth);
}

/* Whether `$out = 0;` initialises a field of this type (a union, struct or array
 * needs memset). */
static int is_scalar_type(const struct ktt *k, int t)
{
    enum ktt_kind kind = k->types[ktt_resolve(k, t)].kind;
    return kind == KTT_BASE || kind == KTT_ENUM || kind == KTT_PTR;
}

static void plan_struct_fields(struct plan_ctx *c, struct plan *p, int ot, int nt,
                               const char *tname, int depth);

static void plan_slot(struct plan_ctx *c, struct plan *p, int ot, int nt, size_t old_off,
                      size_t new_off, int parent_old, const char *env, const char *path,
                      const char *decl, int depth)
{
    int orr = ktt_resolve(c->old, ot), nr = ktt_resolve(c->new_, nt);
    const struct ktt_type *o = otype(c, orr), *n = ntype(c, nr);
    char oname[200], nname[200];
    type_label(c->old, ot, oname, sizeof oname);
    type_label(c->new_, nt, nname, sizeof nname);
    if (depth > MAX_DEPTH) {
        diag(c, path, decl, NULL, "types nested too deeply");
        return;
    }
    if ((o->kind == KTT_VOID && o->tparam) || (n->kind == KTT_VOID && n->tparam)) {
        plan_param_slot(c, p, o, n, old_off, new_off, env, path, decl, depth);
        return;
    }
    if (o->kind == KTT_BASE && n->kind == KTT_BASE) {
        if (o->size == n->size && o->enc == n->enc) {
            add_op(p, OP_COPY, old_off, new_off)->len = (uint32_t)n->size;
        } else if (is_int(o) && is_int(n) && n->size >= o->size &&
                   (o->enc == n->enc || o->enc == KTT_BOOL || n->enc == KTT_BOOL ||
                    (o->enc == KTT_UNSIGNED && n->size > o->size))) {
            struct plan_op *op = add_op(p, OP_INT, old_off, new_off);
            op->len = (uint32_t)o->size;
            op->new_len = (uint32_t)n->size;
            op->old_signed = o->enc == KTT_SIGNED;
            op->new_signed = n->enc == KTT_SIGNED;
        } else if (o->enc == KTT_FLOAT && n->enc == KTT_FLOAT && n->size > o->size &&
                   (o->size == 4 || o->size == 8) && (n->size == 8 || n->size == 16)) {
            struct plan_op *op = add_op(p, OP_FLOAT, old_off, new_off);
            op->len = (uint32_t)o->size;
            op->new_len = (uint32_t)n->size;
        } else {
            char stub[400];
            snprintf(stub, sizeof stub, "%s -> %s: { $out = ($newtype(%s))$in; }", path, path,
                     nname);
            const char *why = is_int(o) && is_int(n)
                                  ? (n->size < o->size ? "narrowed" : "changed signedness")
                                  : "changed representation";
            diag(c, path, decl, stub, "%s from %s to %s", why, oname, nname);
            add_op(p, OP_ZERO, old_off, new_off)->len = (uint32_t)n->size;
        }
        return;
    }
    if (o->kind == KTT_PTR && n->kind == KTT_PTR) {
        plan_pointer(c, p, o, n, old_off, new_off, parent_old, env, path, decl);
        return;
    }
    if (o->kind == KTT_ARRAY && n->kind == KTT_ARRAY) {
        if (o->count < 0 && n->count < 0) {
            struct tref r = tref_of(c, o->target, n->target, env, path, decl);
            plan_flex_array(c, p, o, n, plan_inline(c, r, path, decl, depth), old_off,
                            new_off, parent_old, path, decl);
            return;
        }
        /* A grown array keeps its old elements and gets zeroed new ones; a shrunk one
         * would lose elements, which only a rule may decide. */
        int grown = o->count >= 0 && n->count > o->count;
        if (o->count != n->count && !grown) {
            char stub[400];
            snprintf(stub, sizeof stub, "%s -> %s: { /* copy the elements you keep */ }", path,
                     path);
            if (o->count >= 0 && n->count >= 0)
                diag(c, path, decl, stub, "array shrinks from %ld to %ld elements: the last "
                     "%ld would be lost; write a rule that says which to keep", o->count,
                     n->count, o->count - n->count);
            else
                diag(c, path, decl, stub, "array length changed from %ld to %ld", o->count,
                     n->count);
            if (o->count < 0 || n->count < 0)
                return;
            /* Planned anyway over the elements both have: a plan used without its
             * diagnostics (constant data) still translates pointers into them. */
        }
        struct tref r = tref_of(c, o->target, n->target, env, path, decl);
        struct plan *sub = plan_inline(c, r, path, decl, depth);
        struct plan_op *op = add_op(p, OP_ARRAY, old_off, new_off);
        op->sub = sub;
        op->count = o->count < 0 ? 0 : o->count < n->count ? o->count : n->count;
        op->old_stride = (uint32_t)sub->old_size;
        op->new_stride = (uint32_t)sub->new_size;
        if (grown) {
            size_t stride = sub->new_size;
            add_op(p, OP_ZERO, 0, new_off + (size_t)o->count * stride)->len =
                (uint32_t)((size_t)(n->count - o->count) * stride);
        }
        return;
    }
    if (((o->kind == KTT_STRUCT || o->kind == KTT_UNION) && o->kind == n->kind) ||
        (o->kind == KTT_ENUM && n->kind == KTT_ENUM)) {
        struct tref r = tref_of(c, ot, nt, env, path, decl);
        struct plan_op *op = add_op(p, OP_SUB, old_off, new_off);
        op->sub = plan_inline(c, r, path, decl, depth);
        return;
    }
    char stub[400];
    snprintf(stub, sizeof stub, "%s -> %s: { /* build $out from $in */ }", path, path);
    diag(c, path, decl, stub, "type changed from %s to %s", oname, nname);
}

static const struct ktt_field *find_field(const struct ktt_type *t, const char *name)
{
    for (int i = 0; i < t->nfields; i++)
        if (t->fields[i].name && strcmp(t->fields[i].name, name) == 0)
            return &t->fields[i];
    return NULL;
}

size_t plan_path_seg(const char *path)
{
    if (path[0] == '<') {
        const char *end = strchr(path, '>');
        if (end)
            return (size_t)(end - path) + 1;
    }
    return strcspn(path, ".");
}

void plan_anon_name(const struct ktt *k, const struct ktt_field *f, char *buf, size_t len)
{
    const struct ktt_type *t = &k->types[ktt_resolve(k, f->type)];
    snprintf(buf, len, "<%s at %s>", t->kind == KTT_UNION ? "union" : "struct",
             t->decl ? t->decl : "?");
}

int plan_anon_named(const struct ktt *k, const struct ktt_field *f, const char *seg,
                    size_t len)
{
    const struct ktt_type *t = &k->types[ktt_resolve(k, f->type)];
    if (f->name || (t->kind != KTT_STRUCT && t->kind != KTT_UNION) || len < 2 ||
        seg[0] != '<' || seg[len - 1] != '>')
        return 0;
    char name[300];
    plan_anon_name(k, f, name, sizeof name);
    size_t i = 0; /* the rule table writes its spaces as ':' (rules.c) */
    while (i < len && name[i] && (name[i] == seg[i] || (name[i] == ' ' && seg[i] == ':')))
        i++;
    if (i == len && !name[i])
        return 1;
    /* <m1,m2,...>: every member by name, in order */
    const char *p = seg + 1, *end = seg + len - 1;
    for (int i = 0; i < t->nfields; i++) {
        const char *m = t->fields[i].name;
        size_t n = m ? strlen(m) : 0;
        if (!m || (size_t)(end - p) < n || strncmp(p, m, n) != 0)
            return 0;
        p += n;
        if (i + 1 < t->nfields && (p >= end || *p++ != ','))
            return 0;
    }
    return p == end;
}

/* The member of t that path segment seg (len bytes) names: by name, or an anonymous
 * member by plan_anon_named. */
static const struct ktt_field *find_field_seg(const struct ktt *k, const struct ktt_type *t,
                                              const char *seg, size_t len)
{
    for (int i = 0; i < t->nfields; i++) {
        const struct ktt_field *f = &t->fields[i];
        if (f->name ? strlen(f->name) == len && strncmp(f->name, seg, len) == 0
                    : plan_anon_named(k, f, seg, len))
            return f;
    }
    return NULL;
}

static int nth_anonymous(const struct ktt_type *t, const struct ktt_field *f)
{
    int n = 0;
    for (int i = 0; i < t->nfields && &t->fields[i] != f; i++)
        if (!t->fields[i].name)
            n++;
    return n;
}

static const struct ktt_field *find_anonymous(const struct ktt_type *t, int nth)
{
    for (int i = 0; i < t->nfields; i++)
        if (!t->fields[i].name && nth-- == 0)
            return &t->fields[i];
    return NULL;
}

/* Position and width in bits of a member, bitfield or not. */
static void member_bits(const struct ktt_field *f, const struct ktt_type *t, long *pos,
                        int *bits)
{
    *pos = f->bit_size ? f->bit_offset : (long)f->offset * 8;
    *bits = f->bit_size ? f->bit_size : (int)t->size * 8;
}

static int enum_is_signed(const struct ktt_type *t)
{
    for (int i = 0; i < t->nenums; i++)
        if (t->enums[i].value < 0)
            return 1;
    return 0;
}

/* A bitfield, or a member that becomes or stops being one.  Returns 0 when the bits
 * do not move (the layout may still be the same). */
static int plan_bitfield(struct plan_ctx *c, struct plan *p, const struct ktt_field *of,
                         const struct ktt_field *nf, const char *path)
{
    const struct ktt_type *oft = otype(c, ktt_resolve(c->old, of->type));
    const struct ktt_type *nft = ntype(c, ktt_resolve(c->new_, nf->type));
    long opos, npos;
    int obits, nbits;
    member_bits(of, oft, &opos, &obits);
    member_bits(nf, nft, &npos, &nbits);
    if ((!is_int(oft) && oft->kind != KTT_ENUM) || (!is_int(nft) && nft->kind != KTT_ENUM)) {
        diag(c, path, nf->decl, NULL, "bitfield of unsupported type");
        return 1;
    }
    if (oft->kind == KTT_ENUM || nft->kind == KTT_ENUM) {
        struct plan *e = plan_pair(c, of->type, nf->type, path, nf->decl, 1);
        if (!e || e->nops != 1 || e->ops[0].kind != OP_COPY)
            diag(c, path, nf->decl, NULL, "an enum bitfield whose values changed; write a "
                 "rule");
    }
    if (is_int(oft) && is_int(nft) && oft->enc != nft->enc &&
        !(oft->enc == KTT_UNSIGNED && nbits > obits) && oft->enc != KTT_BOOL &&
        nft->enc != KTT_BOOL) {
        char stub[600];
        snprintf(stub, sizeof stub, "%s -> %s: { $out = $in; }", path, path);
        diag(c, path, nf->decl, stub, "changed signedness");
    }
    if (nbits < obits) {
        char stub[600];
        snprintf(stub, sizeof stub, "%s -> %s: { $out = $in; }", path, path);
        diag(c, path, nf->decl, stub, "narrowed from %d to %d bits", obits, nbits);
    }
    struct plan_op *op = add_op(p, OP_BITS, (size_t)(opos / 8), (size_t)(npos / 8));
    op->old_bit = (uint16_t)(opos % 8);
    op->old_bits = (uint16_t)obits;
    op->new_bit = (uint16_t)(npos % 8);
    op->new_bits = (uint16_t)nbits;
    op->old_signed = oft->kind == KTT_ENUM ? enum_is_signed(oft) : oft->enc == KTT_SIGNED;
    return opos != npos || obits != nbits;
}

/* A member by dotted path ("a.b") from struct/union type t of the old summary: the
 * field, the type that holds it and that type's offset from the start of t. */
static const struct ktt_field *find_old_path(struct plan_ctx *c, int t, const char *path,
                                             int *parent, size_t *parent_off)
{
    const struct ktt_field *f = NULL;
    char name[256];
    *parent_off = 0;
    for (int depth = 0; path && *path && depth < MAX_DEPTH; depth++) {
        size_t n = plan_path_seg(path);
        if (f) {
            *parent_off += f->offset;
            t = f->type;
        }
        t = ktt_resolve(c->old, t);
        if (n >= sizeof name || (otype(c, t)->kind != KTT_STRUCT &&
                                 otype(c, t)->kind != KTT_UNION))
            return NULL;
        f = find_field_seg(c->old, otype(c, t), path, n);
        if (!f)
            return NULL;
        *parent = t;
        path = path[n] == '.' ? path + n + 1 : NULL;
    }
    return f;
}

/* The rule of `kind` for anonymous member nf of type tname at path prefix, named by
 * either form of plan_anon_named; -1 if none. */
static int find_anon_rule(struct plan_ctx *c, enum rule_kind kind, const char *tname,
                          const char *prefix, const struct ktt_field *nf)
{
    size_t pl = strlen(prefix);
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if (r->kind != kind || !r->to || !r->to_field || strcmp(r->to, tname) != 0 ||
            strncmp(r->to_field, prefix, pl) != 0)
            continue;
        const char *seg = r->to_field + pl;
        size_t n = strlen(seg);
        if (plan_path_seg(seg) == n && plan_anon_named(c->new_, nf, seg, n))
            return i;
    }
    return -1;
}

/* Whether some field rule names a member below `fpath` of type `tname` ("a" for
 * `struct T.a.b`): then member a is planned field by field inside T's plan. */
static int has_nested_rules(const struct plan_ctx *c, const char *tname, const char *fpath)
{
    size_t n = strlen(fpath);
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if ((r->kind == RULE_FIELD || r->kind == RULE_INIT_FIELD || r->kind == RULE_TAG) &&
            r->to && r->to_field &&
            strcmp(r->to, tname) == 0 && strncmp(r->to_field, fpath, n) == 0 &&
            r->to_field[n] == '.')
            return 1;
    }
    return 0;
}

/* Whether a field rule of a `tname` takes its value from old member `fpath`. */
static int field_taken_by_rule(const struct plan_ctx *c, const char *tname, const char *fpath)
{
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if (r->kind == RULE_FIELD && r->to && r->from_field && strcmp(r->to, tname) == 0 &&
            strcmp(r->from_field, fpath) == 0)
            return 1;
    }
    return 0;
}

/* Where plan_fields_at is: old struct `oname` (as rules name it), new struct `tname`,
 * members below the dotted `prefix`. */
struct field_scope {
    const struct ktt_type *o, *n;
    const char *oname, *tname, *prefix;
};

/* Whether old member `of` is gone: the new struct has no member of its name and no
 * rule takes its value. */
static int field_gone(const struct plan_ctx *c, const struct field_scope *s,
                      const struct ktt_field *of)
{
    char fpath[400];
    if (!of->name || find_field(s->n, of->name))
        return 0;
    snprintf(fpath, sizeof fpath, "%s%s", s->prefix, of->name);
    return !field_taken_by_rule(c, s->tname, fpath);
}

/* A gone old member of the same type as new member nf that no drop rule names: nf is
 * probably its new name.  Prefers one at the same offset.  NULL when there is none. */
static const struct ktt_field *renamed_field(struct plan_ctx *c, const struct field_scope *s,
                                             const struct ktt_field *nf)
{
    const struct ktt_field *best = NULL;
    for (int i = 0; i < s->o->nfields; i++) {
        const struct ktt_field *of = &s->o->fields[i];
        char fpath[400];
        if (!field_gone(c, s, of) || !of->bit_size != !nf->bit_size ||
            !same_named_type(c, of->type, nf->type, 0))
            continue;
        snprintf(fpath, sizeof fpath, "%s%s", s->prefix, of->name);
        if (find_drop_rule(c, s->oname, fpath) >= 0)
            continue;
        if (!best || (of->offset == nf->offset && best->offset != nf->offset))
            best = of;
    }
    return best;
}

/* Gone members whose values would be lost while a member of the same type is new (and
 * filled by an INIT rule; one without a rule was reported as a likely rename). */
static void plan_gone_fields(struct plan_ctx *c, const struct field_scope *s)
{
    for (int i = 0; i < s->o->nfields; i++) {
        const struct ktt_field *of = &s->o->fields[i];
        char fpath[400], opath[600];
        if (!field_gone(c, s, of))
            continue;
        snprintf(fpath, sizeof fpath, "%s%s", s->prefix, of->name);
        if (find_drop_rule(c, s->oname, fpath) >= 0)
            continue; /* said so: also fine where nothing like it appears */
        for (int j = 0; j < s->n->nfields; j++) {
            const struct ktt_field *nf = &s->n->fields[j];
            char nfpath[400];
            if (!nf->name || find_field(s->o, nf->name) || !!of->bit_size != !!nf->bit_size ||
                !same_named_type(c, of->type, nf->type, 0))
                continue;
            snprintf(nfpath, sizeof nfpath, "%s%s", s->prefix, nf->name);
            int init = -1;
            for (int r = 0; r < c->nrules && init < 0; r++)
                if (c->rules[r].kind == RULE_INIT_FIELD && c->rules[r].to &&
                    c->rules[r].to_field && strcmp(c->rules[r].to, s->tname) == 0 &&
                    strcmp(c->rules[r].to_field, nfpath) == 0)
                    init = r;
            if (init < 0)
                continue;
            char stub[700];
            snprintf(opath, sizeof opath, "%s.%s", s->oname, fpath);
            snprintf(stub, sizeof stub, "%s -> (dropped)", opath);
            diag(c, opath, of->decl, stub, "field removed while %s.%s of the same type is new "
                 "(INIT): its values would be lost; if it was renamed, %s -> %s.%s instead of "
                 "the INIT", s->tname, nfpath, opath, s->tname, nfpath);
            break;
        }
    }
}

/* Ops added since `from` were planned for a member of a struct at obase/nbase. */
static void shift_ops(struct plan *p, int from, size_t obase, size_t nbase)
{
    for (int j = from; j < p->nops; j++) {
        p->ops[j].old_off += (uint32_t)obase;
        p->ops[j].new_off += (uint32_t)nbase;
        if ((p->ops[j].kind == OP_PTRARRAY || p->ops[j].kind == OP_ARRAY) &&
            p->ops[j].count < 0)
            p->ops[j].count_off += (uint32_t)obase;
    }
}

/* Plans the members of old struct ot / new struct nt, which lie at obase / nbase in
 * the objects of plan p (top_ot is p's old type; rules name fields from there, with
 * the dotted path prefix + member).  Returns whether the layout stayed the same. */
/* Whether a field rule may run on the object where it lies (PLAN_RULES_IN_PLACE): its
 * old field has the new one's offset and size, so the layout stays the same and the
 * engine runs the rule on the object itself, keeping a copy of the old bytes for the
 * rule to read and for a rollback. */
static int rule_fits_in_place(const struct plan_ctx *c, const struct plan_op *op,
                              const struct ktt_field *nf)
{
    if (!(c->flags & PLAN_RULES_IN_PLACE) || op->old_off != op->new_off || op->len == 0)
        return 0;
    return op->len == ntype(c, ktt_resolve(c->new_, nf->type))->size;
}

static int plan_fields_at(struct plan_ctx *c, struct plan *p, int ot, int nt, int top_ot,
                          const char *tname, const char *prefix, size_t obase, size_t nbase,
                          int depth)
{
    const struct ktt_type *o = otype(c, ot), *n = ntype(c, nt);
    int same = o->size == n->size && o->nfields == n->nfields;
    char oname[200];
    struct field_scope scope = {o, n, type_rule_name(c->old, top_ot, oname, sizeof oname),
                                tname, prefix};
    if (!scope.oname)
        scope.oname = tname;
    for (int i = 0; i < n->nfields; i++) {
        const struct ktt_field *nf = &n->fields[i];
        char path[600], fpath[400], anon[300] = "<anonymous>";
        const struct ktt_type *nft0 = ntype(c, ktt_resolve(c->new_, nf->type));
        if (!nf->name && (nft0->kind == KTT_STRUCT || nft0->kind == KTT_UNION))
            plan_anon_name(c->new_, nf, anon, sizeof anon);
        snprintf(fpath, sizeof fpath, "%s%s", prefix, nf->name ? nf->name : anon);
        snprintf(path, sizeof path, "%s.%s", tname, fpath);
        const struct ktt_field *of = NULL;
        int of_parent = ot;
        size_t of_base = obase, nf_abs = nbase + nf->offset;
        int rule = nf->name ? find_rule(c, RULE_FIELD, tname, fpath)
                            : find_anon_rule(c, RULE_FIELD, tname, prefix, nf);
        int init = nf->name ? find_rule(c, RULE_INIT_FIELD, tname, fpath) : -1;
        if (rule >= 0) {
            use_rule(c, rule);
            of = find_old_path(c, top_ot, c->rules[rule].from_field, &of_parent, &of_base);
            if (!of)
                diag(c, path, nf->decl, NULL, "rule names old field %s, which %s does not "
                     "have", c->rules[rule].from_field, tname);
            if (c->rules[rule].has_code) {
                struct plan_op *op = add_op(p, OP_RULE, of ? of_base + of->offset : 0, nf_abs);
                op->rule = rule;
                op->len = of ? (uint32_t)otype(c, ktt_resolve(c->old, of->type))->size : 0;
                if (rule_fits_in_place(c, op, nf))
                    p->in_place_rules = 1;
                else
                    same = 0;
                continue;
            }
        } else if (init >= 0) {
            use_rule(c, init);
            struct plan_op *op = add_op(p, OP_RULE, 0, nf_abs);
            op->rule = init;
            same = 0;
            continue;
        } else {
            of = nf->name ? find_field(o, nf->name)
                          : find_anonymous(o, nth_anonymous(n, nf));
        }
        if (!of) {
            char stub[1300];
            const struct ktt_field *was = nf->name ? renamed_field(c, &scope, nf) : NULL;
            int scalar = is_scalar_type(c->new_, nf->type);
            if (was) {
                char opath[600];
                snprintf(opath, sizeof opath, "%s.%s%s", scope.oname, prefix, was->name);
                snprintf(stub, sizeof stub, "%s -> %s", opath, path);
                diag(c, path, nf->decl, stub, "new field, and %s of the same type is gone: "
                     "renamed? (if not, INIT %s and %s -> (dropped))", opath, path, opath);
            } else {
                snprintf(stub, sizeof stub, "INIT %s: { %s }", path,
                         scalar ? "$out = 0;" : "memset(&$out, 0, sizeof $out);");
                diag(c, path, nf->decl, stub, "new field needs an INIT rule");
            }
            same = 0;
            continue;
        }
        if (of->offset != nf->offset || of_base != obase)
            same = 0;
        int oft = ktt_resolve(c->old, of->type), nft = ktt_resolve(c->new_, nf->type);
        if (nf->name && rule < 0 && has_nested_rules(c, tname, fpath) &&
            otype(c, oft)->kind == KTT_STRUCT && ntype(c, nft)->kind == KTT_STRUCT) {
            char sub[400];
            snprintf(sub, sizeof sub, "%s.", fpath);
            plan_fields_at(c, p, oft, nft, top_ot, tname, sub, of_base + of->offset, nf_abs,
                           depth + 1);
            same = 0;
            continue;
        }
        int before = p->nops;
        if (of->bit_size || nf->bit_size) {
            if (plan_bitfield(c, p, of, nf, path))
                same = 0;
            shift_ops(p, before, of_base, nbase);
            continue;
        }
        int tag = nf->name ? find_rule(c, RULE_TAG, tname, fpath) : -1;
        use_rule(c, tag);
        if (tag >= 0 && plan_by_tag(c, p, tag, of, nf, top_ot, of_base + of->offset, nf_abs,
                                    path))
            continue;
        plan_slot(c, p, of->type, nf->type, of->offset, nf->offset, of_parent, p->env, path,
                  nf->decl, depth);
        shift_ops(p, before, of_base, nbase);
        for (int j = before; j < p->nops; j++) {
            const struct plan_op *op = &p->ops[j];
            if (op->kind == OP_INT || op->kind == OP_FLOAT || op->kind == OP_ZERO)
                same = 0;
            if ((op->kind == OP_SUB || op->kind == OP_ARRAY) && op->sub &&
                !op->sub->same_layout)
                same = 0;
        }
    }
    plan_gone_fields(c, &scope);
    /* A dropped field makes the old bytes meaningless in the new layout. */
    for (int i = 0; i < o->nfields && same; i++) {
        const struct ktt_field *of = &o->fields[i];
        if (of->name && !find_field(n, of->name))
            same = 0;
    }
    return same;
}

/* Rules run after the generated operations, so their code sees the new object's
 * other members already converted. */
static void rules_last(struct plan *p)
{
    int w = 0;
    if (p->nops == 0)
        return;
    struct plan_op *tmp = malloc((size_t)(p->nops + 1) * sizeof *tmp);
    if (!tmp)
        plan_oom();
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < p->nops; i++)
            if ((p->ops[i].kind == OP_RULE) == pass)
                tmp[w++] = p->ops[i];
    memcpy(p->ops, tmp, (size_t)p->nops * sizeof *tmp);
    free(tmp);
}

static void plan_struct_fields(struct plan_ctx *c, struct plan *p, int ot, int nt,
                               const char *tname, int depth)
{
    p->same_layout = plan_fields_at(c, p, ot, nt, ot, tname, "", 0, 0, depth);
    rules_last(p);
}

static int union_holds_pointers(struct plan_ctx *c, int t, int depth)
{
    const struct ktt_type *ty = otype(c, ktt_resolve(c->old, t));
    if (depth > MAX_DEPTH)
        return 0;
    if (ty->kind == KTT_PTR)
        return !(ty->flags & KTT_OPAQUE);
    if (ty->kind == KTT_ARRAY)
        return union_holds_pointers(c, ty->target, depth + 1);
    if (ty->kind == KTT_STRUCT || ty->kind == KTT_UNION)
        for (int i = 0; i < ty->nfields; i++)
            if (union_holds_pointers(c, ty->fields[i].type, depth + 1))
                return 1;
    return 0;
}

/* A pointer-sized union whose members all sit at offset 0 and are function pointers or
 * pointers (Snort's OutputFuncNode: a handler or its argument): 1 when it has a
 * function pointer and every other member is E_OPAQUE (it is remapped as a function
 * pointer when it holds one of the old version's functions), 2 when some data pointer
 * is not E_OPAQUE, 0 for any other union. */
static int fptr_union(const struct ktt *k, const struct ktt_type *u)
{
    int fptrs = 0, plain = 0;
    if (u->kind != KTT_UNION || u->size != sizeof(void *) || u->nfields == 0)
        return 0;
    for (int i = 0; i < u->nfields; i++) {
        const struct ktt_field *f = &u->fields[i];
        const struct ktt_type *t = &k->types[ktt_resolve(k, f->type)];
        if (f->offset != 0 || f->bit_size || t->kind != KTT_PTR)
            return 0;
        const struct ktt_type *target = &k->types[ktt_resolve(k, t->target)];
        if (target->kind == KTT_FUNC && !(t->flags & KTT_OPAQUE))
            fptrs++;
        else if (!(t->flags & KTT_OPAQUE))
            plain++;
    }
    if (!fptrs)
        return 0;
    return plain ? 2 : 1;
}

/* Whether old type ot and new type nt hold their values in the same bytes the same
 * way (a union copied as bytes keeps every member). */
static int same_shape(struct plan_ctx *c, int ot, int nt, int depth)
{
    const struct ktt_type *o = otype(c, ktt_resolve(c->old, ot));
    const struct ktt_type *n = ntype(c, ktt_resolve(c->new_, nt));
    if (depth > MAX_DEPTH || o->kind != n->kind || o->size != n->size)
        return 0;
    switch (o->kind) {
    case KTT_BASE:
        return o->enc == n->enc;
    case KTT_ENUM:
        if (o->nenums > n->nenums)
            return 0;
        for (int i = 0; i < o->nenums; i++) {
            int found = 0;
            for (int j = 0; j < n->nenums; j++)
                if (strcmp(o->enums[i].name, n->enums[j].name) == 0)
                    found = o->enums[i].value == n->enums[j].value;
            if (!found)
                return 0;
        }
        return 1;
    case KTT_ARRAY:
        return o->count == n->count && same_shape(c, o->target, n->target, depth + 1);
    case KTT_STRUCT:
    case KTT_UNION:
        if (o->nfields != n->nfields)
            return 0;
        for (int i = 0; i < o->nfields; i++) {
            const struct ktt_field *a = &o->fields[i], *b = &n->fields[i];
            if ((a->name == NULL) != (b->name == NULL) ||
                (a->name && strcmp(a->name, b->name) != 0) || a->offset != b->offset ||
                a->bit_offset != b->bit_offset || a->bit_size != b->bit_size ||
                !same_shape(c, a->type, b->type, depth + 1))
                return 0;
        }
        return 1;
    default:
        return 1; /* pointers, functions, void: the bytes mean the same */
    }
}

static int same_union_layout(struct plan_ctx *c, const struct ktt_type *o,
                             const struct ktt_type *n)
{
    if (o->size != n->size || o->nfields != n->nfields)
        return 0;
    for (int i = 0; i < o->nfields; i++)
        if (o->fields[i].offset != n->fields[i].offset ||
            !same_shape(c, o->fields[i].type, n->fields[i].type, 0))
            return 0;
    return 1;
}

static void plan_enum(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                      const struct ktt_type *n, const char *path, const char *decl)
{
    int identical = o->size == n->size && o->nenums <= n->nenums;
    long long *map = calloc((size_t)o->nenums * 2 + 2, sizeof *map);
    if (!map)
        plan_oom();
    int nmap = 0;
    for (int i = 0; i < o->nenums; i++) {
        const struct ktt_enumerator *e = &o->enums[i], *m = NULL;
        for (int j = 0; j < n->nenums; j++)
            if (strcmp(n->enums[j].name, e->name) == 0)
                m = &n->enums[j];
        if (!m) {
            char stub[400];
            snprintf(stub, sizeof stub, "%s -> %s: { $out = /* value for %s */ 0; }", path,
                     path, e->name);
            diag(c, path, decl, stub, "enumerator %s was removed", e->name);
            identical = 0;
            continue;
        }
        if (m->value != e->value)
            identical = 0;
        map[nmap * 2] = e->value;
        map[nmap * 2 + 1] = m->value;
        nmap++;
    }
    if (identical) {
        free(map);
        add_op(p, OP_COPY, 0, 0)->len = (uint32_t)n->size;
        p->same_layout = 1;
        return;
    }
    struct plan_op *op = add_op(p, OP_ENUM, 0, 0);
    op->len = (uint32_t)o->size;
    op->new_len = (uint32_t)n->size;
    op->old_signed = 0; /* as C: an enum without negative values is unsigned */
    for (int i = 0; i < o->nenums; i++)
        if (o->enums[i].value < 0)
            op->old_signed = 1;
    op->enum_map = map;
    op->n_enum = nmap;
    /* Values change: the object is rebuilt, never rewritten in place, so the old state
     * stays intact for a rollback and a value is never mapped twice. */
    p->same_layout = 0;
}

/* The type rule for p's new type, by the name it was reached by or its own; -1 none. */
static int type_rule_for(struct plan_ctx *c, const struct plan *p, char *name, size_t len)
{
    int rule = -1;
    const char *rname = NULL;
    if (p->named_new >= 0)
        rname = type_rule_name(c->new_, p->named_new, name, len);
    if (rname)
        rule = find_rule(c, RULE_TYPE, rname, NULL);
    if (rule < 0) {
        char buf[200];
        const char *own = type_rule_name(c->new_, p->new_type, buf, sizeof buf);
        int r2 = own ? find_rule(c, RULE_TYPE, own, NULL) : -1;
        if (r2 >= 0 || !rname) {
            rule = r2;
            if (own)
                snprintf(name, len, "%s", own);
            else if (!rname)
                name[0] = '\0';
        }
    }
    return rule;
}

static void build_type_plan(struct plan_ctx *c, struct plan *p, int depth)
{
    char oname[200], nname[200], rname[200];
    int orr = p->old_type, nr = p->new_type;
    const struct ktt_type *o = otype(c, orr), *n = ntype(c, nr);
    const char *path = p->path, *decl = p->decl;
    int type_rule = type_rule_for(c, p, rname, sizeof rname);
    type_label(c->old, orr, oname, sizeof oname);
    type_label(c->new_, nr, nname, sizeof nname);
    if (depth > MAX_DEPTH) {
        diag(c, path, decl, NULL, "types nested too deeply");
        return;
    }
    if (type_rule >= 0) {
        use_rule(c, type_rule);
        if (c->rules[type_rule].has_code) {
            /* The programmer's code replaces the generated transformer. */
            p->type_rule = type_rule;
            p->same_layout = 0;
            return;
        }
    }
    int named = (o->kind == KTT_STRUCT || o->kind == KTT_UNION || o->kind == KTT_ENUM) &&
                o->name && n->name;
    if (named && o->kind == n->kind && strcmp(o->name, n->name) != 0 && type_rule < 0) {
        char stub[600];
        snprintf(stub, sizeof stub, "%s -> %s", oname, nname);
        diag(c, path, n->decl, stub, "type renamed from %s to %s without a rule", oname,
             nname);
    }
    if (is_foreign(o) || is_foreign(n)) {
        /* A library's type (declared outside the source root, e.g. pthread_mutex_t or
         * FILE): the library owns what it points to, so it is copied, never followed. */
        p->same_layout = o->size == n->size;
        if (!p->same_layout)
            diag(c, path, n->decl, NULL, "library type %s changed size from %zu to %zu",
                 nname, o->size, n->size);
        add_op(p, OP_COPY, 0, 0)->len = (uint32_t)(o->size < n->size ? o->size : n->size);
    } else if (o->kind == KTT_STRUCT && n->kind == KTT_STRUCT) {
        plan_struct_fields(c, p, orr, nr, n->name || !rname[0] ? nname : rname, depth);
    } else if (o->kind == KTT_UNION && n->kind == KTT_UNION) {
        /* An anonymous union is named by the field it was reached by: a rule for that
         * field (struct T.u -> struct T.u) is the one to write. */
        if (!n->name && path[0])
            snprintf(nname, sizeof nname, "%s", path);
        p->same_layout = same_union_layout(c, o, n);
        add_op(p, OP_COPY, 0, 0)->len = (uint32_t)(o->size < n->size ? o->size : n->size);
        if (!p->same_layout) {
            char stub[600];
            snprintf(stub, sizeof stub, "%s -> %s: { /* copy the member in use */ }", nname,
                     nname);
            diag(c, nname, n->decl, stub, "union changed; say how to convert it");
        } else if (fptr_union(c->old, o) == 1 && fptr_union(c->new_, n) == 1) {
            /* Its value is a function of the old version (remapped to the new one of
             * the same key), or a value of the opaque members, copied as it is. */
            add_op(p, OP_FPTR, 0, 0);
        } else if (fptr_union(c->old, o) == 2) {
            char stub[600];
            snprintf(stub, sizeof stub, "annotate the union's data pointers E_OPAQUE, or write "
                     "a rule: %s -> %s: { XF_INVOKE(/* closure for the member in use */, "
                     "&$in, &$out); }", nname, nname);
            diag(c, nname, n->decl, stub, "union of a function pointer and data pointers "
                 "that are not E_OPAQUE; with them E_OPAQUE it is remapped as a function "
                 "pointer when it holds one");
        } else if (union_holds_pointers(c, orr, 0)) {
            char stub[600];
            snprintf(stub, sizeof stub, "%s -> %s: { XF_INVOKE(/* closure for the member in "
                     "use */, &$in, &$out); }", nname, nname);
            diag(c, nname, n->decl, stub, "union holds pointers; write a rule saying which "
                 "member is in use, or annotate them E_OPAQUE");
        }
    } else if (o->kind == KTT_ENUM && n->kind == KTT_ENUM) {
        plan_enum(c, p, o, n, path, decl);
    } else if ((o->kind == KTT_VOID && !o->tparam) && (n->kind == KTT_VOID && !n->tparam)) {
        p->same_layout = 1;
    } else if (o->kind == KTT_FUNC && n->kind == KTT_FUNC) {
        p->same_layout = 1;
    } else {
        /* Scalars, pointers and arrays: one slot at offset 0. */
        plan_slot(c, p, orr, nr, 0, 0, -1, p->env, path, decl, depth);
        p->same_layout = o->size == n->size;
        for (int j = 0; j < p->nops; j++) {
            const struct plan_op *op = &p->ops[j];
            if (op->kind == OP_INT || op->kind == OP_FLOAT || op->kind == OP_ZERO ||
                ((op->kind == OP_ARRAY || op->kind == OP_SUB) && op->sub &&
                 !op->sub->same_layout))
                p->same_layout = 0;
        }
    }
}

/* A plan for `ptrs` levels of pointer above a type: one pointer slot. */
static void build_pointer_plan(struct plan_ctx *c, struct plan *p)
{
    struct tref r = {.ot = p->old_type, .nt = p->new_type, .named_nt = p->named_new,
                     .env = p->env, .ptrs = p->ptrs - 1, .ok = 1};
    struct plan_op *op = add_op(p, OP_PTR, 0, 0);
    op->sub = plan_get(c, r, p->path, p->decl);
    op->ptr_flags = PTR_MAY_STATIC | PTR_MAY_INTERIOR; /* no summary entry to judge by */
    p->same_layout = 1;
}

static void build_plan(struct plan_ctx *c, struct plan *p, int depth)
{
    p->visiting = 1;
    if (p->ptrs > 0)
        build_pointer_plan(c, p);
    else
        build_type_plan(c, p, depth);
    p->visiting = 0;
    p->built = 1;
}

/* ---- modes ---- */

void plan_mark_contained(const struct ktt *k, int t, uint8_t *set, int depth)
{
    /* Already marked means its contents are too: each type is entered once. */
    if (depth > MAX_DEPTH || t < 0 || set[t])
        return;
    set[t] = 1;
    const struct ktt_type *ty = &k->types[t];
    if (ty->kind == KTT_TYPEDEF || ty->kind == KTT_ARRAY)
        plan_mark_contained(k, ty->target, set, depth + 1);
    if (ty->kind == KTT_STRUCT || ty->kind == KTT_UNION)
        for (int i = 0; i < ty->nfields; i++)
            plan_mark_contained(k, ty->fields[i].type, set, depth + 1);
}

/* Types equal by name count as one: summaries may hold duplicates. */
void plan_widen_by_name(const struct ktt *k, uint8_t *set)
{
    for (int i = 0; i < k->ntypes; i++) {
        if (!set[i] || !k->types[i].name)
            continue;
        for (int j = 0; j < k->ntypes; j++)
            if (!set[j] && k->types[j].kind == k->types[i].kind && k->types[j].name &&
                strcmp(k->types[j].name, k->types[i].name) == 0)
                set[j] = 1;
    }
}

static int op_needs_visit(const struct plan_op *op)
{
    switch (op->kind) {
    case OP_COPY:
        return 0;
    case OP_BITS: /* bits that stay where they were need nothing */
        return op->old_off != op->new_off || op->old_bit != op->new_bit ||
               op->old_bits != op->new_bits;
    case OP_SUB:
    case OP_ARRAY:
        return op->sub && op->sub->mode != PLAN_CLEAN;
    case OP_PTR:
    case OP_PTRARRAY:
        /* E_SZ alone is no reason: a string in static data is flagged as such. */
        return op->ptr_flags || (op->sub && op->sub->mode != PLAN_CLEAN);
    default:
        return 1;
    }
}

static void set_pointer_flags(struct plan_ctx *c)
{
    for (struct plan *p = c->plans; p; p = p->next)
        for (int i = 0; i < p->nops; i++) {
            struct plan_op *op = &p->ops[i];
            if (op->kind != OP_PTR && op->kind != OP_PTRARRAY)
                continue;
            if (!op->sub || op->sub->ptrs > 0)
                continue; /* a pointer to a bare pointer: flagged when planned */
            int t = op->sub->old_type;
            if (c->may_static[t])
                op->ptr_flags |= PTR_MAY_STATIC;
            if (c->in_rebuilt[t] || op->sub->mode == PLAN_REBUILD)
                op->ptr_flags |= PTR_MAY_INTERIOR;
        }
}

static void compute_modes(struct plan_ctx *c)
{
    int n = c->old->ntypes;
    c->may_static = calloc((size_t)n + 1, 1);
    c->in_rebuilt = calloc((size_t)n + 1, 1);
    if (!c->may_static || !c->in_rebuilt)
        plan_oom();
    for (int i = 0; i < c->old->nvars; i++)
        if (!(c->old->vars[i].flags & KTT_VAR_LOCAL))
            plan_mark_contained(c->old, c->old->vars[i].type, c->may_static, 0);
    plan_widen_by_name(c->old, c->may_static);
    for (struct plan *p = c->plans; p; p = p->next)
        p->mode = p->same_layout && p->type_rule < 0 ? PLAN_CLEAN : PLAN_REBUILD;
    for (struct plan *p = c->plans; p; p = p->next)
        if (p->mode == PLAN_REBUILD && p->ptrs == 0) {
            const struct ktt_type *t = &c->old->types[p->old_type];
            for (int i = 0; i < t->nfields; i++)
                plan_mark_contained(c->old, t->fields[i].type, c->in_rebuilt, 0);
            if (t->kind == KTT_ARRAY)
                plan_mark_contained(c->old, t->target, c->in_rebuilt, 0);
        }
    plan_widen_by_name(c->old, c->in_rebuilt);
    set_pointer_flags(c);
    for (int changed = 1; changed;) {
        changed = 0;
        for (struct plan *p = c->plans; p; p = p->next) {
            if (p->mode != PLAN_CLEAN)
                continue;
            for (int i = 0; i < p->nops; i++)
                if (op_needs_visit(&p->ops[i])) {
                    p->mode = PLAN_FIX;
                    changed = 1;
                    break;
                }
        }
    }
    for (struct plan *p = c->plans; p; p = p->next)
        for (int i = 0; i < p->nops; i++) {
            const struct plan_op *op = &p->ops[i];
            if ((op->kind == OP_SUB || op->kind == OP_ARRAY) && op->sub &&
                op->sub->mode != PLAN_CLEAN)
                p->nests = 1;
            if (op->flex == FLEX_UNKNOWN &&
                (p->mode == PLAN_REBUILD || (op->sub && op->sub->mode != PLAN_CLEAN))) {
                char stub[600];
                snprintf(stub, sizeof stub, "annotate the member with its length: "
                         "T items[] E_ARRAY(self.count_field)");
                diag(c, op->path, p->decl, stub, "an array of unknown length in an object "
                     "that is %s", p->mode == PLAN_REBUILD ? "rebuilt" : "fixed in place");
            }
        }
}

/* Plans whose objects the general engine may visit without an entry in its old->new
 * map (plan.h, light): fixed in place, never an alias inside a rebuilt object, and -
 * when their rules run in place, which must happen once - never also met as an
 * array or inside another object. */
static void mark_light(struct plan_ctx *c)
{
    size_t n = (size_t)c->old->ntypes + 1;
    uint8_t *as_array = calloc(n, 1), *inline_in = calloc(n, 1);
    if (!as_array || !inline_in)
        plan_oom();
    for (struct plan *p = c->plans; p; p = p->next) {
        if (p->ptrs == 0 && p->old_type >= 0) {
            const struct ktt_type *t = &c->old->types[p->old_type];
            for (int i = 0; i < t->nfields; i++)
                plan_mark_contained(c->old, t->fields[i].type, inline_in, 0);
            if (t->kind == KTT_ARRAY)
                plan_mark_contained(c->old, t->target, inline_in, 0);
        }
        for (int i = 0; i < p->nops; i++) {
            const struct plan_op *op = &p->ops[i];
            if ((op->kind == OP_PTRARRAY || op->nul_terminated) && op->sub &&
                op->sub->old_type >= 0)
                as_array[op->sub->old_type] = 1;
        }
    }
    for (int i = 0; i < c->nrules; i++)
        if (c->rules[i].kind == RULE_XFORM && c->xform && c->xform[i])
            as_array[c->xform[i]->old_type] = 1; /* XF_PTRARRAY may claim arrays */
    plan_widen_by_name(c->old, as_array);
    plan_widen_by_name(c->old, inline_in);
    for (struct plan *p = c->plans; p; p = p->next) {
        int t = p->old_type;
        p->light = p->mode == PLAN_FIX && p->ptrs == 0 && t >= 0 && !p->nests &&
                   p->flex_op < 0 &&
                   p->type_rule < 0 && !c->in_rebuilt[t] &&
                   (!p->in_place_rules || (!as_array[t] && !inline_in[t]));
    }
    free(as_array);
    free(inline_in);
}

/* Merges adjacent copies; inside CLEAN targets nothing but copies remain. */
static void simplify(struct plan *p)
{
    int w = 0;
    for (int i = 0; i < p->nops; i++) {
        struct plan_op op = p->ops[i];
        if ((op.kind == OP_PTR || op.kind == OP_SUB || op.kind == OP_ARRAY) &&
            !op_needs_visit(&op)) {
            size_t len = op.kind == OP_PTR ? 8
                         : op.kind == OP_SUB ? op.sub->old_size
                                             : (size_t)op.count * op.old_stride;
            if (op.kind == OP_ARRAY && (op.old_stride != op.new_stride || op.flex))
                goto keep;
            if (op.kind == OP_SUB && op.sub->old_size != op.sub->new_size)
                goto keep;
            memset(&op, 0, sizeof op);
            op.kind = OP_COPY;
            op.old_off = p->ops[i].old_off;
            op.new_off = p->ops[i].new_off;
            op.len = (uint32_t)len;
            op.rule = -1;
        }
    keep:
        if (op.kind == OP_COPY && w > 0 && p->ops[w - 1].kind == OP_COPY &&
            p->ops[w - 1].old_off + p->ops[w - 1].len == op.old_off &&
            p->ops[w - 1].new_off + p->ops[w - 1].len == op.new_off) {
            p->ops[w - 1].len += op.len;
            continue;
        }
        p->ops[w++] = op;
    }
    p->nops = w;
    p->flex_op = -1;
    for (int i = 0; i < p->nops; i++)
        if (p->ops[i].flex == FLEX_COUNTED)
            p->flex_op = i;
}

int plan_var_migrates(const struct ktt_var *v)
{
    if (v->flags & (KTT_VAR_READONLY | KTT_VAR_TLS))
        return 0; /* read-only memory cannot be filled; thread-local is per thread */
    return !(v->flags & (KTT_VAR_CONST | KTT_VAR_MANUAL)) || (v->flags & KTT_VAR_AUTO);
}

int plan_var_constant(const struct ktt_var *v)
{
    if (v->flags & (KTT_VAR_TLS | KTT_VAR_LOCAL))
        return 0;
    return (v->flags & KTT_VAR_READONLY) ||
           ((v->flags & KTT_VAR_CONST) && !(v->flags & KTT_VAR_AUTO));
}

/* An encoded variable's storage means something only under the same encoding: then
 * copying it carries the value over; a plain variable on either side cannot be paired
 * with one, nor two different encodings. */
static int same_encoding(const struct ktt_var *ov, const struct ktt_var *nv)
{
    unsigned e = ov->flags & KTT_VAR_ENCODED, f = nv->flags & KTT_VAR_ENCODED;
    if (!e && !f)
        return 1;
    return e && f && ov->encoding == nv->encoding && ov->size == nv->size;
}

static void plan_vars(struct plan_ctx *c)
{
    const struct ktt *o = c->old, *n = c->new_;
    c->vars = calloc((size_t)n->nvars + 1, sizeof *c->vars);
    if (!c->vars)
        plan_oom();
    for (int i = 0; i < n->nvars; i++) {
        const struct ktt_var *nv = &n->vars[i];
        if (!plan_var_migrates(nv))
            continue;
        struct plan_var *pv = &c->vars[c->nvars];
        pv->new_var = i;
        pv->old_var = -1;
        pv->rule = -1;
        int init = find_rule(c, RULE_INIT_VAR, nv->key, NULL);
        int rule = find_rule(c, RULE_VAR, nv->key, NULL);
        const char *from = nv->key;
        if (init >= 0) {
            use_rule(c, init);
            pv->rule = init;
            c->nvars++;
            continue;
        }
        if (rule >= 0) {
            use_rule(c, rule);
            from = c->rules[rule].from;
        }
        const struct ktt_var *ov = ktt_find_var(o, from);
        if (!ov || !plan_var_migrates(ov)) {
            if (rule >= 0)
                diag(c, nv->key, nv->decl, NULL, "rule renames %s, which the old version "
                     "does not have", from);
            continue; /* a new variable keeps its initialiser */
        }
        if (!same_encoding(ov, nv)) {
            diag(c, nv->key, nv->decl, NULL, "%s is kept by the compiler in an encoded form "
                 "(clang -O2 shrinks a variable that holds one of two values to a flag) in "
                 "%s, so its value cannot be carried over; declare it volatile in both "
                 "versions", nv->key,
                 (ov->flags & nv->flags & KTT_VAR_ENCODED) ? "both versions, differently"
                 : (ov->flags & KTT_VAR_ENCODED) ? "the old version" : "the new version");
            continue;
        }
        pv->old_var = (int)(ov - o->vars);
        c->nvars++;
        if (rule >= 0 && c->rules[rule].has_code) {
            /* The rule's code replaces the plan: planned last (plan_rule_vars). */
            pv->rule = rule;
            continue;
        }
        pv->plan = plan_pair(c, ov->type, nv->type, nv->key, nv->decl, 0);
    }
}

int plan_dropped_var(const struct plan_ctx *c, int from)
{
    for (int i = from; i < c->old->nvars; i++) {
        if (!plan_var_migrates(&c->old->vars[i]))
            continue;
        int kept = 0;
        for (int j = 0; j < c->nvars && !kept; j++)
            kept = c->vars[j].old_var == i;
        if (!kept)
            return i;
    }
    return -1;
}

/* Plans a variable without diagnostics of its own (its plan is only used in part). */
static void plan_quietly(struct plan_ctx *c, struct plan_var *pv)
{
    const struct ktt_var *ov = &c->old->vars[pv->old_var];
    const struct ktt_var *nv = &c->new_->vars[pv->new_var];
    int ndiags = c->ndiags;
    pv->plan = plan_pair(c, ov->type, nv->type, nv->key, nv->decl, 0);
    drain(c);
    while (c->ndiags > ndiags) {
        struct plan_diag *d = &c->diags[--c->ndiags];
        free(d->path);
        free(d->decl);
        free(d->what);
        free(d->stub);
    }
}

/* Variables transformed by a rule with code still get a plan (pointers into them are
 * translated with it), but what it could not decide is the rule's business: planned
 * after everything else, so a type they share with other variables was judged for
 * those, and without diagnostics of their own. */
static void plan_rule_vars(struct plan_ctx *c)
{
    for (int i = 0; i < c->nvars; i++) {
        struct plan_var *pv = &c->vars[i];
        if (!pv->plan && pv->old_var >= 0 && pv->rule >= 0)
            plan_quietly(c, pv);
    }
}

/* A variable that is constant data in either version (plan_var_constant) is the new
 * version's own: never filled, whatever its type became.  Pointers into the old
 * version's copy are translated into the new one's by its plan, made the same quiet
 * way, last. */
static void plan_constant_vars(struct plan_ctx *c)
{
    const struct ktt *o = c->old, *n = c->new_;
    c->constants = calloc((size_t)n->nvars + 1, sizeof *c->constants);
    if (!c->constants)
        plan_oom();
    for (int i = 0; i < n->nvars; i++) {
        const struct ktt_var *nv = &n->vars[i], *ov = ktt_find_var(o, nv->key);
        if (!ov || (ov->flags | nv->flags) & KTT_VAR_TLS ||
            !(plan_var_constant(nv) || plan_var_constant(ov)))
            continue;
        struct plan_var *pv = &c->constants[c->nconstants++];
        *pv = (struct plan_var){.old_var = (int)(ov - o->vars), .new_var = i, .rule = -1};
        plan_quietly(c, pv);
    }
}

/* ---- function renames ----
 *
 * A rule `file.c/old_fn -> new_fn` whose new side is a function of the new version
 * (and no variable) renames a function: every pointer to old_fn, static or on the heap,
 * goes to new_fn (Kitsune registered such renames for hash functions kept in tables). */

static void plan_func_renames(struct plan_ctx *c)
{
    c->fn_renames = calloc((size_t)c->nrules + 1, sizeof *c->fn_renames);
    if (!c->fn_renames)
        plan_oom();
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if (r->kind != RULE_VAR || !r->from || ktt_find_var(c->new_, r->to) ||
            !ktt_find_func(c->new_, r->to))
            continue;
        use_rule(c, i);
        if (r->has_code) {
            diag(c, r->to, NULL, NULL, "function rename %s -> %s cannot have code", r->from,
                 r->to);
            continue;
        }
        if (!ktt_find_func(c->old, r->from)) {
            diag(c, r->to, NULL, NULL, "rule renames function %s, which the old version "
                 "does not have", r->from);
            continue;
        }
        const char *to = plan_func_target(c, r->from);
        if (to != r->from) {
            diag(c, r->from, NULL, NULL, "ambiguous rules: function %s is renamed to both "
                 "%s and %s", r->from, to, r->to);
            continue;
        }
        c->fn_renames[c->nfn_renames++] = i;
    }
}

const char *plan_func_target(const struct plan_ctx *c, const char *old_key)
{
    for (int i = 0; i < c->nfn_renames; i++) {
        const struct plan_rule *r = &c->rules[c->fn_renames[i]];
        if (strcmp(r->from, old_key) == 0)
            return r->to;
    }
    return old_key;
}

/* Copies the argument bound to @name in env ("@a=struct_conn;@b=int") into arg. */
static int binding_arg(const char *env, const char *name, char *arg, size_t len)
{
    size_t nlen = strlen(name);
    for (const char *e = env; e && *e;) {
        const char *end = strchr(e, ';');
        size_t elen = end ? (size_t)(end - e) : strlen(e);
        if (e[0] == '@' && elen > nlen + 1 && strncmp(e + 1, name, nlen) == 0 &&
            e[nlen + 1] == '=') {
            snprintf(arg, len, "%.*s", (int)(elen - nlen - 2), e + nlen + 2);
            return 1;
        }
        e = end ? end + 1 : NULL;
    }
    return 0;
}

/* Whether a $xform passes a parameter of the type rule in_rule on ($gen: "@t"): it is
 * planned with each binding of that type. */
static int passes_on(const struct plan_rule *r)
{
    return r->kind == RULE_XFORM && r->gen_args && strchr(r->gen_args, '@') &&
           r->in_rule >= 0;
}

/* A $xform that passes a parameter on in the rule of a type that is used without
 * bindings (not generic) has nothing to pass. */
static void check_passed_on(struct plan_ctx *c, const uint8_t *bound)
{
    for (int i = 0; i < c->nrules; i++) {
        const struct plan_rule *r = &c->rules[i];
        if (!passes_on(r) || bound[i])
            continue;
        int reached = 0;
        for (struct plan *p = c->plans; p && !reached; p = p->next)
            reached = p->type_rule == r->in_rule;
        if (reached)
            diag(c, c->rules[r->in_rule].to, NULL, NULL, "$xform(%s, %s, <%s>) passes on a "
                 "generic parameter with $gen, but %s is not generic where it is used",
                 r->from, r->to, r->gen_args, c->rules[r->in_rule].to);
    }
}

/* The bindings of generic types transformed by a type rule are planned now, so that
 * the rule's $gen closures find their plans, and so are the $xform pairs to which the
 * rule passes its parameters on. */
static void plan_bindings(struct plan_ctx *c)
{
    uint8_t *bound = calloc((size_t)c->nrules + 1, 1); /* per rule: planned with a binding */
    if (!bound)
        plan_oom();
    for (struct plan *p = c->plans; p; p = p->next) {
        if (!p->env || p->type_rule < 0)
            continue;
        for (int i = 0; i < c->nrules; i++) {
            const struct plan_rule *r = &c->rules[i];
            if (passes_on(r) && r->in_rule == p->type_rule) {
                plan_for_names_args(c, r->from, r->to, r->gen_args, p->env);
                bound[i] = 1;
            }
        }
        for (const char *e = p->env; e && *e;) {
            const char *eq = strchr(e, '=');
            const char *end = strchr(e, ';');
            if (!eq || (end && eq > end))
                break;
            char arg[400];
            size_t alen = end ? (size_t)(end - eq - 1) : strlen(eq + 1);
            snprintf(arg, sizeof arg, "%.*s", (int)alen, eq + 1);
            struct tref r = tref_of_arg(c, arg, p->path, p->decl);
            if (r.ok && !r.opaque)
                plan_get(c, r, p->path, p->decl);
            e = end ? end + 1 : NULL;
        }
    }
    check_passed_on(c, bound);
    free(bound);
    drain(c);
}

struct plan *plan_binding(struct plan_ctx *c, const char *env, const char *name, int *opaque)
{
    char arg[400];
    *opaque = 0;
    if (!binding_arg(env, name, arg, sizeof arg))
        return NULL;
    struct tref r = tref_of_arg(c, arg, name, NULL);
    if (!r.ok)
        return NULL;
    if (r.opaque) {
        *opaque = 1;
        return NULL;
    }
    return find_plan_env(c, r.ot, r.nt, r.env, r.ptrs);
}

/* ---- objects allocated shorter than their type (E_OPTIONAL) ----
 * A struct whose member F is E_OPTIONAL may be allocated ending where F starts (Redis
 * allocates sizeof(robj) minus its trailing member).  Such an object is transformed
 * with a second plan covering only that prefix: the engine picks it by the object's
 * allocation size.  An update that moves data between the prefix and the tail cannot
 * be carried out on a short object and is refused. */

static size_t op_new_span(const struct plan_op *op)
{
    switch (op->kind) {
    case OP_COPY:
    case OP_ZERO:
    case OP_RULE:
        return op->len;
    case OP_INT:
    case OP_FLOAT:
    case OP_ENUM:
        return op->new_len;
    case OP_SUB:
        return op->sub ? op->sub->new_size : 0;
    case OP_ARRAY:
        return (size_t)(op->count < 0 ? 0 : op->count) * op->new_stride;
    case OP_PTR:
    case OP_PTRARRAY:
    case OP_FPTR:
        return 8;
    default:
        return 1;
    }
}

static size_t op_old_span(const struct plan_op *op);

/* The member of t at byte offset off, for messages. */
static const char *member_name_at(const struct ktt_type *t, size_t off)
{
    const char *name = "?";
    for (int i = 0; i < t->nfields; i++)
        if (t->fields[i].offset <= off && t->fields[i].name)
            name = t->fields[i].name;
    return name;
}

static void plan_short(struct plan_ctx *c, struct plan *p)
{
    const struct ktt_type *o = otype(c, p->old_type), *n = ntype(c, p->new_type);
    if (p->ptrs > 0 || o->kind != KTT_STRUCT || !o->optional || p->mode == PLAN_CLEAN)
        return;
    char name[200];
    type_label(c->old, p->old_type, name, sizeof name);
    const struct ktt_field *of = find_field(o, o->optional);
    const struct ktt_field *nf = n->optional && strcmp(n->optional, o->optional) == 0
                                     ? find_field(n, n->optional) : NULL;
    if (!of)
        return;
    if (!nf || n->kind != KTT_STRUCT) {
        diag(c, name, n->decl, NULL, "objects of %s may end before %s (E_OPTIONAL), but in "
             "the new version %s.%s is not E_OPTIONAL: an object without it cannot become "
             "one that has it", name, o->optional, name, o->optional);
        return;
    }
    if (p->type_rule >= 0) {
        diag(c, name, n->decl, NULL, "objects of %s may end before %s (E_OPTIONAL), but a "
             "type rule with code converts the whole object; write field rules instead",
             name, o->optional);
        return;
    }
    size_t ocut = of->offset, ncut = nf->offset;
    struct plan_op *ops = calloc((size_t)p->nops + 1, sizeof *ops);
    if (!ops)
        plan_oom();
    int w = 0;
    for (int i = 0; i < p->nops; i++) {
        struct plan_op op = p->ops[i];
        size_t ospan = op_old_span(&op), nspan = op_new_span(&op);
        int from_tail = ospan > 0 && op.old_off >= ocut;
        int to_tail = op.new_off + nspan > ncut;
        if (from_tail && op.new_off >= ncut)
            continue; /* tail to tail: a short object has none */
        if (!from_tail && !ospan && op.new_off >= ncut)
            continue; /* a new member of the tail (zeroed, INIT) */
        if (op.kind == OP_COPY && !from_tail && op.old_off + ospan > ocut &&
            op.new_off + (ocut - op.old_off) <= ncut) {
            op.len = (uint32_t)(ocut - op.old_off); /* merged copies across the cut */
            ospan = op.len;
            to_tail = 0;
        }
        if (from_tail || to_tail || op.old_off + ospan > ocut) {
            char fpath[300];
            snprintf(fpath, sizeof fpath, "%s.%s", name,
                     from_tail ? member_name_at(o, op.old_off) : member_name_at(n, op.new_off));
            diag(c, fpath, n->decl, NULL, "objects of %s may end before %s (E_OPTIONAL), "
                 "and this update moves %s %s the optional part", name, o->optional, fpath,
                 from_tail ? "out of" : "into");
            free(ops);
            return;
        }
        if (op.enum_map) {
            long long *m = malloc((size_t)op.n_enum * 2 * sizeof *m);
            if (!m)
                plan_oom();
            memcpy(m, op.enum_map, (size_t)op.n_enum * 2 * sizeof *m);
            op.enum_map = m;
        }
        op.path = NULL;
        ops[w++] = op;
    }
    struct plan *s = malloc(sizeof *s);
    if (!s)
        plan_oom();
    *s = *p;
    s->ops = ops;
    s->nops = w;
    s->old_size = ocut;
    s->new_size = ncut;
    s->flex_op = -1;
    s->path = strdup(p->path ? p->path : "");
    if (!s->path)
        plan_oom();
    s->short_plan = NULL;
    s->next = c->plans;
    c->plans = s;
    p->short_plan = s;
}

/* ---- objects a library holds ----
 * A library that keeps the address of a member (libevent an event's, registered with
 * event_add) would go on using the old object after an update moved it.  kitsune knows
 * such a member by its type: one marked E_HELD(lib) where it is used, or libevent's
 * struct event, which every libevent program embeds by value. */

/* The library holding objects of type t (a struct or union), or NULL. */
static const char *held_by(const struct ktt_type *t)
{
    if (t->held)
        return t->held;
    if (t->kind == KTT_STRUCT && t->name && strcmp(t->name, "event") == 0 &&
        outside_root(t) && strstr(t->decl, "event"))
        return "libevent";
    return NULL;
}

/* A member of t held by value (through nested structs, unions and arrays) that a
 * library holds: its library, with `where` set to its path (".ev") and `what` to its
 * type's name.  `seen` marks the types searched already (a hostile summary may nest a
 * struct in itself). */
static const char *held_member(const struct ktt *k, int t, char *where, size_t wlen,
                               char *what, size_t len, size_t *off, uint8_t *seen, int depth)
{
    t = ktt_resolve(k, t);
    if (t < 0 || t >= k->ntypes || seen[t] || depth > MAX_DEPTH)
        return NULL;
    seen[t] = 1;
    const struct ktt_type *ty = &k->types[t];
    if (ty->kind == KTT_ARRAY)
        return held_member(k, ty->target, where, wlen, what, len, off, seen, depth + 1);
    if (ty->kind != KTT_STRUCT && ty->kind != KTT_UNION)
        return NULL;
    const char *lib = held_by(ty);
    if (lib) {
        type_label(k, t, what, len);
        return lib;
    }
    for (int i = 0; i < ty->nfields; i++) {
        char inner[300] = "";
        size_t at = 0;
        lib = held_member(k, ty->fields[i].type, inner, sizeof inner, what, len, &at, seen,
                          depth + 1);
        if (lib) {
            snprintf(where, wlen, ".%s%s", ty->fields[i].name ? ty->fields[i].name : "-",
                     inner);
            *off = ty->fields[i].offset + at;
            return lib;
        }
    }
    return NULL;
}

/* A heap object holding such a member must stay where it is: it is fixed in place when
 * its layout stays, rebuilt at its own address when the new layout fits in the old one
 * with the member where it was; otherwise the update is refused before the pause. */
static void check_held(struct plan_ctx *c)
{
    int nt = c->old->ntypes > c->new_->ntypes ? c->old->ntypes : c->new_->ntypes;
    uint8_t *seen = malloc((size_t)nt + 1);
    if (!seen)
        plan_oom();
    for (struct plan *p = c->plans; p; p = p->next)
        for (int i = 0; i < p->nops; i++) {
            const struct plan_op *op = &p->ops[i];
            struct plan *s = op->sub;
            if ((op->kind != OP_PTR && op->kind != OP_PTRARRAY) || !s || s->ptrs > 0 ||
                s->mode != PLAN_REBUILD || s->rebuild_here)
                continue;
            char where[300] = "", nwhere[300] = "", what[200], nwhat[200], name[200];
            size_t off = 0, noff = 0;
            memset(seen, 0, (size_t)nt + 1);
            const char *lib = held_member(c->old, s->old_type, where, sizeof where, what,
                                          sizeof what, &off, seen, 0);
            if (!lib)
                continue;
            memset(seen, 0, (size_t)nt + 1);
            const char *nlib = held_member(c->new_, s->new_type, nwhere, sizeof nwhere, nwhat,
                                           sizeof nwhat, &noff, seen, 0);
            if (nlib && strcmp(where, nwhere) == 0 && off == noff &&
                s->new_size <= s->old_size && s->flex_op < 0 &&
                !otype(c, s->old_type)->optional) {
                s->rebuild_here = 1;
                continue;
            }
            type_label(c->old, s->old_type, name, sizeof name);
            diag(c, name, ntype(c, s->new_type)->decl, NULL,
                 "objects of %s hold a %s (%s%s) whose address %s keeps, and this update "
                 "would move them: %s; keep %s%s where it is and the new %s no larger, so "
                 "that they are rebuilt where they are", name, what, name, where, lib,
                 !nlib || strcmp(where, nwhere) != 0 ? "the new version does not hold it "
                 "there" : off != noff ? "the member moves within the object"
                 : s->new_size > s->old_size ? "the new layout is larger"
                 : "they are allocated short or end in an array of unknown length",
                 name, where, name);
        }
    free(seen);
}

int plan_build(struct plan_ctx *c, const struct ktt *old, const struct ktt *nv,
               const struct plan_rule *rules, int nrules)
{
    return plan_build_flags(c, old, nv, rules, nrules, 0);
}

int plan_build_flags(struct plan_ctx *c, const struct ktt *old, const struct ktt *nv,
                     const struct plan_rule *rules, int nrules, unsigned flags)
{
    memset(c, 0, sizeof *c);
    c->flags = flags;
    c->old = old;
    c->new_ = nv;
    c->rules = rules;
    c->nrules = nrules;
    plan_func_renames(c);
    plan_vars(c);
    drain(c);
    c->xform = calloc((size_t)nrules + 1, sizeof *c->xform);
    if (!c->xform)
        plan_oom();
    for (int i = 0; i < nrules; i++)
        if (rules[i].kind == RULE_XFORM) {
            use_rule(c, i);
            /* with each binding (plan_bindings) when it passes a parameter on */
            c->xform[i] = passes_on(&rules[i]) ? NULL
                          : plan_for_names_args(c, rules[i].from, rules[i].to,
                                                rules[i].gen_args, NULL);
        }
    drain(c);
    plan_rule_vars(c);
    plan_dropped_vars(c);
    plan_bindings(c);
    plan_constant_vars(c); /* last: what it plans first has no diagnostics */
    compute_modes(c);
    c->built = 1;
    for (struct plan *p = c->plans; p; p = p->next)
        simplify(p);
    check_held(c);
    mark_light(c); /* after simplify: flex_op is known */
    for (struct plan *p = c->plans; p; p = p->next)
        plan_short(c, p); /* last: a short plan is a copy of its plan */
    return c->ndiags;
}

static int find_named_type(const struct ktt *k, const char *name)
{
    char buf[200];
    for (int i = 0; i < k->ntypes; i++) {
        const struct ktt_type *t = &k->types[i];
        if (!t->name || t->kind == KTT_BASE)
            continue;
        ktt_type_name(k, i, buf, sizeof buf);
        if (strcmp(buf, name) == 0)
            return i;
    }
    return -1;
}

struct plan *plan_for_names(struct plan_ctx *c, const char *old_name, const char *new_name)
{
    if (c->built) {
        /* The pair's plan may hold generic bindings (a generic typedef): what was
         * planned for the rule is the answer, not a search by type. */
        for (int i = 0; i < c->nrules; i++)
            if (c->rules[i].kind == RULE_XFORM && !c->rules[i].gen_args &&
                strcmp(c->rules[i].from, old_name) == 0 && strcmp(c->rules[i].to, new_name) == 0)
                return c->xform[i];
        return NULL;
    }
    int ot = find_named_type(c->old, old_name), nt = find_named_type(c->new_, new_name);
    if (ot < 0 || nt < 0) {
        diag(c, new_name, NULL, NULL, "no type %s in the %s version",
             ot < 0 ? old_name : new_name, ot < 0 ? "old" : "new");
        return NULL;
    }
    struct plan *p = plan_pair(c, ot, nt, new_name, NULL, 0);
    drain(c);
    return p;
}

/* $xform(T0, T1, closures): the pair with the bindings the closures stand for, `env`
 * giving those of parameters passed on ("@t").  After plan_build, only found. */
struct plan *plan_for_names_args(struct plan_ctx *c, const char *old_name,
                                 const char *new_name, const char *args, const char *env)
{
    if (!args)
        return plan_for_names(c, old_name, new_name);
    if (c->built && !strchr(args, '@')) {
        /* as plan_for_names: the plan made for the rule */
        for (int i = 0; i < c->nrules; i++) {
            const struct plan_rule *r = &c->rules[i];
            if (r->kind == RULE_XFORM && r->gen_args && strcmp(r->gen_args, args) == 0 &&
                strcmp(r->from, old_name) == 0 && strcmp(r->to, new_name) == 0)
                return c->xform[i];
        }
        return NULL;
    }
    char bound[800], what[1200];
    substitute(args, env, bound, sizeof bound);
    snprintf(what, sizeof what, "$xform(%s, %s, ...) = %s<%s>", old_name, new_name,
             new_name, bound);
    int ot = find_named_type(c->old, old_name), nt = find_named_type(c->new_, new_name);
    if (ot < 0 || nt < 0 || strchr(bound, '@')) {
        if (!c->built && strchr(bound, '@'))
            diag(c, new_name, NULL, NULL, "generic argument %s: a parameter passed on with "
                 "$gen has no binding here", what);
        else if (!c->built)
            diag(c, new_name, NULL, NULL, "no type %s in the %s version",
                 ot < 0 ? old_name : new_name, ot < 0 ? "old" : "new");
        return NULL;
    }
    struct tref r = tref_bound(c, ot, nt, bound, what, new_name, new_name, NULL);
    if (!r.ok)
        return NULL;
    if (c->built)
        return find_plan_env(c, r.ot, r.nt, r.env, r.ptrs);
    struct plan *p = plan_inline(c, r, new_name, NULL, 0);
    drain(c);
    return p;
}

void plan_free(struct plan_ctx *c)
{
    for (struct plan *p = c->plans, *next; p; p = next) {
        next = p->next;
        for (int i = 0; i < p->nops; i++) {
            free(p->ops[i].enum_map);
            free(p->ops[i].path);
            free(p->ops[i].alts);
            free(p->ops[i].tag_vals);
            free(p->ops[i].alt_sizes);
        }
        free(p->ops);
        free(p->path);
        free(p);
    }
    for (int i = 0; i < c->ndiags; i++) {
        free(c->diags[i].path);
        free(c->diags[i].decl);
        free(c->diags[i].what);
        free(c->diags[i].stub);
    }
    free(c->diags);
    free(c->vars);
    free(c->constants);
    free(c->may_static);
    free(c->in_rebuilt);
    free(c->queue);
    free(c->index);
    free(c->xform);
    for (int i = 0; i < c->nenvs; i++)
        free(c->envs[i]);
    free(c->envs);
    free(c->fn_renames);
    memset(c, 0, sizeof *c);
}

int plan_same_old_type(const struct plan *a, const struct plan *b)
{
    if (a == b || (a->old_type == b->old_type && a->ptrs == b->ptrs))
        return 1;
    return a->ptrs == b->ptrs && a->old_kind == b->old_kind && a->old_tag && b->old_tag &&
           a->old_size == b->old_size && strcmp(a->old_tag, b->old_tag) == 0;
}

int plan_starts_with(const struct plan *outer, const struct plan *inner)
{
    for (int depth = 0; outer && depth < MAX_DEPTH; depth++) {
        const struct plan_op *first = NULL;
        for (int i = 0; i < outer->nops; i++)
            if (outer->ops[i].old_off == 0 &&
                (outer->ops[i].kind == OP_SUB || outer->ops[i].kind == OP_ARRAY))
                first = &outer->ops[i];
        if (!first || !first->sub)
            return 0;
        outer = first->sub;
        if (plan_same_old_type(outer, inner))
            return 1;
    }
    return 0;
}

/* Bytes of the old object an op reads (0: none, or nothing a pointer can target). */
static size_t op_old_span(const struct plan_op *op)
{
    switch (op->kind) {
    case OP_COPY:
    case OP_INT:
    case OP_FLOAT:
    case OP_ENUM:
    case OP_RULE:
        return op->len;
    case OP_SUB:
        return op->sub ? op->sub->old_size : 0;
    case OP_ARRAY:
        if (op->flex == FLEX_COUNTED && op->count < 0)
            return SIZE_MAX / 2; /* as long as the object */
        return (size_t)op->count * op->old_stride;
    case OP_PTR:
    case OP_PTRARRAY:
    case OP_FPTR:
        return 8;
    default:
        return 0;
    }
}

long plan_translate_offset_to(const struct plan *p, size_t off, const struct plan *target)
{
    if (off == 0 && (!target || plan_same_old_type(p, target)))
        return 0;
    if (p->same_layout)
        return (long)off;
    for (int i = 0; i < p->nops; i++) {
        const struct plan_op *op = &p->ops[i];
        size_t span = op_old_span(op);
        if (off < op->old_off || off >= op->old_off + span)
            continue;
        size_t rel = off - op->old_off;
        if (op->kind == OP_SUB && op->sub) {
            long r = plan_translate_offset_to(op->sub, rel, target);
            return r < 0 ? -1 : (long)op->new_off + r;
        }
        if (op->kind == OP_ARRAY && op->sub) {
            size_t idx = rel / op->old_stride, inner = rel % op->old_stride;
            long r = plan_translate_offset_to(op->sub, inner, target);
            return r < 0 ? -1 : (long)(op->new_off + idx * op->new_stride) + r;
        }
        if (op->kind == OP_COPY)
            return (long)(op->new_off + rel);
        return rel == 0 ? (long)op->new_off : -1;
    }
    return -1;
}

long plan_translate_offset(const struct plan *p, size_t off)
{
    return plan_translate_offset_to(p, off, NULL);
}

/* ---- why objects are visited (for the update's log) ---- */

/* The member of struct/union plan p at old offset off, or NULL. */
static const struct ktt_field *field_at(const struct plan_ctx *c, const struct plan *p,
                                        size_t off)
{
    if (p->ptrs > 0 || p->old_type < 0)
        return NULL;
    const struct ktt_type *t = otype(c, ktt_resolve(c->old, p->old_type));
    if (t->kind != KTT_STRUCT && t->kind != KTT_UNION)
        return NULL;
    for (int i = 0; i < t->nfields; i++)
        if (t->fields[i].offset == off && !t->fields[i].bit_size)
            return &t->fields[i];
    return NULL;
}

/* "T *" or "T" for what op holds, and " (member)" when it is a member. */
static void describe_slot(const struct plan_ctx *c, const struct plan *p,
                          const struct plan_op *op, char *buf, size_t len)
{
    const struct ktt_field *f = field_at(c, p, op->old_off);
    char tn[200] = "";
    if (f)
        ktt_type_name(c->old, f->type, tn, sizeof tn);
    if ((!f || strstr(tn, "void")) && (op->kind == OP_PTR || op->kind == OP_PTRARRAY) &&
        op->sub && op->sub->ptrs == 0 && op->sub->old_type >= 0) {
        /* a generic slot (void * in the summary): the type it is bound to */
        ktt_type_name(c->old, op->sub->old_type, tn, sizeof tn - 2);
        strcat(tn, " *");
    }
    snprintf(buf, len, "%s%s%s%s", tn[0] ? tn : "a pointer", f && f->name ? " (" : "",
             f && f->name ? f->name : "", f && f->name ? ")" : "");
}

void plan_why_visited(const struct plan_ctx *c, const struct plan *p, char *buf, size_t len)
{
    char slot[300];
    if (p->mode == PLAN_REBUILD) {
        if (p->type_rule >= 0)
            snprintf(buf, len, "rebuilt by its type rule");
        else if (p->old_size != p->new_size)
            snprintf(buf, len, "rebuilt: its size changes from %zu to %zu bytes", p->old_size,
                     p->new_size);
        else
            snprintf(buf, len, "rebuilt: its layout changes");
        return;
    }
    snprintf(buf, len, "nothing to do");
    for (int i = 0; i < p->nops; i++) {
        const struct plan_op *op = &p->ops[i];
        if (!op_needs_visit(op))
            continue;
        describe_slot(c, p, op, slot, sizeof slot);
        switch (op->kind) {
        case OP_FPTR:
            snprintf(buf, len, "holds a function pointer%s", strchr(slot, '(') ? strchr(slot, '(') - 1 : "");
            break;
        case OP_RULE:
            snprintf(buf, len, "a field rule on %s runs in place", slot);
            break;
        case OP_PTR:
        case OP_PTRARRAY:
            if (op->ptr_flags & PTR_MAY_STATIC)
                snprintf(buf, len, "holds %s, which may point into the old version's "
                         "static data", slot);
            else if (op->sub && op->sub->mode == PLAN_REBUILD)
                snprintf(buf, len, "holds %s, to objects that are rebuilt", slot);
            else if (op->ptr_flags & PTR_MAY_INTERIOR)
                snprintf(buf, len, "holds %s, which may point into a rebuilt object", slot);
            else
                snprintf(buf, len, "holds %s, to objects that are visited", slot);
            break;
        case OP_SUB:
        case OP_ARRAY:
            snprintf(buf, len, "holds %s inline, which is visited", slot);
            break;
        default:
            snprintf(buf, len, "a value in it is converted: %s", slot);
            break;
        }
        return;
    }
}
