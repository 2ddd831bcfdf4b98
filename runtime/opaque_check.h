/* opaque_check.h - "opaque is not blind": before the commit, the memory behind the
 * pointers the engines never follow (E_OPAQUE, a void * left untyped) is scanned for
 * words pointing into the old version's code or data (runtime/opaque_check.c). */
#ifndef KITSUNE_OPAQUE_CHECK_H
#define KITSUNE_OPAQUE_CHECK_H

#include <stddef.h>
#include <stdint.h>

struct kt_version;

/* On unless KITSUNE_OPAQUE_CHECK=0 (docs/reliability.md §2.1: its cost). */
#define KT_OPAQUE_CHECK_DEFAULT 1

/* The values of the never-followed pointers of the new state and where each is. */
struct kt_opaque_roots {
    uintptr_t *words;
    char **paths;         /* "holder.cookie", "table->next->blob" */
    size_t n, cap;
    int failed;           /* out of memory */
};

/* check.c: walks the new state by its types (as --check does) and collects them. */
int kt_check_opaque_roots(const struct kt_version *old, const struct kt_version *nv,
                          struct kt_opaque_roots *out);
void kt_opaque_roots_free(struct kt_opaque_roots *r);

/* audit.c: the audit from those words only (what they point to and every heap chunk
 * reachable from there); the reason names the pointer each chain starts from. */
int kt_audit_opaque(const struct kt_version *old, const struct kt_version *nv,
                    const struct kt_opaque_roots *r, char *err, size_t errlen);

/* Whether the check runs (KITSUNE_OPAQUE_CHECK=0/1; default KT_OPAQUE_CHECK_DEFAULT),
 * and the check itself: 0 passed, -1 with the reason in err; *ms its cost. */
int kt_opaque_check_default(void);
int kt_opaque_check(const struct kt_version *old, const struct kt_version *nv, double *ms,
                    char *err, size_t errlen);

#endif
