/* app.c - main program of the plugins test (docs/plugins.md), versions 1 and 2.
 *
 * It opens alpha.so by absolute path (RTLD_NOW), then every other .so of its plugin
 * directory (RTLD_LAZY, sorted), hands each the table `api` and calls the callbacks
 * they register on every round.  Its plugin directory is beside its own file
 * (vN/plugins), so each version finds its own modules.  In update mode version 2
 * scans its directory again: the modules kitsune carried over come back with the
 * handles the program already holds, a new one (gamma) is initialised, and the entry
 * of the removed one (delta) is forgotten.  When the file named by argv[1] appears,
 * the program checks its state and prints "report N PASS ..." or "report N FAIL ...". */
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "kitsune.h"

struct reg {
    char name[16];
    int (*cb)(int);   /* into a module's code */
    int *counter;     /* into a module's data */
};

struct mod {
    char name[16];
    char path[1024];  /* as first opened (by version 1: v1/plugins/...) */
    void *E_OPAQUE handle; /* kitsune's handle: the same across updates */
};

static int total;
static struct reg regs[8];
static int nregs;
static struct mod mods[8];
static int nmods;
static int rounds;
static int reports;
/* alpha's callback where no update looks (as a library would keep it): after an
 * update a call through it reaches the retired module and is resumed in the new one. */
static void *E_OPAQUE hidden_cb;
/* A heap object of the main program (mmap'd by malloc) that points into a module's
 * data. */
struct big {
    int *counter;
    char pad[1 << 20];
};
static struct big *big;

static void register_cb(const char *name, int (*cb)(int), int *counter)
{
    if (nregs < 8) {
        snprintf(regs[nregs].name, sizeof regs[nregs].name, "%s", name);
        regs[nregs].cb = cb;
        regs[nregs].counter = counter;
        nregs++;
        if (strcmp(name, "alpha") == 0 && !hidden_cb)
            hidden_cb = (void *)cb;
    }
}

static int host_value(void) { return VERSION * 1000 + total % 1000; }

static struct host_api api = {VERSION, register_cb, host_value, &total};

static void plugin_dir(char *out, size_t len)
{
    const char *self = kitsune_version_path();
    const char *slash = strrchr(self, '/');
    snprintf(out, len, "%.*s/plugins", (int)(slash - self), self);
}

static struct mod *find_mod(const char *name)
{
    for (int i = 0; i < nmods; i++)
        if (strcmp(mods[i].name, name) == 0)
            return &mods[i];
    return NULL;
}

static void open_module(const char *dir, const char *file, int flags)
{
    char path[1024], name[16];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    snprintf(name, sizeof name, "%.*s", (int)(strlen(file) - 3), file);
    void *h = dlopen(path, flags);
    if (!h) {
        printf("FAIL dlopen %s: %s\n", path, dlerror());
        return;
    }
    struct mod *m = find_mod(name);
    if (m) { /* carried over by the update: the same handle, already initialised */
        if (m->handle != h)
            printf("FAIL %s: handle %p, was %p\n", name, h, m->handle);
        dlclose(h); /* the count this dlopen took */
        return;
    }
    plugin_init_fn *init = (plugin_init_fn *)dlsym(h, "plugin_init");
    if (!init || nmods == 8) {
        printf("FAIL %s: no plugin_init\n", path);
        return;
    }
    snprintf(mods[nmods].name, sizeof mods[nmods].name, "%s", name);
    snprintf(mods[nmods].path, sizeof mods[nmods].path, "%s", path);
    mods[nmods++].handle = h;
    init(&api);
}

static int is_module(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 3 && strcmp(d->d_name + n - 3, ".so") == 0 && strcmp(d->d_name, "alpha.so");
}

static void open_all(void)
{
    char dir[1024];
    plugin_dir(dir, sizeof dir);
    open_module(dir, "alpha.so", RTLD_NOW);
    struct dirent **list;
    int n = scandir(dir, &list, is_module, alphasort);
    for (int i = 0; i < n; i++) {
        open_module(dir, list[i]->d_name, RTLD_LAZY);
        free(list[i]);
    }
    free(n >= 0 ? list : NULL);
}

/* Version 2 in update mode: a module that its directory no longer has is gone. */
static void forget_removed(void)
{
    char dir[1024], path[1100];
    plugin_dir(dir, sizeof dir);
    for (int i = 0; i < nmods; i++) {
        snprintf(path, sizeof path, "%s/%s.so", dir, mods[i].name);
        if (access(path, F_OK) == 0)
            continue;
        if (dlsym(mods[i].handle, "plugin_version"))
            printf("FAIL %s: removed, but its handle still finds symbols\n", mods[i].name);
        dlclose(mods[i].handle);
        mods[i--] = mods[--nmods];
    }
}

/* Version 2 in update mode: the path alpha was first opened by (version 1's) still
 * leads to the module that replaced it. */
