/* audit.h - before commit, no word the program keeps may point into the old version
 * (audit.c). */
#ifndef KITSUNE_AUDIT_H
#define KITSUNE_AUDIT_H

#include <stddef.h>

struct kt_version;

/* Before commit, no word the program keeps may point into the old version's
 * writable data or code (but function starts).  With --check, and whenever
 * KITSUNE_AUDIT=1 (off by default: see docs/reliability.md for its cost).  *ms: its cost. */
#define KT_AUDIT_DEFAULT 0
int kt_audit_default(void);
/* args: the start arguments of the threads (kt_threads_args), at most 64. */
int kt_audit(const struct kt_version *old, const struct kt_version *nv, void *const *args,
             int nargs, double *ms, char *err,
             size_t errlen);

#endif
