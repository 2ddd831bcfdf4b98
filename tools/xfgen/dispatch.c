/*
 * dispatch.c — finds field rules whose code only dispatches (runtime/plan.h,
 * struct plan_dispatch), so that the planner can prune them.
 *
 * Kitsune's redis rule on struct redisObject.ptr is a switch on $base.type whose
 * cases copy the pointer ($out = $in) or invoke a $xform closure on it
 * (XF_INVOKE(XF_PTR($xform(...)), &$in, &$out)).  To the planner, code is opaque and
 * must run on every object; described as "which action for which value of $base.type",
 * it can be pruned when every action leads to a clean plan, and objects whose tag picks
 * a clean action need no visit.
 *
 * The code is read as tokens (with the escapes the scanner found) and accepted only
 * when it is made of exactly these statements:
 *   ;   { ... }   break;
 *   $out = $in;
 *   XF_INVOKE(XF_PTR($xform(T0, T1 [, closures])), &$in, &$out);
 *   if (COND) S [else S]        COND: $base.F == K, $base.F != K, K == $base.F,
 *                               K != $base.F, $base.F, !$base.F
 *   switch ($base.F) { case K: ... default: ... }
 * with one member F throughout and K an integer literal or a #define of one in the
 * preamble.  Anything else (a call, a string, a
 * second write) and the rule stays code.  The branches are then found by running the
 * code for every constant it names, 0, and one value it does not name.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "xfgen.h"

enum { T_END, T_ID, T_NUM, T_PUNCT, T_ESC };

struct tok {
    int kind;
    const char *s; /* T_ID, T_PUNCT: text (len bytes) */
    size_t len;
    long long num;
    int esc; /* T_ESC: index in the block's escapes */
};

struct reader {
    const struct ruleset *rs;
    const struct block *blk;
    const struct xf_file *xf;
    struct tok *t;
    int nt, pos;
    char field[200]; /* the member compared, "" before the first */
};

/* ---- tokens ---- */

static int is_id(int c) { return isalnum(c) || c == '_'; }

static int tokenize(struct reader *r)
{
    const char *code = r->blk->code;
    size_t n = strlen(code), i = 0;
    int e = 0, cap = 64;
    r->t = xcalloc((size_t)cap, sizeof *r->t);
    for (;;) {
        if (r->nt + 1 >= cap) {
            cap *= 2;
            struct tok *t = realloc(r->t, (size_t)cap * sizeof *t);
            if (!t)
                return -1;
            r->t = t;
        }
        struct tok *t = &r->t[r->nt];
        memset(t, 0, sizeof *t);
        while (i < n && isspace((unsigned char)code[i]))
            i++;
        if (i + 1 < n && code[i] == '/' && code[i + 1] == '*') {
            const char *end = strstr(code + i + 2, "*/");
            if (!end)
                return -1;
            i = (size_t)(end - code) + 2;
            continue;
        }
        if (i + 1 < n && code[i] == '/' && code[i + 1] == '/') {
            while (i < n && code[i] != '\n')
                i++;
            continue;
        }
        if (i >= n)
            break;
        r->nt++;
        if (e < r->blk->nescs && r->blk->escs[e].start == i) {
            t->kind = T_ESC;
            t->esc = e;
            i = r->blk->escs[e++].end;
        } else if (isdigit((unsigned char)code[i])) {
            char *end;
            t->kind = T_NUM;
            t->num = strtoll(code + i, &end, 0);
            i = (size_t)(end - code);
            while (i < n && strchr("uUlL", code[i]))
                i++;
            if (i < n && is_id((unsigned char)code[i]))
                return -1; /* 1.5, 0x1p3, ... */
        } else if (is_id((unsigned char)code[i])) {
            t->kind = T_ID;
            t->s = code + i;
            while (i < n && is_id((unsigned char)code[i]))
                i++;
            t->len = (size_t)(code + i - t->s);
        } else if (strchr("'\"#$", code[i])) {
            return -1; /* literals, preprocessor lines, escapes not understood */
        } else {
            t->kind = T_PUNCT;
            t->s = code + i;
            t->len = (i + 1 < n && code[i + 1] == '=' && strchr("=!<>", code[i])) ? 2 : 1;
            i += t->len;
        }
    }
    r->t[r->nt].kind = T_END;
    return e == r->blk->nescs ? 0 : -1;
}

static const struct tok *peek(const struct reader *r, int ahead)
{
    int i = r->pos + ahead;
    return &r->t[i < r->nt ? i : r->nt];
}

static int is_punct(const struct tok *t, const char *p)
{
    return t->kind == T_PUNCT && t->len == strlen(p) && memcmp(t->s, p, t->len) == 0;
}

