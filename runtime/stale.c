/* stale.c - what happens to pointers into a retired version that no traversal saw.
 *
 * A retired version's code and writable data are inaccessible reservations (see
 * kt_version_retire), so a call through a stale function pointer - one a library keeps
 * in its own state, such as a libevent callback - faults at the old function's entry.
 * The fault handler looks up the function's key (after a function rename rule, the new
 * one) and, if the running version has a function of that key, resumes the call there: the return address and arguments
 * are untouched at a function's first instruction.  Without a counterpart, or for a
 * data access, it says what was touched (the version, the variable and offset, the
 * code that touched it) and lets the fault kill the process: never is
 * retired code silently run.  A fault on the main thread while an update is being
 * transferred rolls the update back instead (update.c). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "version.h"
#include "lifecycle.h"
#include "migrate.h"
#include "crash.h"
#include "signals.h"
#include "stale.h"

struct retired_func {
    uintptr_t addr;
    const char *key; /* interned: versions share their keys */
};

struct retired_var {
    uintptr_t lo, hi;
    const char *key; /* interned */
};

struct retired {
    unsigned number;
    uintptr_t lo, hi;               /* whole span of the object */
    struct kt_segment seg[KT_MAX_SEG];
    int nseg;
    struct retired_func *funcs;     /* sorted by address */
    int nfuncs;
    struct retired_var *vars;       /* writable variables, sorted by address */
    int nvars;
    uintptr_t base;
};

static struct retired *retired;
static int nretired, cap_retired;

/* Function keys are mostly the same from one version to the next (always for a
 * self-update), so each is stored once however many versions are retired. */
static char **interned;
static size_t interned_cap, interned_n;

