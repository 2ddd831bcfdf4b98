/* stale.h - faults on retired code and data after a commit (stale.c). */
#ifndef KITSUNE_STALE_H
#define KITSUNE_STALE_H

struct kt_version;

/* stale.c */
void kt_stale_add(const struct kt_version *v);
void kt_stale_install(void);

#endif