static int is_word(const struct tok *t, const char *w)
{
    return t->kind == T_ID && t->len == strlen(w) && memcmp(t->s, w, t->len) == 0;
}

static int is_esc(const struct reader *r, const struct tok *t, const char *name)
{
    return t->kind == T_ESC && strcmp(r->blk->escs[t->esc].name, name) == 0;
}

static int expect_punct(struct reader *r, const char *p)
{
    if (!is_punct(peek(r, 0), p))
        return -1;
    r->pos++;
    return 0;
}

/* ---- constants ---- */

static int define_value(const char *text, const char *name, size_t len, long long *v)
{
    for (const char *s = text; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (strncmp(s, "#define", 7) != 0)
            continue;
        s += 7;
        while (*s == ' ' || *s == '\t')
            s++;
        if (strncmp(s, name, len) != 0 || is_id((unsigned char)s[len]))
            continue;
        s += len;
        while (*s == ' ' || *s == '\t' || *s == '(')
            s++;
        int neg = *s == '-';
        s += neg;
        char *end;
        long long x = strtoll(s, &end, 0);
        if (end == s)
            return -1;
        while (*end && strchr("uUlL) \t\r", *end))
            end++;
        if (*end && *end != '\n')
            return -1;
        *v = neg ? -x : x;
        return 0;
    }
    return -1;
}

static int constant(struct reader *r, long long *v)
{
    int neg = is_punct(peek(r, 0), "-");
    r->pos += neg;
    const struct tok *t = peek(r, 0);
    if (t->kind == T_NUM)
        *v = t->num;
    else if (t->kind != T_ID || define_value(r->xf->preamble, t->s, t->len, v))
        return -1; /* an enumerator's value is the code's, which may not be the summary's */
    r->pos++;
    if (neg)
        *v = -*v;
    return 0;
}

/* $base.a.b: the member, which must be the one every test compares. */
static int tag(struct reader *r)
{
    if (!is_esc(r, peek(r, 0), "base"))
        return -1;
    r->pos++;
    char path[200] = "";
    size_t len = 0;
    while (is_punct(peek(r, 0), ".") && peek(r, 1)->kind == T_ID) {
        const struct tok *id = peek(r, 1);
        if (len + id->len + 2 >= sizeof path)
            return -1;
        if (len)
            path[len++] = '.';
        memcpy(path + len, id->s, id->len);
        path[len += id->len] = 0;
        r->pos += 2;
    }
    if (!len || (r->field[0] && strcmp(r->field, path) != 0))
        return -1;
    strcpy(r->field, path);
    return 0;
}

/* ---- statements ---- */

enum { N_NOP, N_ACT, N_SEQ, N_IF, N_SWITCH, N_BREAK, N_CASE, N_DEFAULT };
enum { C_EQ, C_NE };

struct node {
    int kind;
    int action;          /* N_ACT: DISPATCH_COPY or a RULE_XFORM index */
    int cond;            /* N_IF: C_EQ / C_NE against value */
    long long value;     /* N_IF, N_CASE */
    struct node **kids;  /* N_SEQ, N_SWITCH: statements and labels; N_IF: then, else */
    int nkids;
};

static void free_node(struct node *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->nkids; i++)
        free_node(n->kids[i]);
    free(n->kids);
    free(n);
}

static struct node *new_node(int kind)
{
    struct node *n = xcalloc(1, sizeof *n);
    n->kind = kind;
    return n;
}

static void add_kid(struct node *n, struct node *k)
{
    struct node **v = realloc(n->kids, (size_t)(n->nkids + 1) * sizeof *v);
    if (!v) {
        free_node(k);
        return;
    }
    n->kids = v;
    n->kids[n->nkids++] = k;
}

static struct node *statement(struct reader *r, int depth);

/* The RULE_XFORM entry that escape e ($xform) added. */
static int xform_rule(const struct reader *r, const struct esc *e)
{
    if (e->nargs < 2)
        return -1;
    const char *t0 = strip_typedef_kw(e->args[0]), *t1 = strip_typedef_kw(e->args[1]);
    const char *args = e->nargs > 2 ? e->gen_args : NULL;
    if (e->nargs > 2 && !args)
        return -1;
    for (int i = 0; i < r->rs->n; i++) {
        const struct plan_rule *p = &r->rs->v[i];
        if (p->kind == RULE_XFORM && p->in_rule < 0 && strcmp(p->from, t0) == 0 &&
            strcmp(p->to, t1) == 0 &&
            strcmp(p->gen_args ? p->gen_args : "", args ? args : "") == 0)
            return i;
    }
    return -1;
}

#define NOT_AN_ACTION (-100)