static size_t hash_key(const char *s)
{
    size_t h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

static const char *intern(const char *key)
{
    if ((interned_n + 1) * 2 > interned_cap) {
        size_t cap = interned_cap ? interned_cap * 2 : 1024;
        char **n = calloc(cap, sizeof *n);
        if (!n)
            return NULL;
        for (size_t i = 0; i < interned_cap; i++)
            if (interned[i]) {
                size_t h = hash_key(interned[i]) & (cap - 1);
                while (n[h])
                    h = (h + 1) & (cap - 1);
                n[h] = interned[i];
            }
        free(interned);
        interned = n;
        interned_cap = cap;
    }
    size_t h = hash_key(key) & (interned_cap - 1);
    for (; interned[h]; h = (h + 1) & (interned_cap - 1))
        if (strcmp(interned[h], key) == 0)
            return interned[h];
    interned[h] = strdup(key);
    if (interned[h])
        interned_n++;
    return interned[h];
}

static int cmp_func(const void *a, const void *b)
{
    const struct retired_func *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Keeps what the fault handler needs of a version being retired. */
void kt_stale_add(const struct kt_version *v)
{
    if (nretired == cap_retired) {
        int cap = cap_retired ? cap_retired * 2 : 16;
        struct retired *n = realloc(retired, (size_t)cap * sizeof *n);
        if (!n)
            return;
        retired = n;
        cap_retired = cap;
    }
    struct retired r = {.number = v->number, .lo = v->lo, .hi = v->hi, .nseg = v->nseg};
    memcpy(r.seg, v->seg, sizeof r.seg);
    r.funcs = calloc((size_t)v->ktt.nfuncs + 1, sizeof *r.funcs);
    for (int i = 0; r.funcs && i < v->ktt.nfuncs; i++) {
        r.funcs[r.nfuncs].addr = v->base + v->ktt.funcs[i].addr;
        /* Under the name the function has in the version that replaced v. */
        r.funcs[r.nfuncs].key = intern(kt_migrate_successor(v->ktt.funcs[i].key));
        if (r.funcs[r.nfuncs].key)
            r.nfuncs++;
    }
    qsort(r.funcs, (size_t)r.nfuncs, sizeof *r.funcs, cmp_func);
    /* by_addr is sorted already: its variables in order, for naming a data access. */
    r.base = v->base;
    r.vars = calloc((size_t)v->nby_addr + 1, sizeof *r.vars);
    for (int i = 0; r.vars && i < v->nby_addr; i++)
        if (v->by_addr[i].var >= 0) {
            r.vars[r.nvars] = (struct retired_var){v->by_addr[i].lo, v->by_addr[i].hi,
                                                   intern(v->by_addr[i].key)};
            if (r.vars[r.nvars].key)
                r.nvars++;
        }
    /* Published last: the handler may read the array at any time. */
    retired[nretired] = r;
    __atomic_store_n(&nretired, nretired + 1, __ATOMIC_RELEASE);
}

/* A version with modules spans other mappings between its objects; its segments'
 * pages are what was retired. */
static int in_segment(const struct retired *r, uintptr_t addr)
{
    for (int i = 0; i < r->nseg; i++)
        if (addr >= (r->seg[i].lo & ~(uintptr_t)4095) &&
            addr < ((r->seg[i].hi + 4095) & ~(uintptr_t)4095))
            return 1;
    return 0;
}

static const struct retired *find_retired(uintptr_t addr)
{
    int n = __atomic_load_n(&nretired, __ATOMIC_ACQUIRE);
    for (int i = n - 1; i >= 0; i--)
        if (addr >= retired[i].lo && addr < retired[i].hi && in_segment(&retired[i], addr))
            return &retired[i];
    return NULL;
}

static const char *func_at(const struct retired *r, uintptr_t addr)
{
    int lo = 0, hi = r->nfuncs - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (r->funcs[mid].addr == addr)
            return r->funcs[mid].key;
        if (r->funcs[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

static const struct retired_var *var_at(const struct retired *r, uintptr_t addr)
{
    int lo = 0, hi = r->nvars - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (addr < r->vars[mid].lo)
            hi = mid - 1;
        else if (addr >= r->vars[mid].hi)
            lo = mid + 1;
        else
            return &r->vars[mid];
    }
    return NULL;
}

static int in_exec_segment(const struct retired *r, uintptr_t addr)
{
    for (int i = 0; i < r->nseg; i++)
        if ((r->seg[i].prot & PROT_EXEC) && addr >= r->seg[i].lo && addr < r->seg[i].hi)
            return 1;
    return 0;
}

/* Async-signal-safe message: write(2) of a few pieces. */
static void say(const char *a, const char *b, const char *c)
{
    const char *parts[] = {"kitsune: ", a, b, c, "\n"};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        if (parts[i]) {
            ssize_t n = write(2, parts[i], strlen(parts[i]));
            (void)n;
        }
}

static void on_fault(int sig, siginfo_t *info, void *ctx)
{
    uintptr_t addr = (uintptr_t)info->si_addr;
    ucontext_t *uc = ctx;
    const struct retired *r = find_retired(addr);
    if (r && in_exec_segment(r, addr) && (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] == addr) {
        const char *key = func_at(r, addr);
        void *target = key && kt_rt.cur ? kt_version_func_addr(kt_rt.cur, key) : NULL;
        if (target) {
            uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)target;
            return;
        }
        say("call through a stale pointer to retired function ", key ? key : "(unknown)",
            ", which the running version does not have");
        kt_signal_default(sig);
        return;
    }
    if (r) {
        static char msg[600]; /* the handler may not allocate; faults end the process */
        const struct retired_var *v = var_at(r, addr);
        kt_crash_describe_retired(msg, sizeof msg, r->number, v ? v->key : NULL,
                                  v ? addr - v->lo : addr - r->base, addr, ctx);
        say(msg, NULL, NULL);
        kt_signal_default(sig);
        return;
    }
    if (kt_update_fault(sig, info, ctx))
        return; /* not reached: the update was rolled back */
    kt_signal_pass_on(sig, info, ctx); /* the program's handler (signals.c) */
}

void kt_stale_install(void)
{
    kt_signal_take(SIGSEGV, on_fault);
    kt_signal_take(SIGBUS, on_fault);
}
