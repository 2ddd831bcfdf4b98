/*
 * rulemap.c — from a parsed .xf file to the planner's rules.
 *
 * Every label becomes one struct plan_rule (a label list under one code block gives
 * one rule per label, all sharing the code).  Code blocks are scanned for `$`-escapes
 * once; the escapes are checked here (where each may be used, which types they name)
 * and every `$xform(T0, T1)` adds a RULE_XFORM entry so that the planner plans that
 * type pair up front.  Nothing here compares versions: that is plan_build's job.
 */
#include <stdlib.h>
#include <string.h>

#include "xfgen.h"

/* ---- names ---------------------------------------------------------------------- */

/* The planner's spelling of the type of a path: "struct T", "union T", "enum T", or
 * the typedef name. */
static char *type_name_of(const struct xf_path *p)
{
    static const char *const kw[] = {"struct ", "union ", "enum ", ""};
    struct pstr b = {0};
    pstr_puts(&b, kw[p->type_kind]);
    pstr_puts(&b, p->type_name);
    return b.s;
}

static char *field_path_of(const struct xf_path *p)
{
    struct pstr b = {0};
    for (int i = 0; i < p->nfields; i++) {
        if (i)
            pstr_puts(&b, ".");
        pstr_puts(&b, p->fields[i]);
    }
    return b.s;
}

/* A field rule written with a typedef name (`conn_t.fd`) is about the struct the
 * typedef names: the planner names struct types by their tag when they have one. */
static char *field_owner_name(const struct xf_path *p, const struct ktt *k)
{
    char *name = type_name_of(p);
    if (p->type_kind != XF_TYPEDEF)
        return name;
    int t = ct_find(k, name);
    if (t < 0)
        return name;
    const struct ktt_type *r = &k->types[ktt_resolve(k, t)];
    if ((r->kind == KTT_STRUCT || r->kind == KTT_UNION) && r->name) {
        struct pstr b = {0};
        pstr_printf(&b, "%s %s", r->kind == KTT_STRUCT ? "struct" : "union", r->name);
        free(name);
        return b.s;
    }
    return name;
}

void format_label(const struct xf_label *l, char *buf, size_t n)
{
    char a[256], b[256];
    xf_path_format(&l->to, b, sizeof b);
    if (l->is_dropped) {
        xf_path_format(&l->from, a, sizeof a);
        snprintf(buf, n, "%s -> (dropped)", a);
    } else if (l->is_switch) {
        snprintf(buf, n, "SWITCH %s", b);
    } else if (l->is_init) {
        snprintf(buf, n, "INIT %s", b);
    } else {
        xf_path_format(&l->from, a, sizeof a);
        snprintf(buf, n, "%s -> %s", a, b);
    }
}

const char *strip_typedef_kw(const char *t)
{
    if (strncmp(t, "typedef ", 8) == 0)
        return t + 8;
    return t;
}

int is_primitive_spelling(const char *t)
{
    static const char *const words[] = {
        "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned",
        "_Bool", "bool", "__int128", "_Complex", "complex", "const", "volatile"};
    int nwords = 0;
    while (*t) {
        while (*t == ' ')
            t++;
        size_t n = 0;
        while (t[n] && t[n] != ' ')
            n++;
        if (n == 0)
            break;
        int known = 0;
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
            if (strlen(words[i]) == n && strncmp(words[i], t, n) == 0)
                known = 1;
        if (!known)
            return 0;
        nwords++;
        t += n;
    }
    return nwords > 0;
}

/* ---- rules ----------------------------------------------------------------------- */

static struct plan_rule *add_rule(struct ruleset *rs)
{
    if (rs->n == rs->cap) {
        int cap = rs->cap ? rs->cap * 2 : 16;
        struct plan_rule *v = realloc(rs->v, (size_t)cap * sizeof *v);
        struct rule_origin *o = v ? realloc(rs->origin, (size_t)cap * sizeof *o) : NULL;
        if (!v || !o)
            plan_out_of_memory();
        rs->v = v;
        rs->origin = o;
        rs->cap = cap;
    }
    memset(&rs->v[rs->n], 0, sizeof rs->v[0]);
    memset(&rs->origin[rs->n], 0, sizeof rs->origin[0]);
    return &rs->v[rs->n++];
}

