/* plan_env.c - generic bindings (E_GENERIC, E_G, E_T): the environment that holds
 * inside a generic type where a use reached it, the types its arguments name, and the
 * plans of the bindings a type rule's $gen closures and $xform calls need.
 * Environments are strings of any length, interned so that equal ones are one pointer:
 * a generic nested 20 deep is as good as one level. */
#include "plan_internal.h"

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

/* A list of strings, each its own allocation. */
struct strs {
    char **v;
    int n;
};

static void strs_free(struct strs *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* Splits a comma-separated list at top level (not inside <...>). */
static struct strs split_args(const char *s)
{
    struct strs l = {0};
    int depth = 0, cap = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == '\0' || (*p == ',' && depth == 0)) {
            if (l.n == cap) {
                cap = cap ? cap * 2 : 4;
                char **v = realloc(l.v, (size_t)cap * sizeof *v);
                if (!v)
                    plan_oom();
                l.v = v;
            }
            l.v[l.n++] = pstr_ndup(start, (size_t)(p - start));
            if (*p == '\0')
                return l;
            start = p + 1;
            continue;
        }
        if (*p == '<')
            depth++;
        else if (*p == '>')
            depth--;
    }
}

/* The argument bound to parameter `param` ("@a") in env, in a new allocation; NULL if
 * none. */
static char *env_get(const char *env, const char *param)
{
    size_t pl = strlen(param);
    for (const char *p = env; p && *p;) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > pl && strncmp(p, param, pl) == 0 && p[pl] == '=')
            return pstr_ndup(p + pl + 1, n - pl - 1);
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

/* arg with every @param replaced by its binding in env (unbound ones stay), in a new
 * allocation. */
char *plan_substitute(const char *arg, const char *env)
{
    struct pstr out = {0};
    pstr_puts(&out, "");
    for (const char *p = arg; *p;) {
        if (*p != '@') {
            pstr_put(&out, p++, 1);
            continue;
        }
        size_t n = 1;
        while (p[n] && p[n] != ',' && p[n] != '<' && p[n] != '>' && p[n] != '*')
            n++;
        char *name = pstr_ndup(p, n), *v = env_get(env, name);
        pstr_puts(&out, v ? v : name);
        free(name);
        free(v);
        p += n;
    }
    return pstr_take(&out);
}

/* The environment inside a generic type with parameters `params` ("@a,@b") used with
 * arguments `args` where `outer` holds.  Returns NULL and sets *bad on a count
 * mismatch. */
static const char *bind(struct plan_ctx *c, const char *params, const char *args,
                        const char *outer, int *bad)
{
    struct strs ps = split_args(params), as = split_args(args);
    const char *env = NULL;
    if (ps.n != as.n) {
        *bad = 1;
    } else {
        struct pstr e = {0};
        pstr_puts(&e, "");
        for (int i = 0; i < ps.n; i++) {
            char *val = plan_substitute(as.v[i], outer);
            pstr_printf(&e, "%s%s=%s", i ? ";" : "", ps.v[i], val);
            free(val);
        }
        env = intern(c, pstr_str(&e));
        pstr_free(&e);
    }
    strs_free(&ps);
    strs_free(&as);
    return env;
}

/* Every parameter of `params` bound to [untyped]: as [opaque], but a pointer of the
 * parameter's type still leads to the new object when what it points to was rebuilt
 * (reached from elsewhere). */
