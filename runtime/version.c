/* version.c - one program version: checking its file, loading it privately beside the
 * others, finding its variables and functions by key or address, and retiring it.
 *
 * A version is loaded from a private memfd copy of its file: the file is opened once,
 * checked (regular, owned by us or root, not writable by group or others), copied, and
 * only the copy is ever mapped, so the file cannot change between the checks and the
 * load.  The copy also gives every load its own inode, so updating to the very file
 * that is running (a v->v update) loads a second, distinct object. */
#include "kitsune.h"
#include "common.h"
#include "proc.h"
#include "log.h"
#include "elffile.h"
#include "version.h"
#include "libc.h"
#include "lifecycle.h"
#include "maps.h"
#include "rules.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

/* What plugins.c is told of a version's modules (kt_version_set_module_hooks). */
static const struct kt_module_hooks *module_hooks;

void kt_version_set_module_hooks(const struct kt_module_hooks *h)
{
    module_hooks = h;
}

/* Checks the file open at fd (named path in messages); closes it if it fails. */
static int checked(int fd, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        goto bad;
    }
    if (st.st_uid != getuid() && st.st_uid != 0) {
        snprintf(err, errlen, "%s: owned by uid %u, not by this process's user or root",
                 path, (unsigned)st.st_uid);
        goto bad;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(err, errlen, "%s: writable by group or others (mode %03o)", path,
                 (unsigned)(st.st_mode & 0777));
        goto bad;
    }
    return fd;
bad:
    close(fd);
    return -1;
}

