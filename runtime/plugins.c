/* plugins.c - the modules a program dlopens itself (docs/plugins.md).
 *
 * libkitsune defines dlopen, dlsym, dlclose and dlinfo, so every call in the process
 * comes here first.  A dlopen of a path with a '/' naming a file with a type summary
 * (only kitsune's builds embed one) opens a *module* of the running version, whoever
 * calls (the program, a plugin loader library such as libltdl, a sanitizer's
 * interceptor in front of this one): it is loaded
 * from a private copy like a version, remembered in the version's list (in order,
 * with its flags), and the program gets a handle that names the module, not the
 * object, so it stays valid when an update replaces the module.  Every other call
 * goes on to libc with a jump (dlopen and dlsym are caller-sensitive: RTLD_NEXT,
 * RTLD_DEFAULT's scope, RUNPATH and $ORIGIN come from the return address, which the
 * jump leaves as it was).
 *
 * At an update: kt_plugins_prepare finds each module's successor by the path rule
 * (§3 of the doc) and prepares it into the next version, whose summary is composed of
 * its own and its modules'; version.c loads them after the new main object; commit
 * points the handles at them; the old ones retire with the old version. */
#include "kitsune.h"
#include "common.h"
#include "json.h"
#include "log.h"
#include "elffile.h"
#include "version.h"
#include "plugins.h"
#include "lifecycle.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* What a handle leads to: the committed module, and during an update the module of
 * the new version that takes over (the new code runs, the old is parked). */
struct kt_handle {
    struct kt_version *mod, *next;
    int used;
    int fresh;  /* opened by a new version not yet committed: goes with its rollback */
    int closed; /* closed by a new version not yet committed: goes with its commit */
};

static struct kt_handle handles[KT_MAX_MODULES];
static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

/* libc's functions; the stubs below jump through the first two. */
__attribute__((visibility("hidden"), used)) void *kt_real_dlopen, *kt_real_dlsym;
static int (*real_dlclose)(void *);
static int (*real_dlinfo)(void *, int, void *);

static void *libc_fn(const char *name)
{
    /* dlsym's own versions on glibc >= 2.34, and the one before (libdl). */
    void *f = dlvsym(RTLD_NEXT, name, "GLIBC_2.34");
    return f ? f : dlvsym(RTLD_NEXT, name, "GLIBC_2.2.5");
}

static void resolve_real(void)
{
    if (__atomic_load_n(&kt_real_dlopen, __ATOMIC_ACQUIRE))
        return;
    kt_real_dlsym = libc_fn("dlsym");
    real_dlclose = (int (*)(void *))libc_fn("dlclose");
    real_dlinfo = (int (*)(void *, int, void *))libc_fn("dlinfo");
    __atomic_store_n(&kt_real_dlopen, libc_fn("dlopen"), __ATOMIC_RELEASE);
}

/* dlopen(path, flags) and dlsym(handle, name): a hook decides; 0 means "not a module's
 * business", and the stub jumps to libc's function with the caller's frame intact. */
__asm__(".pushsection .text\n"
        ".globl dlopen\n"
        ".type dlopen,@function\n"
        "dlopen:\n"
        "    endbr64\n"
        "    push %rdi\n"
        "    push %rsi\n"
        "    sub $24, %rsp\n"
        "    lea 8(%rsp), %rdx\n"
        "    call kt_plugins_dlopen_hook@PLT\n"
        "    mov 8(%rsp), %rcx\n"
        "    add $24, %rsp\n"
        "    pop %rsi\n"
        "    pop %rdi\n"
        "    test %eax, %eax\n"
        "    jz 1f\n"
        "    mov %rcx, %rax\n"
        "    ret\n"
        "1:  jmp *kt_real_dlopen(%rip)\n"
        ".size dlopen, .-dlopen\n"
        ".globl dlsym\n"
        ".type dlsym,@function\n"
        "dlsym:\n"
        "    endbr64\n"
        "    push %rdi\n"
        "    push %rsi\n"
        "    sub $24, %rsp\n"
        "    lea 8(%rsp), %rdx\n"
        "    call kt_plugins_dlsym_hook@PLT\n"
        "    mov 8(%rsp), %rcx\n"
        "    add $24, %rsp\n"
        "    pop %rsi\n"
        "    pop %rdi\n"
        "    test %eax, %eax\n"
        "    jz 1f\n"
        "    mov %rcx, %rax\n"
        "    ret\n"
        "1:  jmp *kt_real_dlsym(%rip)\n"
        ".size dlsym, .-dlsym\n"
        ".popsection\n");

