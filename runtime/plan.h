/* plan.h - how to turn an object of an old type into an object of its new type.
 *
 * The planner compares two type summaries and produces, for each pair of types met
 * from the migrated variables, a plan: a list of operations over the bytes of one
 * object.  The same planner runs in xfgen (to report what it cannot decide, before
 * anything is built) and in the runtime (to transform state), so both always agree.
 *
 * A plan has a mode:
 *   CLEAN    same layout and nothing inside can need fixing: copy bytes, or nothing
 *            at all for an object that stays where it is;
 *   FIX      same layout, but some pointer inside may need remapping (a function
 *            pointer, a pointer into static data, a pointer to a changed object);
 *   REBUILD  the layout changed: the object is rebuilt in a new allocation.
 *
 * A plan is for a pair of types together with the generic bindings that hold inside
 * them (E_G), so struct list<struct conn> and struct list<int> have plans of their own.
 * Plans reached through pointers are built from a queue, never by recursion. */
#ifndef KITSUNE_PLAN_H
#define KITSUNE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "ktt.h"

enum plan_mode { PLAN_CLEAN, PLAN_FIX, PLAN_REBUILD };

enum op_kind {
    OP_COPY,     /* copy len bytes */
    OP_ZERO,     /* zero len bytes of the new object */
    OP_INT,      /* integer conversion (widen/narrow/sign) */
    OP_BITS,     /* bitfield moved or resized */
    OP_ENUM,     /* enum value mapped by enumerator name */
    OP_SUB,      /* inline struct/union member with its own plan */
    OP_ARRAY,    /* inline array whose elements need a plan */
    OP_PTR,      /* data pointer */
    OP_PTRARRAY, /* pointer to an array of `count` elements */
    OP_FPTR,     /* function pointer */
    OP_RULE,     /* programmer-supplied code (field rule or INIT) */
    OP_FLOAT,    /* floating-point widening (float -> double -> long double) */
};

/* Arrays of unknown length (flexible array members). */
#define FLEX_COUNTED 1 /* length from E_ARRAY: count, or count_off when count < 0 */
#define FLEX_UNKNOWN 2 /* no length: planned as empty */

/* What a data pointer slot must be checked for. */
#define PTR_MAY_STATIC 0x1u   /* may point into the old version's static data */
#define PTR_MAY_INTERIOR 0x2u /* may point into a rebuilt object */

struct plan;
struct plan_dispatch;

struct plan_op {
    enum op_kind kind;
    uint32_t old_off, new_off;
    uint32_t len;            /* COPY/ZERO bytes; INT, FLOAT: old size */
    uint32_t new_len;        /* INT, FLOAT: new size */
    uint8_t old_signed, new_signed;
    uint16_t old_bit, old_bits, new_bit, new_bits; /* BITS (bit offsets within a byte span) */
    unsigned ptr_flags;      /* PTR, PTRARRAY */
    struct plan *sub;        /* SUB, ARRAY (element), PTR/PTRARRAY (target; NULL: void) */
    long count;              /* ARRAY elements; PTRARRAY literal count (-1: from field) */
    uint32_t count_off;      /* PTRARRAY: offset of the count field in the old object */
    uint8_t count_size, count_signed;
    uint32_t old_stride, new_stride; /* ARRAY, PTRARRAY element sizes */
    long long *enum_map;     /* ENUM: pairs old value, new value; n_enum pairs */
    int n_enum;
    int nul_terminated;      /* PTR with sz: an array ended by an all-zero element */
    int flex;                /* ARRAY of unknown length (T items[]): FLEX_* */
    char *path;              /* FLEX_UNKNOWN: the member, for a late diagnostic */
    int rule;                /* RULE: index into the rule table */
    struct plan **alts;      /* PTR to void holding several types (candidates=): each
                                one's plan, chosen per object by the usable size of its
                                allocation (runtime/bysize.c); sub is NULL */
    size_t *alt_sizes;       /* the usable size of an allocation of each (glibc) */
    int nalts;
    struct plan_dispatched *dispatched; /* RULE whose code only dispatches (plan_dispatch.c),
                                           running in place; NULL otherwise */
    /* A void * decided by a tag field (SWITCH, tag_len > 0): alts[i] (NULL: kept as it
     * is) when the old object's tag at tag_off holds tag_vals[i]; tag_default: the alt
     * of any other value, or -1 (the update fails); runtime/bytag.c. */
    uint32_t tag_off;
    uint8_t tag_len, tag_signed;
    uint16_t tag_bit, tag_bits; /* a bitfield tag: bits at bit tag_bit of tag_len bytes */
    long long *tag_vals;
    int tag_default;
    const char *tag_name;    /* the tag's field path, for messages (owned) */
};

