/* plan_internal.h - what the planner's files share (plan.h is its public header).
 *
 * The planner is split by idea, one file each:
 *   plan.c          the entry points: plan_build_flags' passes in order, variables,
 *                   named pairs ($xform), diagnostics, plan_free;
 *   plan_rules.c    finding rules, state that no new variable takes over, function
 *                   renames;
 *   plan_env.c      generic bindings: environments ("@a=struct_conn;@b=int"), E_G
 *                   arguments, the plans of a type rule's bindings;
 *   plan_build.c    plan objects (index, queue) and a plan per kind of type: scalars,
 *                   arrays, enums, unions, type rules;
 *   plan_pointer.c  pointer slots: function, opaque, generic, void * (by allocation
 *                   size), pointer arrays, arrays of unknown length;
 *   plan_tag.c      SWITCH rules: a void * decided by a tag field, and their stubs;
 *   plan_fields.c   struct members: field rules, bitfields, anonymous members, new and
 *                   gone fields;
 *   plan_mode.c     the mode fixpoint (CLEAN / FIX / REBUILD), light plans, merged
 *                   copies, why objects are visited;
 *   plan_place.c    objects that cannot be moved freely: allocated short (E_OPTIONAL),
 *                   held by a library (E_HELD);
 *   plan_offsets.c  queries on finished plans: offsets old -> new, first members;
 *   plan_eligible.c whether the forwarding engine may run the update.
 * Names, paths and environments are growing strings (pstr.h), never fixed buffers.
 *
 * The functions below link into libkitsune, which lives inside the updated program:
 * they are hidden from it (and named plan_*) so that none can clash with its symbols. */
#ifndef KITSUNE_PLAN_INTERNAL_H
#define KITSUNE_PLAN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "pstr.h"

/* How deep types nest (members, typedefs, elements) before the planner gives up with a
 * diagnostic: a hostile summary may nest a type in itself. */
#define MAX_DEPTH 64

static inline __attribute__((noreturn)) void plan_oom(void)
{
    plan_out_of_memory(); /* the linking program's: plan.h */
}

static inline const struct ktt_type *otype(const struct plan_ctx *c, int t)
{
    return &c->old->types[t];
}

static inline const struct ktt_type *ntype(const struct plan_ctx *c, int t)
{
    return &c->new_->types[t];
}

/* "struct node", "union u", "enum e", a typedef name ("struct <anonymous>" when
 * anonymous), in a new allocation. */
static inline char *type_label(const struct ktt *k, int t)
{
    return ktt_type_name_alloc(k, t);
}

/* Declared outside the program's source root (the summary gives an absolute path). */
static inline int outside_root(const struct ktt_type *t)
{
    return t->decl && t->decl[0] == '/';
}

/* A library's struct or union, copied as bytes.  A header that describes its type with
 * generic annotations (kitsune.h's heap lists) has it planned like the program's. */
static inline int is_foreign(const struct ktt_type *t)
{
    return (t->kind == KTT_STRUCT || t->kind == KTT_UNION) && outside_root(t) &&
           !t->generic && !t->gargs;
}

