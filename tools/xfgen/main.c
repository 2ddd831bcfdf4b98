/*
 * main.c — the xfgen command.
 *
 *   xfgen OLD.ktt NEW.ktt [RULES.xf] -o OUT.c [--stubs FILE.xf]
 *   xfgen --self V.ktt [RULES.xf] -o OUT.c [--stubs FILE.xf]
 *   ... [--module NAME OLD.ktt NEW.ktt]...
 *
 * --module adds a module the program dlopens itself (docs/plugins.md): its summaries
 * in the old and the new version (`-` for the version that lacks it) are composed
 * into OLD's and NEW's, its keys named NAME@KEY, as the runtime composes them.
 * --self writes the rules for updating version V from itself (a v -> v update), which
 * are linked into V beside those from its predecessor: of RULES.xf only the rules the
 * planner cannot do without for V -> V are kept (a union's member in use, what a
 * void * points to: same-named type or field rules answering a diagnostic); renames,
 * INITs, drops and conversions of values that V -> V does not need are left out.
 *
 * Reads both summaries and the rules, lets the planner (runtime/plan*.c) decide every
 * transformation, prints all it cannot decide (grouped by kind) and every rule that
 * matched nothing,
 * and otherwise writes OUT.c.  Messages (stderr, one per line; docs/xf-language.md §4):
 *
 *   FILE:LINE: expected ...                      malformed .ktt
 *   FILE: cannot read: REASON                    unreadable input
 *   RULES.xf:LINE:COL: ...                       syntax and escape errors
 *   DECL: PATH: WHAT                             the planner needs a rule (DECL is the
 *       suggestion: STUB                         declaration, or NEW.ktt)
 *   RULES.xf:LINE:COL: rule matches nothing: LABEL
 *
 * Exit status: 0 when OUT.c was written, 1 after any message, 2 for a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xfgen.h"

#define MAX_MODULES 64

struct args {
    const char *old_path, *new_path, *rules_path, *out_path, *stubs_path;
    int self;
    const char *mod[MAX_MODULES][3]; /* NAME, OLD.ktt, NEW.ktt ("-": none) */
    int nmod;
};

static void usage(FILE *f)
{
    fputs("usage: xfgen OLD.ktt NEW.ktt [RULES.xf] -o OUT.c [--stubs FILE.xf]\n"
          "       xfgen --self V.ktt [RULES.xf] -o OUT.c [--stubs FILE.xf]\n"
          "       ... [--module NAME OLD.ktt NEW.ktt]... (a dlopened module; - for none)\n"
          "       xfgen --help | --version\n"
          "Compares two type summaries (kitc), applies the rules and writes the state\n"
          "transformers of the update as C, or says which rules are needed.\n",
          f);
}

/* Returns 0, 1 for --help, -1 for a usage error (reported). */
static int parse_args(int argc, char **argv, struct args *a)
{
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0;
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help"))
            return 1;
        if (!strcmp(s, "--self")) {
            a->self = 1;
            continue;
        }
        if (!strcmp(s, "--module")) {
            if (i + 3 >= argc || a->nmod == MAX_MODULES) {
                fprintf(stderr, "xfgen: --module needs NAME OLD.ktt NEW.ktt\n");
                return -1;
            }
            for (int j = 0; j < 3; j++)
                a->mod[a->nmod][j] = argv[++i];
            a->nmod++;
            continue;
        }
        if (!strcmp(s, "-o") || !strcmp(s, "--stubs")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "xfgen: %s needs a file name\n", s);
                return -1;
            }
            *(s[1] == 'o' ? &a->out_path : &a->stubs_path) = argv[++i];
        } else if (s[0] == '-' && s[1]) {
            fprintf(stderr, "xfgen: unknown option %s\n", s);
            return -1;
        } else if (npos < 3) {
            pos[npos++] = s;
        } else {
            fprintf(stderr, "xfgen: too many arguments: %s\n", s);
            return -1;
        }
    }
    int need = a->self ? 1 : 2;
    if (npos < need || npos > need + 1 || !a->out_path) {
        fputs(npos < need ? (a->self ? "xfgen: expected V.ktt\n"
                                     : "xfgen: expected OLD.ktt and NEW.ktt\n")
              : npos > need ? "xfgen: too many arguments\n"
                            : "xfgen: expected -o OUT.c\n",
              stderr);
        return -1;
    }
    a->old_path = pos[0];
    a->new_path = pos[need - 1];
    a->rules_path = pos[need];
    return 0;
}