static struct kt_handle *handle_of(const void *h)
{
    uintptr_t p = (uintptr_t)h, lo = (uintptr_t)handles;
    if (p < lo || p >= lo + sizeof handles || (p - lo) % sizeof *handles)
        return NULL;
    return (struct kt_handle *)h;
}

/* Between loading a new version and its commit (or rollback). */
static int updating(void)
{
    return kt_rt.old != NULL;
}

/* During an update the new code runs: a module of the old version without a
 * successor (removed) is no longer there for it. */
static struct kt_version *module_now(const struct kt_handle *h)
{
    if (h->next)
        return h->next;
    if (h->mod && updating() && h->mod->owner == kt_rt.old)
        return NULL;
    return h->mod;
}

static struct kt_version *find_module(const struct kt_version *v, const char *path,
                                      const char *name)
{
    for (int i = 0; i < v->nmods; i++) {
        const struct kt_version *m = v->mods[i];
        if ((path && (strcmp(m->path, path) == 0 ||
                      (m->opened_as && strcmp(m->opened_as, path) == 0))) ||
            (name && strcmp(m->mod_name, name) == 0))
            return v->mods[i];
    }
    return NULL;
}

static int add_module(struct kt_version *v, struct kt_version *m)
{
    if (v->nmods == v->cap_mods) {
        int cap = v->cap_mods ? v->cap_mods * 2 : 8;
        struct kt_version **n = realloc(v->mods, (size_t)cap * sizeof *n);
        if (!n)
            return -1;
        v->mods = n;
        v->cap_mods = cap;
    }
    v->mods[v->nmods++] = m;
    v->mods_gen++;
    return 0;
}

/* A file kitsune cannot take as a module is loaded as an ordinary library; as it may
 * point into the version, which kitsune would retire, every later update is refused. */
static void untracked(struct kt_version *v, const char *path, const char *why)
{
    kt_log("module %s loaded as an ordinary library (%s): updates are refused", path, why);
    if (!v->untracked) {
        size_t n = strlen(path) + strlen(why) + 4;
        v->untracked = malloc(n);
        if (v->untracked)
            snprintf(v->untracked, n, "%s (%s)", path, why);
    }
}

static void compose_now(struct kt_version *v)
{
    char err[KT_ERRLEN];
    if (!updating() && v->composed_gen != v->mods_gen && kt_version_compose(v, err, sizeof err))
        untracked(v, "(modules)", err);
}

/* Whether path lies in the directory of the version's main object, or below. */
static int beside_version(const struct kt_version *v, const char *path)
{
    const char *slash = strrchr(v->path, '/');
    size_t n = slash ? (size_t)(slash - v->path) : 0;
    return slash && strncmp(path, v->path, n) == 0 && path[n] == '/';
}

static int open_module(struct kt_version *v, const char *abs, int flags, void **out)
{
    struct kt_version *m = find_module(v, abs, NULL);
    if (m) {
        m->refs++;
        *out = &handles[m->slot];
        return 1;
    }
    if (flags & RTLD_NOLOAD)
        return 0;
    if (!kt_elf_has_section(abs, ".kitsune_ktt")) {
        /* An ordinary library, unless it is the program's own (or not an ELF file:
         * the loader says so). */
        if (beside_version(v, abs) && kt_elf_has_section(abs, ".dynsym"))
            untracked(v, abs, "beside the version but without a type summary: build it "
                      "with kitsune_add_module or kitc --embed");
        return 0;
    }
    char err[KT_ERRLEN];
    int rc = kt_module_prepare(abs, &m, err, sizeof err);
    if (rc) {
        untracked(v, abs, err);
        return 0;
    }
    int slot = -1;
    for (int i = 0; i < KT_MAX_MODULES && slot < 0; i++)
        if (!handles[i].used)
            slot = i;
    const char *why = find_module(v, NULL, m->mod_name) ? "a module of that name is open"
                      : slot < 0                         ? "too many modules"
                                                         : NULL;
    if (why) {
        untracked(v, abs, why);
        kt_version_discard(m);
        return 0;
    }
    m->dl_flags = flags;
    m->owner = v;
    m->refs = 1;
    m->opened_as = strdup(abs);
    if (kt_module_load(m, err, sizeof err)) {
        kt_version_discard(m);
        return 0; /* the loader fails again for the program, with its dlerror() */
    }
    if (add_module(v, m)) {
        untracked(v, abs, "out of memory");
        kt_version_discard(m);
        return 0;
    }
    m->slot = slot;
    handles[slot] = (struct kt_handle){.used = 1, .fresh = updating()};
    *(updating() ? &handles[slot].next : &handles[slot].mod) = m;
    compose_now(v);
    kt_log("module %s opened (%s)", m->mod_name, abs);
    *out = &handles[slot];
    return 1;
}

