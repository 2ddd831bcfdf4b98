/* opaque_check.h - "opaque is not blind": before the commit, the memory behind the
 * pointers the engines never follow (E_OPAQUE, a void * left untyped) is scanned for
 * words pointing into the old version's code or data (runtime/opaque_check.c). */
#ifndef KITSUNE_OPAQUE_CHECK_H
#define KITSUNE_OPAQUE_CHECK_H

#include <stddef.h>
#include <stdint.h>

struct kt_version;

/* By default the check scans at most KT_OPAQUE_CHECK_BUDGET bytes behind the
 * never-followed pointers (about 4 ms of CPU; docs/reliability.md §2.1 has its cost),
 * for words into the old writable data, and passes, saying so in the log, when there is
 * more; KITSUNE_OPAQUE_CHECK=1 scans all, for code words too, =0 turns it off. */
#define KT_OPAQUE_CHECK_BUDGET ((size_t)8 << 20)
enum { KT_OPAQUE_OFF, KT_OPAQUE_ALL, KT_OPAQUE_BUDGET };

/* The values of the never-followed pointers of the new state and where each is. */
struct kt_opaque_roots {
    uintptr_t *words;
    char **paths;         /* "holder.cookie", "table->next->blob"; NULL when not asked */
    size_t n, cap;
    int failed;           /* out of memory */
};

/* check.c: walks the new state by its types (as --check does) and collects them, with
 * the path of each when with_paths (the same walk again gives the same roots in the
 * same order: the state does not change while the threads are parked). */
int kt_check_opaque_roots(const struct kt_version *old, const struct kt_version *nv,
                          struct kt_opaque_roots *out, int with_paths);
void kt_opaque_roots_free(struct kt_opaque_roots *r);

/* audit.c: the audit from those words only (what they point to and every heap chunk
 * reachable from there); the reason names the pointer each chain starts from.  With a
 * budget (> 0 bytes), only words into the old version's writable data are violations. */
int kt_audit_opaque(const struct kt_version *old, const struct kt_version *nv,
                    const struct kt_opaque_roots *r, size_t budget, char *err, size_t errlen);

/* How the check runs (KT_OPAQUE_*: KITSUNE_OPAQUE_CHECK=0/1, else the budget), and the
 * check itself: 0 passed, -1 with the reason in err; *ms its cost. */
int kt_opaque_check_default(void);
int kt_opaque_check(const struct kt_version *old, const struct kt_version *nv, double *ms,
                    char *err, size_t errlen);

#endif
