/* bytag.h - which type a void * object is, told by a tag field of the object holding
 * the pointer (a SWITCH rule, docs/xf-language.md §2.3.3).  Used by the general engine
 * (xform.c); the forwarding engine leaves such updates to it (fast.c). */
#ifndef KITSUNE_BYTAG_H
#define KITSUNE_BYTAG_H

#include <stddef.h>
#include <stdint.h>

struct plan;
struct plan_op;

/* The plan of the object at v that pointer op (tag_len > 0) of the old object at base
 * leads to: the case of the tag's value, NULL for an (opaque) case (kept as it is).
 * Returns 0 with the reason in why when no case has the value. */
int kt_plan_by_tag(const struct plan_op *op, const char *base, uintptr_t v,
                   const struct plan **out, char *why, size_t len);

/* The tag's value in the old object at base. */
long long kt_tag_value(const struct plan_op *op, const char *base);

#endif
