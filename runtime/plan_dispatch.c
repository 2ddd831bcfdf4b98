/* plan_dispatch.c - field rules whose code only dispatches, as the planner sees them.
 *
 * Kitsune's redis rules run code on every robj's ptr: a switch on the object's type
 * that copies the pointer of a string and invokes $xform on a list or a set.  Code is
 * opaque to the planner, so every robj was visited, and everything that leads to
 * robjs, although for most objects the code does nothing.  xfgen recognises such code
 * (tools/xfgen/dispatch.c) and describes it (struct plan_dispatch, in the rule table
 * as a D line); here the planner uses that description:
 *
 *   - a dispatching rule whose every branch leads to a clean plan (or copies, or keeps
 *     the field) changes nothing: it is pruned like a copy, and so may be the types
 *     that lead to its objects;
 *   - otherwise, when the branch is picked by one integer member of the object and
 *     nothing else in the object needs a visit, the engine reads that member and
 *     leaves objects whose branch is clean alone (plan_dispatch_skips).
 *
 * Only rules that run in place (PLAN_RULES_IN_PLACE, the field keeps its offset and
 * size) are treated so: there "keep" means the old bytes, and the object's address
 * stays, so nothing that points to it depends on the rule. */
#include "plan.h"
#include "plan_dispatch.h"
#include "pstr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct plan_dispatched {
    const struct plan_dispatch *d;
    int nbranch;          /* d->n + 1: the last one is d->other */
    struct plan **target; /* per branch: the $xform's plan, NULL for copy and keep */
    uint8_t *fixed;       /* per branch: the target's pointer itself may need fixing (it
                             may point into static data or into a rebuilt object) */
    uint8_t *clean;       /* per branch, once modes are final: changes nothing */
    int keep_changes;     /* "keep" is not the old bytes for some objects of the type:
                             those in variables and inside rebuilt objects get new
                             storage, where the rule writing nothing leaves it as is */
    int tag_known;        /* the member is an integer of 1, 2, 4 or 8 bytes */
    uint32_t tag_off;
    uint8_t tag_size, tag_signed;
};

void plan_dispatch_free(struct plan_dispatch *d)
{
    if (!d)
        return;
    free(d->field);
    free(d->value);
    free(d->action);
    free(d);
}

void plan_dispatch_release(struct plan_op *op)
{
    struct plan_dispatched *x = op->dispatched;
    if (!x)
        return;
    free(x->target);
    free(x->fixed);
    free(x->clean);
    free(x);
    op->dispatched = NULL;
}

static void *zalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        plan_out_of_memory();
    return p;
}

static int action_of(const struct plan_dispatch *d, int branch)
{
    return branch < d->n ? d->action[branch] : d->other;
}

/* The member `path` (dotted) of old type t: its offset and integer encoding. */
static int find_tag(const struct ktt *k, int t, const char *path, uint32_t *off,
                    uint8_t *size, uint8_t *is_signed)
{
    size_t at = 0;
    char seg[200];
    while (*path) {
        size_t n = strcspn(path, ".");
        if (n == 0 || n >= sizeof seg)
            return 0;
        memcpy(seg, path, n);
        seg[n] = 0;
        path += n + (path[n] == '.');
        const struct ktt_type *ty = &k->types[ktt_resolve(k, t)];
        if (ty->kind != KTT_STRUCT && ty->kind != KTT_UNION)
            return 0;
        const struct ktt_field *f = NULL;
        for (int i = 0; i < ty->nfields && !f; i++)
            if (ty->fields[i].name && strcmp(ty->fields[i].name, seg) == 0)
                f = &ty->fields[i];
        if (!f || f->bit_size)
            return 0; /* bitfields: every branch is taken as possible */
        at += f->offset;
        t = f->type;
    }
    const struct ktt_type *ty = &k->types[ktt_resolve(k, t)];
    if ((ty->kind != KTT_BASE && ty->kind != KTT_ENUM) ||
        (ty->kind == KTT_BASE && ty->enc != KTT_SIGNED && ty->enc != KTT_UNSIGNED) ||
        (ty->size != 1 && ty->size != 2 && ty->size != 4 && ty->size != 8))
        return 0;
    *off = (uint32_t)at;
    *size = (uint8_t)ty->size;
    *is_signed = ty->kind == KTT_BASE ? ty->enc == KTT_SIGNED : 1;
    return 1;
}

/* Whether every value the table names is one the member can hold: then comparing the
 * member as read with each is what C's comparison does (no conversion of a negative
 * constant to a large unsigned one). */
