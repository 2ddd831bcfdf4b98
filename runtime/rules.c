/* rules.c - the rules of a version's transformers, as xfgen embedded them in section
 * .kitsune_xf of the new version:
 *
 *   kitsune-xf 1
 *   old FINGERPRINT [OBJECT]        FNV-1a 64 of the summary of the version the rules
 *                                   were written against, and its object line
 *   R var FROM TO code|nocode       variable renamed / with code
 *   R init-var - TO code
 *   R type FROM TO code|nocode      FROM/TO spelled struct:T, union:T, enum:T or NAME
 *   R field TYPE FIELD TYPE FIELD code|nocode
 *   R init-field - - TYPE FIELD code
 *   R xform FROM TO [ARGS [K]] nocode  a type pair the code names with $xform; ARGS:
 *                                   the generic arguments its closures stand for; K:
 *                                   the type rule whose bindings @params in ARGS take
 *   R gen - - nocode                the code uses $gen (generic closures)
 *   R drop FROM - nocode            old variable FROM is meant to go (`FROM -> (dropped)`,
 *                                   or the rules' code reads it by its key)
 *   R drop TYPE FIELD - - nocode    old field TYPE.FIELD is meant to go
 *   D RULE FIELD OTHER BRANCHES     field rule RULE (an earlier R line with code) only
 *                                   dispatches on $base.FIELD (runtime/plan_dispatch.h)
 *   R tag TYPE FIELD TAG CASES nocode  SWITCH TYPE.FIELD ON self.TAG: CASES is
 *                                   VALUE=TYPE;... (TYPE as struct_T or [opaque])
 *
 * Rule i (counting R lines from 0) with code is function i of the new version's
 * exported table kitsune_xf_rules. */
#include <stdlib.h>
#include <string.h>

#include "kitsune.h"
#include "oom.h"
#include "rules.h"
#include "plan_dispatch.h"

static char *type_name(const char *w)
{
    char *s = kt_strdup(w);
    char *colon = s ? strchr(s, ':') : NULL;
    if (colon)
        *colon = ' ';
    return s;
}

static char *dash_null(const char *w)
{
    return strcmp(w, "-") == 0 ? NULL : kt_strdup(w);
}

void kt_rules_free(struct kt_rules *r)
{
    for (int i = 0; i < r->n; i++) {
        free((char *)r->v[i].from);
        free((char *)r->v[i].to);
        free((char *)r->v[i].from_field);
        free((char *)r->v[i].to_field);
        free((char *)r->v[i].gen_args);
        plan_dispatch_free((struct plan_dispatch *)r->v[i].dispatch);
        free((char *)r->v[i].tag);
        free((char *)r->v[i].cases);
    }
    free(r->v);
    free(r->old_object);
    memset(r, 0, sizeof *r);
}

