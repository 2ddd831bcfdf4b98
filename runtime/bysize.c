/* bysize.c - which of several types a void * object is, told by the size of its
 * allocation.
 *
 * A void * that the source shows holding a struct num in some objects and a struct
 * text in others (kitc's candidates=) is planned with one plan per candidate when their
 * allocations differ in usable size (plan.c, plan_by_size).  At the update each object
 * it points to is looked at: the pointer must be the start of a chunk of glibc's heap in
 * use, and the chunk's usable size picks the candidate.  Anything else - a pointer into
 * an object, a size none of them has - fails the update with the field and the sizes:
 * transforming it as a guess would commit wrong state. */
#include <stdio.h>

#include "internal.h"
#include "plan.h"

#define PREV_INUSE 0x1u
#define IS_MMAPPED 0x2u

/* The usable size of the heap chunk starting at p, or 0 when p does not start one. */
KT_NO_ASAN static size_t chunk_usable(uintptr_t p)
{
    if (p & 15 || !kt_maps_readable(p - 16, 16))
        return 0;
    size_t word = *(const size_t *)(p - 8), size = word & ~(size_t)7;
    if (size < 32 || size & 15)
        return 0;
    if (word & IS_MMAPPED)
        return kt_maps_readable(p - 16, size) ? size - 16 : 0;
    /* in use: the next chunk says its predecessor is (tcache and fast bins keep the bit
     * too, so a freed chunk can pass; its pointer was dangling anyway) */
    uintptr_t next = p - 16 + size;
    if (!kt_maps_readable(next, 16) || !(*(const size_t *)(next + 8) & PREV_INUSE))
        return 0;
    return size - 8;
}

const struct plan *kt_plan_by_size(const struct plan_op *op, uintptr_t p, char *why,
                                   size_t len)
{
    size_t usable = chunk_usable(p);
    for (int i = 0; usable && i < op->nalts; i++)
        if (op->alt_sizes[i] == usable)
            return op->alts[i];
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
