/* test_plan.c - the planner on small hand-written summaries: which types are left
 * alone (CLEAN), visited (FIX) or rebuilt (REBUILD), what it reports, and how offsets
 * are translated.  Pruning is a promise (docs/design.md §6): a type that can reach
 * nothing to fix must stay CLEAN, and one that can must not. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktt.h"
#include "plan.h"
#include "plan_dispatch.h"

static int failures;

#define EXPECT(cond)                                                                     \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: %s: expected %s\n", __FILE__, __LINE__, current,     \
                    #cond);                                                              \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

static const char *current;

struct fixture {
    struct ktt old, new_;
    struct plan_ctx ctx;
    int ndiags;
};

/* A string formatted into a new allocation (names here may be of any length). */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap, ap2;
    va_start(ap, f);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    char *s = malloc((size_t)n + 1);
    if (!s) {
        fputs("test_plan: out of memory\n", stderr);
        exit(1);
    }
    vsnprintf(s, (size_t)n + 1, f, ap2);
    va_end(ap2);
    return s;
}

static void load(struct ktt *k, const char *body)
{
    char err[256];
    char *text = fmt("kitsune-ktt 1\nobject t.so\nroot /src\n%s", body);
    if (ktt_parse("t.ktt", text, strlen(text), k, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", current, err);
        exit(1);
    }
    free(text);
}

static void setup(struct fixture *f, const char *name, const char *old, const char *nv)
{
    current = name;
    load(&f->old, old);
    load(&f->new_, nv);
    f->ndiags = plan_build(&f->ctx, &f->old, &f->new_, NULL, 0);
}

static void teardown(struct fixture *f)
{
    plan_free(&f->ctx);
    ktt_free(&f->old);
    ktt_free(&f->new_);
}

/* The plan whose old type is named `name` ("struct node"), with generic bindings
 * `env` (NULL: none, "*": any). */
static struct plan *find(struct fixture *f, const char *name, const char *env)
{
    for (struct plan *p = f->ctx.plans; p; p = p->next) {
        if (p->ptrs)
            continue;
        char *spelled = ktt_type_name_alloc(&f->old, p->old_type);
        int same = strcmp(spelled, name) == 0;
        free(spelled);
        if (!same)
            continue;
        if (env && strcmp(env, "*") != 0 && (!p->env || strcmp(p->env, env) != 0))
            continue;
        if (!env && p->env)
            continue;
        return p;
    }
    return NULL;
}

static enum plan_mode mode_of(struct fixture *f, const char *name, const char *env)
{
    struct plan *p = find(f, name, env);
    if (!p) {
        fprintf(stderr, "%s: no plan for %s\n", current, name);
        failures++;
        return (enum plan_mode)-1;
    }
    return p->mode;
}

static void dump_diags(struct fixture *f)
{
    for (int i = 0; i < f->ctx.ndiags; i++)
        fprintf(stderr, "  diag %s: %s\n", f->ctx.diags[i].path, f->ctx.diags[i].what);
}

/* ---- summaries ---- */

#define NODE_V1                                                                          \
    "T 1 base 4 signed int\n"                                                            \
    "T 2 struct 16 node @ a.c:1\nF v 0 1\nF next 8 3\n"                                  \
    "T 3 ptr 2\n"                                                                        \
    "V head 3 0x100 8\n"

static void unchanged_list(void)
{
    struct fixture f;
    setup(&f, "unchanged list", NODE_V1, NODE_V1);
    EXPECT(f.ndiags == 0);
    EXPECT(mode_of(&f, "struct node", NULL) == PLAN_CLEAN);
    teardown(&f);
}

static void changed_list(void)
{
    struct fixture f;
    setup(&f, "changed list", NODE_V1,
          "T 1 base 8 signed long\n"
          "T 2 struct 16 node\nF v 0 1\nF next 8 3\n"
          "T 3 ptr 2\n"
          "V head 3 0x100 8\n");
    EXPECT(f.ndiags == 0);
    EXPECT(mode_of(&f, "struct node", NULL) == PLAN_REBUILD);
    teardown(&f);
}

/* A node that can reach a function pointer or a changed object is visited. */
static void must_visit(void)
{
    const char *old = "T 1 base 4 signed int\n"
                      "T 2 struct 24 holder\nF cb 0 4\nF c 8 6\nF next 16 7\n"
                      "T 3 func 1 1 1\nT 4 ptr 3\n"
                      "T 5 struct 4 changed\nF x 0 1\nT 6 ptr 5\nT 7 ptr 2\n"
                      "V holders 7 0x100 8\n";
    const char *nv = "T 1 base 4 signed int\nT 8 base 8 signed long\n"
                     "T 2 struct 24 holder\nF cb 0 4\nF c 8 6\nF next 16 7\n"
                     "T 3 func 1 1 1\nT 4 ptr 3\n"
                     "T 5 struct 8 changed\nF x 0 8\nT 6 ptr 5\nT 7 ptr 2\n"
                     "V holders 7 0x100 8\n";
    struct fixture f;
    setup(&f, "must visit", old, nv);
    EXPECT(f.ndiags == 0);
    EXPECT(mode_of(&f, "struct holder", NULL) == PLAN_FIX);
    EXPECT(mode_of(&f, "struct changed", NULL) == PLAN_REBUILD);
    teardown(&f);
}

/* A char * may point into a global char array, so a node holding one is visited when
 * the program has such an array; otherwise (strings on the heap, literals) it is left
 * alone, also when annotated E_SZ. */
static void strings(void)
{
    const char *types = "T 1 base 1 signed char\nT 2 ptr 1\nT 3 ptr 1 sz\n"
                        "T 4 struct 24 entry\nF key 0 2\nF text 8 3\nF next 16 5\n"
                        "T 5 ptr 4\nV entries 5 0x100 8\n";
    struct fixture f;
    setup(&f, "strings, no static chars", types, types);
    EXPECT(f.ndiags == 0);
    EXPECT(mode_of(&f, "struct entry", NULL) == PLAN_CLEAN);
    teardown(&f);
    char with[1024];
    snprintf(with, sizeof with, "%sT 6 array 1 16\nV buf 6 0x200 16\n", types);
    setup(&f, "strings, a static char array", with, with);
    EXPECT(mode_of(&f, "struct entry", NULL) == PLAN_FIX);
    teardown(&f);
}

static void bitfields(void)
{
    const char *t = "T 1 base 4 unsigned unsigned_int\n"
                    "T 2 struct 16 flags\nF a 0 1 bit 0 3\nF b 0 1 bit 3 5\nF next 8 3\n"
                    "T 3 ptr 2\nV list 3 0x100 8\n";
    struct fixture f;
    setup(&f, "unchanged bitfields", t, t);
    EXPECT(f.ndiags == 0);
    EXPECT(mode_of(&f, "struct flags", NULL) == PLAN_CLEAN);
    teardown(&f);
    setup(&f, "moved bitfield", t,
          "T 1 base 4 unsigned unsigned_int\n"
          "T 2 struct 16 flags\nF a 0 1 bit 0 3\nF b 0 1 bit 8 5\nF next 8 3\n"
          "T 3 ptr 2\nV list 3 0x100 8\n");
    EXPECT(mode_of(&f, "struct flags", NULL) == PLAN_REBUILD);
    teardown(&f);
    setup(&f, "narrowed bitfield", t,
          "T 1 base 4 unsigned unsigned_int\n"
          "T 2 struct 16 flags\nF a 0 1 bit 0 2\nF b 0 1 bit 3 5\nF next 8 3\n"
          "T 3 ptr 2\nV list 3 0x100 8\n");
    EXPECT(f.ndiags == 1);
    teardown(&f);
}

static void enums(void)
{
    const char *old = "T 1 enum 4 color\nE RED 0\nE BLUE 1\n"
                      "T 2 struct 16 job\nF c 0 1\nF next 8 3\nT 3 ptr 2\nV jobs 3 0x100 8\n";
    struct fixture f;
    setup(&f, "same enum", old, old);
    EXPECT(mode_of(&f, "struct job", NULL) == PLAN_CLEAN);
    teardown(&f);
    setup(&f, "renumbered enum", old,
          "T 1 enum 4 color\nE BLUE 0\nE RED 1\n"
          "T 2 struct 16 job\nF c 0 1\nF next 8 3\nT 3 ptr 2\nV jobs 3 0x100 8\n");
    EXPECT(f.ndiags == 0);
    EXPECT(mode_of(&f, "struct job", NULL) == PLAN_REBUILD); /* never rewritten in place */
    teardown(&f);
    setup(&f, "removed enumerator", old,
          "T 1 enum 4 color\nE BLUE 0\n"
          "T 2 struct 16 job\nF c 0 1\nF next 8 3\nT 3 ptr 2\nV jobs 3 0x100 8\n");
    EXPECT(f.ndiags == 1);
    teardown(&f);
}

/* 100 struct types, each pointing to the next: no depth limit through pointers. */
static void type_chain(void)
{
    static char old[16384], nv[16384];
    size_t o = 0, n = 0;
    o += (size_t)snprintf(old + o, sizeof old - o, "T 1 base 4 signed int\n");
    n += (size_t)snprintf(nv + n, sizeof nv - n, "T 1 base 8 signed long\n");
    for (int i = 0; i < 100; i++) {
        int s = 10 + 2 * i, ptr = s + 1, next = i == 99 ? 11 : s + 3;
        o += (size_t)snprintf(old + o, sizeof old - o,
                              "T %d struct 16 s%d\nF v 0 %d\nF next 8 %d\nT %d ptr %d\n", s,
                              i, i == 99 ? 1 : 2, next, ptr, s);
        n += (size_t)snprintf(nv + n, sizeof nv - n,
                              "T %d struct 16 s%d\nF v 0 %d\nF next 8 %d\nT %d ptr %d\n", s,
                              i, i == 99 ? 1 : 2, next, ptr, s);
    }
    o += (size_t)snprintf(old + o, sizeof old - o, "T 2 base 4 signed short\nV head 11 0x100 8\n");
    n += (size_t)snprintf(nv + n, sizeof nv - n, "T 2 base 4 signed short\nV head 11 0x100 8\n");
    struct fixture f;
    setup(&f, "type chain", old, nv);
    if (f.ndiags)
        dump_diags(&f);
    EXPECT(f.ndiags == 0);
    EXPECT(mode_of(&f, "struct s99", NULL) == PLAN_REBUILD);
    EXPECT(mode_of(&f, "struct s0", NULL) == PLAN_FIX);
    EXPECT(mode_of(&f, "struct s50", NULL) == PLAN_FIX);
    teardown(&f);
}

/* One generic list, two instantiations: only the one whose data changed is visited. */
static void generics(void)
{
    const char *common =
        "T 1 base 4 signed int\n"
        "T 3 struct 16 list generic=@a gargs=struct_conn\nF data 0 4\nF next 8 6\n"
        "T 4 ptr 7 tparam=@a\nT 7 void\n"
        "T 5 struct 16 list generic=@a gargs=@a\nF data 0 4\nF next 8 6\nT 6 ptr 5\n"
        "T 8 ptr 3\n"
        "T 9 struct 16 list generic=@a gargs=int\nF data 0 4\nF next 8 6\nT 10 ptr 9\n"
        "T 11 ptr 2\n"
        "V conns 8 0x100 8\nV ints 10 0x108 8\nV one 11 0x110 8\n";
    char old[2048], nv[2048];
    /* conn holds no int: an int * could otherwise point into a rebuilt conn. */
    snprintf(old, sizeof old, "%sT 2 struct 2 conn\nF fd 0 13\nT 13 base 2 signed short\n",
             common);
    snprintf(nv, sizeof nv, "%sT 2 struct 8 conn\nF fd 0 12\nT 12 base 8 signed long\n",
             common);
    struct fixture f;
    setup(&f, "generics", old, nv);
    if (f.ndiags)
        dump_diags(&f);
    EXPECT(f.ndiags == 0);
    EXPECT(mode_of(&f, "struct list", "@a=struct_conn") == PLAN_FIX);
    EXPECT(mode_of(&f, "struct list", "@a=int") == PLAN_CLEAN);
    EXPECT(mode_of(&f, "struct conn", NULL) == PLAN_REBUILD);
    teardown(&f);
    /* A use without E_G leaves the parameter unbound: reported. */
    setup(&f, "unbound parameter",
          "T 1 struct 16 list generic=@a\nF data 0 2\nF next 8 4\nT 2 ptr 3 tparam=@a\n"
          "T 3 void\nT 4 ptr 1\nV l 4 0x100 8\n",
          "T 1 struct 16 list generic=@a\nF data 0 2\nF next 8 4\nT 2 ptr 3 tparam=@a\n"
          "T 3 void\nT 4 ptr 1\nV l 4 0x100 8\n");
    EXPECT(f.ndiags == 1);
    teardown(&f);
}

/* &pts[3] (a struct pt *) and &pts[3].x (an int * to its first member in the old
 * layout) start at the same old address but land on different new ones. */
static void translate(void)
{
    struct fixture f;
    setup(&f, "translate",
          "T 1 base 4 signed int\nT 2 struct 8 pt\nF x 0 1\nF y 4 1\nT 3 array 2 5\n"
          "T 4 ptr 2\nT 5 ptr 1\nV pts 3 0x100 40\nV p 4 0x200 8\nV q 5 0x208 8\n",
          "T 1 base 4 signed int\nT 6 base 8 signed long\n"
          "T 2 struct 16 pt\nF y 0 6\nF x 8 1\nT 3 array 2 5\n"
          "T 4 ptr 2\nT 5 ptr 1\nV pts 3 0x100 80\nV p 4 0x200 8\nV q 5 0x208 8\n");
    EXPECT(f.ndiags == 0);
    const struct plan *pts = f.ctx.vars[0].plan, *pt = find(&f, "struct pt", NULL);
    for (int i = 0; i < f.ctx.nvars; i++)
        if (strcmp(f.new_.vars[f.ctx.vars[i].new_var].key, "pts") == 0)
            pts = f.ctx.vars[i].plan;
    const struct plan *in = find(&f, "int", NULL);
    EXPECT(pt && in);
    if (pt && in) {
        EXPECT(plan_translate_offset_to(pts, 24, pt) == 48);      /* &pts[3] */
        EXPECT(plan_translate_offset_to(pts, 24, in) == 56);      /* &pts[3].x */
        EXPECT(plan_translate_offset_to(pts, 28, in) == 48);      /* &pts[3].y */
        EXPECT(plan_translate_offset_to(pt, 0, NULL) == 0);       /* void * to the start */
    }
    teardown(&f);
}

/* T items[]: fine while nothing moves, reported once it would lose the elements. */
static void flexible_arrays(void)
{
    const char *old = "T 1 base 4 signed int\nT 2 array 1 -\n"
                      "T 3 struct 4 msg\nF n 0 1\nF items 4 2\nT 4 ptr 3\nV m 4 0x100 8\n";
    struct fixture f;
    setup(&f, "unknown length, nothing to do", old, old);
    EXPECT(f.ndiags == 0);
    EXPECT(mode_of(&f, "struct msg", NULL) == PLAN_CLEAN);
    teardown(&f);
    setup(&f, "unknown length, header changed", old,
          "T 1 base 4 signed int\nT 2 array 1 -\nT 5 base 8 signed long\n"
          "T 3 struct 8 msg\nF n 0 5\nF items 8 2\nT 4 ptr 3\nV m 4 0x100 8\n");
    EXPECT(f.ndiags == 1);
    teardown(&f);
    setup(&f, "E_ARRAY(self.n), header changed",
          "T 1 base 4 signed int\nT 2 array 1 - len=self.n\n"
          "T 3 struct 4 msg\nF n 0 1\nF items 4 2\nT 4 ptr 3\nV m 4 0x100 8\n",
          "T 1 base 4 signed int\nT 2 array 1 - len=self.n\nT 5 base 8 signed long\n"
          "T 3 struct 8 msg\nF n 0 5\nF items 8 2\nT 4 ptr 3\nV m 4 0x100 8\n");
    EXPECT(f.ndiags == 0);
    struct plan *p = find(&f, "struct msg", NULL);
    EXPECT(p && p->mode == PLAN_REBUILD && p->flex_op >= 0);
    if (p)
        EXPECT(plan_translate_offset_to(p, 4 + 3 * 4, NULL) == 8 + 3 * 4); /* &items[3] */
    teardown(&f);
}

static int has_diag(struct fixture *f, const char *path, const char *stub)
{
    for (int i = 0; i < f->ctx.ndiags; i++)
        if (strcmp(f->ctx.diags[i].path, path) == 0)
            return !stub || (f->ctx.diags[i].stub && strcmp(f->ctx.diags[i].stub, stub) == 0);
    return 0;
}

/* State that has no counterpart is an error unless a rule drops it; a likely rename
 * (same type, same scope) is suggested as the rename rule. */
static void dropped_state(void)
{
    const char *old = "T 1 base 4 signed int\nT 2 base 8 signed long\n"
                      "T 3 struct 16 entry\nF key 0 1\nF val 4 1\nF extra 8 2\n"
                      "V sessions 1 0x100 4\nV hits 2 0x108 8\nV limit 1 0x110 4 const\n"
                      "V scratch 1 0x114 4 manual\nV a.c/table 3 0x120 16\n"
                      "V cur 3 0x140 16\n";
    const char *nv = "T 1 base 4 signed int\nT 2 base 8 signed long\n"
                     "T 3 struct 8 entry\nF key 0 1\nF value 4 1\n"
                     "V b.c/total 2 0x108 8\nV a.c/tab 3 0x120 8\nV cur 3 0x140 8\n";
    struct fixture f;
    setup(&f, "dropped state, no rules", old, nv);
    EXPECT(has_diag(&f, "sessions", "sessions -> (dropped)"));
    EXPECT(has_diag(&f, "hits", "hits -> (dropped)")); /* total is in another scope */
    EXPECT(has_diag(&f, "a.c/table", "a.c/table -> a.c/tab"));
    EXPECT(!has_diag(&f, "limit", NULL) && !has_diag(&f, "scratch", NULL));
    /* value appears as val vanishes: the rename, not an INIT; extra (a long) just goes */
    EXPECT(has_diag(&f, "struct entry.value", "struct entry.val -> struct entry.value"));
    EXPECT(f.ndiags == 4);
    if (f.ndiags != 4)
        dump_diags(&f);
    teardown(&f);

    struct plan_rule rules[] = {
        {.kind = RULE_DROP, .from = "sessions", .in_rule = -1},
        {.kind = RULE_DROP, .from = "hits", .in_rule = -1},
        {.kind = RULE_VAR, .from = "a.c/table", .to = "a.c/tab", .in_rule = -1},
        {.kind = RULE_DROP, .from = "struct entry", .from_field = "val", .in_rule = -1},
        {.kind = RULE_INIT_FIELD, .to = "struct entry", .to_field = "value", .has_code = 1, .in_rule = -1},
        {.kind = RULE_DROP, .from = "struct entry", .from_field = "extra", .in_rule = -1},
    };
    int n = (int)(sizeof rules / sizeof rules[0]);
    current = "dropped state, said";
    load(&f.old, old);
    load(&f.new_, nv);
    f.ndiags = plan_build(&f.ctx, &f.old, &f.new_, rules, n);
    EXPECT(f.ndiags == 0);
    if (f.ndiags)
        dump_diags(&f);
    for (int i = 0; i < n; i++)
        EXPECT(rules[i].used);
    teardown(&f);

    current = "field INIT without dropping the one that vanished";
    struct plan_rule init_only[] = {
        {.kind = RULE_DROP, .from = "sessions", .in_rule = -1},
        {.kind = RULE_DROP, .from = "hits", .in_rule = -1},
        {.kind = RULE_VAR, .from = "a.c/table", .to = "a.c/tab", .in_rule = -1},
        {.kind = RULE_INIT_FIELD, .to = "struct entry", .to_field = "value", .has_code = 1, .in_rule = -1},
    };
    load(&f.old, old);
    load(&f.new_, nv);
    f.ndiags = plan_build(&f.ctx, &f.old, &f.new_, init_only, 4);
    EXPECT(f.ndiags == 1 && has_diag(&f, "struct entry.val", "struct entry.val -> (dropped)"));
    if (f.ndiags != 1)
        dump_diags(&f);
    teardown(&f);
}

/* A function rename rule: pointers to the old function go to the new one; a rename of
 * a function the old version lacks is reported. */
static void function_renames(void)
{
    const char *old = "T 1 base 4 signed int\nV n 1 0x100 4\nX a.c/hash 0x10 4\nX main 0x20 4\n";
    const char *nv = "T 1 base 4 signed int\nV n 1 0x100 4\nX hash_str 0x10 4\nX main 0x20 4\n";
    struct plan_rule rules[] = {{.kind = RULE_VAR, .from = "a.c/hash", .to = "hash_str"}};
    struct fixture f;
    current = "function rename";
    load(&f.old, old);
    load(&f.new_, nv);
    EXPECT(plan_build(&f.ctx, &f.old, &f.new_, rules, 1) == 0);
    EXPECT(rules[0].used);
    EXPECT(strcmp(plan_func_target(&f.ctx, "a.c/hash"), "hash_str") == 0);
    EXPECT(strcmp(plan_func_target(&f.ctx, "main"), "main") == 0);
    teardown(&f);
    struct plan_rule bad[] = {{.kind = RULE_VAR, .from = "a.c/nosuch", .to = "hash_str"}};
    current = "function rename from nothing";
    load(&f.old, old);
    load(&f.new_, nv);
    EXPECT(plan_build(&f.ctx, &f.old, &f.new_, bad, 1) == 1);
    EXPECT(strcmp(plan_func_target(&f.ctx, "a.c/nosuch"), "a.c/nosuch") == 0);
    teardown(&f);
}

/* $xform(struct list, struct list, closures): the pair planned with the bindings the
 * closures stand for, and found again after plan_build. */
static void xform_with_args(void)
{
    const char *k = "T 1 base 4 signed int\n"
                    "T 3 struct 16 list generic=@a\nF data 0 4\nF next 8 6\n"
                    "T 4 ptr 7 tparam=@a\nT 7 void\n"
                    "T 5 struct 16 list generic=@a gargs=@a\nF data 0 4\nF next 8 6\n"
                    "T 6 ptr 5\nT 9 struct 16 list generic=@a gargs=[opaque]\nF data 0 4\n"
                    "F next 8 6\nT 10 ptr 9\nV l 10 0x100 8\n";
    struct plan_rule rules[] = {
        {.kind = RULE_XFORM, .from = "struct list", .to = "struct list", .gen_args = "int"}};
    struct fixture f;
    current = "$xform with a closure";
    load(&f.old, k);
    load(&f.new_, k);
    int n = plan_build(&f.ctx, &f.old, &f.new_, rules, 1);
    if (n)
        dump_diags(&f);
    EXPECT(n == 0 && rules[0].used);
    struct plan *p = plan_for_names_args(&f.ctx, "struct list", "struct list", "int", NULL);
    EXPECT(p && p->env && strcmp(p->env, "@a=int") == 0);
    EXPECT(plan_for_names_args(&f.ctx, "struct list", "struct list", "@a", "@a=int") == p);
    EXPECT(!plan_for_names_args(&f.ctx, "struct list", "struct list", "[opaque],int", NULL));
    teardown(&f);
}

/* Constant data - const, or found in read-only memory by the runtime (READONLY) - is
 * never migrated, whatever its type became; it is planned, without diagnostics, so
 * that pointers into the old copy land in the new one, also when an array grew. */
static void constant_vars(void)
{
    const char *old = "T 1 base 4 signed int\nT 2 struct 8 cmd\nF id 0 1\nF n 4 1\n"
                      "T 3 array 2 3\nV ctable 3 0x200 24 const\nV table 3 0x100 24\n"
                      "V counter 1 0x300 4\n";
    const char *nv = "T 1 base 4 signed int\nT 2 struct 8 cmd\nF id 0 1\nF n 4 1\n"
                     "T 3 array 2 4\nV ctable 3 0x200 32 const\nV table 3 0x100 32\n"
                     "V counter 1 0x300 4\n";
    struct fixture f;
    current = "constant variables";
    load(&f.old, old);
    load(&f.new_, nv);
    ((struct ktt_var *)ktt_find_var(&f.old, "table"))->flags |= KTT_VAR_READONLY;
    ((struct ktt_var *)ktt_find_var(&f.new_, "table"))->flags |= KTT_VAR_READONLY;
    f.ndiags = plan_build(&f.ctx, &f.old, &f.new_, NULL, 0);
    EXPECT(f.ndiags == 0);
    if (f.ndiags)
        dump_diags(&f);
    EXPECT(f.ctx.nvars == 1); /* counter */
    EXPECT(f.ctx.nconstants == 2);
    for (int i = 0; i < f.ctx.nconstants; i++) {
        const struct plan *p = f.ctx.constants[i].plan;
        EXPECT(p != NULL);
        if (p) {
            EXPECT(plan_translate_offset_to(p, 8, NULL) == 8);          /* &table[1] */
            EXPECT(plan_translate_offset_to(p, 2 * 8 + 4, NULL) == 20); /* &table[2].n */
        }
    }
    /* Read-only memory cannot be filled, even for a variable annotated E_AUTO_MIGRATE. */
    struct ktt_var ro = {.flags = KTT_VAR_READONLY | KTT_VAR_AUTO};
    EXPECT(!plan_var_migrates(&ro) && plan_var_constant(&ro));
    teardown(&f);
}

/* A variable the compiler keeps encoded (clang -O2's flag) pairs only with the same
 * encoding: then its storage is copied; otherwise the update cannot carry it over. */
static void encoded_vars(void)
{
    const char *enc = "T 1 base 1 unsigned kitsune_encoded\nT 2 base 4 signed int\n"
                      "V a.c/ready 1 0x100 1 encoded=00000000000000aa\n";
    const char *other = "T 1 base 1 unsigned kitsune_encoded\nT 2 base 4 signed int\n"
                        "V a.c/ready 1 0x100 1 encoded=00000000000000bb\n";
    const char *plain = "T 1 base 1 unsigned kitsune_encoded\nT 2 base 4 signed int\n"
                        "V a.c/ready 2 0x100 4\n";
    struct fixture f;
    setup(&f, "same encoding", enc, enc);
    EXPECT(f.ndiags == 0 && f.ctx.nvars == 1 && f.ctx.vars[0].old_var == 0);
    teardown(&f);
    setup(&f, "another encoding", enc, other);
    EXPECT(f.ndiags == 1 && has_diag(&f, "a.c/ready", NULL));
    teardown(&f);
    setup(&f, "encoded, then plain", enc, plain);
    EXPECT(f.ndiags == 1 && has_diag(&f, "a.c/ready", NULL));
    teardown(&f);
    setup(&f, "plain, then encoded", plain, enc);
    EXPECT(f.ndiags == 1 && has_diag(&f, "a.c/ready", NULL));
    teardown(&f);
}

/* A field rule that keeps its field's offset and size: planned as usual the object is
 * rebuilt (what points to it needs new addresses); with PLAN_RULES_IN_PLACE (the general
 * engine) it is fixed in place and runs the rule on itself, and a pointer to it needs
 * no new address.  A rule on a field that grows rebuilds the object either way.  Each
 * visited type says why (the update's log). */
static void rules_in_place(void)
{
    const char *k = "T 1 base 4 signed int\nT 7 void\nT 8 ptr 7 opaque\n"
                    "T 2 struct 16 obj\nF ptr 0 8\nF type 8 1\nT 3 ptr 2\n"
                    "T 4 struct 16 entry\nF val 0 3\nF next 8 5\nT 5 ptr 4\n"
                    "T 9 struct 8 dtype\nF hash 0 11\nT 10 func 1 1 1\nT 11 ptr 10\n"
                    "T 12 ptr 9\nT 13 struct 16 dict\nF type 0 12\nF head 8 5\n"
                    "T 14 ptr 13\n"
                    "V table 14 0x100 8\nV a.c/settype 9 0x200 8\n";
    struct plan_rule rules[] = {{.kind = RULE_FIELD, .from = "struct obj", .to = "struct obj",
                                 .from_field = "ptr", .to_field = "ptr", .has_code = 1}};
    struct fixture f;
    current = "field rule, rebuilt";
    load(&f.old, k);
    load(&f.new_, k);
    f.ndiags = plan_build(&f.ctx, &f.old, &f.new_, rules, 1);
    EXPECT(f.ndiags == 0 && rules[0].used);
    EXPECT(mode_of(&f, "struct obj", NULL) == PLAN_REBUILD);
    struct plan *e = find(&f, "struct entry", NULL);
    EXPECT(e && e->ops[0].kind == OP_PTR && (e->ops[0].ptr_flags & PTR_MAY_INTERIOR));
    teardown(&f);

    current = "field rule, in place";
    load(&f.old, k);
    load(&f.new_, k);
    f.ndiags = plan_build_flags(&f.ctx, &f.old, &f.new_, rules, 1, PLAN_RULES_IN_PLACE);
    EXPECT(f.ndiags == 0);
    struct plan *o = find(&f, "struct obj", NULL);
    EXPECT(o && o->mode == PLAN_FIX && o->same_layout && o->in_place_rules);
    e = find(&f, "struct entry", NULL);
    EXPECT(e && e->mode == PLAN_FIX && e->ops[0].kind == OP_PTR &&
           !(e->ops[0].ptr_flags & PTR_MAY_INTERIOR));
    char *why = o ? plan_why_visited(&f.ctx, o) : NULL;
    EXPECT(why && strstr(why, "field rule on") && strstr(why, "(ptr)"));
    free(why);
    struct plan *d = find(&f, "struct dict", NULL);
    why = d ? plan_why_visited(&f.ctx, d) : NULL;
    EXPECT(why && strstr(why, "holds struct dtype * (type)") && strstr(why, "static data"));
    free(why);
    /* visited without a map entry: fixed in place, met only through its start */
    EXPECT(o && o->light && e && e->light);
    teardown(&f);

    /* the same objects also reached as an array: their rules would run twice */
    char arrays[2048];
    snprintf(arrays, sizeof arrays, "%sT 15 ptr 2 ptrarray=4\nV objs 15 0x300 8\n", k);
    current = "field rule in place, objects also in an array";
    load(&f.old, arrays);
    load(&f.new_, arrays);
    f.ndiags = plan_build_flags(&f.ctx, &f.old, &f.new_, rules, 1, PLAN_RULES_IN_PLACE);
    EXPECT(f.ndiags == 0);
    o = find(&f, "struct obj", NULL);
    EXPECT(o && o->mode == PLAN_FIX && !o->light);
    teardown(&f);

    /* the rule's field becomes a long: the layout changes */
    const char *grown = "T 1 base 4 signed int\nT 6 base 8 signed long\nT 7 void\n"
                        "T 8 ptr 7 opaque\n"
                        "T 2 struct 16 obj\nF ptr 0 8\nF type 8 6\nT 3 ptr 2\n"
                        "T 4 struct 16 entry\nF val 0 3\nF next 8 5\nT 5 ptr 4\n"
                        "V head 5 0x100 8\n";
    const char *before = "T 1 base 4 signed int\nT 7 void\nT 8 ptr 7 opaque\n"
                         "T 2 struct 16 obj\nF ptr 0 8\nF type 8 1\nT 3 ptr 2\n"
                         "T 4 struct 16 entry\nF val 0 3\nF next 8 5\nT 5 ptr 4\n"
                         "V head 5 0x100 8\n";
    struct plan_rule on_type[] = {{.kind = RULE_FIELD, .from = "struct obj",
                                   .to = "struct obj", .from_field = "type",
                                   .to_field = "type", .has_code = 1}};
    current = "field rule on a field that grows";
    load(&f.old, before);
    load(&f.new_, grown);
    f.ndiags = plan_build_flags(&f.ctx, &f.old, &f.new_, on_type, 1, PLAN_RULES_IN_PLACE);
    EXPECT(f.ndiags == 0);
    EXPECT(mode_of(&f, "struct obj", NULL) == PLAN_REBUILD);
    teardown(&f);
}

/* A field rule whose code only dispatches (xfgen's dispatch.c describes it): on
 * obj.type, 0 copies ptr, 1 invokes $xform on a list, anything else keeps it.  When
 * the list's plan is clean the rule changes nothing and is pruned, so are the objects
 * and the entries leading to them; when the list holds a function pointer, objects
 * stay visited, but the engine may leave those whose type picks a clean branch alone.
 * Only for rules that run in place (the forwarding engine's plans rebuild them). */
static void dispatching_rules(void)
{
    const char *base = "T 1 base 4 signed int\nT 7 void\nT 8 ptr 7 opaque\n"
                       "T 2 struct 16 obj\nF ptr 0 8\nF type 8 1\nT 3 ptr 2\n"
                       "T 4 struct 16 entry\nF val 0 3\nF next 8 5\nT 5 ptr 4\n"
                       "T 9 struct 8 dtype\nF hash 0 11\nT 10 func 1 1 1\nT 11 ptr 10\n"
                       "T 12 ptr 9\nT 13 struct 16 dict\nF type 0 12\nF head 8 5\n"
                       "T 14 ptr 13\nT 15 struct 16 list\nF len 0 1\nF next 8 16\n"
                       "T 16 ptr 15\nT 17 struct 16 flist\nF len 0 1\nF free 8 11\n"
                       "V table 14 0x100 8\nV a.c/settype 9 0x200 8\n";
    long long values[] = {0, 1};
    int to_list[] = {DISPATCH_COPY, 1}, to_flist[] = {DISPATCH_COPY, 2};
    struct plan_dispatch clean = {.field = "type", .n = 2, .value = values,
                                  .action = to_list, .other = DISPATCH_KEEP};
    struct plan_dispatch fixing = {.field = "type", .n = 2, .value = values,
                                   .action = to_flist, .other = DISPATCH_KEEP};
    struct plan_dispatch untold = {.field = NULL, .n = 2, .value = values,
                                   .action = to_flist, .other = DISPATCH_COPY};
    struct plan_rule rules[] = {
        {.kind = RULE_FIELD, .from = "struct obj", .to = "struct obj", .from_field = "ptr",
         .to_field = "ptr", .has_code = 1, .dispatch = &clean},
        {.kind = RULE_XFORM, .from = "struct list", .to = "struct list"},
        {.kind = RULE_XFORM, .from = "struct flist", .to = "struct flist"}};
    struct fixture f;

    current = "dispatching rule, clean branches";
    load(&f.old, base);
    load(&f.new_, base);
    f.ndiags = plan_build_flags(&f.ctx, &f.old, &f.new_, rules, 3, PLAN_RULES_IN_PLACE);
    EXPECT(f.ndiags == 0 && rules[0].used);
    EXPECT(mode_of(&f, "struct obj", NULL) == PLAN_CLEAN);
    EXPECT(mode_of(&f, "struct entry", NULL) == PLAN_CLEAN);
    struct plan *d = find(&f, "struct dict", NULL);
    EXPECT(d && d->mode == PLAN_FIX); /* its type points into static data */
    struct plan *o = find(&f, "struct obj", NULL);
    EXPECT(o && !o->in_place_rules && o->tag_op < 0);
    teardown(&f);

    current = "dispatching rule, without in-place rules";
    load(&f.old, base);
    load(&f.new_, base);
    f.ndiags = plan_build_flags(&f.ctx, &f.old, &f.new_, rules, 3, 0);
    EXPECT(f.ndiags == 0 && mode_of(&f, "struct obj", NULL) == PLAN_REBUILD);
    struct plan *re = find(&f, "struct entry", NULL); /* points to rebuilt objects */
    EXPECT(re && re->mode == PLAN_FIX && !re->one_pass);
    teardown(&f);

    current = "dispatching rule, one branch holds a function pointer";
    rules[0].dispatch = &fixing;
    load(&f.old, base);
    load(&f.new_, base);
    f.ndiags = plan_build_flags(&f.ctx, &f.old, &f.new_, rules, 3, PLAN_RULES_IN_PLACE);
    EXPECT(f.ndiags == 0);
    o = find(&f, "struct obj", NULL);
    EXPECT(o && o->mode == PLAN_FIX && o->light && o->in_place_rules && o->tag_op >= 0);
    EXPECT(mode_of(&f, "struct entry", NULL) == PLAN_FIX);
    EXPECT(mode_of(&f, "struct flist", NULL) == PLAN_FIX);
    /* fixed when first read (one pass): entries and lists need no new address of
     * another object; the objects run their rule */
    struct plan *e = find(&f, "struct entry", NULL), *fl = find(&f, "struct flist", NULL);
    EXPECT(e && e->one_pass && fl && fl->one_pass && o && !o->one_pass);
    if (o && o->tag_op >= 0) {
        struct { void *ptr; int type, pad; } obj = {NULL, 0, 0};
        EXPECT(plan_dispatch_skips(o, &obj));  /* 0: copy */
        obj.type = 1;
        EXPECT(!plan_dispatch_skips(o, &obj)); /* 1: the flist is visited */
        obj.type = 7;
        EXPECT(plan_dispatch_skips(o, &obj));  /* any other: kept */
        char *why = plan_why_visited(&f.ctx, o);
        EXPECT(strstr(why, "dispatches on type") && strstr(why, "when it is 1") &&
               strstr(why, "struct flist: visited") && !strstr(why, "when it is 0"));
        free(why);
    }
    teardown(&f);

    current = "dispatching rule, branch not known to the engine";
    rules[0].dispatch = &untold;
    load(&f.old, base);
    load(&f.new_, base);
    f.ndiags = plan_build_flags(&f.ctx, &f.old, &f.new_, rules, 3, PLAN_RULES_IN_PLACE);
    o = find(&f, "struct obj", NULL);
    EXPECT(f.ndiags == 0 && o && o->mode == PLAN_FIX && o->tag_op < 0);
    teardown(&f);

    /* -1 against an int is a value it holds; against an unsigned member C would convert
     * it: the engine does not read the member then */
    current = "dispatching rule, a constant the member cannot hold";
    long long minus[] = {-1, 1};
    struct plan_dispatch negative = {.field = "type", .n = 2, .value = minus,
                                     .action = to_flist, .other = DISPATCH_KEEP};
    rules[0].dispatch = &negative;
    load(&f.old, base);
    load(&f.new_, base);
    f.ndiags = plan_build_flags(&f.ctx, &f.old, &f.new_, rules, 3, PLAN_RULES_IN_PLACE);
    o = find(&f, "struct obj", NULL);
    EXPECT(f.ndiags == 0 && o && o->mode == PLAN_FIX && o->tag_op >= 0);
    teardown(&f);
    char unsig[2048];
    const char *ty = strstr(base, "F type 8 1\n");
    snprintf(unsig, sizeof unsig, "T 18 base 4 unsigned unsigned_int\n%.*sF type 8 18\n%s",
             (int)(ty - base), base, ty + strlen("F type 8 1\n"));
    load(&f.old, unsig);
    load(&f.new_, unsig);
    f.ndiags = plan_build_flags(&f.ctx, &f.old, &f.new_, rules, 3, PLAN_RULES_IN_PLACE);
    o = find(&f, "struct obj", NULL);
    EXPECT(f.ndiags == 0 && o && o->mode == PLAN_FIX && o->tag_op < 0);
    teardown(&f);

    current = "dispatching rule to a type met in static data";
    char statics[2048];
    snprintf(statics, sizeof statics, "%sV a.c/empty 15 0x300 16\n", base);
    rules[0].dispatch = &clean;
    load(&f.old, statics);
    load(&f.new_, statics);
    f.ndiags = plan_build_flags(&f.ctx, &f.old, &f.new_, rules, 3, PLAN_RULES_IN_PLACE);
    EXPECT(f.ndiags == 0 && mode_of(&f, "struct obj", NULL) == PLAN_FIX);
    teardown(&f);

    /* an object in a variable gets new storage: a branch writing nothing is no copy */
    current = "dispatching rule on a type held in a variable";
    char held[2048];
    snprintf(held, sizeof held, "%sV a.c/one 2 0x400 16\n", base);
    load(&f.old, held);
    load(&f.new_, held);
    f.ndiags = plan_build_flags(&f.ctx, &f.old, &f.new_, rules, 3, PLAN_RULES_IN_PLACE);
    EXPECT(f.ndiags == 0 && mode_of(&f, "struct obj", NULL) == PLAN_FIX);
    teardown(&f);

    current = "dispatch table text";
    char text[200];
    struct plan_dispatch *back = NULL;
    EXPECT(plan_dispatch_format(&fixing, text, sizeof text) == 0 &&
           strcmp(text, "type keep 0=copy,1=2") == 0);
    back = plan_dispatch_parse("type", "keep", "0=copy,1=2");
    EXPECT(back && back->n == 2 && back->value[1] == 1 && back->action[0] == DISPATCH_COPY &&
           back->action[1] == 2 && back->other == DISPATCH_KEEP &&
           strcmp(back->field, "type") == 0);
    plan_dispatch_free(back);
    back = plan_dispatch_parse("-", "copy", "-");
    EXPECT(back && back->n == 0 && !back->field && back->other == DISPATCH_COPY);
    plan_dispatch_free(back);
    EXPECT(!plan_dispatch_parse("type", "copy", "0=copy,1"));
    EXPECT(!plan_dispatch_parse("type", "maybe", "-"));
    EXPECT(!plan_dispatch_parse("type", "copy", "x=copy"));
}

/* ---- names and generic environments of any length ---- */

/* A C identifier of n characters starting with `first`. */
static char *long_name(char first, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        exit(1);
    for (size_t i = 0; i < n; i++)
        s[i] = i == 0 ? first : (char)('a' + i % 26);
    s[n] = '\0';
    return s;
}

static int count_plans(struct fixture *f, const char *name)
{
    int n = 0;
    for (struct plan *p = f->ctx.plans; p; p = p->next) {
        char *spelled = ktt_type_name_alloc(&f->old, p->old_type);
        n += !p->ptrs && strcmp(spelled, name) == 0;
        free(spelled);
    }
    return n;
}

/* A struct, a field and a variable named with 500 characters: rules name them whole,
 * diagnostics and stubs spell them whole. */
static void long_names(void)
{
    char *tn = long_name('t', 500), *fn = long_name('f', 500), *gn = long_name('g', 500);
    char *vn = long_name('v', 500);
    char *type = fmt("struct %s", tn), *gpath = fmt("struct %s.%s", tn, gn);
    char *old = fmt("T 1 base 4 signed int\nT 2 struct 4 %s @ a.c:1\nF %s 0 1\n"
                    "T 3 ptr 2\nV v 3 0x100 8\nV %s 1 0x108 4\n", tn, fn, vn);
    char *nv = fmt("T 1 base 4 signed int\nT 4 base 8 signed long\n"
                   "T 2 struct 16 %s @ a.c:1\nF %s 0 4\nF %s 8 1\nT 3 ptr 2\n"
                   "V v 3 0x100 8\n", tn, fn, gn);
    struct fixture f;
    setup(&f, "500-character names, no rules", old, nv);
    char *stub = fmt("INIT %s: { $out = 0; }", gpath), *drop = fmt("%s -> (dropped)", vn);
    EXPECT(f.ndiags == 2);
    EXPECT(has_diag(&f, gpath, stub));
    EXPECT(has_diag(&f, vn, drop));
    teardown(&f);

    struct plan_rule rules[] = {
        {.kind = RULE_INIT_FIELD, .to = type, .to_field = gn, .has_code = 1},
        {.kind = RULE_DROP, .from = vn},
        {.kind = RULE_XFORM, .from = type, .to = type}};
    current = "500-character names, rules";
    load(&f.old, old);
    load(&f.new_, nv);
    f.ndiags = plan_build(&f.ctx, &f.old, &f.new_, rules, 3);
    if (f.ndiags)
        dump_diags(&f);
    EXPECT(f.ndiags == 0 && rules[0].used && rules[1].used);
    EXPECT(mode_of(&f, type, NULL) == PLAN_REBUILD);
    struct plan *p = plan_for_names(&f.ctx, type, type);
    EXPECT(p && p == find(&f, type, NULL));
    teardown(&f);

    struct plan_rule by_type[] = {{.kind = RULE_TYPE, .from = type, .to = type, .has_code = 1},
                                  {.kind = RULE_DROP, .from = vn}};
    current = "500-character names, type rule";
    load(&f.old, old);
    load(&f.new_, nv);
    f.ndiags = plan_build(&f.ctx, &f.old, &f.new_, by_type, 2);
    EXPECT(f.ndiags == 0 && by_type[0].used);
    p = find(&f, type, NULL);
    EXPECT(p && p->type_rule == 0);
    teardown(&f);
    free(old);
    free(nv);

    /* a generic argument naming the long struct */
    const char *list = "T 1 base 4 signed int\n"
                       "T 3 struct 16 list generic=@a gargs=struct_%s\nF data 0 4\nF next 8 6\n"
                       "T 4 ptr 7 tparam=@a\nT 7 void\n"
                       "T 5 struct 16 list generic=@a gargs=@a\nF data 0 4\nF next 8 6\n"
                       "T 6 ptr 5\nT 8 ptr 3\nV conns 8 0x100 8\n"
                       "T 2 struct %d %s\nF fd 0 %d\nT 12 base 8 signed long\n"
                       "T 13 base 2 signed short\n";
    old = fmt(list, tn, 2, tn, 13);
    nv = fmt(list, tn, 8, tn, 12);
    setup(&f, "500-character generic argument", old, nv);
    if (f.ndiags)
        dump_diags(&f);
    char *env = fmt("@a=struct_%s", tn);
    EXPECT(f.ndiags == 0);
    EXPECT(mode_of(&f, "struct list", env) == PLAN_FIX);
    EXPECT(mode_of(&f, type, NULL) == PLAN_REBUILD);
    teardown(&f);
    free(old);
    free(nv);
    free(env);
    free(stub);
    free(drop);
    free(type);
    free(gpath);
    free(tn);
    free(fn);
    free(gn);
    free(vn);
}

/* struct box<struct box<...<int>...>>, 20 boxes deep: each level is planned with its
 * own environment, down to @a=int. */
static void nested_generics(void)
{
    enum { DEPTH = 20 };
    char *arg = fmt("int");
    for (int i = 1; i < DEPTH; i++) {
        char *outer = fmt("struct_box<%s>", arg);
        free(arg);
        arg = outer;
    }
    const char *k = "T 1 base 4 signed int\nT 7 void\nT 4 ptr 7 tparam=@a\n"
                    "T 2 struct 16 box generic=@a\nF v 0 4\nF n 8 %d\n"
                    "T 3 struct 16 box generic=@a gargs=%s\nF v 0 4\nF n 8 %d\n"
                    "T 5 ptr 3\nT 6 base 8 signed long\nV b 5 0x100 8\n";
    char *old = fmt(k, 1, arg, 1), *nv = fmt(k, 6, arg, 6);
    struct fixture f;
    setup(&f, "generic nested 20 deep", old, nv);
    if (f.ndiags)
        dump_diags(&f);
    EXPECT(f.ndiags == 0);
    EXPECT(count_plans(&f, "struct box") == DEPTH);
    char *env = fmt("@a=%s", arg);
    EXPECT(mode_of(&f, "struct box", env) == PLAN_REBUILD);
    EXPECT(mode_of(&f, "struct box", "@a=int") == PLAN_REBUILD);
    teardown(&f);
    free(env);
    free(old);
    free(nv);
    free(arg);
}

/* ---- whether the forwarding engine may run the update (plan_eligible.c) ---- */

/* Plans old -> nv with rules and flags; the engine's verdict must be `reason` (a part
 * of the refusal), or eligible when reason is NULL. */
static void check_eligible(const char *name, const char *old, const char *nv,
                           struct plan_rule *rules, int nrules, unsigned flags,
                           const char *reason)
{
    struct fixture f;
    current = name;
    load(&f.old, old);
    load(&f.new_, nv);
    plan_build_flags(&f.ctx, &f.old, &f.new_, rules, nrules, flags);
    char *why = (char *)"unset";
    int ok = plan_fast_eligible(&f.ctx, rules, nrules, &why);
    if (reason) {
        EXPECT(!ok && why && strstr(why, reason));
        if (why && !strstr(why, reason))
            fprintf(stderr, "  refused: %s\n", why);
    } else {
        EXPECT(ok && !why);
        if (why)
            fprintf(stderr, "  refused: %s\n", why);
    }
    if (why && strcmp(why, "unset") != 0)
        free(why);
    teardown(&f);
}

static void fast_eligibility(void)
{
    const char *node2 = "T 1 base 8 signed long\n"
                        "T 2 struct 16 node\nF v 0 1\nF next 8 3\n"
                        "T 3 ptr 2\n"
                        "V head 3 0x100 8\n";
    check_eligible("eligible: a list rebuilt through pointers to its nodes", NODE_V1, node2,
                   NULL, 0, 0, NULL);
    check_eligible("eligible: nothing changes", NODE_V1, NODE_V1, NULL, 0, 0, NULL);

    struct plan_rule gen[] = {{.kind = RULE_GEN}};
    check_eligible("refused: $gen", NODE_V1, node2, gen, 1, 0, "with $gen");

    const char *opt = "T 1 base %d signed int\n"
                      "T 2 struct 16 node optional=next\nF v 0 1\nF next 8 3\n"
                      "T 3 ptr 2\nV head 3 0x100 8\n";
    char *o1 = fmt(opt, 4), *o2 = fmt(opt, 8);
    check_eligible("refused: allocated short", o1, o2, NULL, 0, 0,
                   "objects of node may be allocated short (E_OPTIONAL)");
    free(o1);
    free(o2);

    const char *held = "T 1 base 4 signed int\nT 6 base 8 signed long\n"
                       "T 4 struct 8 timer held=mytimers\nF x 0 1\n"
                       "T 2 struct 16 job\nF t 0 4\nF n 8 %d\nT 3 ptr 2\nV j 3 0x100 8\n";
    char *h1 = fmt(held, 1), *h2 = fmt(held, 6);
    check_eligible("refused: rebuilt where they are", h1, h2, NULL, 0, 0,
                   "objects of job are rebuilt where they are (a library holds them)");
    free(h1);
    free(h2);

    const char *in_place = "T 1 base 4 signed int\nT 7 void\nT 8 ptr 7 opaque\n"
                           "T 2 struct 16 obj\nF ptr 0 8\nF type 8 1\nT 3 ptr 2\n"
                           "T 4 struct 16 entry\nF val 0 3\nF next 8 5\nT 5 ptr 4\n"
                           "V table 5 0x100 8\n";
    struct plan_rule field[] = {{.kind = RULE_FIELD, .from = "struct obj", .to = "struct obj",
                                 .from_field = "ptr", .to_field = "ptr", .has_code = 1}};
    check_eligible("refused: a value converted in place", in_place, in_place, field, 1,
                   PLAN_RULES_IN_PLACE,
                   "struct obj is fixed in place but a value in it is converted");

    const char *by_size = "T 1 base 4 signed int\nT 7 void\n"
                          "T 5 ptr 7 candidates=struct_a,struct_b\n"
                          "T 8 struct 8 a\nF x 0 1\nT 9 struct 64 b\nF y 0 1\n"
                          "T 2 struct 16 box\nF data 0 5\nF n 8 1\nT 3 ptr 2\n"
                          "V b 3 0x100 8\n";
    check_eligible("refused: a void * decided by size", by_size, by_size, NULL, 0, 0,
                   "struct box.data is a void * whose objects' type is decided one by one, "
                   "by allocation size");

    const char *by_tag = "T 1 base 4 signed int\nT 7 void\nT 5 ptr 7\n"
                         "T 8 struct 8 a\nF x 0 1\nT 9 struct 8 b\nF y 0 1\n"
                         "T 2 struct 16 box\nF data 0 5\nF kind 8 1\nT 3 ptr 2\n"
                         "V b 3 0x100 8\n";
    struct plan_rule tag[] = {{.kind = RULE_TAG, .from = "struct box", .from_field = "data",
                               .to = "struct box", .to_field = "data", .in_rule = -1,
                               .tag = "kind", .cases = "1=struct_a;2=struct_b"}};
    check_eligible("refused: a void * decided by a SWITCH", by_tag, by_tag, tag, 1, 0,
                   "struct box.data is a void * whose objects' type is decided one by one, "
                   "by a SWITCH on a tag field");

    const char *untyped = "T 1 base %d signed int\nT 7 void\nT 5 ptr 7\n"
                          "T 2 struct 16 box\nF data 0 5\nF n 8 1\nT 3 ptr 2\n"
                          "V b 3 0x100 8\n";
    char *u1 = fmt(untyped, 4), *u2 = fmt(untyped, 8);
    check_eligible("refused: an untyped pointer", u1, u2, NULL, 0, 0,
                   "an untyped pointer in struct box");
    free(u1);
    free(u2);

    const char *slot = "T 1 base 4 signed int\n"
                       "T 3 struct 16 list generic=@a gargs=struct_conn*\nF data 0 4\n"
                       "F next 8 6\nT 4 ptr 7 tparam=@a\nT 7 void\n"
                       "T 5 struct 16 list generic=@a gargs=@a\nF data 0 4\nF next 8 6\n"
                       "T 6 ptr 5\nT 8 ptr 3\nV conns 8 0x100 8\n"
                       "T 2 struct 4 conn\nF fd 0 1\n";
    check_eligible("refused: a pointer to a generic pointer slot", slot, slot, NULL, 0, 0,
                   "a pointer in struct list points to a generic pointer slot");

    struct plan_rule passes[] = {
        {.kind = RULE_TYPE, .from = "struct other", .to = "struct other", .has_code = 1},
        {.kind = RULE_XFORM, .from = "struct node", .to = "struct node", .gen_args = "@a",
         .in_rule = 0}};
    check_eligible("refused: $xform passes a parameter on", NODE_V1, node2, passes, 2, 0,
                   "$xform(struct node, struct node) passes a generic parameter on");

    const char *nest = "T 1 base 4 signed int\nT 6 base 8 signed long\n"
                       "T 2 struct %d inner\nF v 0 %d\nT 3 ptr 2\n"
                       "T 4 struct %d outer\nF in 0 2\nF k %d 1\nT 5 ptr 4\n"
                       "V a 3 0x100 8\nV b 5 0x108 8\n";
    char *n1 = fmt(nest, 4, 1, 8, 4), *n2 = fmt(nest, 8, 6, 16, 8);
    check_eligible("refused: reached by pointer and held inline", n1, n2, NULL, 0, 0,
                   "objects of type struct inner are reached by pointer and also held "
                   "inside other heap objects that are transformed");
    free(n1);
    free(n2);

    const char *arr = "T 1 base 4 signed int\nT 6 base 8 signed long\n"
                      "T 2 struct %d inner\nF v 0 %d\nT 3 ptr 2\nT 4 ptr 2 ptrarray=4\n"
                      "V a 3 0x100 8\nV b 4 0x108 8\n";
    char *a1 = fmt(arr, 4, 1), *a2 = fmt(arr, 8, 6);
    check_eligible("refused: reached by pointer and as array elements", a1, a2, NULL, 0, 0,
                   "objects of type struct inner are reached by pointer and also as "
                   "elements of arrays");
    free(a1);
    free(a2);

    /* the reason names a type of 500 characters whole */
    char *tn = long_name('t', 500);
    char *l1 = fmt("T 1 base 4 signed int\nT 2 struct 4 %s\nF v 0 1\nT 3 ptr 2\n"
                   "T 4 ptr 2 ptrarray=4\nV a 3 0x100 8\nV b 4 0x108 8\n", tn);
    char *l2 = fmt("T 1 base 8 signed long\nT 2 struct 8 %s\nF v 0 1\nT 3 ptr 2\n"
                   "T 4 ptr 2 ptrarray=4\nV a 3 0x100 8\nV b 4 0x108 8\n", tn);
    char *reason = fmt("objects of type struct %s are reached by pointer", tn);
    check_eligible("refused: a 500-character name in the reason", l1, l2, NULL, 0, 0,
                   reason);
    free(reason);
    free(l1);
    free(l2);
    free(tn);
}

/* The planner ran out of memory (plan.h): the test stops with a message. */
void plan_out_of_memory(void)
{
    fputs("test_plan: out of memory\n", stderr);
    exit(1);
}

int main(void)
{
    unchanged_list();
    changed_list();
    must_visit();
    strings();
    bitfields();
    enums();
    type_chain();
    generics();
    translate();
    flexible_arrays();
    dropped_state();
    function_renames();
    xform_with_args();
    constant_vars();
    encoded_vars();
    rules_in_place();
    dispatching_rules();
    long_names();
    nested_generics();
    fast_eligibility();
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    else
        printf("planner: all checks passed\n");
    return failures != 0;
}
