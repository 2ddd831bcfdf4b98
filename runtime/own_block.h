/* own_block.h - an object an update moves must be a heap allocation of its own
 * (own_block.c). */
#ifndef KITSUNE_OWN_BLOCK_H
#define KITSUNE_OWN_BLOCK_H

#include <stddef.h>
#include <stdint.h>

struct plan;

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

#endif
