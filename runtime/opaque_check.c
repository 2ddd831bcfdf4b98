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
 * back, naming the pointer the chain starts from.  Cheaper than the full audit, which
 * scans everything reachable from the new version's data: the typed part of the state
 * is walked, not scanned (docs/reliability.md §2.1 has the numbers and the default). */
#include "opaque_check.h"

#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

int kt_opaque_check_default(void)
{
    const char *env = getenv("KITSUNE_OPAQUE_CHECK");
    if (env)
        return atoi(env) != 0;
    return KT_OPAQUE_CHECK_DEFAULT;
}

int kt_opaque_check(const struct kt_version *old, const struct kt_version *nv, double *ms,
                    char *err, size_t errlen)
{
    double t0 = kt_now_ms();
    struct kt_opaque_roots r;
    int rc = 0;
    if (kt_check_opaque_roots(old, nv, &r)) {
        snprintf(err, errlen, "opaque check failed: out of memory, or /proc/self/maps "
                 "unreadable");
        rc = -1;
    } else {
        rc = kt_audit_opaque(old, nv, &r, err, errlen);
    }
    kt_opaque_roots_free(&r);
    *ms = kt_now_ms() - t0;
    if (!rc)
        kt_log("opaque check: %.2f ms", *ms);
    return rc;
}
