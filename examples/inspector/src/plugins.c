/* plugins.c - the preprocessors the program knows.  Built with INSPECTOR_BUILTIN they
 * are compiled into the program and set up from a table; otherwise each is a module
 * (pp_NAME.so) that the program loads itself with dlopen from the configured
 * plugin_dir, in a fixed order, and whose inspector_module_setup registers its ops
 * through the function table the program hands it (struct inspector_api). */
#include <dlfcn.h>
#include <string.h>

#include "inspector.h"

#define MAX_PREPROCESSORS 8

static const struct pp_ops *registered[MAX_PREPROCESSORS];
static int nregistered;

static int register_preprocessor(const struct pp_ops *ops)
{
    if (nregistered >= MAX_PREPROCESSORS || plugins_find(ops->name))
        return -1;
    registered[nregistered++] = ops;
    return 0;
}

static void count(const char *counter)
{
    if (!strcmp(counter, "http_requests"))
        counters.http_requests++;
    else if (!strcmp(counter, "sip_messages"))
        counters.sip_messages++;
    else if (!strcmp(counter, "dns_queries"))
        counters.dns_queries++;
}

const struct inspector_api inspector_api = {
    .version = INSPECTOR_VERSION,
    .register_preprocessor = register_preprocessor,
    .alert = alert_raise,
    .match_rules = rules_match,
    .count = count,
    .arg = config_arg,
};

const struct pp_ops *plugins_find(const char *name)
{
    for (int i = 0; i < nregistered; i++)
        if (!strcmp(registered[i]->name, name))
            return registered[i];
    return NULL;
}

static const char *const module_names[] = {"http", "sip", "dns"};

#ifdef INSPECTOR_BUILTIN
int pp_http_setup(const struct inspector_api *api);
int pp_sip_setup(const struct inspector_api *api);
int pp_dns_setup(const struct inspector_api *api);
static const pp_setup_fn builtin_setup[] = {pp_http_setup, pp_sip_setup, pp_dns_setup};

int plugins_load(const char *dir, char *err, size_t errlen)
{
    (void)dir;
    for (size_t i = 0; i < sizeof builtin_setup / sizeof builtin_setup[0]; i++)
        if (builtin_setup[i](&inspector_api) < 0) {
            snprintf(err, errlen, "preprocessor %s: setup failed", module_names[i]);
            return -1;
        }
    return 0;
}
#else
int plugins_load(const char *dir, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof module_names / sizeof module_names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/pp_%s.so", dir, module_names[i]);
        void *h = dlopen(path, RTLD_NOW);
        if (!h) {
            snprintf(err, errlen, "%s", dlerror());
            return -1;
        }
        pp_setup_fn setup = (pp_setup_fn)dlsym(h, "inspector_module_setup");
        if (!setup || setup(&inspector_api) < 0) {
            snprintf(err, errlen, "%s: no inspector_module_setup, or it failed", path);
            return -1;
        }
    }
    return 0;
}
#endif