/* Reads a whole file; "PATH: cannot read: REASON" on failure. */
static char *read_file(const char *path, size_t *len, struct msgs *m)
{
    FILE *f = fopen(path, "rb");
    struct pstr b = {0};
    if (!f) {
        msg(m, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pstr_put(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        msg(m, "%s: cannot read: read error", path);
        pstr_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.s ? b.s : xstrdup("");
}

static int load_ktt(const char *path, struct ktt *k, char **text, size_t *len, struct msgs *m)
{
    *text = read_file(path, len, m);
    if (!*text)
        return -1;
    char err[1024];
    if (ktt_parse(path, *text, *len, k, err, sizeof err)) {
        msg(m, "%s", err);
        return -1;
    }
    return 0;
}

/* --module: a module's summary composed into the version's, keys NAME@KEY. */
static int add_module(const char *name, const char *path, struct ktt *into, struct msgs *m)
{
    if (!strcmp(path, "-"))
        return 0;
    struct ktt k;
    char *text;
    size_t len;
    memset(&k, 0, sizeof k);
    int rc = load_ktt(path, &k, &text, &len, m);
    free(text);
    if (!rc && ktt_append(into, &k, name)) {
        msg(m, "%s: out of memory", path);
        rc = -1;
    }
    ktt_free(&k);
    return rc;
}

static int write_file(const char *path, const struct pstr *b, struct msgs *m)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A device or a pipe (-o /dev/null) is written in place: a temporary file
         * renamed over it would replace it, and as root that destroys /dev/null. */
        FILE *f = fopen(path, "wb");
        int ok = f && fwrite(pstr_str(b), 1, b->len, f) == b->len;
        if (f && fclose(f) != 0)
            ok = 0;
        if (!ok)
            msg(m, "%s: cannot write: %s", path, strerror(errno));
        return ok ? 0 : -1;
    }
    struct pstr tmp = {0};
    pstr_printf(&tmp, "%s.tmp", path);
    FILE *f = fopen(pstr_str(&tmp), "wb");
    int ok = f && fwrite(pstr_str(b), 1, b->len, f) == b->len;
    if (f && fclose(f) != 0)
        ok = 0;
    if (ok && rename(pstr_str(&tmp), path) != 0)
        ok = 0;
    if (!ok) {
        msg(m, "%s: cannot write: %s", path, strerror(errno));
        remove(pstr_str(&tmp));
    }
    pstr_free(&tmp);
    return ok ? 0 : -1;
}

/* "counter", "struct T.f": what a rule targets, as the planner names it. */
static void rule_target(const struct plan_rule *r, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s", r->to ? r->to : "", r->to_field ? "." : "",
             r->to_field ? r->to_field : "");
}

/* The rules an "ambiguous rules: ... targets X" diagnostic is about. */
static void report_ambiguous(const struct plan_diag *d, const struct ruleset *rs,
                             const char *rules_path, struct msgs *m)
{
    const char *t = strstr(d->what, "ambiguous rules: ");
    t = t ? strstr(t, " targets ") : NULL;
    if (!t || !rules_path)
        return;
    t += strlen(" targets ");
    for (int i = 0; i < rs->n; i++) {
        char target[600];
        rule_target(&rs->v[i], target, sizeof target);
        const struct rule_origin *o = &rs->origin[i];
        if (o->label && rs->v[i].kind != RULE_XFORM && strcmp(target, t) == 0)
            pstr_printf(&m->text, "    rule: %s:%d:%d: %s\n", rules_path, o->label->line,
                      o->label->col, o->text);
    }
}

/* Every $xform pair must be found by the lookup the runtime's kitsune_xf_type() makes
 * (plan_for_names after plan_build), or the update would fail after the pause. */
static void check_xforms(struct plan_ctx *pc, const struct ruleset *rs,
                         const char *rules_path, struct msgs *m)
{
    for (int i = 0; i < rs->n && pc->ndiags == 0; i++)
        if (rs->v[i].kind == RULE_XFORM &&
            !(rs->v[i].gen_args && strchr(rs->v[i].gen_args, '@')) && /* per binding */
            !plan_for_names_args(pc, rs->v[i].from, rs->v[i].to, rs->v[i].gen_args, NULL))
            msg(m, "%s: %s: the planner has no transformer for this pair", rules_path,
                rs->origin[i].text);
}

/* The kind of a diagnostic: its text up to the first detail that varies (a number, a
 * quoted or parenthesised part), so "array length changed from 8 to 16" and "... from
 * 4 to 5" are one kind. */
static size_t kind_len(const char *what)
{
    return strcspn(what, "0123456789'\"(");
}

static int by_kind(const void *a, const void *b)
{
    const struct plan_diag *x = a, *y = b;
    size_t lx = kind_len(x->what), ly = kind_len(y->what);
    int c = strncmp(x->what, y->what, lx < ly ? lx : ly);
    if (c == 0 && lx != ly)
        c = lx < ly ? -1 : 1;
    return c;
}

