/* delta.c - a module of version 1 only.  It registers no callback but keeps state,
 * which version 2 drops with a rule (delta@delta.c/count -> (dropped)). */
#include "host.h"

static const struct host_api *host;
static int count;

int plugin_init(const struct host_api *h)
{
    host = h;
    count = 5;
    return 0;
}

int plugin_version(void) { return VERSION; }
int plugin_calls(void) { return count; }
const void *plugin_host(void) { return host; }