__attribute__((visibility("hidden"), used)) int kt_plugins_dlopen_hook(const char *path, int flags,
                                                                 void **out)
{
    resolve_real();
    struct kt_version *v = kt_rt.cur;
    if (!path || !strchr(path, '/') || !v)
        return 0;
    char abs[PATH_MAX];
    if (!realpath(path, abs))
        return 0; /* the loader says why */
    int saved = errno;
    pthread_mutex_lock(&lock);
    int rc = open_module(v, abs, flags, out);
    pthread_mutex_unlock(&lock);
    errno = saved;
    return rc;
}

__attribute__((visibility("hidden"), used)) int kt_plugins_dlsym_hook(void *h, const char *name,
                                                                void **out)
{
    resolve_real();
    struct kt_handle *k = handle_of(h);
    if (!k)
        return 0;
    struct kt_version *m = module_now(k);
    void *(*sym)(void *, const char *) = (void *(*)(void *, const char *))kt_real_dlsym;
    *out = m && m->handle ? sym(m->handle, name) : NULL;
    return 1;
}

static void remove_module(struct kt_version *m)
{
    struct kt_version *v = m->owner;
    for (int i = 0; v && i < v->nmods; i++)
        if (v->mods[i] == m) {
            memmove(&v->mods[i], &v->mods[i + 1], (size_t)(v->nmods - i - 1) * sizeof *v->mods);
            v->nmods--;
            v->mods_gen++;
            break;
        }
}

int dlclose(void *h)
{
    resolve_real();
    struct kt_handle *k = handle_of(h);
    if (!k)
        return real_dlclose(h);
    pthread_mutex_lock(&lock);
    struct kt_version *m = module_now(k);
    if (updating()) {
        /* Nothing changes before the commit: the old version may come back (rollback)
         * and the transfer may still be writing the new module.  A removed module's
         * handle is let go at the commit. */
        if (!m)
            k->closed = 1;
        else if (m->refs > 1)
            m->refs--;
    } else if (!m) { /* a module its version removed */
        *k = (struct kt_handle){0};
    } else if (m->refs > 1) {
        m->refs--;
    } else {
        struct kt_version *v = m->owner;
        remove_module(m);
        kt_log("module %s closed", m->mod_name);
        m->slot = -1;
        *k = (struct kt_handle){0};
        kt_version_discard(m);
        if (v)
            compose_now(v);
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

int dlinfo(void *restrict h, int request, void *restrict arg)
{
    resolve_real();
    struct kt_handle *k = handle_of(h);
    if (k) {
        struct kt_version *m = module_now(k);
        h = m ? m->handle : NULL;
    }
    return real_dlinfo(h, request, arg);
}

/* The successor of module `path` of the version at `old_main` in the version at
 * `new_main`: the same path relative to the main object's directory, or the same. */
static void successor_path(const char *old_main, const char *new_main, const char *path,
                           char *out, size_t len)
{
    const char *os = strrchr(old_main, '/'), *ns = strrchr(new_main, '/');
    size_t on = os ? (size_t)(os - old_main) : 0, nn = ns ? (size_t)(ns - new_main) : 0;
    if (os && strncmp(path, old_main, on) == 0 && path[on] == '/')
        snprintf(out, len, "%.*s%s", (int)nn, new_main, path + on);
    else
        snprintf(out, len, "%s", path);
}

static int prepare_successor(struct kt_version *m, struct kt_version *cur,
                             struct kt_version *nv, char *err, size_t errlen)
{
    char path[PATH_MAX], e2[KT_ERRLEN];
    successor_path(cur->path, nv->path, m->path, path, sizeof path);
    if (access(path, F_OK) != 0) {
        kt_log("module %s: no %s in the new version: removed", m->mod_name, path);
        return 0;
    }
    struct kt_version *s;
    int rc = kt_module_prepare(path, &s, e2, sizeof e2);
    if (rc) {
        snprintf(err, errlen, "module %s of the new version: %s%s", m->mod_name, e2,
                 rc > 0 ? " (every module needs its summary: kitsune_add_module)" : "");
        return -1;
    }
    if (strcmp(s->mod_name, m->mod_name) != 0 || add_module(nv, s)) {
        snprintf(err, errlen, "module %s: cannot take %s", m->mod_name, path);
        kt_version_discard(s);
        return -1;
    }
    s->pred = m;
    s->opened_as = m->opened_as ? strdup(m->opened_as) : NULL;
    s->slot = m->slot;
    s->dl_flags = m->dl_flags;
    s->refs = m->refs;
    s->owner = nv;
    return 0;
}

int kt_plugins_prepare(struct kt_version *cur, struct kt_version *nv, char *err, size_t errlen)
{
    int rc = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < KT_MAX_MODULES; i++)
        handles[i].closed = 0; /* by an attempt that did not commit */
    if (cur->untracked) {
        snprintf(err, errlen, "the program opened %s, which kitsune could not take as a "
                 "module (docs/plugins.md §8)", cur->untracked);
        rc = -1;
    }
    if (!rc && cur->composed_gen != cur->mods_gen)
        rc = kt_version_compose(cur, err, errlen);
    for (int i = 0; !rc && i < cur->nmods; i++)
        rc = prepare_successor(cur->mods[i], cur, nv, err, errlen);
    if (!rc && nv->nmods)
        rc = kt_version_compose(nv, err, errlen);
    nv->checked_gen = cur->mods_gen;
    pthread_mutex_unlock(&lock);
    return rc;
}

void kt_plugins_hold(int on)
{
    if (on)
        pthread_mutex_lock(&lock);
    else
        pthread_mutex_unlock(&lock);
}

int kt_plugins_changed(const struct kt_version *cur, const struct kt_version *nv)
{
    pthread_mutex_lock(&lock);
    int changed = cur->mods_gen != nv->checked_gen;
    pthread_mutex_unlock(&lock);
    return changed;
}

void kt_plugins_loaded(struct kt_version *m)
{
    if (m->slot >= 0)
        handles[m->slot].next = m;
}

static const struct kt_module_hooks module_hooks = {kt_plugins_loaded, kt_plugins_forget};

__attribute__((constructor)) static void tell_loader(void)
{
    kt_version_set_module_hooks(&module_hooks);
}

void kt_plugins_commit(struct kt_version *old)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < old->nmods; i++) {
        struct kt_handle *h = &handles[old->mods[i]->slot];
        if (h->mod == old->mods[i] && !h->next) {
            h->mod = NULL; /* removed: the handle leads nowhere */
            if (h->closed)
                *h = (struct kt_handle){0};
        }
    }
    for (int i = 0; i < KT_MAX_MODULES; i++)
        if (handles[i].used && handles[i].next) {
            handles[i].mod = handles[i].next;
            handles[i].next = NULL;
            handles[i].fresh = 0;
        }
    pthread_mutex_unlock(&lock);
}

