/* plan_dispatch.h - the planner's side of dispatching field rules (plan_dispatch.c):
 * what plan.c calls while it decides modes, and the rule table's text form, which
 * xfgen writes and the runtime reads. */
#ifndef KITSUNE_PLAN_DISPATCH_H
#define KITSUNE_PLAN_DISPATCH_H

#include <stddef.h>

#include "plan.h"

/* Hidden, like the rest of the planner's internals (plan_internal.h). */
#pragma GCC visibility push(hidden)

/* Attaches to every in-place OP_RULE of a dispatching rule what its branches lead to.
 * Needs c->xform, c->may_static and c->in_rebuilt (compute_modes, before modes). */
void plan_dispatch_resolve(struct plan_ctx *c);
/* Whether some branch of a dispatching rule op may change something, with the modes
 * as they are now (1 for any other rule op). */
int plan_dispatch_changes(const struct plan_op *op);
/* Once modes are final: records which branches are clean; returns whether the engine
 * can read the member that picks the branch. */
int plan_dispatch_finish(struct plan_op *op);
/* For plan_why_visited: the branches that change something (a new allocation). */
char *plan_dispatch_why(const struct plan_ctx *c, const struct plan_op *op, const char *slot);
void plan_dispatch_release(struct plan_op *op);

/* The rule table's line `D RULE FIELD OTHER BRANCHES` (runtime/rules.c): FIELD or "-",
 * OTHER an action, BRANCHES "V=A,V=A" or "-"; an action is "copy", "keep" or the index
 * of a RULE_XFORM rule.  Parse returns NULL for malformed text (or out of memory);
 * format writes "FIELD OTHER BRANCHES" and returns -1 when buf is too short. */
struct plan_dispatch *plan_dispatch_parse(const char *field, const char *other,
                                          const char *branches);
int plan_dispatch_format(const struct plan_dispatch *d, char *buf, size_t len);

#pragma GCC visibility pop

#endif
