/* check.h - `--check`: the walk of the transferred state before commit (check.c). */
#ifndef KITSUNE_CHECK_H
#define KITSUNE_CHECK_H

#include <stddef.h>
#include <stdint.h>

struct kt_version;

/* --check, after the transfer and before commit. */
int kt_check_state(const struct kt_version *old, const struct kt_version *nv, char *err,
                   size_t errlen);
/* Where the old state keeps `value` (a refused wild pointer), as a path
 * from its variable; 0 when found. */
int kt_check_find_path(const struct kt_version *v, uintptr_t value, char *path, size_t len);

#endif
