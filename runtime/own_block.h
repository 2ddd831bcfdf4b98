/* own_block.h - an object an update moves must be a heap allocation of its own
 * (own_block.c). */
#ifndef KITSUNE_OWN_BLOCK_H
#define KITSUNE_OWN_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

/* Whether the object of `plan` at old address p, `extent` bytes long, may be rebuilt in
 * a new allocation (its old one freed at the commit): 0 if so; -1 with the reason in
 * why (the type, where the object lives, what to write) if it lies inside a larger
 * block or begins one with room for more objects of its type. */
int kt_own_block_check(uintptr_t p, const struct plan *plan, size_t extent, char *why,
                       size_t len);
/* The same, told the usable size of the block starting at p (kt_maps_block_size, 0 when
 * none), which the caller read with the same heap lookup as its readability
 * (kt_maps_heap_object). */
int kt_own_block_judge(uintptr_t p, const struct plan *plan, size_t extent, size_t usable,
                       char *why, size_t len);

/* The judgement's rule: a block of `usable` bytes (0: none known) holds one object of
 * `extent` bytes of a type of `size` bytes when it is no larger than malloc may hand
 * out for it - the usual rounding, plus a remainder too small to split off (glibc hands
 * out a free chunk whole when less than 32 bytes would be left: 16 bytes more) - or has
 * no room for one more whole object.  (Two objects of 16 bytes or less in one block of
 * 40 pass for one.)  Inline: the engines ask it for every object they rebuild, and
 * judge only when it says no. */
static inline int kt_own_block_fits(size_t usable, size_t extent, size_t size)
{
    return usable && (usable <= plan_usable_size(extent) + 16 || usable < extent + size);
}

#endif