/* Every diagnostic of the comparison is reported in one run; those of one kind are
 * listed together (in the planner's order within a kind), so the programmer fixes a
 * kind at once, e.g. every unannotated void *.  Insertion sort: stable, and lists are
 * short. */
static void group_diags(struct plan_ctx *pc)
{
    for (int i = 1; i < pc->ndiags; i++) {
        struct plan_diag d = pc->diags[i];
        int j = i;
        while (j > 0 && by_kind(&pc->diags[j - 1], &d) > 0) {
            pc->diags[j] = pc->diags[j - 1];
            j--;
        }
        pc->diags[j] = d;
    }
}

static void report_plan(const struct plan_ctx *pc, const struct ruleset *rs,
                        const char *new_path, const char *rules_path, int self,
                        struct msgs *m)
{
    for (int i = 0; i < pc->ndiags; i++) {
        const struct plan_diag *d = &pc->diags[i];
        msg(m, "%s: %s: %s%s", d->decl ? d->decl : new_path, d->path, d->what,
            self ? " (to update the version from itself)" : "");
        if (d->stub)
            pstr_printf(&m->text, "    suggestion: %s\n", d->stub);
        report_ambiguous(d, rs, rules_path, m);
    }
}

/* A rule that lost an ambiguity to another one is reported as ambiguous, not unused. */
static int same_target_used(const struct ruleset *rs, int i)
{
    char a[600], b[600];
    rule_target(&rs->v[i], a, sizeof a);
    for (int j = 0; j < rs->n; j++) {
        if (j == i || !rs->v[j].used || rs->v[j].kind != rs->v[i].kind)
            continue;
        rule_target(&rs->v[j], b, sizeof b);
        if (strcmp(a, b) == 0)
            return 1;
    }
    return 0;
}

static void report_unused(const struct ruleset *rs, const char *rules_path, struct msgs *m)
{
    for (int i = 0; i < rs->n; i++) {
        const struct rule_origin *o = &rs->origin[i];
        if (rs->v[i].used || !o->label || same_target_used(rs, i))
            continue;
        msg(m, "%s:%d:%d: rule matches nothing: %s", rules_path, o->label->line, o->label->col,
            o->text);
    }
}

struct run {
    struct args a;
    struct ktt old, nv;
    char *old_text, *new_text;
    size_t old_len, new_len;
    struct xf_file xf;
    int have_xf;
    struct xf_file self_xf;      /* --self: the rules of xf that V -> V needs */
    const struct xf_file *xf_used;
    struct ruleset rs;
    struct plan_ctx plan;
    int planned;
    struct msgs m;
};

static int run_inputs(struct run *r)
{
    int rc = 0;
    rc |= load_ktt(r->a.old_path, &r->old, &r->old_text, &r->old_len, &r->m);
    rc |= load_ktt(r->a.new_path, &r->nv, &r->new_text, &r->new_len, &r->m);
    for (int i = 0; !rc && i < r->a.nmod; i++) {
        rc |= add_module(r->a.mod[i][0], r->a.mod[i][1], &r->old, &r->m);
        rc |= add_module(r->a.mod[i][0], r->a.mod[i][2], &r->nv, &r->m);
    }
    if (r->a.nmod) {
        ktt_sort_keys(&r->old);
        ktt_sort_keys(&r->nv);
    }
    if (r->a.rules_path) {
        char err[1024];
        if (xf_parse_file(r->a.rules_path, &r->xf, err, sizeof err)) {
            msg(&r->m, "%s", err);
            rc = -1;
        } else {
            r->have_xf = 1;
        }
    }
    return rc;
}

/* --self: how many things V -> V still needs rules for with `only` (a file of one
 * rule and one label, or NULL for none). */
static int self_diags(const struct run *r, const struct xf_file *only)
{
    struct ruleset rs;
    struct msgs quiet = {0};
    struct plan_ctx pc;
    memset(&rs, 0, sizeof rs);
    memset(&pc, 0, sizeof pc);
    int bad = ruleset_build(&rs, only, &r->old, &r->nv, &quiet) || quiet.count;
    plan_build(&pc, &r->old, &r->nv, rs.v, rs.n);
    int n = bad ? -1 : pc.ndiags;
    plan_free(&pc);
    ruleset_free(&rs);
    pstr_free(&quiet.text);
    return n;
}

/* --self: whether label j of rule `ru` answers a diagnostic of V -> V on its own. */
static int self_needs(const struct run *r, const struct xf_rule *ru, int j, int base)
{
    struct xf_rule one = *ru;
    one.labels = &ru->labels[j];
    one.nlabels = 1;
    struct xf_file f = r->xf;
    f.rules = &one;
    f.nrules = 1;
    int n = self_diags(r, &f);
    return n >= 0 && n < base;
}