/* The usable size glibc's malloc gives a request of n bytes (its chunk, less the size
 * word): what tells the candidate types of a void * apart at the update. */
static inline size_t plan_usable_size(size_t n)
{
    size_t chunk = (n + 8 + 15) & ~(size_t)15;
    return (chunk < 32 ? 32 : chunk) - 8;
}

/* Rules name an anonymous struct or union member `<union at FILE:LINE>` (where its type
 * is declared) or `<m1,m2,...>` (its members' names, in order).  plan_path_seg: the
 * length of the first segment of a dotted field path (a `<...>` segment is whole);
 * plan_anon_named: whether anonymous member f of a type of k is what segment seg (len
 * bytes) names; plan_anon_name: the first form, for diagnostics (a new allocation). */
size_t plan_path_seg(const char *path);
int plan_anon_named(const struct ktt *k, const struct ktt_field *f, const char *seg,
                    size_t len);
char *plan_anon_name(const struct ktt *k, const struct ktt_field *f);

struct plan {
    int old_type, new_type;  /* indices into the old and new summaries */
    size_t old_size, new_size;
    enum plan_mode mode;
    int same_layout;         /* layout identical: the object may stay where it is */
    int visiting;            /* being built (an inline member may not contain itself) */
    int built;               /* operations filled in */
    const char *env;         /* generic bindings inside ("@a=struct_conn;@b=int"), or NULL */
    int ptrs;                /* > 0: `ptrs` levels of pointer above the types (a generic
                                argument such as struct_conn*), planned as one slot */
    int named_new;           /* the new type as first reached (a typedef), or -1 */
    char *path;              /* where it was first reached, for diagnostics */
    const char *decl;
    struct plan_op *ops;
    int nops;
    int type_rule;           /* >= 0: a rule replaces the generated transformer */
    int nests;               /* an inline member or element may itself be claimed */
    int light;               /* FIX, never an alias nor (with in_place_rules) met twice:
                                the general engine visits its objects without a map
                                entry (xform.c) */
    int one_pass;            /* light, and fixing it needs no new address of another
                                object (no pointer to a rebuilt one, no rule): the
                                general engine fixes it as soon as it reads it */
    int in_place_rules;      /* field rules of the same layout (PLAN_RULES_IN_PLACE): an
                                object fixed in place runs them on itself */
    int flex_op;             /* index of a FLEX_COUNTED array op: the object is longer
                                than old_size/new_size; -1 if none */
    int rebuild_here;        /* rebuilt at its own address: a library holds a member
                                (check_held); its new layout fits in the old one */
    int tag_op;              /* >= 0: the only op that needs a visit is this dispatching
                                rule, whose branch the object's tag picks: an object
                                whose branch changes nothing is not visited
                                (plan_dispatch_skips); -1 otherwise */
    struct plan *short_plan; /* E_OPTIONAL: the plan of an object allocated ending where
                                the optional member starts (its prefix only) */
    int old_kind;            /* enum ktt_kind of the old type */
    const char *old_tag;     /* its name (in the old summary), NULL if anonymous */
    struct plan *next;       /* all plans of a context */
};

/* Something the planner cannot decide alone: printed by xfgen, refused by the runtime. */
struct plan_diag {
    char *path;     /* "struct conn.buf", "counter" */
    char *decl;     /* "file:line" or NULL */
    char *what;     /* what changed */
    char *stub;     /* ready-to-paste rule or annotation */
};

/* Rules from an .xf file, as the planner needs them.  Keys are those of docs/design.md
 * §4; type names are spelled "struct T", "union T", "enum T" or a typedef name. */
enum rule_kind {
    RULE_VAR, RULE_INIT_VAR, RULE_TYPE, RULE_FIELD, RULE_INIT_FIELD,
    RULE_XFORM, /* a type pair that code names with $xform: planned up front */
    RULE_GEN,   /* code uses $gen: generic bindings are followed by generated code */
    RULE_DROP,  /* `from` (a variable key, or a type with from_field) is meant to go */
    RULE_TAG    /* SWITCH: void * field to_field of `to` points to the type its old
                   object's tag field picks (tag, cases) */
};