/* A SWITCH value as the rule table spells it: a character literal as its number. */
static void case_value(struct pstr *b, const char *v)
{
    if (v[0] != '\'') {
        pstr_puts(b, v);
        return;
    }
    static const char esc[] = "n\nt\tr\r0\0a\ab\bf\fv\v";
    int ch = (unsigned char)v[1];
    if (ch == '\\') {
        ch = (unsigned char)v[2];
        for (const char *e = esc; *e; e += 2)
            if (*e == ch) {
                ch = (unsigned char)e[1];
                break;
            }
    }
    pstr_printf(b, "%d", ch);
}

/* The cases of a SWITCH as plan_rule.cases: "1=struct_text;default=[opaque]". */
static char *switch_cases(const struct xf_switch *sw)
{
    struct pstr b = {0};
    for (int i = 0; i < sw->narms; i++) {
        const struct xf_switch_arm *a = &sw->arms[i];
        char *t = a->is_opaque ? xstrdup("[opaque]") : type_name_of(&a->target);
        for (char *q = t; *q; q++)
            if (*q == ' ')
                *q = '_';
        if (!a->is_opaque && a->target.type_kind == XF_TYPEDEF) {
            char *u = xcalloc(strlen(t) + 9, 1);
            sprintf(u, "typedef_%s", t);
            free(t);
            t = u;
        }
        for (int j = 0; j < a->nvalues || (a->nvalues == 0 && j == 0); j++) {
            if (b.s && b.s[0])
                pstr_puts(&b, ";");
            case_value(&b, a->nvalues ? a->values[j] : "default");
            pstr_printf(&b, "=%s", t);
        }
        free(t);
    }
    return b.s;
}

static char *switch_tag(const struct xf_switch *sw)
{
    struct pstr b = {0};
    for (int i = 0; i < sw->ntag; i++)
        pstr_printf(&b, "%s%s", i ? "." : "", sw->tag[i]);
    return b.s;
}

static void add_label(struct ruleset *rs, const struct xf_rule *r, const struct xf_label *l,
                      struct block *blk, const struct ktt *old, const struct ktt *nv)
{
    struct plan_rule *p = add_rule(rs);
    struct rule_origin *o = &rs->origin[rs->n - 1];
    o->rule = r;
    o->label = l;
    o->block = blk;
    format_label(l, o->text, sizeof o->text);
    p->has_code = r->code != NULL;
    if (l->is_switch) {
        p->kind = RULE_TAG; /* the parser gives it no code */
        p->from = field_owner_name(&l->from, old);
        p->from_field = field_path_of(&l->from);
        p->to = field_owner_name(&l->to, nv);
        p->to_field = field_path_of(&l->to);
        p->tag = switch_tag(r->sw);
        p->cases = switch_cases(r->sw);
        snprintf(o->text + strlen(o->text), sizeof o->text - strlen(o->text), " ON self.%s",
                 p->tag);
    } else if (l->is_dropped) {
        p->kind = RULE_DROP; /* the parser allows no code here */
        if (l->from.kind == XF_PATH_VAR) {
            p->from = xstrdup(l->from.var_key);
        } else {
            p->from = field_owner_name(&l->from, old);
            p->from_field = field_path_of(&l->from);
        }
    } else if (l->to.kind == XF_PATH_VAR) {
        p->kind = l->is_init ? RULE_INIT_VAR : RULE_VAR;
        p->from = l->is_init ? NULL : xstrdup(l->from.var_key);
        p->to = xstrdup(l->to.var_key);
    } else if (l->to.nfields == 0) {
        p->kind = RULE_TYPE; /* the parser rejects INIT of a whole type */
        p->from = type_name_of(&l->from);
        p->to = type_name_of(&l->to);
    } else {
        p->kind = l->is_init ? RULE_INIT_FIELD : RULE_FIELD;
        if (!l->is_init) {
            p->from = field_owner_name(&l->from, old);
            p->from_field = field_path_of(&l->from);
        }
        p->to = field_owner_name(&l->to, nv);
        p->to_field = field_path_of(&l->to);
    }
}

