/* fptr_check.h - function pointers in the migrated variables without a target in the
 * new version, found before the pause (fptr_check.c). */
#ifndef KITSUNE_FPTR_CHECK_H
#define KITSUNE_FPTR_CHECK_H

#include <stddef.h>

struct kt_version;
struct plan_ctx;

int kt_fptr_check(const struct plan_ctx *ctx, const struct kt_version *old,
                  const struct kt_version *nv, char *err, size_t errlen);

#endif
