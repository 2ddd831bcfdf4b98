/* beta.c - a module found by the directory scan, opened with RTLD_LAZY.  Its state is
 * a struct that gains a field in version 2 (INIT rule in app.v2.xf). */
#include "host.h"

struct beta_stats {
    int seen;
    int last;
#if VERSION >= 2
    int limit; /* new in 2: INIT struct beta_stats.limit */
#endif
};

static const struct host_api *host;
/* A global: clang -O2 splits a file-static struct into scalars (global SRA), which
 * kitc does not follow. */
struct beta_stats beta_stats;
static int calls;

static int on_tick(int round)
{
    calls++;
    beta_stats.seen++;
    beta_stats.last = round;
    return VERSION * 100 + round % 100;
}

int plugin_init(const struct host_api *h)
{
    host = h;
    h->register_cb("beta", on_tick, &calls);
    return 0;
}

int plugin_version(void) { return VERSION; }
int plugin_calls(void) { return calls; }
const void *plugin_host(void) { return host; }
int beta_seen(void) { return beta_stats.seen; }
#if VERSION >= 2
int beta_limit(void) { return beta_stats.limit; }
#endif