static int values_fit(const struct plan_dispatch *d, uint8_t size, uint8_t is_signed)
{
    for (int i = 0; i < d->n; i++) {
        long long v = d->value[i];
        if (is_signed ? (size < 8 && (v < -(1LL << (8 * size - 1)) ||
                                      v >= (1LL << (8 * size - 1))))
                      : (v < 0 || (size < 8 && v >= (1LL << (8 * size)))))
            return 0;
    }
    return 1;
}

static struct plan_dispatched *resolve(struct plan_ctx *c, const struct plan *p,
                                       const struct plan_dispatch *d)
{
    struct plan_dispatched *x = zalloc(1, sizeof *x);
    x->d = d;
    x->nbranch = d->n + 1;
    x->target = zalloc((size_t)x->nbranch, sizeof *x->target);
    x->fixed = zalloc((size_t)x->nbranch, 1);
    x->clean = zalloc((size_t)x->nbranch, 1);
    for (int b = 0; b < x->nbranch; b++) {
        int a = action_of(d, b);
        if (a == DISPATCH_COPY || a == DISPATCH_KEEP)
            continue;
        struct plan *t = a >= 0 && a < c->nrules && c->rules[a].kind == RULE_XFORM &&
                                 c->xform ? c->xform[a] : NULL;
        x->target[b] = t;
        /* no plan (a $gen binding): never taken as clean */
        x->fixed[b] = !t || t->ptrs > 0 || t->old_type < 0 || c->may_static[t->old_type] ||
                      c->in_rebuilt[t->old_type];
    }
    x->keep_changes = c->may_static[p->old_type] || c->in_rebuilt[p->old_type];
    x->tag_known = d->field &&
                   find_tag(c->old, p->old_type, d->field, &x->tag_off, &x->tag_size,
                            &x->tag_signed) &&
                   values_fit(d, x->tag_size, x->tag_signed);
    return x;
}

void plan_dispatch_resolve(struct plan_ctx *c)
{
    if (!(c->flags & PLAN_RULES_IN_PLACE))
        return;
    for (struct plan *p = c->plans; p; p = p->next) {
        if (!p->same_layout || !p->in_place_rules || p->type_rule >= 0 || p->ptrs > 0 ||
            p->old_type < 0)
            continue;
        for (int i = 0; i < p->nops; i++) {
            struct plan_op *op = &p->ops[i];
            if (op->kind != OP_RULE || op->dispatched || op->rule < 0 || op->len == 0 ||
                op->old_off != op->new_off || c->rules[op->rule].kind != RULE_FIELD ||
                !c->rules[op->rule].dispatch)
                continue;
            op->dispatched = resolve(c, p, c->rules[op->rule].dispatch);
        }
    }
}

static int branch_changes(const struct plan_dispatched *x, int b)
{
    int a = action_of(x->d, b);
    if (a == DISPATCH_COPY || (a == DISPATCH_KEEP && !x->keep_changes))
        return 0;
    if (a == DISPATCH_KEEP)
        return 1;
    return x->fixed[b] || !x->target[b] || x->target[b]->mode != PLAN_CLEAN;
}

int plan_dispatch_changes(const struct plan_op *op)
{
    const struct plan_dispatched *x = op->dispatched;
    if (!x)
        return 1;
    for (int b = 0; b < x->nbranch; b++)
        if (branch_changes(x, b))
            return 1;
    return 0;
}

int plan_dispatch_finish(struct plan_op *op)
{
    struct plan_dispatched *x = op->dispatched;
    if (!x)
        return 0;
    for (int b = 0; b < x->nbranch; b++)
        x->clean[b] = (uint8_t)!branch_changes(x, b);
    return x->tag_known;
}

static long long read_tag(const struct plan_dispatched *x, const char *ob)
{
    const char *at = ob + x->tag_off;
    switch (x->tag_size) {
    case 1: {
        uint8_t v;
        memcpy(&v, at, 1);
        return x->tag_signed ? (int8_t)v : v;
    }
    case 2: {
        uint16_t v;
        memcpy(&v, at, 2);
        return x->tag_signed ? (int16_t)v : v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, at, 4);
        return x->tag_signed ? (int32_t)v : (long long)v;
    }
    default: {
        long long v;
        memcpy(&v, at, 8);
        return v;
    }
    }
}

int plan_dispatch_skips(const struct plan *p, const void *ob)
{
    if (p->tag_op < 0)
        return 0;
    const struct plan_dispatched *x = p->ops[p->tag_op].dispatched;
    long long v = read_tag(x, ob);
    for (int b = 0; b < x->d->n; b++)
        if (x->d->value[b] == v)
            return x->clean[b];
    return x->clean[x->d->n];
}