static struct node *action(struct reader *r)
{
    struct node *n = new_node(N_ACT);
    if (is_esc(r, peek(r, 0), "out") && is_punct(peek(r, 1), "=") &&
        is_esc(r, peek(r, 2), "in")) {
        r->pos += 3;
        n->action = DISPATCH_COPY;
    } else if (is_word(peek(r, 0), "XF_INVOKE") && is_punct(peek(r, 1), "(") &&
               is_word(peek(r, 2), "XF_PTR") && is_punct(peek(r, 3), "(") &&
               is_esc(r, peek(r, 4), "xform") && is_punct(peek(r, 5), ")") &&
               is_punct(peek(r, 6), ",") && is_punct(peek(r, 7), "&") &&
               is_esc(r, peek(r, 8), "in") && is_punct(peek(r, 9), ",") &&
               is_punct(peek(r, 10), "&") && is_esc(r, peek(r, 11), "out") &&
               is_punct(peek(r, 12), ")")) {
        int x = xform_rule(r, &r->blk->escs[peek(r, 4)->esc]);
        n->action = x >= 0 ? x : NOT_AN_ACTION;
        r->pos += 13;
    } else {
        n->action = NOT_AN_ACTION;
    }
    if (n->action == NOT_AN_ACTION || expect_punct(r, ";")) {
        free_node(n);
        return NULL;
    }
    return n;
}

static struct node *if_statement(struct reader *r, int depth)
{
    struct node *n = new_node(N_IF);
    int ok = expect_punct(r, "(") == 0;
    if (ok && is_punct(peek(r, 0), "!")) { /* !$base.F */
        r->pos++;
        ok = tag(r) == 0;
        n->cond = C_EQ;
    } else if (ok && is_esc(r, peek(r, 0), "base")) {
        ok = tag(r) == 0;
        n->cond = is_punct(peek(r, 0), "!=") ? C_NE : C_EQ;
        if (ok && (is_punct(peek(r, 0), "==") || is_punct(peek(r, 0), "!="))) {
            r->pos++;
            ok = constant(r, &n->value) == 0;
        } else {
            n->cond = C_NE; /* $base.F: non-zero */
        }
    } else if (ok) {
        ok = constant(r, &n->value) == 0;
        n->cond = is_punct(peek(r, 0), "!=") ? C_NE : C_EQ;
        ok = ok && (is_punct(peek(r, 0), "==") || is_punct(peek(r, 0), "!="));
        r->pos++;
        ok = ok && tag(r) == 0;
    }
    ok = ok && expect_punct(r, ")") == 0;
    struct node *then = ok ? statement(r, depth + 1) : NULL, *other = NULL;
    ok = then != NULL;
    if (ok && is_word(peek(r, 0), "else")) {
        r->pos++;
        other = statement(r, depth + 1);
        ok = other != NULL;
    }
    if (ok) {
        add_kid(n, then);
        add_kid(n, other ? other : new_node(N_NOP));
    }
    if (!ok || n->nkids != 2) {
        free_node(then);
        free_node(other);
        free_node(n);
        return NULL;
    }
    return n;
}

static struct node *switch_statement(struct reader *r, int depth)
{
    if (expect_punct(r, "(") || tag(r) || expect_punct(r, ")") || expect_punct(r, "{"))
        return NULL;
    struct node *n = new_node(N_SWITCH);
    while (!is_punct(peek(r, 0), "}")) {
        struct node *k = NULL;
        if (is_word(peek(r, 0), "case")) {
            r->pos++;
            k = new_node(N_CASE);
            if (constant(r, &k->value) || expect_punct(r, ":")) {
                free_node(k);
                k = NULL;
            }
        } else if (is_word(peek(r, 0), "default") && is_punct(peek(r, 1), ":")) {
            r->pos += 2;
            k = new_node(N_DEFAULT);
        } else {
            k = statement(r, depth + 1);
        }
        if (!k) {
            free_node(n);
            return NULL;
        }
        add_kid(n, k);
    }
    r->pos++;
    return n;
}

static struct node *statement(struct reader *r, int depth)
{
    const struct tok *t = peek(r, 0);
    if (depth > 32 || t->kind == T_END)
        return NULL;
    if (is_punct(t, ";")) {
        r->pos++;
        return new_node(N_NOP);
    }
    if (is_word(t, "break")) {
        r->pos++;
        return expect_punct(r, ";") ? NULL : new_node(N_BREAK);
    }
    if (is_word(t, "if")) {
        r->pos++;
        return if_statement(r, depth);
    }
    if (is_word(t, "switch")) {
        r->pos++;
        return switch_statement(r, depth);
    }
    if (is_punct(t, "{")) {
        r->pos++;
        struct node *n = new_node(N_SEQ);
        while (!is_punct(peek(r, 0), "}")) {
            struct node *k = statement(r, depth + 1);
            if (!k) {
                free_node(n);
                return NULL;
            }
            add_kid(n, k);
        }
        r->pos++;
        return n;
    }
    return action(r);
}