static void reopen_first(void)
{
    struct mod *m = find_mod("alpha");
    void *h = m ? dlopen(m->path, RTLD_NOW) : NULL;
    if (!m || h != m->handle)
        printf("FAIL alpha: %s gives handle %p, not %p\n", m ? m->path : "?", h,
               m ? m->handle : NULL);
    if (h)
        dlclose(h);
}

static void *sym(const char *mod, const char *name)
{
    struct mod *m = find_mod(mod);
    return m ? dlsym(m->handle, name) : NULL;
}

static int call_int(const char *mod, const char *name)
{
    plugin_int_fn *f = (plugin_int_fn *)sym(mod, name);
    return f ? f() : -1;
}

/* Checks one module: its code is this version's, its table is this main program's,
 * the callback and counter it registered lead to it. */
static int check_module(const char *name, char *why, size_t len)
{
    plugin_host_fn *host = (plugin_host_fn *)sym(name, "plugin_host");
    struct reg *r = NULL;
    for (int i = 0; i < nregs; i++)
        if (strcmp(regs[i].name, name) == 0)
            r = &regs[i];
    if (call_int(name, "plugin_version") != VERSION)
        return snprintf(why, len, "%s: plugin_version %d", name, call_int(name, "plugin_version"));
    if (!host || host() != &api)
        return snprintf(why, len, "%s: its table is not this version's", name);
    if (!r)
        return snprintf(why, len, "%s: no callback registered", name);
    if (r->cb(7) != VERSION * 100 + 7)
        return snprintf(why, len, "%s: callback gives %d", name, r->cb(7));
    if (*r->counter != call_int(name, "plugin_calls"))
        return snprintf(why, len, "%s: counter %d, plugin_calls %d", name, *r->counter,
                        call_int(name, "plugin_calls"));
    return 0;
}

static void report(void)
{
    char why[256] = "";
    int calls_before = call_int("alpha", "plugin_calls");
    int seen_before = call_int("beta", "beta_seen");
    int bad = check_module("alpha", why, sizeof why) || check_module("beta", why, sizeof why);
    /* Every round called alpha once (and each report twice more): its static counted
     * them all, through the updates. */
    if (!bad && calls_before != rounds + 2 * reports)
        bad = snprintf(why, sizeof why, "alpha counted %d calls, rounds %d", calls_before,
                       rounds + 2 * reports);
    if (!bad && (!big || *big->counter != call_int("alpha", "plugin_calls")))
        bad = snprintf(why, sizeof why, "the big object's counter is wrong");
    if (!bad && call_int("alpha", "alpha_checksum") != 0x024d0127)
        bad = snprintf(why, sizeof why, "alpha's checksum %x", call_int("alpha", "alpha_checksum"));
    if (!bad && ((int (*)(int))hidden_cb)(8) != VERSION * 100 + 8)
        bad = snprintf(why, sizeof why, "the kept callback gives %d",
                       ((int (*)(int))hidden_cb)(8));
    if (!bad && call_int("alpha", "alpha_host_value") != VERSION * 1000 + total % 1000)
        bad = snprintf(why, sizeof why, "alpha's table gives %d",
                       call_int("alpha", "alpha_host_value"));
    if (!bad && seen_before != rounds + reports)
        bad = snprintf(why, sizeof why, "beta saw %d", seen_before);
#if VERSION == 1
    if (!bad && call_int("delta", "plugin_calls") != 5)
        bad = snprintf(why, sizeof why, "delta count %d", call_int("delta", "plugin_calls"));
#else
    if (!bad && call_int("beta", "beta_limit") != 7)
        bad = snprintf(why, sizeof why, "beta limit %d", call_int("beta", "beta_limit"));
    if (!bad && check_module("gamma", why, sizeof why))
        bad = 1;
    if (!bad && call_int("gamma", "gamma_inited") != 1042)
        bad = snprintf(why, sizeof why, "gamma_inited %d", call_int("gamma", "gamma_inited"));
    if (!bad && find_mod("delta"))
        bad = snprintf(why, sizeof why, "delta still listed");
#endif
    reports++;
    printf("report %d %s version=%d rounds=%d modules=%d%s%s\n", reports, bad ? "FAIL" : "PASS",
           VERSION, rounds, nmods, bad ? " " : "", why);
}

static void round_once(void)
{
    rounds++;
    for (int i = 0; i < nregs; i++)
        regs[i].cb(rounds);
    if (strcmp(regs[0].name, "alpha") != 0)
        printf("FAIL registry order\n");
}

int main(int argc, char **argv)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        open_all();
        big = calloc(1, sizeof *big);
        big->counter = regs[0].counter;
        printf("ready\n");
    } else {
        open_all(); /* the modules of this version that kitsune did not carry over */
        forget_removed();
        reopen_first();
    }
    fflush(stdout);
    for (;;) {
        kitsune_update("loop");
        round_once();
        if (argc > 1 && access(argv[1], F_OK) == 0) {
            unlink(argv[1]);
            report();
        }
        fflush(stdout);
        usleep(5000);
    }
}
