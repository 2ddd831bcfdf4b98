/* own_block.c - an object an update moves must be a heap allocation of its own.
 *
 * Rebuilding an object (its type changed layout) copies it into a new allocation and,
 * at the commit, frees the old one.  That is right only for an object that is the
 * whole of a block malloc handed out.  An object inside a larger block - an item
 * carved from an allocator's page (memcached's slab pages), an element of an array
 * reached through a pointer to one object (a missing E_PTRARRAY), a struct with bytes
 * of its own appended after it - would be copied away from where its allocator and
 * its neighbours expect it, the rest of the block left in the old layout (the other
 * items, the other elements, the appended bytes lost), and the block freed under them.
 * Both engines ask here before they allocate the new object; a refusal fails the
 * update (rolled back: the program goes on with its old state), naming the type, the
 * object's place, and the choices: keep the layout, a rule for the pointers that lead
 * to it, E_PTRARRAY for an array.  Objects in the old version's static data never get
 * here (they go to the new variable), nor objects rebuilt where they are (E_HELD).
 * The block's size is glibc's usable size, or under AddressSanitizer the size asked for
 * (exact: the same rule passes one object and refuses an array); under another
 * allocator nothing is judged. */
#include <stdio.h>

#include "maps.h"
#include "own_block.h"
#include "plan.h"

/* "struct T" of a plan's old type, or "an object" when it has no tag. */
static void type_words(const struct plan *plan, char *buf, size_t len)
{
    if (!plan->old_tag)
        snprintf(buf, len, "this type");
    else
        snprintf(buf, len, "%s%s", plan->old_kind == KTT_STRUCT  ? "struct "
                                   : plan->old_kind == KTT_UNION ? "union "
                                                                 : "",
                 plan->old_tag);
}

int kt_own_block_check(uintptr_t p, const struct plan *plan, size_t extent, char *why,
                       size_t len)
{
    return kt_own_block_judge(p, plan, extent, kt_maps_block_size(p), why, len);
}

int kt_own_block_judge(uintptr_t p, const struct plan *plan, size_t extent, size_t usable,
                       char *why, size_t len)
{
    if (!kt_maps_block_sizes_known())
        return 0; /* another allocator's blocks: their extent is not known */
    if (kt_own_block_fits(usable, extent, plan->old_size))
        return 0;
    char type[128];
    type_words(plan, type, sizeof type);
    int n = snprintf(why, len, "%s is rebuilt by this update (%zu to %zu bytes), and its "
                     "object at %#lx ", type, plan->old_size, plan->new_size,
                     (unsigned long)p);
    if (n < 0 || (size_t)n >= len)
        return -1;
    if (!usable)
        n += snprintf(why + n, len - (size_t)n, "is not a heap allocation of its own (it lies "
                      "inside a larger block: an allocator's page, an array)");
    else
        n += snprintf(why + n, len - (size_t)n, "begins a heap block of %zu bytes, room for "
                      "more than one", usable);
    if ((size_t)n >= len)
        return -1;
    snprintf(why + n, len - (size_t)n, ": moving it would leave the rest of that block in the "
             "old layout. Keep the layout of %s, or write a rule for the pointers to it (first "
             "reached as %s: `$out = (void *)$in;` if the new code converts them), or "
             "E_PTRARRAY(n) for an array", type, plan->path ? plan->path : "?");
    return -1;
}
