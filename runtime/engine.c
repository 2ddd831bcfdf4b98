/* engine.c - which engine runs the update in progress (engine.h).  A leaf, so that the
 * closures and the out-of-memory path reach the running engine without knowing either
 * engine or migrate.c, which chooses it. */
#include "engine.h"

static const struct kt_engine *running;

const struct kt_engine *kt_engine_running(void)
{
    return __atomic_load_n(&running, __ATOMIC_ACQUIRE);
}

void kt_engine_set_running(const struct kt_engine *e)
{
    __atomic_store_n(&running, e, __ATOMIC_RELEASE);
}

void kt_engine_helper_fail(const char *why)
{
    const struct kt_engine *e = kt_engine_running();
    if (e && e->helper_fail)
        e->helper_fail(why);
}
