/* fast.h - the forwarding engine (fast.c): transforms the heap without an old->new map
 * when the plans of an update allow it.  Its operations are kt_engine_forwarding
 * (engine.h); migrate.c asks kt_fast_eligible once per update whether it may run. */
#ifndef KITSUNE_FAST_H
#define KITSUNE_FAST_H

#include <stddef.h>

#include "plan.h"

/* Whether every plan of the update can be carried out by forwarding: objects to
 * rebuild are reached only through pointers to their start, objects fixed in place can
 * be visited twice harmlessly, and no generated code follows pointers itself.  If not,
 * writes the first reason to why. */
int kt_fast_eligible(const struct plan_ctx *c, const struct plan_rule *rules, int nrules,
                     char *why, size_t len);

/* The number of threads KITSUNE_THREADS asks for (default: online CPUs). */
int kt_fast_threads(void);

#endif