static int parse_rule(struct kt_rules *r, char **w, int n)
{
    struct plan_rule *x = &r->v[r->n];
    memset(x, 0, sizeof *x);
    int has_code = strcmp(w[n - 1], "code") == 0;
    if (!has_code && strcmp(w[n - 1], "nocode") != 0)
        return -1;
    x->has_code = has_code;
    if (strcmp(w[1], "var") == 0 && n == 5) {
        x->kind = RULE_VAR;
        x->from = kt_strdup(w[2]);
        x->to = kt_strdup(w[3]);
    } else if (strcmp(w[1], "init-var") == 0 && n == 5) {
        x->kind = RULE_INIT_VAR;
        x->to = kt_strdup(w[3]);
    } else if (strcmp(w[1], "type") == 0 && n == 5) {
        x->kind = RULE_TYPE;
        x->from = type_name(w[2]);
        x->to = type_name(w[3]);
    } else if (strcmp(w[1], "gen") == 0 && n == 5) {
        x->kind = RULE_GEN;
        x->from = kt_strdup(w[2]);
        x->to = kt_strdup(w[3]);
    } else if (strcmp(w[1], "xform") == 0 && n >= 5 && n <= 7) {
        x->kind = RULE_XFORM;
        x->from = type_name(w[2]);
        x->to = type_name(w[3]);
        x->gen_args = n >= 6 ? kt_strdup(w[4]) : NULL;
        x->in_rule = n == 7 ? atoi(w[5]) : -1;
        /* @params need the type rule passing them on, an earlier one */
        if ((x->gen_args && strchr(x->gen_args, '@')) != (n == 7) || x->in_rule >= r->n)
            return -1;
    } else if (strcmp(w[1], "drop") == 0 && (n == 5 || n == 7) && !has_code) {
        x->kind = RULE_DROP;
        x->from = n == 5 ? kt_strdup(w[2]) : type_name(w[2]);
        x->from_field = n == 7 ? kt_strdup(w[3]) : NULL;
    } else if (strcmp(w[1], "field") == 0 && n == 7) {
        x->kind = RULE_FIELD;
        x->from = type_name(w[2]);
        x->from_field = kt_strdup(w[3]);
        x->to = type_name(w[4]);
        x->to_field = kt_strdup(w[5]);
    } else if (strcmp(w[1], "tag") == 0 && n == 7 && !has_code) {
        x->kind = RULE_TAG;
        x->from = type_name(w[2]);
        x->to = type_name(w[2]);
        x->from_field = kt_strdup(w[3]);
        x->to_field = kt_strdup(w[3]);
        x->tag = kt_strdup(w[4]);
        x->cases = kt_strdup(w[5]);
    } else if (strcmp(w[1], "init-field") == 0 && n == 7) {
        x->kind = RULE_INIT_FIELD;
        x->from = dash_null(w[2]);
        x->to = type_name(w[4]);
        x->to_field = kt_strdup(w[5]);
    } else {
        return -1;
    }
    r->n++;
    return 0;
}

/* D RULE FIELD OTHER BRANCHES: what a field rule's code does, as xfgen found it. */
static int parse_dispatch(struct kt_rules *r, char **w)
{
    char *end;
    long i = strtol(w[1], &end, 10);
    if (end == w[1] || *end || i < 0 || i >= r->n || r->v[i].kind != RULE_FIELD ||
        !r->v[i].has_code || r->v[i].dispatch)
        return -1;
    struct plan_dispatch *d = plan_dispatch_parse(w[2], w[3], w[4]);
    if (!d)
        return -1;
    for (int b = 0; b <= d->n; b++) {
        int a = b < d->n ? d->action[b] : d->other;
        if (a >= 0 && (a >= r->n || r->v[a].kind != RULE_XFORM)) {
            plan_dispatch_free(d);
            return -1;
        }
    }
    r->v[i].dispatch = d;
    return 0;
}

int kt_rules_parse(const char *text, struct kt_rules *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    char *copy = kt_strdup(text);
    int line = 0, rc = 0, cap = 0;
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l && rc == 0;
         l = strtok_r(NULL, "\n", &save)) {
        line++;
        char *w[8];
        int n = 0;
        for (char *s2 = NULL, *t = strtok_r(l, " ", &s2); t && n < 8; t = strtok_r(NULL, " ", &s2))
            w[n++] = t;
        if (n == 0 || w[0][0] == '#')
            continue;
        if (line == 1) {
            rc = n == 2 && strcmp(w[0], "kitsune-xf") == 0 && strcmp(w[1], "1") == 0 ? 0 : -1;
        } else if (strcmp(w[0], "old") == 0 && (n == 2 || n == 3)) {
            r->old_fingerprint = strtoull(w[1], NULL, 16);
            free(r->old_object);
            r->old_object = n == 3 ? kt_strdup(w[2]) : NULL;
        } else if (strcmp(w[0], "R") == 0 && n >= 5) {
            if (r->n == cap) {
                cap = cap ? cap * 2 : 16;
                struct plan_rule *v = realloc(r->v, (size_t)cap * sizeof *v);
                if (!v) {
                    snprintf(err, errlen, "out of memory reading the rule table");
                    rc = -1;
                    break;
                }
                r->v = v;
            }
            rc = parse_rule(r, w, n);
        } else if (strcmp(w[0], "D") == 0 && n == 5) {
            rc = parse_dispatch(r, w);
        } else {
            rc = -1;
        }
        if (rc)
            snprintf(err, errlen, ".kitsune_xf:%d: malformed rule table", line);
    }
    free(copy);
    if (rc)
        kt_rules_free(r);
    return rc;
}
