/* oom.c - running out of memory during an update is a refusal or a rollback, never
 * abort().
 *
 * The planner, the engines and the runtime's tables have no error path for a failed
 * allocation deep inside them; kt_oom is that path.  On the main thread between
 * loading the new version and the commit it rolls the update back (everything the
 * attempt allocated is freed by the rollback).  On the control thread, while a request
 * is prepared, it jumps back to kt_oom_try's caller, which refuses the request.
 * On a helper thread of the forwarding engine the helper stops as after a fault and
 * the main thread rolls back (fast.c).  Nothing else calls it: the heap lists, the
 * one allocation a program makes through kitsune outside updates, report a failure
 * as a value (heaplist.c). */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "common.h"
#include "log.h"
#include "lifecycle.h"
#include "oom.h"
#include "plan.h"

static __thread jmp_buf *refuse_to;

void kt_oom_arm(jmp_buf *env)
{
    refuse_to = env;
}

void kt_oom(const char *what)
{
    kt_update_abandon(what); /* returns unless rolling back */
    if (refuse_to) {
        jmp_buf *env = refuse_to;
        refuse_to = NULL;
        kt_log("out of memory: %s; the request is refused", what);
        longjmp(*env, 1);
    }
    char why[KT_ERRLEN];
    snprintf(why, sizeof why, "out of memory %s", what);
    kt_engine_helper_fail(why);
    /* Not reached by the callers above (a kitsune bug if it is): this thread cannot go
     * on, the program must. */
    kt_stop_thread("out of memory outside an update", what);
}

/* strdup for the update path: never NULL (out of memory is kt_oom's). */
char *kt_strdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        kt_oom("copying a string");
    return d;
}

void *kt_grow(void *arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 1024;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(arr, ncap * elem);
    if (!n)
        kt_oom("in the transfer engine");
    *cap = ncap;
    return n;
}

/* The planner is shared with xfgen, which has no update to roll back (plan.h). */
void plan_out_of_memory(void)
{
    kt_oom("while planning the transfer");
}