/* args: the closures as generic arguments ("struct_item*,[opaque]"), or NULL; in_rule:
 * the type rule whose bindings $gen arguments (@t) come from, or -1. */
static void add_xform(struct ruleset *rs, const char *from, const char *to, const char *args,
                      int in_rule)
{
    for (int i = 0; i < rs->n; i++)
        if (rs->v[i].kind == RULE_XFORM && strcmp(rs->v[i].from, from) == 0 &&
            strcmp(rs->v[i].to, to) == 0 && rs->v[i].in_rule == in_rule &&
            strcmp(rs->v[i].gen_args ? rs->v[i].gen_args : "", args ? args : "") == 0)
            return;
    struct plan_rule *p = add_rule(rs);
    p->kind = RULE_XFORM;
    p->from = xstrdup(from);
    p->to = xstrdup(to);
    p->gen_args = args ? xstrdup(args) : NULL;
    p->in_rule = in_rule;
    snprintf(rs->origin[rs->n - 1].text, sizeof rs->origin[0].text, "$xform(%s, %s%s%s)",
             from, to, args ? ", " : "", args ? args : "");
}

/* One entry tells the runtime that generated code follows generic bindings itself. */
static void add_gen(struct ruleset *rs)
{
    for (int i = 0; i < rs->n; i++)
        if (rs->v[i].kind == RULE_GEN)
            return;
    struct plan_rule *p = add_rule(rs);
    p->kind = RULE_GEN;
    p->from = xstrdup("-");
    p->to = xstrdup("-");
    snprintf(rs->origin[rs->n - 1].text, sizeof rs->origin[0].text, "$gen");
}

/* ---- escapes --------------------------------------------------------------------- */

struct scan_ctx {
    struct block *blk;
};