/* --self: keeps the labels `X -> X` that answer a diagnostic of V -> V.  The rules
 * and labels are shallow copies of the parsed file's, which still owns them. */
static void self_filter(struct run *r, struct xf_file *out)
{
    *out = r->xf;
    out->rules = calloc((size_t)r->xf.nrules + 1, sizeof *out->rules);
    out->nrules = 0;
    int base = self_diags(r, NULL);
    for (int i = 0; out->rules && i < r->xf.nrules; i++) {
        const struct xf_rule *ru = &r->xf.rules[i];
        struct xf_rule keep = *ru;
        keep.labels = calloc((size_t)ru->nlabels + 1, sizeof *keep.labels);
        keep.nlabels = 0;
        for (int j = 0; keep.labels && j < ru->nlabels; j++) {
            const struct xf_label *l = &ru->labels[j];
            char from[600], to[600];
            if (l->is_init || l->is_dropped || l->from.kind != XF_PATH_TYPE)
                continue;
            xf_path_format(&l->from, from, sizeof from);
            xf_path_format(&l->to, to, sizeof to);
            if (base > 0 && strcmp(from, to) == 0 && self_needs(r, ru, j, base))
                keep.labels[keep.nlabels++] = *l;
        }
        if (keep.nlabels > 0)
            out->rules[out->nrules++] = keep;
        else
            free(keep.labels);
    }
    if (out->nrules == 0)
        out->preamble = NULL; /* its code serves rules that V -> V does without */
}

static void self_filter_free(struct xf_file *f)
{
    for (int i = 0; i < f->nrules; i++)
        free(f->rules[i].labels);
    free(f->rules);
}

static int run_all(struct run *r)
{
    if (run_inputs(r))
        return -1;
    struct xf_file self_xf;
    if (r->a.self && r->have_xf) {
        self_filter(r, &self_xf);
        r->self_xf = self_xf;
        r->xf_used = &r->self_xf;
    } else {
        r->xf_used = r->have_xf ? &r->xf : NULL;
    }
    int rc = ruleset_build(&r->rs, r->xf_used, &r->old, &r->nv, &r->m);
    plan_build(&r->plan, &r->old, &r->nv, r->rs.v, r->rs.n);
    r->planned = 1;
    group_diags(&r->plan);
    report_plan(&r->plan, &r->rs, r->a.new_path, r->a.rules_path, r->a.self, &r->m);
    check_xforms(&r->plan, &r->rs, r->a.rules_path, &r->m);
    report_unused(&r->rs, r->a.rules_path, &r->m);
    if (r->a.stubs_path) {
        struct pstr stubs = {0};
        stubs_write(&r->plan, r->a.new_path, &stubs);
        rc |= write_file(r->a.stubs_path, &stubs, &r->m);
        pstr_free(&stubs);
    }
    if (rc || r->m.count)
        return -1;
    struct gen_input in = {r->a.old_path, r->a.new_path, r->a.rules_path, r->a.out_path,
                           &r->old, &r->nv, r->old_text, r->old_len,
                           r->xf_used, &r->rs, &r->plan, r->a.self};
    struct pstr out = {0};
    rc = gen_c(&in, &out, &r->m);
    if (rc == 0)
        rc = write_file(r->a.out_path, &out, &r->m);
    pstr_free(&out);
    return rc;
}

static void run_free(struct run *r)
{
    if (r->planned)
        plan_free(&r->plan);
    ruleset_free(&r->rs);
    if (r->xf_used == &r->self_xf)
        self_filter_free(&r->self_xf);
    xf_free(&r->xf);
    ktt_free(&r->old);
    ktt_free(&r->nv);
    free(r->old_text);
    free(r->new_text);
    pstr_free(&r->m.text);
}

/* The planner ran out of memory (plan.h): a one-shot tool stops with a message. */
void plan_out_of_memory(void)
{
    fputs("xfgen: out of memory\n", stderr);
    exit(1);
}

int main(int argc, char **argv)
{
    struct run r;
    memset(&r, 0, sizeof r);
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("xfgen %s\n", KITSUNE_VERSION);
        return 0;
    }
    int a = parse_args(argc, argv, &r.a);
    if (a) {
        usage(a > 0 ? stdout : stderr);
        return a > 0 ? 0 : 2;
    }
    int rc = run_all(&r);
    fputs(pstr_str(&r.m.text), stderr);
    if (rc == 0 && r.m.count)
        rc = -1;
    run_free(&r);
    return rc ? 1 : 0;
}
