/* opaque_check.c - opaque is not blind: what the engines never follow is still checked.
 *
 * An E_OPAQUE pointer (or a void * whose type nobody knows) is copied as it is, and the
 * objects behind it keep their old bytes.  When one of them still holds a pointer into
 * the old version (a callback table, a static buffer, a string literal of its data),
 * the program reads retired memory after the commit, far from the cause.  Before the
 * commit, the new state is walked by its types (check.c, as --check does) to collect
 * the never-followed pointers; the memory they lead to, and every heap chunk reachable
 * from there, is scanned type-blind by the audit's scanner (audit.c).  A word into the
 * old version's writable data or code (other than a function's start) rolls the update
 * back, naming the pointer the chain starts from.  Only types from which such a pointer
 * can be reached are walked, and nothing is scanned when there is none; by default the
 * scan stops after a budget of bytes (docs/reliability.md §2.1 has the numbers and why). */
#include "opaque_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common.h"
#include "log.h"

int kt_opaque_check_default(void)
{
    const char *env = getenv("KITSUNE_OPAQUE_CHECK");
    if (env && *env)
        return atoi(env) != 0 ? KT_OPAQUE_ALL : KT_OPAQUE_OFF;
    return KT_OPAQUE_BUDGET;
}

/* CPU time of this thread, ms: the log gives it beside the wall time, which a loaded
 * machine inflates. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int kt_opaque_check(const struct kt_version *old, const struct kt_version *nv, double *ms,
                    char *err, size_t errlen)
{
    double t0 = kt_now_ms(), c0 = cpu_ms();
    size_t budget = kt_opaque_check_default() == KT_OPAQUE_BUDGET ? KT_OPAQUE_CHECK_BUDGET : 0;
    int rc = 0;
    /* Paths are written only to name what failed: the walk is made again for them. */
    for (int with_paths = 0; with_paths < 2; with_paths++) {
        struct kt_opaque_roots r;
        if (kt_check_opaque_roots(old, nv, &r, with_paths)) {
            snprintf(err, errlen, "opaque check failed: out of memory, or /proc/self/maps "
                     "unreadable");
            rc = -1;
        } else {
            rc = kt_audit_opaque(old, nv, &r, budget, err, errlen);
        }
        kt_opaque_roots_free(&r);
        if (rc == 0)
            break;
    }
    *ms = kt_now_ms() - t0;
    if (!rc)
        kt_log("opaque check: %.2f ms (%.2f ms of CPU)", *ms, cpu_ms() - c0);
    return rc;
}