static void pos_of(const struct block *blk, size_t off, int *line, int *col)
{
    int l = blk->line, c = blk->col;
    for (size_t i = 0; i < off && blk->code[i]; i++) {
        if (blk->code[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static int on_escape(void *vctx, const char *name, const char **args, int nargs, size_t start,
                     size_t end)
{
    struct block *blk = ((struct scan_ctx *)vctx)->blk;
    struct esc *e = realloc(blk->escs, (size_t)(blk->nescs + 1) * sizeof *e);
    if (!e)
        return 1;
    blk->escs = e;
    e = &blk->escs[blk->nescs++];
    memset(e, 0, sizeof *e);
    e->name = xstrdup(name);
    e->nargs = nargs;
    e->args = xcalloc((size_t)nargs + 1, sizeof *e->args);
    for (int i = 0; i < nargs; i++)
        e->args[i] = xstrdup(args[i]);
    e->start = start;
    e->end = end;
    pos_of(blk, start, &e->line, &e->col);
    return 0;
}

static int scan_block(struct block *blk, const char *path, const char *code, int line,
                      int col, struct msgs *m)
{
    blk->code = code;
    blk->line = line;
    blk->col = col;
    struct scan_ctx sc = {blk};
    char err[512];
    int rc = xf_scan_escapes(path, code, line, col, on_escape, &sc, err, sizeof err);
    if (rc == 0)
        return 0;
    if (err[0])
        msg(m, "%s", err);
    else
        msg(m, "xfgen: out of memory");
    return -1;
}

/* What kinds of labels share a block: decides which escapes it may use. */
struct block_use {
    int any_init;      /* some label is INIT: no $in */
    int any_not_field; /* some label is not a field rule: no $base */
    int any_not_type;  /* some label is not a type rule: no $gen */
    const char *init_label, *not_field_label, *not_type_label;
};

static struct block_use block_use(const struct ruleset *rs, const struct block *blk)
{
    struct block_use u = {0, 0, 0, NULL, NULL, NULL};
    for (int i = 0; i < rs->n; i++) {
        if (rs->origin[i].block != blk)
            continue;
        enum rule_kind k = rs->v[i].kind;
        if (k == RULE_INIT_VAR || k == RULE_INIT_FIELD) {
            u.any_init = 1;
            u.init_label = u.init_label ? u.init_label : rs->origin[i].text;
        }
        if (k != RULE_FIELD && k != RULE_INIT_FIELD) {
            u.any_not_field = 1;
            u.not_field_label = u.not_field_label ? u.not_field_label : rs->origin[i].text;
        }
        if (k != RULE_TYPE) {
            u.any_not_type = 1;
            u.not_type_label = u.not_type_label ? u.not_type_label : rs->origin[i].text;
        }
    }
    return u;
}

/* "struct S *" -> "struct S" and the number of '*'. */
static void split_stars(const char *t, char *base, size_t n, int *stars)
{
    snprintf(base, n, "%s", t);
    *stars = 0;
    size_t len = strlen(base);
    while (len > 0 && (base[len - 1] == '*' || base[len - 1] == ' ')) {
        if (base[len - 1] == '*')
            (*stars)++;
        base[--len] = '\0';
    }
}

static int check_type_arg(const char *path, const struct esc *e, const struct ktt *k,
                          const char *version, struct msgs *m)
{
    char base[256];
    int stars;
    split_stars(e->args[0], base, sizeof base, &stars);
    if (is_primitive_spelling(base))
        return 0;
    if (ct_find(k, strip_typedef_kw(base)) >= 0)
        return 0;
    msg(m, "%s:%d:%d: $%s(%s): the %s version has no type %s", path, e->line, e->col,
        e->name, e->args[0], version, strip_typedef_kw(base));
    return -1;
}

/* ---- closures as generic arguments ----
 *
 * $xform(T0, T1, c1, ...) instantiates a generic type: closure ci transforms what the
 * type's i-th parameter is bound to, as in Kitsune.  The planner plans every binding
 * up front, so each closure is read here and written as an E_G argument
 * (docs/annotations.md), which the runtime's planner binds like any other:
 *   XF_RAW(n)              [opaque]   copied as it is, never followed
 *   XF_PTR(c)              A*         a pointer to what c transforms (XF_PTR(XF_RAW(n))
 *                                     is [opaque] too)
 *   $xform(A, A [, c...])  A or A<...> that type, with its own closures
 * A closure computed at run time (a variable, $gen) cannot be planned. */

struct first_esc {
    char name[32];
    char **args;
    int nargs;
    size_t start, end;
    int found;
};

static int on_first_esc(void *vctx, const char *name, const char **args, int nargs,
                        size_t start, size_t end)
{
    struct first_esc *f = vctx;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->args = xcalloc((size_t)nargs + 1, sizeof *f->args);
    for (int i = 0; i < nargs; i++)
        f->args[i] = xstrdup(args[i]);
    f->nargs = nargs;
    f->start = start;
    f->end = end;
    f->found = 1;
    return 1; /* the first escape is enough */
}

static void free_first_esc(struct first_esc *f)
{
    for (int i = 0; i < f->nargs; i++)
        free(f->args[i]);
    free(f->args);
}

/* The argument of `fn(...)` when s is exactly such a call; NULL otherwise. */
static const char *call_of(const char *s, const char *fn, char *inner, size_t n)
{
    size_t fl = strlen(fn), len = strlen(s);
    if (strncmp(s, fn, fl) != 0)
        return NULL;
    const char *p = s + fl;
    while (*p == ' ')
        p++;
    if (*p != '(' || len < 2 || s[len - 1] != ')')
        return NULL;
    int depth = 0;
    for (const char *q = p; q < s + len - 1; q++) {
        depth += *q == '(' ? 1 : *q == ')' ? -1 : 0;
        if (depth == 0)
            return NULL; /* the call ends before the text does: f(a) + g(b) */
    }
    snprintf(inner, n, "%.*s", (int)(s + len - 1 - (p + 1)), p + 1);
    return inner;
}

/* "struct item" -> "struct_item", "typedef list" -> "list": a type as an E_G argument. */
static void binding_name(const char *t, struct pstr *out)
{
    for (t = strip_typedef_kw(t); *t; t++)
        pstr_put(out, *t == ' ' ? "_" : t, 1);
}

struct closure_read {
    const struct ktt *old, *nv;
    int gen_ok;        /* in the rule of a type: $gen(name) passes @name on */
    int uses_gen;      /* set when a binding names a parameter (@name) */
    struct pstr out;   /* the bindings, comma-separated */
    char why[400];     /* on error */
};

static int closure_bindings(struct closure_read *cr, char **args, int nargs, int depth);

/* Appends the E_G argument closure `c` stands for; -1 with the reason in cr->why. */
static int closure_binding(struct closure_read *cr, const char *c, int depth)
{
    char inner[512];
    if (depth > 16) {
        snprintf(cr->why, sizeof cr->why, "closures nested too deeply");
        return -1;
    }
    if (call_of(c, "XF_RAW", inner, sizeof inner)) {
        pstr_puts(&cr->out, "[opaque]");
        return 0;
    }
    if (call_of(c, "XF_PTR", inner, sizeof inner)) {
        if (call_of(inner, "XF_RAW", inner, sizeof inner)) {
            pstr_puts(&cr->out, "[opaque]");
            return 0;
        }
        if (closure_binding(cr, inner, depth + 1))
            return -1;
        pstr_puts(&cr->out, "*");
        return 0;
    }
    struct first_esc f = {0};
    char err[256];
    xf_scan_escapes("closure", c, 1, 1, on_first_esc, &f, err, sizeof err);
    int rc = -1;
    int whole = f.found && f.start == 0 && f.end == strlen(c);
    if (whole && strcmp(f.name, "gen") == 0 && f.nargs == 1 && cr->gen_ok) {
        pstr_printf(&cr->out, "@%s", f.args[0][0] == '@' ? f.args[0] + 1 : f.args[0]);
        cr->uses_gen = 1;
        rc = 0;
    } else if (whole && strcmp(f.name, "gen") == 0) {
        snprintf(cr->why, sizeof cr->why, "closure %s: $gen can be used only in the rule "
                 "of a generic type (T0 -> T1: { ... })", c);
    } else if (!whole || strcmp(f.name, "xform") != 0 || f.nargs < 2) {
        snprintf(cr->why, sizeof cr->why, "closure %s cannot be planned: write "
                 "XF_RAW(size), XF_PTR(closure), $xform(T, T [, closures]) or $gen(name) "
                 "for what the generic parameter is bound to", c);
    } else if (strcmp(strip_typedef_kw(f.args[0]), strip_typedef_kw(f.args[1])) != 0) {
        snprintf(cr->why, sizeof cr->why, "closure %s: a generic argument is one type in "
                 "both versions; write $xform(T, T)", c);
    } else if (is_primitive_spelling(f.args[1]) ||
               ct_find(cr->old, strip_typedef_kw(f.args[0])) < 0 ||
               ct_find(cr->nv, strip_typedef_kw(f.args[1])) < 0) {
        snprintf(cr->why, sizeof cr->why, "closure %s: %s is not a named type of both "
                 "versions", c, strip_typedef_kw(f.args[1]));
    } else {
        binding_name(f.args[1], &cr->out);
        rc = 0;
        if (f.nargs > 2) {
            pstr_puts(&cr->out, "<");
            rc = closure_bindings(cr, f.args + 2, f.nargs - 2, depth + 1);
            pstr_puts(&cr->out, ">");
        }
    }
    free_first_esc(&f);
    return rc;
}

static int closure_bindings(struct closure_read *cr, char **args, int nargs, int depth)
{
    for (int i = 0; i < nargs; i++) {
        if (i)
            pstr_puts(&cr->out, ",");
        if (closure_binding(cr, args[i], depth))
            return -1;
    }
    return 0;
}

static int check_xform(struct ruleset *rs, const char *path, struct esc *e,
                       const struct block *blk, const struct block_use *use,
                       const struct ktt *old, const struct ktt *nv, struct msgs *m)
{
    const char *t0 = strip_typedef_kw(e->args[0]), *t1 = strip_typedef_kw(e->args[1]);
    for (int i = 0; i < 2; i++) {
        const char *t = i ? t1 : t0;
        if (is_primitive_spelling(t)) {
            msg(m, "%s:%d:%d: $xform(%s, %s): %s is a primitive type; $xform takes struct, "
                "union, enum or typedef names", path, e->line, e->col, e->args[0], e->args[1], t);
            return -1;
        }
        if (strchr(t, '*') || strchr(t, '[')) {
            msg(m, "%s:%d:%d: $xform(%s, %s): %s is not a named type; write the pointed-to "
                "type and wrap the closure in XF_PTR", path, e->line, e->col, e->args[0],
                e->args[1], t);
            return -1;
        }
        const struct ktt *k = i ? nv : old;
        if (ct_find(k, t) < 0) {
            msg(m, "%s:%d:%d: $xform(%s, %s): the %s version has no type %s", path, e->line,
                e->col, e->args[0], e->args[1], i ? "new" : "old", t);
            return -1;
        }
    }
    if (e->nargs <= 2) {
        add_xform(rs, t0, t1, NULL, -1);
        return 0;
    }
    struct closure_read cr = {.old = old, .nv = nv, .gen_ok = use && !use->any_not_type};
    if (closure_bindings(&cr, e->args + 2, e->nargs - 2, 0)) {
        msg(m, "%s:%d:%d: $xform(%s, %s, ...): %s", path, e->line, e->col, e->args[0],
            e->args[1], cr.why);
        pstr_free(&cr.out);
        return -1;
    }
    e->gen_args = xstrdup(pstr_str(&cr.out));
    pstr_free(&cr.out);
    if (!cr.uses_gen) {
        add_xform(rs, t0, t1, e->gen_args, -1);
        return 0;
    }
    /* Bindings passed on with $gen differ with each use of the generic type: planned
     * for every binding the type rules of this block meet. */
    int n = rs->n;
    for (int i = 0; i < n; i++)
        if (rs->origin[i].block == blk && rs->v[i].kind == RULE_TYPE)
            add_xform(rs, t0, t1, e->gen_args, i);
    return 0;
}

/* Checks the escapes of one block; `use` is NULL for the preamble. */
static int check_block(struct ruleset *rs, const char *path, struct block *blk,
                       const struct block_use *use, const struct ktt *old,
                       const struct ktt *nv, struct msgs *m)
{
    int rc = 0;
    for (int i = 0; i < blk->nescs; i++) {
        struct esc *e = &blk->escs[i];
        const char *n = e->name;
        int data = !strcmp(n, "in") || !strcmp(n, "out") || !strcmp(n, "base");
        if (data && !use) {
            msg(m, "%s:%d:%d: $%s cannot be used in the preamble (it is not part of a rule)",
                path, e->line, e->col, n);
            rc = -1;
        } else if (!strcmp(n, "in") && use->any_init) {
            msg(m, "%s:%d:%d: $in cannot be used in an INIT rule (there is no old value): %s",
                path, e->line, e->col, use->init_label);
            rc = -1;
        } else if (!strcmp(n, "base") && use->any_not_field) {
            msg(m, "%s:%d:%d: $base can be used only in field rules (T.a -> T.b, INIT T.f): %s",
                path, e->line, e->col, use->not_field_label);
            rc = -1;
        } else if (!strcmp(n, "oldtype") || !strcmp(n, "newtype")) {
            int is_old = n[0] == 'o';
            rc |= check_type_arg(path, e, is_old ? old : nv, is_old ? "old" : "new", m);
        } else if (!strcmp(n, "xform")) {
            rc |= check_xform(rs, path, e, blk, use, old, nv, m);
        } else if (!strcmp(n, "gen") && (!use || use->any_not_type)) {
            msg(m, "%s:%d:%d: $gen can be used only in the rule of a generic type "
                "(T0 -> T1: { ... }): %s", path, e->line, e->col,
                use ? use->not_type_label : "the preamble");
            rc = -1;
        } else if (!strcmp(n, "gen")) {
            add_gen(rs);
        }
    }
    return rc;
}

/* Whether the rules' code names an old variable's key as a string, as in
 * kitsune_lookup_key_old("main.c/next_id"): then its state is read by hand. */
static int named_in_code(const struct xf_file *xf, const char *key)
{
    char quoted[600];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    if (xf->preamble && strstr(xf->preamble, quoted))
        return 1;
    for (int i = 0; i < xf->nrules; i++)
        if (xf->rules[i].code && strstr(xf->rules[i].code, quoted))
            return 1;
    return 0;
}

/* An old variable that the new version does not have and the code reads by its key has
 * its state taken over by hand: a drop rule tells the planner (here and in the runtime)
 * that losing the variable is meant. */
static void add_read_by_code(struct ruleset *rs, const struct xf_file *xf,
                             const struct ktt *old, const struct ktt *nv)
{
    for (int i = 0; i < old->nvars; i++) {
        const char *key = old->vars[i].key;
        if (!plan_var_migrates(&old->vars[i]) || ktt_find_var(nv, key) ||
            !named_in_code(xf, key))
            continue;
        int said = 0;
        for (int j = 0; j < rs->n && !said; j++)
            said = rs->v[j].kind == RULE_DROP && !rs->v[j].from_field &&
                   strcmp(rs->v[j].from, key) == 0;
        if (said)
            continue;
        struct plan_rule *p = add_rule(rs);
        p->kind = RULE_DROP;
        p->from = xstrdup(key);
        snprintf(rs->origin[rs->n - 1].text, sizeof rs->origin[0].text,
                 "%s -> (dropped): read by the rules' code", key);
    }
}

int ruleset_build(struct ruleset *rs, const struct xf_file *xf, const struct ktt *old,
                  const struct ktt *nv, struct msgs *m)
{
    memset(rs, 0, sizeof *rs);
    if (!xf)
        return 0;
    int rc = 0;
    rs->blocks = xcalloc((size_t)xf->nrules + 1, sizeof *rs->blocks);
    rs->nblocks = xf->nrules;
    int *scanned = xcalloc((size_t)xf->nrules + 1, sizeof *scanned);
    for (int i = 0; i < xf->nrules; i++) {
        const struct xf_rule *r = &xf->rules[i];
        struct block *blk = NULL;
        if (r->code) {
            blk = &rs->blocks[i];
            scanned[i] = scan_block(blk, xf->path, r->code, r->code_line, r->code_col, m) == 0;
            rc |= scanned[i] ? 0 : -1;
        }
        for (int j = 0; j < r->nlabels; j++)
            add_label(rs, r, &r->labels[j], blk, old, nv);
    }
    if (xf->preamble) {
        if (scan_block(&rs->preamble, xf->path, xf->preamble, xf->preamble_line,
                       xf->preamble_col, m) == 0)
            rc |= check_block(rs, xf->path, &rs->preamble, NULL, old, nv, m);
        else
            rc = -1;
    }
    for (int i = 0; i < xf->nrules; i++) {
        if (!scanned[i])
            continue;
        struct block_use use = block_use(rs, &rs->blocks[i]);
        rc |= check_block(rs, xf->path, &rs->blocks[i], &use, old, nv, m);
    }
    free(scanned);
    add_read_by_code(rs, xf, old, nv);
    if (rc == 0)
        dispatch_find(rs, xf);
    return rc;
}

static void free_block(struct block *b)
{
    for (int i = 0; i < b->nescs; i++) {
        free(b->escs[i].name);
        for (int j = 0; j < b->escs[i].nargs; j++)
            free(b->escs[i].args[j]);
        free(b->escs[i].args);
        free(b->escs[i].gen_args);
    }
    free(b->escs);
    memset(b, 0, sizeof *b);
}

void ruleset_free(struct ruleset *rs)
{
    for (int i = 0; i < rs->n; i++) {
        free((char *)rs->v[i].from);
        free((char *)rs->v[i].to);
        free((char *)rs->v[i].from_field);
        free((char *)rs->v[i].to_field);
        free((char *)rs->v[i].gen_args);
        plan_dispatch_free((struct plan_dispatch *)rs->v[i].dispatch);
        free((char *)rs->v[i].tag);
        free((char *)rs->v[i].cases);
    }
    free(rs->v);
    free(rs->origin);
    free_block(&rs->preamble);
    for (int i = 0; i < rs->nblocks; i++)
        free_block(&rs->blocks[i]);
    free(rs->blocks);
    memset(rs, 0, sizeof *rs);
}
