/* closure.c - Kitsune's transformation closures (XF_* in kitsune_xf.h) for code that
 * xfgen generated from .xf rules.  A closure describes how to carry one piece of old
 * memory into the new version; type closures are the planner's plans, so generated
 * code and the engine always transform a type the same way. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kitsune.h"
#include "common.h"
#include "lifecycle.h"
#include "oom.h"
#include "closure.h"
#include "kitsune_xf.h"
#include "plan.h"
#include "engine.h"
#include "translate.h"

enum closure_kind { C_TYPE, C_RAW, C_PTR, C_ARRAY, C_PTRARRAY, C_NTARRAY, C_NTSTR, C_FPTR };

struct kitsune_closure {
    enum closure_kind kind;
    const struct plan *plan;       /* C_TYPE */
    size_t n, old_size, new_size;
    struct kitsune_closure *elem;  /* PTR target, array elements */
    struct kitsune_closure *next;  /* all closures of this update */
};

static struct kitsune_closure *all;
/* $xform(T0, T1) by the addresses of its names (string literals of generated code):
 * the planner's lookup by name compares strings with every rule. */
#define NAMED_CACHED 64
static struct {
    const char *old_type, *new_type;
    struct kitsune_closure *c;
} named[NAMED_CACHED];
static pthread_mutex_t closure_lock = PTHREAD_MUTEX_INITIALIZER;
/* Closures are values: a rule that runs once per object asks for the same ones each
 * time, so each is made once and found again by its contents (open addressing). */
static struct kitsune_closure **table;
static size_t table_mask, nclosures;
/* And each thread's last ones, in front of the table and its lock (two lock round trips
 * per `XF_PTR($xform(...))` were 5 % of a keyspace's transfer).  An update's closures
 * are freed at its end, which starts a new generation: older entries are not used. */
#define LOCAL_CACHED 16
static unsigned generation = 1;
static __thread struct {
    unsigned gen;
    struct kitsune_closure key, *c;
} local[LOCAL_CACHED];
static __thread struct {
    unsigned gen;
    const char *old_type, *new_type;
    struct kitsune_closure *c;
} local_named[LOCAL_CACHED];

static unsigned current_generation(void)
{
    return __atomic_load_n(&generation, __ATOMIC_RELAXED);
}


/* The plans of the update in progress: closures are made only while one transfers. */
static struct plan_ctx *update_ctx(void)
{
    struct plan_ctx *c = kt_translate_env()->ctx;
    if (!c)
        kitsune_xf_fail("a closure asked for outside an update");
    return c;
}

static size_t closure_hash(const struct kitsune_closure *c)
{
    uint64_t h = (uint64_t)c->kind * 0x9e3779b97f4a7c15ULL;
    uint64_t parts[5] = {(uintptr_t)c->plan, c->n, c->old_size, c->new_size,
                         (uintptr_t)c->elem};
    for (int i = 0; i < 5; i++)
        h = (h ^ parts[i]) * 0xff51afd7ed558ccdULL;
    return (size_t)(h ^ (h >> 29));
}

static int closure_equal(const struct kitsune_closure *a, const struct kitsune_closure *b)
{
    return a->kind == b->kind && a->plan == b->plan && a->n == b->n &&
           a->old_size == b->old_size && a->new_size == b->new_size && a->elem == b->elem;
}

static int table_grow(void)
{
    size_t size = table ? (table_mask + 1) * 2 : 256;
    struct kitsune_closure **t = calloc(size, sizeof *t);
    if (!t)
        return -1;
    for (struct kitsune_closure *c = all; c; c = c->next) {
        size_t h = closure_hash(c) & (size - 1);
        while (t[h])
            h = (h + 1) & (size - 1);
        t[h] = c;
    }
    free(table);
    table = t;
    table_mask = size - 1;
    return 0;
}

static struct kitsune_closure *intern_shared(const struct kitsune_closure *key);

/* The closure equal to `key`, made the first time it is asked for. */
static struct kitsune_closure *intern(const struct kitsune_closure *key)
{
    unsigned gen = current_generation();
    size_t slot = closure_hash(key) % LOCAL_CACHED;
    if (local[slot].gen == gen && closure_equal(&local[slot].key, key))
        return local[slot].c;
    struct kitsune_closure *c = intern_shared(key);
    local[slot].gen = gen;
    local[slot].key = *key;
    local[slot].c = c;
    return c;
}