static int copy_to_memfd(int fd, const char *path, char *err, size_t errlen)
{
    const char *base = strrchr(path, '/');
    char name[128];
    snprintf(name, sizeof name, "kitsune:%s", base ? base + 1 : path);
    int mfd = memfd_create(name, MFD_CLOEXEC);
    if (mfd < 0) {
        snprintf(err, errlen, "memfd_create: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    fstat(fd, &st);
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t n = sendfile(mfd, fd, &off, (size_t)(st.st_size - off));
        if (n <= 0) {
            snprintf(err, errlen, "%s: copy failed: %s", path, n < 0 ? strerror(errno) : "short");
            close(mfd);
            return -1;
        }
    }
    return mfd;
}

/* The file of a version: the one the client opened and passed (its path may not exist
 * in this process's root, after a chroot), or opened here by path. */
static int open_version(const char *path, int given, char *abs, size_t len, char *err,
                        size_t errlen)
{
    if (given >= 0) {
        snprintf(abs, len, "%s", path);
        int fd = fcntl(given, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return fd < 0 ? -1 : checked(fd, abs, err, errlen);
    }
    if (!realpath(path, abs)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int fd = open(abs, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", abs, strerror(errno));
        return -1;
    }
    return checked(fd, abs, err, errlen);
}

/* Gives every key of a module's summary its module's name: "NAME@KEY".  The order
 * by key is kept (one prefix for all). */
static int prefix_keys(struct ktt *k, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < k->nvars + k->nfuncs; i++) {
        char **key = i < k->nvars ? &k->vars[i].key : &k->funcs[i - k->nvars].key;
        char *p = malloc(n + strlen(*key) + 2);
        if (!p)
            return -1;
        sprintf(p, "%s@%s", name, *key);
        free(*key);
        *key = p;
    }
    return 0;
}

static int prepare_object(const char *path, int given_fd, int module, struct kt_version **out,
                          char *err, size_t errlen);
static int relocate_composed(struct kt_version *v);

int kt_version_prepare(const char *path, int given_fd, struct kt_version **out, char *err,
                       size_t errlen)
{
    return prepare_object(path, given_fd, 0, out, err, errlen);
}

int kt_module_prepare(const char *path, struct kt_version **out, char *err, size_t errlen)
{
    return prepare_object(path, -1, 1, out, err, errlen);
}

static int prepare_object(const char *path, int given_fd, int module, struct kt_version **out,
                          char *err, size_t errlen)
{
    char abs[4096];
    int fd = open_version(path, given_fd, abs, sizeof abs, err, errlen);
    if (fd < 0)
        return -1;
    int mfd = copy_to_memfd(fd, abs, err, errlen);
    close(fd);
    if (mfd < 0)
        return -1;
    char e2[KT_ERRLEN];
    char *text = NULL;
    size_t len = 0;
    int rc = -1; /* 1: a module's file without a summary */
    struct kt_version *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        close(mfd);
        return -1;
    }
    v->memfd = mfd;
    v->slot = -1;
    v->path = strdup(abs);
    if (!v->path) {
        snprintf(err, errlen, "out of memory");
        goto bad;
    }
    int found = kt_elf_section(mfd, ".kitsune_ktt", &text, &len, e2, sizeof e2);
    if (found) {
        snprintf(err, errlen, "%s: %s", abs, e2);
        if (module && found > 0)
            rc = 1; /* an ordinary library */
        goto bad;
    }
    if (ktt_parse(abs, text, len, &v->ktt, e2, sizeof e2)) {
        snprintf(err, errlen, "embedded type summary: %s", e2);
        goto bad;
    }
    if (module) {
        ktt_module_name(abs, v->mod_name, sizeof v->mod_name);
        if (prefix_keys(&v->ktt, v->mod_name)) {
            snprintf(err, errlen, "out of memory");
            goto bad;
        }
    }
    if (kt_elf_mark_readonly(mfd, &v->ktt, e2, sizeof e2)) {
        snprintf(err, errlen, "%s: %s", abs, e2);
        goto bad;
    }
    v->fingerprint = ktt_fingerprint(text, len);
    free(text);
    text = NULL;
    if (kt_elf_section(mfd, ".kitsune_xf", &text, &len, e2, sizeof e2) == 0) {
        v->xf_text = text;
        text = NULL;
    }
    if (kt_elf_section(mfd, ".kitsune_xf_self", &text, &len, e2, sizeof e2) == 0) {
        v->xf_self_text = text;
        text = NULL;
    }
    if (module) { /* its undefined symbols are checked by the loader (RTLD_NOW or not) */
        *out = v;
        return 0;
    }
    if (!ktt_find_func(&v->ktt, "main")) {
        snprintf(err, errlen, "%s: defines no main function", abs);
        goto bad;
    }
    if (kt_elf_check_symbols(mfd, e2, sizeof e2)) {
        snprintf(err, errlen, "%s: %s", abs, e2);
        goto bad;
    }
    *out = v;
    return 0;
bad:
    free(text);
    kt_version_discard(v);
    return rc;
}

static int cmp_addr(const void *a, const void *b)
{
    const struct kt_addr_entry *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int build_addr_index(struct kt_version *v)
{
    const struct ktt *k = &v->ktt;
    v->by_addr = calloc((size_t)(k->nvars + k->nfuncs) + 1, sizeof *v->by_addr);
    if (!v->by_addr)
        return -1;
    int n = 0;
    for (int i = 0; i < k->nvars; i++) {
        if (k->vars[i].flags & (KTT_VAR_TLS | KTT_VAR_LOCAL))
            continue;
        v->by_addr[n++] = (struct kt_addr_entry){
            .lo = v->base + k->vars[i].addr,
            .hi = v->base + k->vars[i].addr + (k->vars[i].size ? k->vars[i].size : 1),
            .key = k->vars[i].key, .var = i, .func = -1};
    }
    for (int i = 0; i < k->nfuncs; i++)
        v->by_addr[n++] = (struct kt_addr_entry){
            .lo = v->base + k->funcs[i].addr,
            .hi = v->base + k->funcs[i].addr + (k->funcs[i].size ? k->funcs[i].size : 1),
            .key = k->funcs[i].key, .var = -1, .func = i};
    qsort(v->by_addr, (size_t)n, sizeof *v->by_addr, cmp_addr);
    v->nby_addr = n;
    return 0;
}

struct phdr_search {
    struct kt_version *v;
    int found;
};

static int find_segments(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct phdr_search *s = data;
    if (info->dlpi_addr != s->v->base)
        return 0;
    struct kt_version *v = s->v;
    v->lo = UINTPTR_MAX;
    v->hi = 0;
    v->nseg = 0;
    for (int i = 0; i < info->dlpi_phnum && v->nseg < 8; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = v->base + ph->p_vaddr, hi = lo + ph->p_memsz;
        int prot = (ph->p_flags & PF_R ? PROT_READ : 0) |
                   (ph->p_flags & PF_W ? PROT_WRITE : 0) | (ph->p_flags & PF_X ? PROT_EXEC : 0);
        v->seg[v->nseg++] = (struct kt_segment){lo, hi, prot};
        if (lo < v->lo)
            v->lo = lo;
        if (hi > v->hi)
            v->hi = hi;
    }
    v->nseg_own = v->nseg;
    s->found = 1;
    return 1;
}

/* The loader keeps the name a version is opened by as its l_name, which is how a
 * debugger attached later finds the file to read its symbols from.  /proc/self would
 * name the debugger's own descriptor (in gdb a pipe, which it then blocks reading); the
 * pid names the copy this process maps. */
static void debug_name(const struct kt_version *v, char *buf, size_t len)
{
    snprintf(buf, len, "/proc/%d/fd/%d", (int)getpid(), v->memfd);
}

static struct link_map *link_map_of(const struct kt_version *v)
{
    struct link_map *lm;
    return v && v->handle && kt_libc_dlinfo(v->handle, RTLD_DI_LINKMAP, &lm) == 0 ? lm : NULL;
}

/* A forked child inherits the link map naming its parent's descriptor, which goes away
 * (or names another file) once the parent is updated.  The child names its own copy of
 * it; the loader's string is put back before the object is closed (the loader frees
 * it), see close_version. */
void kt_version_after_fork(struct kt_version *v)
{
    struct link_map *lm = link_map_of(v);
    if (!lm || v->memfd < 0)
        return;
    if (!v->loader_name)
        v->loader_name = lm->l_name;
    debug_name(v, v->debug_name, sizeof v->debug_name);
    lm->l_name = v->debug_name;
}

static void close_version(struct kt_version *v)
{
    struct link_map *lm = v->loader_name ? link_map_of(v) : NULL;
    if (lm)
        lm->l_name = v->loader_name;
    v->loader_name = NULL;
    kt_libc_dlclose(v->handle);
    v->handle = NULL;
}

/* dlopen takes a path.  In a chroot without /proc, /proc/PID/fd/N does not resolve;
 * the /proc opened at start does, as the relative path PID/fd/N from there (the
 * other threads are parked: nothing else depends on the working directory now).  The
 * link map is then given the absolute name a debugger outside the chroot finds. */
static void *dlopen_outside_root(struct kt_version *v, int flags)
{
    int proc = kt_proc_dir(), here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    char rel[64];
    snprintf(rel, sizeof rel, "%d/fd/%d", (int)getpid(), v->memfd);
    void *h = NULL;
    if (proc >= 0 && here >= 0 && fchdir(proc) == 0) {
        h = kt_libc_dlopen(rel, flags);
        if (fchdir(here) < 0)
            kt_log("cannot return to the working directory: %s", strerror(errno));
    }
    if (here >= 0)
        close(here);
    if (h) {
        v->handle = h;
        kt_version_after_fork(v); /* the absolute name, as for a forked child */
    }
    return h;
}

/* Loads the object of v (a version or a module) from its private copy. */
static int load_object(struct kt_version *v, int flags, char *err, size_t errlen)
{
    char fdpath[64];
    debug_name(v, fdpath, sizeof fdpath);
    if (access(fdpath, F_OK) < 0 && errno == ENOENT) {
        v->handle = dlopen_outside_root(v, flags);
        if (!v->handle && kt_proc_dir() < 0) {
            snprintf(err, errlen, "cannot load %s: /proc is not reachable from this "
                     "process's root (a chroot) and was not kept open at start", v->path);
            return -1;
        }
    } else {
        v->handle = kt_libc_dlopen(fdpath, flags);
    }
    if (!v->handle) {
        snprintf(err, errlen, "dlopen %s: %s", v->path, dlerror());
        return -1;
    }
    struct link_map *lm;
    if (kt_libc_dlinfo(v->handle, RTLD_DI_LINKMAP, &lm) < 0) {
        snprintf(err, errlen, "dlinfo: %s", dlerror());
        return -1;
    }
    v->base = lm->l_addr;
    struct phdr_search s = {v, 0};
    dl_iterate_phdr(find_segments, &s);
    if (!s.found || build_addr_index(v)) {
        snprintf(err, errlen, "cannot find the loaded segments of %s", v->path);
        return -1;
    }
    return 0;
}

int kt_module_load(struct kt_version *m, char *err, size_t errlen)
{
    return load_object(m, m->dl_flags, err, errlen);
}

int kt_version_load(struct kt_version *v, char *err, size_t errlen)
{
    if (load_object(v, RTLD_NOW | RTLD_LOCAL, err, errlen))
        return -1;
    /* The successors of the running version's modules, in the order those were opened
     * (their constructors run in that order), before the new main migrates them. */
    for (int i = 0; i < v->nmods; i++) {
        if (kt_module_load(v->mods[i], err, errlen))
            return -1;
        if (module_hooks)
            module_hooks->loaded(v->mods[i]);
    }
    /* In place: the plan made at the check refers to this summary's entries. */
    if (v->nmods && relocate_composed(v)) {
        snprintf(err, errlen, "out of memory indexing the modules");
        return -1;
    }
    v->main = (int (*)(int, char **))kt_version_func_addr(v, "main");
    /* A failed attempt leaves no gap: numbers count committed versions. */
    v->number = kt_rt.cur ? kt_rt.cur->number + 1 : 0;
    return 0;
}

/* The module whose keys carry the prefix of `key` ("NAME@..."), or NULL. */
static const struct kt_version *module_of_key(const struct kt_version *v, const char *key)
{
    const char *at = strchr(key, '@');
    if (!at)
        return NULL;
    for (int i = 0; i < v->nmods; i++)
        if (strlen(v->mods[i]->mod_name) == (size_t)(at - key) &&
            strncmp(v->mods[i]->mod_name, key, (size_t)(at - key)) == 0)
            return v->mods[i];
    return NULL;
}

/* Once loaded: module entries get addresses relative to v's base (wrapping: base + addr
 * is the absolute address), and v's segments and address index cover the modules. */
static int relocate_composed(struct kt_version *v)
{
    for (int i = 0; i < v->ktt.nvars; i++) {
        const struct kt_version *m = module_of_key(v, v->ktt.vars[i].key);
        const struct ktt_var *mv = m ? ktt_find_var(&m->ktt, v->ktt.vars[i].key) : NULL;
        if (mv)
            v->ktt.vars[i].addr = m->base + mv->addr - v->base;
    }
    for (int i = 0; i < v->ktt.nfuncs; i++) {
        const struct kt_version *m = module_of_key(v, v->ktt.funcs[i].key);
        const struct ktt_func *mf = m ? ktt_find_func(&m->ktt, v->ktt.funcs[i].key) : NULL;
        if (mf)
            v->ktt.funcs[i].addr = m->base + mf->addr - v->base;
    }
    v->nseg = v->nseg_own;
    for (int i = 0; i < v->nmods; i++) {
        const struct kt_version *m = v->mods[i];
        for (int j = 0; m->handle && j < m->nseg && v->nseg < KT_MAX_SEG; j++) {
            v->seg[v->nseg++] = m->seg[j];
            if (m->seg[j].lo < v->lo)
                v->lo = m->seg[j].lo;
            if (m->seg[j].hi > v->hi)
                v->hi = m->seg[j].hi;
        }
    }
    free(v->by_addr);
    v->by_addr = NULL;
    return build_addr_index(v);
}

int kt_version_compose(struct kt_version *v, char *err, size_t errlen)
{
    struct ktt k;
    memset(&k, 0, sizeof k);
    const struct ktt *own = v->composed ? &v->own : &v->ktt;
    int bad = ktt_append(&k, own, NULL);
    for (int i = 0; !bad && i < v->nmods; i++)
        bad = ktt_append(&k, &v->mods[i]->ktt, NULL);
    if (bad) {
        ktt_free(&k);
        snprintf(err, errlen, "out of memory composing the modules' summaries");
        return -1;
    }
    ktt_sort_keys(&k);
    if (!v->composed) {
        v->own = v->ktt;
        v->composed = 1;
    } else {
        ktt_free(&v->ktt);
    }
    v->ktt = k;
    v->composed_gen = v->mods_gen;
    if (v->handle && relocate_composed(v)) {
        snprintf(err, errlen, "out of memory indexing the modules");
        return -1;
    }
    return 0;
}

void kt_version_discard(struct kt_version *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->nmods; i++) {
        if (module_hooks)
            module_hooks->forget(v->mods[i]);
        kt_version_discard(v->mods[i]);
    }
    free(v->mods);
    v->mods = NULL;
    v->nmods = 0;
    if (v->composed)
        ktt_free(&v->own);
    free(v->untracked);
    free(v->opened_as);
    if (v->handle)
        close_version(v);
    if (v->memfd >= 0)
        close(v->memfd);
    ktt_free(&v->ktt);
    free(v->by_addr);
    free(v->xf_text);
    free(v->xf_self_text);
    free(v->path);
    free(v);
}

/* Retiring unloads the old object but keeps its .rodata readable at the same
 * addresses: string literals and constant tables of the old version may still be
 * pointed to from the heap (pointers into its .data.rel.ro variables were remapped to
 * the new version's during the transfer).  Its code and writable data are replaced by
 * inaccessible reservations, so a stale pointer into them faults loudly (and a stale
 * call is redirected, see stale.c) instead of silently running retired code. */
struct saved_segment {
    uintptr_t lo, hi;
    int prot;
    char *copy;
};

static uintptr_t page_down(uintptr_t a) { return a & ~(uintptr_t)4095; }
static uintptr_t page_up(uintptr_t a) { return (a + 4095) & ~(uintptr_t)4095; }

static int still_loaded(uintptr_t base)
{
    struct kt_version probe = {.base = base};
    struct phdr_search s = {&probe, 0};
    dl_iterate_phdr(find_segments, &s);
    return s.found;
}

/* Copies whole pages of a loaded segment, padding and all.  Done word by word and
 * uninstrumented: to AddressSanitizer the gaps between globals are poisoned, but here
 * they are just bytes of the mapping. */
__attribute__((no_sanitize("address")))
static void copy_pages(void *dst, uintptr_t src, size_t len)
{
    const volatile uint64_t *from = (const volatile uint64_t *)src;
    uint64_t *to = dst;
    for (size_t i = 0; i < len / sizeof *to; i++)
        to[i] = from[i];
}

/* Splits segment [lo, hi) into pieces that keep their contents (the pages holding
 * .rodata, where string literals live) and pieces that become inaccessible. */
static int plan_pieces(uintptr_t lo, uintptr_t hi, int prot, uintptr_t ro_lo, uintptr_t ro_hi,
                       struct saved_segment *out)
{
    int n = 0;
    if (prot != PROT_READ || ro_lo >= hi || ro_hi <= lo) {
        /* Code, writable data, or read-only loader data (headers, symbol tables). */
        out[n++] = (struct saved_segment){lo, hi, PROT_NONE, NULL};
        return n;
    }
    uintptr_t keep_lo = ro_lo > lo ? ro_lo : lo, keep_hi = ro_hi < hi ? ro_hi : hi;
    if (lo < keep_lo)
        out[n++] = (struct saved_segment){lo, keep_lo, PROT_NONE, NULL};
    out[n++] = (struct saved_segment){keep_lo, keep_hi, PROT_READ, NULL};
    if (keep_hi < hi)
        out[n++] = (struct saved_segment){keep_hi, hi, PROT_NONE, NULL};
    return n;
}

void kt_version_retire(struct kt_version *v)
{
    for (int i = 0; i < v->nmods; i++)
        if (v->mods[i]->handle)
            kt_version_retire(v->mods[i]);
    struct saved_segment saved[24];
    int n = 0;
    uintptr_t ro_lo = 0, ro_hi = UINTPTR_MAX; /* without section headers: keep all R pages */
    uint64_t addr, size;
    if (kt_elf_section_addr(v->memfd, ".rodata", &addr, &size) == 0) {
        ro_lo = page_down(v->base + addr);
        ro_hi = page_up(v->base + addr + size);
    }
    for (int i = 0; i < v->nseg_own && n <= 20; i++) {
        const struct kt_segment *s = &v->seg[i];
        n += plan_pieces(page_down(s->lo), page_up(s->hi), s->prot, ro_lo, ro_hi, &saved[n]);
    }
    for (int i = 0; i < n; i++) {
        if (saved[i].prot != PROT_READ)
            continue;
        size_t len = saved[i].hi - saved[i].lo;
        saved[i].copy = malloc(len);
        if (saved[i].copy)
            copy_pages(saved[i].copy, saved[i].lo, len);
    }
    close_version(v);
    if (still_loaded(v->base)) {
        kt_log("version %u stays loaded (the dynamic loader keeps it)", v->number);
    } else {
        for (int i = 0; i < n; i++) {
            size_t len = saved[i].hi - saved[i].lo;
            int prot = saved[i].copy ? PROT_READ | PROT_WRITE : PROT_NONE;
            void *p = mmap((void *)saved[i].lo, len, prot,
                           MAP_FIXED_NOREPLACE | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                           -1, 0);
            if (p == MAP_FAILED || p != (void *)saved[i].lo)
                continue;
            if (saved[i].copy) {
                copy_pages(p, (uintptr_t)saved[i].copy, len);
                mprotect(p, len, PROT_READ);
            }
        }
    }
    for (int i = 0; i < n; i++)
        free(saved[i].copy);
    if (v->memfd >= 0) {
        close(v->memfd);
        v->memfd = -1;
    }
}

void *kt_version_var_addr(const struct kt_version *v, const char *key)
{
    const struct ktt_var *var = ktt_find_var(&v->ktt, key);
    return var ? (void *)(v->base + var->addr) : NULL;
}

void *kt_version_func_addr(const struct kt_version *v, const char *key)
{
    const struct ktt_func *f = ktt_find_func(&v->ktt, key);
    return f ? (void *)(v->base + f->addr) : NULL;
}

const struct kt_addr_entry *kt_version_lookup_addr(const struct kt_version *v, uintptr_t addr)
{
    int lo = 0, hi = v->nby_addr - 1, best = -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (v->by_addr[mid].lo <= addr) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (best >= 0 && addr < v->by_addr[best].hi)
        return &v->by_addr[best];
    return NULL;
}

int kt_version_contains(const struct kt_version *v, uintptr_t addr)
{
    for (int i = 0; i < v->nseg; i++)
        if (addr >= v->seg[i].lo && addr < v->seg[i].hi)
            return 1;
    return 0;
}

int kt_version_is_text(const struct kt_version *v, uintptr_t addr)
{
    for (int i = 0; i < v->nseg; i++)
        if ((v->seg[i].prot & PROT_EXEC) && addr >= v->seg[i].lo && addr < v->seg[i].hi)
            return 1;
    return 0;
}