struct plan_rule {
    enum rule_kind kind;
    const char *from;        /* old variable key or type name (NULL for INIT); DROP:
                                the variable or (with from_field) the field's type */
    const char *to;          /* new variable key or type name; RULE_VAR may also name
                                functions (a function renamed) */
    const char *from_field;  /* field path "a.b" (FIELD) */
    const char *to_field;    /* field path (FIELD, INIT_FIELD) */
    int has_code;
    int used;                /* set by the planner: a rule that matched something */
    const char *gen_args;    /* XFORM: generic arguments from closures ("struct_item*,
                                [opaque]"), or NULL */
    int in_rule;             /* XFORM whose gen_args pass parameters on ($gen: "@t"):
                                the type rule whose bindings they take (ignored when
                                gen_args has no '@') */
    const struct plan_dispatch *dispatch; /* FIELD with code: what xfgen found the code
                                to do (it only dispatches), or NULL */
    const char *tag;         /* TAG: the tag's field path in the old object ("kind") */
    const char *cases;       /* TAG: "VALUE=TYPE;..." with TYPE spelled as a generic
                                argument (struct_text) or [opaque], VALUE an integer in
                                C syntax, an enumerator or `default` */
};

/* A field rule whose code only dispatches (xfgen's dispatch.c finds it): every path
 * through it copies the field ($out = $in), invokes the closure of a $xform on it
 * (XF_INVOKE(XF_PTR($xform(A, B, ...)), &$in, &$out)) or leaves it as it is, chosen
 * by comparing one integer member of the old object ($base.FIELD) with constants.
 * Such a rule changes nothing when every branch it can take leads to a clean plan:
 * the planner prunes it; and an object whose tag picks such a branch needs no visit. */
#define DISPATCH_COPY (-1) /* $out = $in */
#define DISPATCH_KEEP (-2) /* nothing written: the field keeps its old bytes in place */
struct plan_dispatch {
    char *field;          /* $base's member compared (dotted path), NULL: not known, every
                             branch may be taken */
    int n;                /* branches for single values */
    long long *value;     /* value of branch i */
    int *action;          /* branch i: an index of a RULE_XFORM rule, or DISPATCH_* */
    int other;            /* for every other value (with field NULL: one more branch) */
};
void plan_dispatch_free(struct plan_dispatch *d);

/* Whether the dispatching rule op of a plan with tag_op >= 0 changes nothing for the
 * old object at ob (its tag picks a clean branch): then the object need not be
 * visited. */
int plan_dispatch_skips(const struct plan *p, const void *ob);

struct plan_var {
    int old_var, new_var;    /* indices into the summaries; old_var -1 for a new one */
    struct plan *plan;       /* NULL when the variable keeps its initialiser */
    int rule;                /* >= 0: a variable rule with code */
};

struct plan_ctx {
    const struct ktt *old, *new_;
    const struct plan_rule *rules;
    int nrules;
    struct plan *plans;
    struct plan_diag *diags;
    int ndiags, cap_diags;
    struct plan_var *vars;
    int nvars;
    struct plan_var *constants; /* constant data (plan_var_constant) in both versions by
                                   key: never filled, planned to translate pointers */
    int nconstants;
    uint8_t *may_static;     /* per old type: contained inline in some old variable */
    uint8_t *in_rebuilt;     /* per old type: contained inline in a rebuilt type */
    struct plan **queue;     /* plans created but not yet built (pointer targets) */
    int nqueue, cap_queue;
    struct plan **index;     /* plans by (old type, new type, env, ptrs) */
    size_t index_mask, nplans;
    char **envs;             /* interned generic environments */
    int nenvs, cap_envs;
    int built;               /* plan_build finished: no new plans from here on */
    struct plan **xform;     /* per rule: the plan of a RULE_XFORM pair, as planned */
    unsigned flags;          /* PLAN_* options of plan_build_flags */
    int *fn_renames;         /* rules renaming a function (file.c/f -> g) */
    int nfn_renames;
};

/* Plans every migrated variable of `nv` from `old`.  Returns the number of
 * diagnostics (0: everything decided). */
int plan_build(struct plan_ctx *ctx, const struct ktt *old, const struct ktt *nv,
               const struct plan_rule *rules, int nrules);
/* Field rules whose field keeps its offset and size leave the layout as it is: the
 * object is fixed in place (PLAN_FIX) and the rule runs on it, instead of the object
 * being rebuilt.  Only the general engine (xform.c) can run such plans. */
