/* version.h - one loaded program version: checking, loading, addressing and
 * retiring it, and the modules it dlopens (version.c). */
#ifndef KITSUNE_VERSION_H
#define KITSUNE_VERSION_H

#include <stddef.h>
#include <stdint.h>
#include "ktt.h"

struct kt_segment {
    uintptr_t lo, hi;
    int prot; /* PROT_* of the segment */
};
struct kt_addr_entry {
    uintptr_t lo, hi;     /* absolute address range [lo, hi) */
    const char *key;
    int var;              /* index into ktt.vars, or -1 for a function */
    int func;             /* index into ktt.funcs, or -1 */
};
/* Segments of a version: its main object's (at most 8), then its modules'. */
#define KT_MAX_SEG 64
#define KT_MAX_MODULES 128
struct kt_version {
    unsigned number;
    char *path;           /* absolute path it was loaded from */
    int memfd;            /* private copy the object is loaded from */
    void *handle;
    uintptr_t base;       /* load bias (l_addr) */
    struct ktt ktt;
    int (*main)(int, char **);
    struct kt_segment seg[KT_MAX_SEG];
    int nseg;
    int nseg_own;         /* the first nseg_own are the main object's own */
    struct kt_addr_entry *by_addr; /* vars and funcs sorted by address */
    int nby_addr;
    uintptr_t lo, hi;     /* span of all segments */
    uint64_t fingerprint; /* of the summary text, to match generated transformers */
    char *xf_text;        /* rule table of the embedded transformers, or NULL */
    char *xf_self_text;   /* the same for updating from itself (.kitsune_xf_self) */
    char debug_name[48];  /* l_name in a forked child: /proc/PID/fd/N of its own pid */
    char *loader_name;    /* the loader's l_name it stands in for, put back to close */
    /* Modules the program dlopens itself (plugins.c, docs/plugins.md).  Once there are
     * any, ktt is composed: the object's own summary (own) and then each module's,
     * whose keys are "NAME@KEY" and addresses relative to this object's base. */
    struct kt_version **mods; /* in the order they were opened */
    int nmods, cap_mods;
    struct ktt own;
    int composed;
    unsigned mods_gen;        /* bumped when mods changes */
    unsigned composed_gen;    /* mods_gen that ktt was composed for */
    unsigned checked_gen;     /* a next version: the running one's mods_gen at the check */
    char *untracked;          /* a module that could not be taken: updates are refused */
    /* As a module: */
    char mod_name[64];        /* NAME of its keys */
    char *opened_as;          /* the path the program first opened it by (a successor
                                 keeps its predecessor's): opening it again finds it */
    int dl_flags;             /* as the program opened it */
    int slot;                 /* its handle (plugins.c), -1 for none */
    int refs;                 /* dlopen count */
    struct kt_version *owner; /* the version it belongs to */
    struct kt_version *pred;  /* a successor: the module of the old version it replaces */
};
/* fd >= 0: the file, already open (path is then only its name in messages). */
int kt_version_prepare(const char *path, int fd, struct kt_version **out, char *err,
                       size_t errlen);
int kt_version_load(struct kt_version *v, char *err, size_t errlen);
void kt_version_discard(struct kt_version *v);  /* unload a version never committed */
void kt_version_retire(struct kt_version *v);   /* release an old version after commit */
void kt_version_after_fork(struct kt_version *v); /* name it for the child's debugger */
void *kt_version_var_addr(const struct kt_version *v, const char *key);
void *kt_version_func_addr(const struct kt_version *v, const char *key);
const struct kt_addr_entry *kt_version_lookup_addr(const struct kt_version *v,
                                                   uintptr_t addr);
int kt_version_is_text(const struct kt_version *v, uintptr_t addr);
/* Whether addr lies in a segment of v's objects (not only in their span). */
int kt_version_contains(const struct kt_version *v, uintptr_t addr);
/* Modules: prepared like a version (1: the file has no summary, not a module), loaded
 * with the flags in m->dl_flags; compose rebuilds v->ktt (and, once loaded, the
 * addresses, segments and address index) from its own summary and its modules'. */
int kt_module_prepare(const char *path, struct kt_version **out, char *err, size_t errlen);
int kt_module_load(struct kt_version *m, char *err, size_t errlen);
int kt_version_compose(struct kt_version *v, char *err, size_t errlen);

/* Told of a version's modules: one loaded (its handle leads to it from now on), one
 * being discarded.  plugins.c, which owns the handles, gives them when the runtime
 * is loaded: the loader knows no more of the plugins. */
struct kt_module_hooks {
    void (*loaded)(struct kt_version *m);
    void (*forget)(struct kt_version *m);
};
void kt_version_set_module_hooks(const struct kt_module_hooks *h);

#endif
