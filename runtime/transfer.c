/* transfer.c - what the transfer is working on, for the report of a failure during
 * it (transfer.h). */
#include "transfer.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "maps.h"
#include "plan.h"

const char *volatile kt_transfer_var;
const struct plan *volatile kt_transfer_plan;

void kt_transfer_at(const char *var)
{
    kt_transfer_var = var;
    kt_transfer_plan = NULL;
}

void kt_transfer_describe(char *buf, size_t len)
{
    const char *var = kt_transfer_var;
    const struct plan *p = kt_transfer_plan;
    if (!var && !p)
        return;
    kt_str_append(buf, len, " (");
    if (var) {
        kt_str_append(buf, len, "variable ");
        kt_str_append(buf, len, var);
    }
    if (p) {
        static const char *const kinds[] = {[KTT_STRUCT] = "struct ", [KTT_UNION] = "union ",
                                            [KTT_ENUM] = "enum "};
        kt_str_append(buf, len, var ? "; an object of " : "an object of ");
        if (p->old_kind >= 0 && p->old_kind <= KTT_ENUM && p->old_tag)
            kt_str_append(buf, len, kinds[p->old_kind]);
        kt_str_append(buf, len, p->old_tag ? p->old_tag : "an unnamed type");
        if (p->path) {
            kt_str_append(buf, len, ", first reached as ");
            kt_str_append(buf, len, p->path);
        }
    }
    kt_str_append(buf, len, ")");
}

/* The last wild pointer refused, for the rollback to say where it is kept. */
static uintptr_t wild_value;
static const char *wild_why;

void kt_wild_pointer(char *buf, size_t len, uintptr_t v, const struct plan *p)
{
    const char *why = kt_maps_why(v, p && p->old_size ? p->old_size : 1);
    if (!why)
        why = "not in mapped memory";
    __atomic_store_n(&wild_why, why, __ATOMIC_RELAXED);
    __atomic_store_n(&wild_value, v, __ATOMIC_RELAXED);
    snprintf(buf, len, "a pointer to %#lx, ", (unsigned long)v);
    if (p && p->old_tag) {
        kt_str_append(buf, len, p->old_kind == KTT_STRUCT  ? "to struct "
                                : p->old_kind == KTT_UNION ? "to union "
                                                           : "to ");
        kt_str_append(buf, len, p->old_tag);
        kt_str_append(buf, len, ", ");
    }
    kt_str_append(buf, len, "is ");
    kt_str_append(buf, len, why);
    kt_str_append(buf, len, strcmp(why, "not an allocation") == 0
                                ? " (inside the heap, in no block malloc handed out: "
                                            "never initialised, or freed?)"
                                          : " (never initialised?)");
    if (p && p->path) {
        kt_str_append(buf, len, "; objects of its type are first reached as ");
        kt_str_append(buf, len, p->path);
    }
    kt_str_append(buf, len, "; initialise it, or mark it E_OPAQUE");
}
uintptr_t kt_transfer_take_wild(const char **why)
{
    uintptr_t v = __atomic_exchange_n(&wild_value, 0, __ATOMIC_RELAXED);
    *why = __atomic_load_n(&wild_why, __ATOMIC_RELAXED);
    return v;
}
