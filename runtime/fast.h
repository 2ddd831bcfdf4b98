/* fast.h - the forwarding engine (fast.c): transforms the heap without an old->new map
 * when the plans of an update allow it (plan_fast_eligible, plan.h, decides once per
 * update in migrate.c).  Its operations are kt_engine_forwarding (engine.h). */
#ifndef KITSUNE_FAST_H
#define KITSUNE_FAST_H

#include <stddef.h>

#include "plan.h"

/* The number of threads KITSUNE_THREADS asks for (default: online CPUs). */
int kt_fast_threads(void);

#endif