static struct kitsune_closure *intern_shared(const struct kitsune_closure *key)
{
    pthread_mutex_lock(&closure_lock);
    if ((!table || (nclosures + 1) * 2 > table_mask + 1) && table_grow()) {
        pthread_mutex_unlock(&closure_lock);
        kitsune_xf_fail("out of memory");
    }
    size_t h = closure_hash(key) & table_mask;
    for (; table[h]; h = (h + 1) & table_mask)
        if (closure_equal(table[h], key)) {
            pthread_mutex_unlock(&closure_lock);
            return table[h];
        }
    struct kitsune_closure *c = malloc(sizeof *c);
    if (!c) {
        pthread_mutex_unlock(&closure_lock);
        kitsune_xf_fail("out of memory");
    }
    *c = *key;
    c->next = all;
    all = c;
    table[h] = c;
    nclosures++;
    pthread_mutex_unlock(&closure_lock);
    return c;
}

static struct kitsune_closure *make(enum closure_kind kind)
{
    struct kitsune_closure key = {.kind = kind};
    return intern(&key);
}

void kt_closures_free(void)
{
    pthread_mutex_lock(&closure_lock);
    while (all) {
        struct kitsune_closure *n = all->next;
        free(all);
        all = n;
    }
    free(table);
    table = NULL;
    table_mask = nclosures = 0;
    memset(named, 0, sizeof named);
    __atomic_add_fetch(&generation, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&closure_lock);
}

/* The closure of plan p: one per plan, reused however often a rule runs. */
static kitsune_closure *plan_closure(const struct plan *p)
{
    struct kitsune_closure key = {.kind = C_TYPE, .plan = p, .old_size = p->old_size,
                                  .new_size = p->new_size};
    return intern(&key);
}

static kitsune_closure *xf_type_shared(const char *old_type, const char *new_type);

kitsune_closure *kitsune_xf_type(const char *old_type, const char *new_type)
{
    unsigned gen = current_generation();
    size_t slot = (((uintptr_t)old_type ^ ((uintptr_t)new_type >> 3)) >> 3) % LOCAL_CACHED;
    if (local_named[slot].gen == gen && local_named[slot].old_type == old_type &&
        local_named[slot].new_type == new_type)
        return local_named[slot].c;
    kitsune_closure *c = xf_type_shared(old_type, new_type);
    local_named[slot].gen = gen;
    local_named[slot].old_type = old_type;
    local_named[slot].new_type = new_type;
    local_named[slot].c = c;
    return c;
}

static kitsune_closure *xf_type_shared(const char *old_type, const char *new_type)
{
    size_t h = (((uintptr_t)old_type ^ ((uintptr_t)new_type >> 3)) >> 3) % NAMED_CACHED;
    pthread_mutex_lock(&closure_lock);
    struct kitsune_closure *c = named[h].old_type == old_type && named[h].new_type == new_type
                                    ? named[h].c : NULL;
    pthread_mutex_unlock(&closure_lock);
    if (c)
        return c;
    const struct plan *p = plan_for_names_args(update_ctx(), old_type, new_type, NULL, NULL);
    if (!p)
        kitsune_xf_fail("$xform(%s, %s): no such types, or they need rules", old_type,
                        new_type);
    c = plan_closure(p);
    pthread_mutex_lock(&closure_lock);
    named[h].old_type = old_type;
    named[h].new_type = new_type;
    named[h].c = c;
    pthread_mutex_unlock(&closure_lock);
    return c;
}

/* $xform(T0, T1, closures...): xfgen wrote the closures as the generic arguments
 * `args` they stand for, planned up front; $gen(t) among them is "@t", bound where the
 * generic type whose rule runs is used. */
kitsune_closure *kitsune_xf_type_args(const char *old_type, const char *new_type,
                                      const char *args)
{
    if (strchr(args, '@') && !kt_xf_rule_env)
        kitsune_xf_fail("$xform(%s, %s, <%s>) outside the rule of a generic type", old_type,
                        new_type, args);
    const struct plan *p = plan_for_names_args(update_ctx(), old_type, new_type, args,
                                               kt_xf_rule_env);
    if (!p)
        kitsune_xf_fail("$xform(%s, %s, <%s>): not planned for this update", old_type,
                        new_type, args);
    return plan_closure(p);
}

/* $gen(name): the closure for what @name is bound to in the generic type whose rule is
 * running (one closure per plan). */
kitsune_closure *kitsune_xf_gen(const char *name)
{
    if (!kt_xf_rule_env)
        kitsune_xf_fail("$gen(%s) outside the rule of a generic type", name);
    int opaque;
    const struct plan *p = plan_binding(update_ctx(), kt_xf_rule_env, name, &opaque);
    if (opaque)
        return kitsune_xf_raw(sizeof(void *));
    if (!p)
        kitsune_xf_fail("$gen(%s): @%s is not bound here", name, name);
    return plan_closure(p);
}

