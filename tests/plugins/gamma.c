/* gamma.c - a module of version 2 only: the new program opens and initialises it in
 * update mode; its variables keep their initialisers. */
#include "host.h"

static const struct host_api *host;
static int calls;
static int inited = 0;
int gamma_start = 42;

static int on_tick(int round)
{
    calls++;
    return VERSION * 100 + round % 100;
}

int plugin_init(const struct host_api *h)
{
    host = h;
    inited++;
    h->register_cb("gamma", on_tick, &calls);
    return 0;
}

int plugin_version(void) { return VERSION; }
int plugin_calls(void) { return calls; }
const void *plugin_host(void) { return host; }
int gamma_inited(void) { return inited * 1000 + gamma_start; }
