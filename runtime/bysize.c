/* bysize.c - which of several types a void * object is, told by the size of its
 * allocation.
 *
 * A void * that the source shows holding a struct num in some objects and a struct
 * text in others (kitc's candidates=) is planned with one plan per candidate when their
 * allocations differ in usable size (plan_pointer.c, plan_by_size).  At the update each object
 * it points to is looked at: the pointer must be the start of a chunk of glibc's heap in
 * use, and the chunk's usable size picks the candidate (glibc may hand out 16 bytes
 * more than asked for: the planner keeps candidates further apart).  Anything else - a pointer into
 * an object, a size none of them has - fails the update with the field and the sizes:
 * transforming it as a guess would commit wrong state. */
#include <stdio.h>

#include "maps.h"
#include "bysize.h"
#include "plan.h"

/* Under another allocator than glibc's (AddressSanitizer's, in the sanitizer build) the
 * candidate of the size that was asked for. */
static const struct plan *by_requested_size(const struct plan_op *op, size_t size)
{
    for (int i = 0; size && i < op->nalts; i++)
        if (op->alts[i]->old_size == size)
            return op->alts[i];
    return NULL;
}

/* The candidate whose glibc allocation has `usable` bytes: as asked for, or 16 bytes
 * more (a free chunk handed out whole; the planner made sure no two candidates are
 * within 16 bytes of each other). */
static const struct plan *by_usable_size(const struct plan_op *op, size_t usable)
{
    for (int i = 0; usable && i < op->nalts; i++)
        if (op->alt_sizes[i] == usable || op->alt_sizes[i] + 16 == usable)
            return op->alts[i];
    return NULL;
}

/* The candidate of the allocation at p; *usable: its size (0: p does not start one). */
static const struct plan *by_allocation(const struct plan_op *op, uintptr_t p, size_t *usable)
{
    *usable = kt_maps_block_size(p);
    return kt_maps_glibc_malloc() ? by_usable_size(op, *usable)
                                  : by_requested_size(op, *usable);
}

const struct plan *kt_plan_by_size(const struct plan_op *op, uintptr_t p, char *why,
                                   size_t len)
{
    size_t usable;
    const struct plan *found = by_allocation(op, p, &usable);
    if (found)
        return found;
    int n = snprintf(why, len, "%s: void * holding several types, and the object at %#lx ",
                     op->path ? op->path : "a void *", (unsigned long)p);
    if (!usable)
        n += snprintf(why + n, len > (size_t)n ? len - n : 0,
                      "is not the start of a heap allocation");
    else
        n += snprintf(why + n, len > (size_t)n ? len - n : 0, "has %zu usable bytes", usable);
    n += snprintf(why + n, len > (size_t)n ? len - n : 0, ": which type it is cannot be "
                  "told (candidates with");
    for (int i = 0; i < op->nalts && (size_t)n < len; i++)
        n += snprintf(why + n, len - n, " %zu", op->alt_sizes[i]);
    if ((size_t)n < len)
        snprintf(why + n, len - n, " bytes); annotate it or write a rule");
    return NULL;
}