kitsune_closure *kitsune_xf_raw(size_t size)
{
    struct kitsune_closure key = {.kind = C_RAW, .old_size = size, .new_size = size};
    return intern(&key);
}

kitsune_closure *kitsune_xf_ptr(kitsune_closure *target)
{
    struct kitsune_closure key = {.kind = C_PTR, .elem = target};
    return intern(&key);
}

static kitsune_closure *array_closure(enum closure_kind kind, size_t n, size_t old_size,
                                      size_t new_size, kitsune_closure *elem)
{
    struct kitsune_closure key = {.kind = kind, .n = n, .old_size = old_size,
                                  .new_size = new_size, .elem = elem};
    return intern(&key);
}

kitsune_closure *kitsune_xf_array(size_t n, size_t old_size, size_t new_size,
                                  kitsune_closure *elem)
{
    return array_closure(C_ARRAY, n, old_size, new_size, elem);
}

kitsune_closure *kitsune_xf_ptrarray(size_t n, size_t old_size, size_t new_size,
                                     kitsune_closure *elem)
{
    return array_closure(C_PTRARRAY, n, old_size, new_size, elem);
}

kitsune_closure *kitsune_xf_ntarray(size_t old_size, size_t new_size, kitsune_closure *elem)
{
    return array_closure(C_NTARRAY, 0, old_size, new_size, elem);
}

kitsune_closure *kitsune_xf_ntstr(void)
{
    return make(C_NTSTR);
}

kitsune_closure *kitsune_xf_fptr(void)
{
    return make(C_FPTR);
}

void kitsune_xf_fail(const char *fmt, ...)
{
    char msg[KT_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kt_update_fail("transformer: %s", msg); /* returns outside an update, and on helpers */
    char why[KT_ERRLEN + 16];
    snprintf(why, sizeof why, "transformer: %s", msg);
    kt_engine_helper_fail(why); /* a forwarding helper stops; the main thread rolls back */
    kt_stop_thread("kitsune_xf_fail outside an update, with nothing to roll back", msg);
}

static size_t count_until_zero(const char *p, size_t size)
{
    size_t n = 0;
    for (;; n++) {
        size_t i = 0;
        while (i < size && p[n * size + i] == 0)
            i++;
        if (i == size)
            return n + 1;
    }
}

/* A pointer slot: the object it points to is found (and rebuilt once) by the engine. */
static void invoke_pointer(const struct kt_engine *e, kitsune_closure *c, const void *in,
                           void *out, size_t count, int nul_terminated)
{
    if (c->elem && c->elem->kind == C_TYPE) {
        e->follow(c->elem->plan, in, out, count, nul_terminated);
        return;
    }
    void *old;
    memcpy(&old, in, sizeof old);
    void *nw = old ? e->lookup_new(old) : old;
    memcpy(out, &nw, sizeof nw);
}

void kitsune_xf_invoke(kitsune_closure *c, const void *in, void *out)
{
    if (!c)
        kitsune_xf_fail("XF_INVOKE of a NULL closure");
    const struct kt_engine *e = kt_engine_running();
    if (!e)
        kitsune_xf_fail("XF_INVOKE outside an update");
    switch (c->kind) {
    case C_TYPE:
        e->apply_plan(c->plan, in, out);
        break;
    case C_RAW:
        if (in != out)
            memmove(out, in, c->old_size);
        break;
    case C_PTR:
        invoke_pointer(e, c, in, out, 1, 0);
        break;
    case C_PTRARRAY:
        invoke_pointer(e, c, in, out, c->n, 0);
        break;
    case C_NTARRAY: {
        const char *old;
        memcpy(&old, in, sizeof old);
        invoke_pointer(e, c, in, out, old ? count_until_zero(old, c->old_size) : 0, 1);
        break;
    }
    case C_ARRAY:
        for (size_t i = 0; i < c->n; i++)
            kitsune_xf_invoke(c->elem, (const char *)in + i * c->old_size,
                              (char *)out + i * c->new_size);
        break;
    case C_NTSTR:
        if (in != out)
            memcpy(out, in, sizeof(char *));
        break;
    case C_FPTR: {
        void *f;
        memcpy(&f, in, sizeof f);
        f = e->translate_fptr(f);
        memcpy(out, &f, sizeof f);
        break;
    }
    }
}