static inline int is_int(const struct ktt_type *t)
{
    return t->kind == KTT_BASE && t->enc != KTT_FLOAT;
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

#pragma GCC visibility push(hidden)

/* ---- plan.c ---- */

/* Something the planner cannot decide at `path`, once per path (see struct plan_diag). */
void plan_diag(struct plan_ctx *c, const char *path, const char *decl, const char *stub,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- plan_rules.c ---- */

/* The name rules give type t ("struct T", a typedef name) in a new allocation, or NULL
 * when rules cannot name it. */
char *plan_type_rule_name(const struct ktt *k, int t);
/* The rule of `kind` targeting `to` (and field `to_field`); -1 if none.  Two are
 * reported as ambiguous. */
int plan_find_rule(struct plan_ctx *c, enum rule_kind kind, const char *to,
                   const char *to_field);
/* Marks rule i (if >= 0) as one that matched something. */
void plan_use_rule(struct plan_ctx *c, int i);
/* The RULE_DROP for variable `from` (field NULL) or field `field` of type `from`. */
int plan_find_drop_rule(struct plan_ctx *c, const char *from, const char *field);
/* Whether old type ot and new type nt are the same type by name and shape. */
int plan_same_named_type(const struct plan_ctx *c, int ot, int nt, int depth);
/* Reports each old variable holding state that no new one takes over. */
void plan_dropped_vars(struct plan_ctx *c);
/* Collects the rules that rename a function (plan_func_target). */
void plan_func_renames(struct plan_ctx *c);

/* ---- plan_env.c ---- */

/* arg with every @param replaced by its binding in env, in a new allocation. */
char *plan_substitute(const char *arg, const char *env);
/* A type named in a generic argument ("struct_conn", "unsigned_int"); -1 if none. */
int plan_find_arg_type(const struct ktt *k, const char *name);
/* The types ot/nt (of one slot) where `env` holds. */
struct tref plan_tref(struct plan_ctx *c, int ot, int nt, const char *env,
                      const char *path, const char *decl);
/* Types ot/nt used with generic arguments `args` ("" for none). */
struct tref plan_tref_bound(struct plan_ctx *c, int ot, int nt, const char *args,
                            const char *arg, const char *name, const char *path,
                            const char *decl);
/* The type a generic argument names, in both versions. */
struct tref plan_tref_arg(struct plan_ctx *c, const char *arg, const char *path,
                          const char *decl);
/* The argument bound to a parameter use (E_T(@a)) on old type o / new type n. */
struct tref plan_tref_param(struct plan_ctx *c, const struct ktt_type *o,
                            const struct ktt_type *n, const char *env, const char *path,
                            const char *decl);
/* Whether a $xform passes a parameter of its type rule on ($gen: "@t"). */
int plan_passes_on(const struct plan_rule *r);
/* Plans the bindings of generic types that type rules transform. */
void plan_bindings(struct plan_ctx *c);

/* ---- plan_build.c ---- */

/* The plan for (ot, nt, env, ptrs) if there is one. */
struct plan *plan_find(struct plan_ctx *c, int ot, int nt, const char *env, int ptrs);
/* A new operation at the end of p's, zeroed but for its kind and offsets. */
struct plan_op *plan_add_op(struct plan *p, enum op_kind kind, size_t old_off,
                            size_t new_off);
/* The plan for a type pair: found, or created empty and queued to be filled in. */
struct plan *plan_get(struct plan_ctx *c, struct tref r, const char *path,
                      const char *decl);
/* The same, built now: an inline member's (its layout decides its container's). */
struct plan *plan_inline(struct plan_ctx *c, struct tref r, const char *path,
                         const char *decl, int depth);
/* Builds every queued plan. */
void plan_drain(struct plan_ctx *c);
/* The plan of a variable's or a named type's pair. */
struct plan *plan_pair(struct plan_ctx *c, int ot, int nt, const char *path,
                       const char *decl, int depth);
/* Whether `$out = 0;` initialises a value of type t. */
int plan_is_scalar(const struct ktt *k, int t);
/* The operations for one slot (member, element, variable) of old type ot / new nt. */
void plan_slot(struct plan_ctx *c, struct plan *p, int ot, int nt, size_t old_off,
               size_t new_off, int parent_old, const char *env, const char *path,
               const char *decl, int depth);
/* Whether ot and nt hold their values in the same bytes the same way. */
int plan_same_shape(struct plan_ctx *c, int ot, int nt, int depth);

/* ---- plan_pointer.c ---- */

/* An array of unknown length (T items[]) whose elements follow `sub`. */
void plan_flex_array(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                     const struct ktt_type *n, struct plan *sub, size_t old_off,
                     size_t new_off, int parent_old, const char *path, const char *decl);
/* A pointer slot: function pointer, opaque, generic, pointer array, string or object. */
void plan_pointer(struct plan_ctx *c, struct plan *p, const struct ktt_type *o,
                  const struct ktt_type *n, size_t old_off, size_t new_off, int parent_old,
                  const char *env, const char *path, const char *decl);

/* ---- plan_fields.c ---- */

const struct ktt_field *plan_find_field(const struct ktt_type *t, const char *name);
/* The operations of struct plan p, member by member; tname is what rules call it. */
void plan_struct_fields(struct plan_ctx *c, struct plan *p, int ot, int nt,
                        const char *tname, int depth);
/* Position and width in bits of a member, bitfield or not. */
void plan_member_bits(const struct ktt_field *f, const struct ktt_type *t, long *pos,
                      int *bits);
int plan_enum_is_signed(const struct ktt_type *t);
/* A member by dotted path ("a.b") from struct/union type t of the old summary: the
 * field, the type that holds it and that type's offset from the start of t. */
const struct ktt_field *plan_find_old_path(struct plan_ctx *c, int t, const char *path,
                                           int *parent, size_t *parent_off);

/* ---- plan_tag.c ---- */

/* SWITCH path ON self.TAG {...} (rule r) on void * member of/nf of the struct whose old
 * type is top_ot, at old_off/new_off in p: one plan per case, picked per object by its
 * tag (runtime/bytag.c).  0 when the member is not a void * (reported). */
int plan_by_tag(struct plan_ctx *c, struct plan *p, int r, const struct ktt_field *of,
                const struct ktt_field *nf, int top_ot, size_t old_off, size_t new_off,
                const char *path);
/* The SWITCH stub for void * field `path` of the struct of plan p with candidates
 * `list` ("struct_a,char"), in a new allocation; NULL when path is no struct's field. */
char *plan_switch_stub(struct plan_ctx *c, const struct plan *p, const char *path,
                       const char *list);

/* ---- plan_mode.c ---- */

/* Modes of all plans: CLEAN, FIX (something inside needs remapping) or REBUILD. */
void plan_compute_modes(struct plan_ctx *c);
/* Which FIX plans the general engine may visit without a map entry (plan.h, light). */
void plan_mark_light(struct plan_ctx *c);
/* Merges adjacent copies; inside CLEAN targets nothing but copies remain. */
void plan_simplify(struct plan *p);

/* ---- plan_place.c ---- */

/* The plan of p's objects allocated short (E_OPTIONAL), or a diagnostic. */
void plan_short(struct plan_ctx *c, struct plan *p);
/* Objects a library holds a member of: rebuilt where they are, or refused. */
void plan_check_held(struct plan_ctx *c);

/* ---- plan_offsets.c ---- */

/* Bytes of the old object an op reads (0: none, or nothing a pointer can target). */
size_t plan_op_old_span(const struct plan_op *op);

#pragma GCC visibility pop

#endif