void kt_plugins_settle(struct kt_version *nv)
{
    char err[KT_ERRLEN]; /* the modules it opened itself, now committed */
    pthread_mutex_lock(&lock);
    if (nv->composed_gen != nv->mods_gen && kt_version_compose(nv, err, sizeof err))
        untracked(nv, "(modules)", err);
    pthread_mutex_unlock(&lock);
}

void kt_plugins_forget(struct kt_version *m)
{
    if (m->slot < 0)
        return;
    pthread_mutex_lock(&lock);
    struct kt_handle *h = &handles[m->slot];
    if (h->next == m)
        h->next = NULL;
    if (h->mod == m)
        h->mod = NULL;
    if (h->fresh && !h->mod && !h->next)
        *h = (struct kt_handle){0};
    pthread_mutex_unlock(&lock);
}

size_t kt_plugins_json(char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "[");
    pthread_mutex_lock(&lock);
    const struct kt_version *v = kt_rt.cur;
    for (int i = 0; v && i < v->nmods && n + 1 < len; i++) {
        n += (size_t)snprintf(out + n, len - n, "%s{\"name\":", i ? "," : "");
        n += n < len ? kt_json_str(out + n, len - n, v->mods[i]->mod_name) : 0;
        n += n < len ? (size_t)snprintf(out + n, len - n, ",\"path\":") : 0;
        n += n < len ? kt_json_str(out + n, len - n, v->mods[i]->path) : 0;
        n += n < len ? (size_t)snprintf(out + n, len - n, "}") : 0;
    }
    pthread_mutex_unlock(&lock);
    n += n < len ? (size_t)snprintf(out + n, len - n, "]") : 0;
    return n < len ? n : len - 1;
}

const char *kitsune_version_path(void)
{
    return kt_rt.cur ? kt_rt.cur->path : NULL;
}