static const char *bind_untyped(struct plan_ctx *c, const char *params)
{
    struct strs ps = split_args(params);
    struct pstr e = {0};
    pstr_puts(&e, "");
    for (int i = 0; i < ps.n; i++)
        pstr_printf(&e, "%s%s=[untyped]", i ? ";" : "", ps.v[i]);
    const char *env = intern(c, pstr_str(&e));
    pstr_free(&e);
    strs_free(&ps);
    return env;
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

/* A generic argument as C spells it: "struct_conn*" is "struct conn *", "typedef_T"
 * is "T"; in a new allocation. */
static char *arg_spelling(const char *arg)
{
    static const char *const tags[] = {"struct_", "union_", "enum_", "typedef_"};
    const char *tag = "";
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (strncmp(arg, tags[i], strlen(tags[i])) == 0) {
            tag = tags[i];
            arg += strlen(tags[i]);
        }
    size_t n = strcspn(arg, "*");
    return pstr_fmt("%.*s%s%.*s%s%s", tag[0] && tag[0] != 't' ? (int)strlen(tag) - 1 : 0,
                    tag, tag[0] && tag[0] != 't' ? " " : "", (int)n, arg, arg[n] ? " " : "",
                    arg + n);
}

/* A generic argument without its pointer levels ("struct_conn**" -> "struct_conn"), in a
 * new allocation; *levels (if not NULL) counts them. */
static char *arg_base(const char *arg, int *levels)
{
    size_t n = strlen(arg);
    int ptrs = 0;
    while (n > 0 && arg[n - 1] == '*') {
        n--;
        ptrs++;
    }
    if (levels)
        *levels = ptrs;
    return pstr_ndup(arg, n);
}

/* Each argument of an E_G use names a type of version k (`old` says which): checked
 * where the use is, so that the message names it (a heap list's element type). */
static void check_use_args(struct plan_ctx *c, const struct ktt *k, const char *args,
                           const char *path, const char *decl)
{
    struct strs as = split_args(args);
    for (int i = 0; i < as.n; i++) {
        char *base = arg_base(as.v[i], NULL);
        if (!(base[0] == '@' || base[0] == '[' || strchr(base, '<') ||
              plan_find_arg_type(k, base) >= 0)) {
            char *spelled = arg_spelling(base), *use = arg_spelling(as.v[i]);
            plan_diag(c, path, decl, NULL, "E_G(%s): no type %s in the %s version; name a type "
                      "the program defines (one that no code uses has no debug info unless built "
                      "with -fno-eliminate-unused-debug-types)", use, spelled,
                      k == c->old ? "old" : "new");
            free(spelled);
            free(use);
        }
        free(base);
    }
    strs_free(&as);
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
                plan_diag(c, path, decl, NULL, "E_G(%s) does not match the parameters of %s "
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
int plan_find_arg_type(const struct ktt *k, const char *name)
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

/* The types ot/nt (of one slot) where `env` holds. */
struct tref plan_tref(struct plan_ctx *c, int ot, int nt, const char *env,
                      const char *path, const char *decl)
{
    struct tref r = {.named_nt = nt, .ok = 1};
    const char *oenv, *nenv;
    r.ot = enter(c, c->old, ot, env, 0, &oenv, path, decl);
    r.nt = enter(c, c->new_, nt, env, 0, &nenv, path, decl);
    if (oenv != nenv)
        plan_diag(c, path, decl, NULL, "generic arguments changed from <%s> to <%s>",
                  oenv ? oenv : "", nenv ? nenv : "");
    r.env = nenv;
    return r;
}

/* Types ot/nt used with generic arguments `args` ("" for none), as in `arg` (for
 * messages; `name` is the type's). */
struct tref plan_tref_bound(struct plan_ctx *c, int ot, int nt, const char *args,
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
            plan_diag(c, path, decl, NULL, "generic argument %s: %s takes parameters (%s)", arg,
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
    char *what = pstr_fmt("): no type %s in the ", spelled);
    int found = 0;
    for (int i = 0; i < c->ndiags && !found; i++)
        found = strncmp(c->diags[i].what, "E_G(", 4) == 0 && strstr(c->diags[i].what, what);
    free(what);
    return found;
}

/* The type a generic argument names, in both versions. */
struct tref plan_tref_arg(struct plan_ctx *c, const char *arg, const char *path,
                          const char *decl)
{
    struct tref r = {.ot = -1, .nt = -1, .named_nt = -1};
    if (strcmp(arg, "[opaque]") == 0 || strcmp(arg, "[untyped]") == 0) {
        r.opaque = r.ok = 1;
        r.untyped = arg[1] == 'u';
        return r;
    }
    char *base = arg_base(arg, &r.ptrs);
    size_t n = strlen(base);
    const char *args = "";
    char *lt = strchr(base, '<');
    if (lt && n > 0 && base[n - 1] == '>') {
        base[n - 1] = '\0';
        *lt = '\0';
        args = lt + 1; /* the rest of base */
    }
    int ot = plan_find_arg_type(c->old, base), nt = plan_find_arg_type(c->new_, base);
    if (ot < 0 || nt < 0) {
        char *spelled = arg_spelling(base);
        if (!use_diagnosed(c, spelled))
            plan_diag(c, path, decl, NULL, "generic argument %s: no type %s in the %s version",
                      arg, spelled, ot >= 0 ? "new" : nt >= 0 ? "old" : "old or the new");
        free(spelled);
        free(base);
        return r;
    }
    struct tref b = plan_tref_bound(c, ot, nt, args, arg, base, path, decl);
    b.ptrs = r.ptrs;
    free(base);
    return b;
}

/* The argument bound to a parameter use (E_T(@a)) on old type o / new type n. */
struct tref plan_tref_param(struct plan_ctx *c, const struct ktt_type *o,
                            const struct ktt_type *n, const char *env, const char *path,
                            const char *decl)
{
    struct tref r = {.ot = -1, .nt = -1, .named_nt = -1};
    if (!o->tparam || !n->tparam || strcmp(o->tparam, n->tparam) != 0) {
        plan_diag(c, path, decl, NULL, "generic parameter changed from %s to %s; write a rule",
                  o->tparam ? o->tparam : "none", n->tparam ? n->tparam : "none");
        return r;
    }
    char *arg = env_get(env, n->tparam);
    if (!arg) {
        char *stub = pstr_fmt("bind %s where the generic type is used: "
                              "struct T E_G(struct S, ...) *field", n->tparam);
        plan_diag(c, path, decl, stub, "E_T(%s) has no binding here (no E_G on the use)",
                  n->tparam);
        free(stub);
        return r;
    }
    r = plan_tref_arg(c, arg, path, decl);
    free(arg);
    return r;
}

/* The argument bound to @name in env ("@a=struct_conn;@b=int"), in a new allocation;
 * NULL when there is none. */
static char *binding_arg(const char *env, const char *name)
{
    size_t nlen = strlen(name);
    for (const char *e = env; e && *e;) {
        const char *end = strchr(e, ';');
        size_t elen = end ? (size_t)(end - e) : strlen(e);
        if (e[0] == '@' && elen > nlen + 1 && strncmp(e + 1, name, nlen) == 0 &&
            e[nlen + 1] == '=')
            return pstr_ndup(e + nlen + 2, elen - nlen - 2);
        e = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Whether a $xform passes a parameter of the type rule in_rule on ($gen: "@t"): it is
 * planned with each binding of that type. */
int plan_passes_on(const struct plan_rule *r)
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
        if (!plan_passes_on(r) || bound[i])
            continue;
        int reached = 0;
        for (struct plan *p = c->plans; p && !reached; p = p->next)
            reached = p->type_rule == r->in_rule;
        if (reached)
            plan_diag(c, c->rules[r->in_rule].to, NULL, NULL, "$xform(%s, %s, <%s>) passes on a "
                      "generic parameter with $gen, but %s is not generic where it is used",
                      r->from, r->to, r->gen_args, c->rules[r->in_rule].to);
    }
}

/* The bindings of generic types transformed by a type rule are planned now, so that
 * the rule's $gen closures find their plans, and so are the $xform pairs to which the
 * rule passes its parameters on. */
void plan_bindings(struct plan_ctx *c)
{
    uint8_t *bound = calloc((size_t)c->nrules + 1, 1); /* per rule: planned with a binding */
    if (!bound)
        plan_oom();
    for (struct plan *p = c->plans; p; p = p->next) {
        if (!p->env || p->type_rule < 0)
            continue;
        for (int i = 0; i < c->nrules; i++) {
            const struct plan_rule *r = &c->rules[i];
            if (plan_passes_on(r) && r->in_rule == p->type_rule) {
                plan_for_names_args(c, r->from, r->to, r->gen_args, p->env);
                bound[i] = 1;
            }
        }
        for (const char *e = p->env; e && *e;) {
            const char *eq = strchr(e, '=');
            const char *end = strchr(e, ';');
            if (!eq || (end && eq > end))
                break;
            size_t alen = end ? (size_t)(end - eq - 1) : strlen(eq + 1);
            char *arg = pstr_ndup(eq + 1, alen);
            struct tref r = plan_tref_arg(c, arg, p->path, p->decl);
            if (r.ok && !r.opaque)
                plan_get(c, r, p->path, p->decl);
            free(arg);
            e = end ? end + 1 : NULL;
        }
    }
    check_passed_on(c, bound);
    free(bound);
    plan_drain(c);
}

struct plan *plan_binding(struct plan_ctx *c, const char *env, const char *name, int *opaque)
{
    *opaque = 0;
    char *arg = binding_arg(env, name);
    if (!arg)
        return NULL;
    struct tref r = plan_tref_arg(c, arg, name, NULL);
    free(arg);
    if (!r.ok)
        return NULL;
    if (r.opaque) {
        *opaque = 1;
        return NULL;
    }
    return plan_find(c, r.ot, r.nt, r.env, r.ptrs);
}