/* ---- running the code for one value of the member ---- */

struct run {
    long long v;
    int action; /* DISPATCH_KEEP until written */
    int writes;
    int broke;  /* a break met, inside a switch */
};

static int exec(const struct node *n, struct run *x, int in_switch);

static int exec_seq(struct node *const *kids, int nkids, struct run *x, int in_switch)
{
    for (int i = 0; i < nkids && !x->broke; i++) {
        if (kids[i]->kind == N_CASE || kids[i]->kind == N_DEFAULT)
            continue; /* labels fall through */
        if (exec(kids[i], x, in_switch))
            return -1;
    }
    return 0;
}

static int exec(const struct node *n, struct run *x, int in_switch)
{
    switch (n->kind) {
    case N_NOP:
        return 0;
    case N_ACT:
        x->action = n->action;
        return ++x->writes > 1 ? -1 : 0; /* a second write: not a dispatch */
    case N_BREAK:
        if (!in_switch)
            return -1;
        x->broke = 1;
        return 0;
    case N_SEQ:
        return exec_seq(n->kids, n->nkids, x, in_switch);
    case N_IF: {
        int eq = x->v == n->value;
        return exec(n->kids[(n->cond == C_EQ) == eq ? 0 : 1], x, in_switch);
    }
    case N_SWITCH: {
        int at = -1;
        for (int i = 0; i < n->nkids && at < 0; i++)
            if (n->kids[i]->kind == N_CASE && n->kids[i]->value == x->v)
                at = i;
        for (int i = 0; i < n->nkids && at < 0; i++)
            if (n->kids[i]->kind == N_DEFAULT)
                at = i;
        if (at < 0)
            return 0;
        int rc = exec_seq(n->kids + at, n->nkids - at, x, 1);
        x->broke = 0;
        return rc;
    }
    default:
        return -1;
    }
}

static void constants_of(const struct node *n, long long **v, int *nv)
{
    if (n->kind == N_IF || n->kind == N_CASE) {
        long long *g = realloc(*v, (size_t)(*nv + 1) * sizeof *g);
        if (g) {
            *v = g;
            g[(*nv)++] = n->value;
        }
    }
    for (int i = 0; i < n->nkids; i++)
        constants_of(n->kids[i], v, nv);
}

static int run_for(const struct node *body, long long v, int *action)
{
    struct run x = {v, DISPATCH_KEEP, 0, 0};
    if (exec(body, &x, 0))
        return -1;
    *action = x.action;
    return 0;
}

/* The dispatch of a whole block, or NULL when it is not one. */
static struct plan_dispatch *describe(struct reader *r)
{
    if (tokenize(r))
        return NULL;
    struct node *body = new_node(N_SEQ);
    while (peek(r, 0)->kind != T_END) {
        struct node *k = statement(r, 0);
        if (!k) {
            free_node(body);
            return NULL;
        }
        add_kid(body, k);
    }
    long long *vals = xcalloc(1, sizeof *vals); /* 0, tested by `if ($base.F)` */
    int nvals = 1;
    constants_of(body, &vals, &nvals);
    long long unnamed = 0;
    for (int i = 0; i < nvals; i++)
        if (vals[i] >= unnamed && vals[i] < 0x7fffffffffffffffLL)
            unnamed = vals[i] + 1;
    struct plan_dispatch *d = xcalloc(1, sizeof *d);
    d->value = xcalloc((size_t)nvals, sizeof *d->value);
    d->action = xcalloc((size_t)nvals, sizeof *d->action);
    int ok = run_for(body, unnamed, &d->other) == 0;
    for (int i = 0; i < nvals && ok; i++) {
        int a = DISPATCH_KEEP, dup = 0;
        ok = run_for(body, vals[i], &a) == 0;
        for (int j = 0; j < d->n; j++)
            dup |= d->value[j] == vals[i];
        if (ok && !dup && a != d->other) {
            d->value[d->n] = vals[i];
            d->action[d->n++] = a;
        }
    }
    d->field = r->field[0] ? xstrdup(r->field) : NULL;
    free(vals);
    free_node(body);
    if (!ok || (!d->field && d->n > 0)) {
        plan_dispatch_free(d);
        return NULL;
    }
    return d;
}

void dispatch_find(struct ruleset *rs, const struct xf_file *xf)
{
    for (int i = 0; i < rs->n; i++) {
        struct plan_rule *p = &rs->v[i];
        const struct block *blk = rs->origin[i].block;
        if (p->kind != RULE_FIELD || !p->has_code || !blk || !blk->code)
            continue;
        struct reader r = {.rs = rs, .blk = blk, .xf = xf};
        p->dispatch = describe(&r);
        free(r.t);
    }
}
