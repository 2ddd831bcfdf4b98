/* alpha.c - a module of the plugins test, opened by absolute path with RTLD_NOW.  It
 * keeps the main program's table (a pointer into the main program's data) and
 * registers a callback and a pointer to its counter with it.  Function pointers to
 * other libraries' code (libc, and zlib which it needs itself) are left as they are,
 * though the loader maps those libraries between the version's objects. */
#include <string.h>

#include "host.h"

unsigned long adler32(unsigned long adler, const unsigned char *buf, unsigned int len);
static unsigned long (*checksum)(unsigned long, const unsigned char *, unsigned int) = adler32;

static const struct host_api *host; /* into the main program's data */
static int calls;                    /* a file static: migrated as alpha@alpha.c/calls */
int alpha_last;                      /* a global: alpha@alpha_last */
size_t (*alpha_length)(const char *); /* libc's strlen */

static int on_tick(int round)
{
    calls++;
    alpha_last = round;
    *host->total += 1;
    return VERSION * 100 + round % 100;
}

int plugin_init(const struct host_api *h)
{
    host = h;
    alpha_length = strlen;
    h->register_cb("alpha", on_tick, &calls);
    return 0;
}

int plugin_version(void) { return VERSION; }
int plugin_calls(void) { return calls; }
const void *plugin_host(void) { return host; }
/* Through the table: the main program's code of the version that filled it. */
int alpha_host_value(void) { return host->host_value(); }
int alpha_checksum(void)
{
    return (int)checksum(1, (const unsigned char *)"abc", (unsigned)alpha_length("abc"));
}
