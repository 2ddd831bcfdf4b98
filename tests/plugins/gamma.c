/* gamma.c - a module of version 2 only: the new program opens and initialises it in
 * update mode; its variables keep their initialisers.  It starts a kitsune thread of
 * its own, which a later update (version 2 to itself) restarts in the new module:
 * from its first callback, after the commit (a thread started in update mode would
 * run the new code of an update that may still roll back). */
#include <stdint.h>
#include <unistd.h>

#include "host.h"
#include "kitsune.h"

static const struct host_api *host;
static int calls;
static int inited = 0;
int gamma_start = 42;
static int thread_loops;
static uintptr_t thread_module; /* where the thread last ran: its worker */

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        kitsune_update("gamma_worker");
        thread_loops++;
        thread_module = (uintptr_t)worker;
        usleep(2000);
    }
    return NULL;
}

static int on_tick(int round)
{
    static int started;
    pthread_t t;
    if (!started++)
        kitsune_pthread_create(&t, NULL, worker, NULL);
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
/* Whether its thread runs, and in this copy of the module. */
int gamma_thread_here(void) { return thread_loops > 0 && thread_module == (uintptr_t)worker; }
