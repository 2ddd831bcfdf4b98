/* plugins.h - the program's dlopen of its own modules (plugins.c, docs/plugins.md). */
#ifndef KITSUNE_PLUGINS_H
#define KITSUNE_PLUGINS_H

#include <stddef.h>

struct kt_version;

/* Before the pause: the running version's modules composed, their successors prepared
 * into nv (in order) and composed into its summary. */
int kt_plugins_prepare(struct kt_version *cur, struct kt_version *nv, char *err,
                       size_t errlen);
/* Held by the request from kt_plugins_prepare to the end of its check: no module is
 * opened or closed meanwhile. */
void kt_plugins_hold(int on);
/* At the pause: whether the program opened or closed a module since the check. */
int kt_plugins_changed(const struct kt_version *cur, const struct kt_version *nv);
void kt_plugins_loaded(struct kt_version *m);   /* its handle leads to it from now on */
void kt_plugins_commit(struct kt_version *old); /* handles lead to the new modules */
void kt_plugins_settle(struct kt_version *nv); /* after the transfer: its own opens */
void kt_plugins_forget(struct kt_version *m);   /* m is being discarded */
/* [{"name":"N","path":"P"},...]: the running version's modules, for `kitsune status` */
size_t kt_plugins_json(char *out, size_t len);
/* Called from the dlopen and dlsym entry points (plugins.c's assembly): 0 when the call
 * is not a module's and goes on to libc. */
int kt_plugins_dlopen_hook(const char *path, int flags, void **out);
int kt_plugins_dlsym_hook(void *h, const char *name, void **out);

#endif