#define PLAN_RULES_IN_PLACE 0x1u
int plan_build_flags(struct plan_ctx *ctx, const struct ktt *old, const struct ktt *nv,
                     const struct plan_rule *rules, int nrules, unsigned flags);
/* Why objects of plan p (not PLAN_CLEAN) are visited, for the update's log: "rebuilt:
 * its layout changed", "holds dictType * (type)", ...; in a new allocation. */
char *plan_why_visited(const struct plan_ctx *ctx, const struct plan *p);
/* Plan for a named type pair ("struct a", "struct a"), e.g. for $xform.  After
 * plan_build only pairs planned then (RULE_XFORM, spelled as in the rule) are found,
 * and exactly the plan made then: xfgen checks with this call what the runtime's
 * kitsune_xf_type() will find. */
struct plan *plan_for_names(struct plan_ctx *ctx, const char *old_name, const char *new_name);
/* The same for $xform(T0, T1, closures...): the generic pair instantiated with `args`,
 * the E_G arguments the closures stand for ("[opaque]", "struct_item*"); a parameter
 * passed on ("@t", from $gen) takes its binding in `env`, the env of the plan whose type
 * rule runs.  NULL args is plan_for_names.  After plan_build only the pairs planned then
 * are found. */
struct plan *plan_for_names_args(struct plan_ctx *ctx, const char *old_name,
                                 const char *new_name, const char *args, const char *env);
void plan_free(struct plan_ctx *ctx);

/* The plan for what generic parameter `name` ("t" for @t) is bound to in `env` (a
 * plan's env), planned at build time for type rules of generic types; NULL with
 * *opaque set for an [opaque] binding, NULL alone when there is none. */
struct plan *plan_binding(struct plan_ctx *ctx, const char *env, const char *name,
                          int *opaque);

/* The key of the new function that takes over old function `old_key`: the new side of
 * a rename rule (`file.c/old_fn -> new_fn`), else old_key itself. */
const char *plan_func_target(const struct plan_ctx *c, const char *old_key);

/* Offset within the new object of the byte at `off` in the old one; -1 if dropped. */
long plan_translate_offset(const struct plan *p, size_t off);
/* The same for a pointer to a `target` (NULL: unknown): a pointer to a sub-object that
 * starts where an enclosing one does (a struct's first member, an array's first
 * element) lands on the new sub-object of that type, not on the enclosing one's. */
long plan_translate_offset_to(const struct plan *p, size_t off, const struct plan *target);
/* Whether two plans transform the same old type (summaries may hold duplicates). */
int plan_same_old_type(const struct plan *a, const struct plan *b);
/* Whether an `outer` object begins with an `inner` one (first member, first element,
 * at any depth). */
int plan_starts_with(const struct plan *outer, const struct plan *inner);

/* The first old variable at index >= from whose state no new variable takes over
 * (removed, or renamed without a rule); -1 when there is none.  plan_build reports
 * each one that holds state unless a RULE_DROP names it. */
int plan_dropped_var(const struct plan_ctx *c, int from);

/* Marks type t and every type it contains inline (members, elements, typedef
 * targets) in set; each type is entered once. */
void plan_mark_contained(const struct ktt *k, int t, uint8_t *set, int depth);
/* Types of the same kind and name as a marked one are marked too (a summary may hold
 * duplicates). */
void plan_widen_by_name(const struct ktt *k, uint8_t *set);

/* Whether a variable is carried over by kitsune_do_automigrate(). */
int plan_var_migrates(const struct ktt_var *v);
/* Whether a variable is constant data of its version (const, or in memory read-only
 * once loaded): the new version's own, never copied. */
int plan_var_constant(const struct ktt_var *v);

/* Marks the types held inline (fields, elements, at any depth) in objects of plan p. */
void plan_mark_inside(const struct ktt *k, const struct plan *p, uint8_t *set);

/* Whether every plan of the update can be carried out by the forwarding engine
 * (runtime/fast.c): objects to rebuild are reached only through pointers to their
 * start, objects fixed in place can be visited twice harmlessly, and no generated code
 * follows pointers itself (plan_eligible.c).  If not, *why is the first reason (a new
 * allocation); else NULL. */
int plan_fast_eligible(const struct plan_ctx *c, const struct plan_rule *rules, int nrules,
                       char **why);

/* An allocation failed inside the planner.  Each program that links the planner says
 * what that means: libkitsune refuses or rolls back the update (oom.c), xfgen and the
 * planner's tests exit with a message.  It does not return. */
__attribute__((noreturn)) void plan_out_of_memory(void);

#endif
