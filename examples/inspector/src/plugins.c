/* plugins.c - the preprocessors the program knows.  Built with INSPECTOR_BUILTIN they
 * are compiled into the program and set up from a table; otherwise each is a module
 * (pp_NAME.so) that the program loads itself with dlopen from a scan of the plugin
 * directory, in name order, and whose inspector_module_setup registers its ops
 * through the function table the program hands it (struct inspector_api). */
#include <dirent.h>
#include <dlfcn.h>
#include <stdlib.h>
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

#ifdef INSPECTOR_BUILTIN
static const char *const module_names[] = {"http", "sip", "dns"};
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
static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_module(const char *path, char *err, size_t errlen)
{
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
    return 0;
}

/* Loads every pp_*.so of dir, in name order, as Snort loads the directory of its
 * dynamic preprocessors. */
int plugins_load(const char *dir, char *err, size_t errlen)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, NULL), rc = 0;
    if (n < 0) {
        snprintf(err, errlen, "plugin directory %s: cannot read it", dir);
        return -1;
    }
    char **so = calloc((size_t)n + 1, sizeof *so);
    int nso = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);
        if (so && !strncmp(names[i]->d_name, "pp_", 3) && len > 3 &&
            !strcmp(names[i]->d_name + len - 3, ".so"))
            so[nso++] = names[i]->d_name;
    }
    if (so)
        qsort(so, (size_t)nso, sizeof *so, by_name);
    for (int i = 0; so && i < nso && rc == 0; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, so[i]);
        rc = load_module(path, err, errlen);
    }
    if (!so) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    } else if (rc == 0 && nso == 0) {
        snprintf(err, errlen, "plugin directory %s: no pp_*.so", dir);
        rc = -1;
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(so);
    return rc;
}
#endif