static const char *branch_effect(const struct plan_dispatched *x, int b)
{
    const struct plan *t = x->target[b];
    if (action_of(x->d, b) == DISPATCH_KEEP)
        return "visited";
    if (!t)
        return "unknown";
    if (t->mode == PLAN_REBUILD)
        return "rebuilt";
    return t->mode == PLAN_FIX ? "visited" : "pointer fixed";
}

/* "... only when it is 1 (struct list: visited)": the branches that change something. */
char *plan_dispatch_why(const struct plan_ctx *c, const struct plan_op *op, const char *slot)
{
    const struct plan_dispatched *x = op->dispatched;
    struct pstr b = {0};
    pstr_printf(&b, "a field rule on %s dispatches%s%s%s: it changes something only", slot,
                x->d->field ? " on " : "", x->d->field ? x->d->field : "",
                x->tag_known ? "" : " (not read by the engine)");
    int any = 0;
    for (int i = 0; i < x->nbranch; i++) {
        if (!branch_changes(x, i))
            continue;
        const struct plan *t = x->target[i];
        char *tn = action_of(x->d, i) == DISPATCH_KEEP
                       ? pstr_dup("writes nothing, and objects in variables or rebuilt ones "
                                  "get new storage")
                   : t && t->old_type >= 0 ? ktt_type_name_alloc(c->old, t->old_type)
                                           : pstr_dup("no plan");
        if (i < x->d->n && x->d->field)
            pstr_printf(&b, "%s when it is %lld (%s: %s)", any ? "," : "", x->d->value[i],
                        tn, branch_effect(x, i));
        else
            pstr_printf(&b, "%s %s (%s: %s)", any ? "," : "",
                        x->d->field ? "for other values" : "through", tn, branch_effect(x, i));
        free(tn);
        any = 1;
    }
    return pstr_take(&b);
}

/* ---- the rule table's form: D RULE FIELD|- OTHER V=A,V=A,...|- ---- */

static int parse_action(const char *s, int *a)
{
    if (strcmp(s, "copy") == 0)
        *a = DISPATCH_COPY;
    else if (strcmp(s, "keep") == 0)
        *a = DISPATCH_KEEP;
    else {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || *end || v < 0 || v > 1000000)
            return -1;
        *a = (int)v;
    }
    return 0;
}

struct plan_dispatch *plan_dispatch_parse(const char *field, const char *other,
                                          const char *branches)
{
    struct plan_dispatch *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    int n = 0;
    for (const char *s = branches; *s && strcmp(branches, "-") != 0; s++)
        n += *s == '=';
    d->value = calloc((size_t)n + 1, sizeof *d->value);
    d->action = calloc((size_t)n + 1, sizeof *d->action);
    d->field = strcmp(field, "-") == 0 ? NULL : strdup(field);
    if (!d->value || !d->action || (strcmp(field, "-") != 0 && !d->field) ||
        parse_action(other, &d->other))
        goto bad;
    const char *s = branches;
    for (int i = 0; i < n; i++) {
        char *end;
        d->value[i] = strtoll(s, &end, 0);
        if (end == s || *end != '=')
            goto bad;
        size_t alen = strcspn(end + 1, ",");
        char act[32];
        if (alen == 0 || alen >= sizeof act)
            goto bad;
        memcpy(act, end + 1, alen);
        act[alen] = 0;
        if (parse_action(act, &d->action[i]))
            goto bad;
        s = end + 1 + alen;
        if (*s == ',' && i + 1 < n)
            s++;
        else if (*s || i + 1 < n)
            goto bad;
    }
    if (n == 0 && strcmp(branches, "-") != 0)
        goto bad;
    d->n = n;
    return d;
bad:
    plan_dispatch_free(d);
    return NULL;
}

static void put_action(char *buf, size_t len, int a)
{
    if (a == DISPATCH_COPY)
        snprintf(buf, len, "copy");
    else if (a == DISPATCH_KEEP)
        snprintf(buf, len, "keep");
    else
        snprintf(buf, len, "%d", a);
}

int plan_dispatch_format(const struct plan_dispatch *d, char *buf, size_t len)
{
    char act[32];
    put_action(act, sizeof act, d->other);
    size_t at = (size_t)snprintf(buf, len, "%s %s ", d->field ? d->field : "-", act);
    if (d->n == 0)
        at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "-");
    for (int i = 0; i < d->n; i++) {
        put_action(act, sizeof act, d->action[i]);
        at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "%s%lld=%s",
                               i ? "," : "", d->value[i], act);
    }
    return at < len ? 0 : -1;
}
