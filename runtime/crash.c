/* crash.c - the ways a new version can fail on its own before the commit, and the
 * report that names them.
 *
 * Until the commit a crash of the new version - SIGSEGV, SIGBUS (caught in stale.c),
 * SIGFPE, SIGILL, abort() - or a call to exit() must not end the process: the update is
 * rolled back (update.c).  The report says what happened, at which address, and in
 * which code: the function and version holding the faulting instruction, or, for a
 * crash inside a library (abort, a libc routine), the nearest caller in a program
 * version found on the stack.
 *
 * Everything reached from a signal handler here is async-signal-safe: no stdio, no
 * allocation, no locks; the report is formatted by hand into the caller's buffer. */
#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "common.h"
#include "libc.h"
#include "log.h"
#include "version.h"
#include "lifecycle.h"
#include "threads.h"
#include "crash.h"
#include "signals.h"

/* Messages are formatted with log.c's kt_str_append* (no snprintf in a handler). */

/* ---- which code ---- */

/* The loaded version whose code holds `pc`, or NULL. */
static const struct kt_version *version_of_code(uintptr_t pc)
{
    const struct kt_version *vs[] = {kt_rt.cur, kt_rt.old, kt_rt.next};
    for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
        if (vs[i] && vs[i]->handle && kt_version_is_text(vs[i], pc))
            return vs[i];
    return NULL;
}

/* "FUNC (version N)"; code outside every function the summary knows (a compiler's
 * .cold fragment, a PLT stub) by its offset in the object. */
static void put_code(char *buf, size_t len, const struct kt_version *v, uintptr_t pc)
{
    const struct kt_addr_entry *e = kt_version_lookup_addr(v, pc);
    if (e && e->func >= 0) {
        kt_str_append(buf, len, e->key);
    } else {
        kt_str_append(buf, len, "code at offset ");
        kt_str_append_hex(buf, len, pc - v->base);
    }
    kt_str_append(buf, len, " (version ");
    kt_str_append_dec(buf, len, (long)v->number);
    kt_str_append(buf, len, ")");
}

/* The stack above the handler's frame that may be read: the new main's stack while an
 * update runs (set by update.c), nothing otherwise. */
static uintptr_t scan_lo, scan_hi;

void kt_crash_stack(const void *lo, size_t size)
{
    scan_lo = (uintptr_t)lo;
    scan_hi = lo ? (uintptr_t)lo + size : 0;
}

/* Calls `fn` on each word of the stack from `from` upwards (at most 64 KB), while it
 * returns 0; returns what fn returned last. */
/* The words from `from` up to hi (at most 64 KB of them), through fn until it says
 * non-zero. */
KT_NO_ASAN static int scan_words(uintptr_t from, uintptr_t hi,
                                 int (*fn)(uintptr_t word, void *arg), void *arg)
{
    uintptr_t p = (from + 7) & ~(uintptr_t)7;
    uintptr_t end = hi < p + 65536 ? hi : p + 65536;
    for (; p + sizeof(uintptr_t) <= end; p += sizeof(uintptr_t)) {
        int r = fn(*(const uintptr_t *)p, arg);
        if (r)
            return r;
    }
    return 0;
}

static int scan_stack(const void *from, int (*fn)(uintptr_t word, void *arg), void *arg)
{
    uintptr_t p = ((uintptr_t)from + 7) & ~(uintptr_t)7;
    uintptr_t lo = scan_lo, hi = scan_hi;
    if (!lo) /* outside an update: the main stack the committed version runs on */
        kt_update_current_stack(&lo, &hi);
    if (!from || p < lo || p >= hi)
        return 0;
    return scan_words(p, hi, fn, arg);
}

struct caller {
    const struct kt_version *v;
    uintptr_t pc;
};

static int is_version_code(uintptr_t word, void *arg)
{
    struct caller *c = arg;
    const struct kt_version *v = version_of_code(word - 1);
    /* A return address: the call is just before it (maybe at the very end of a
     * function, for a call that does not return). */
    if (!v)
        return 0;
    /* A function's own address is a pointer to it left on the stack (the handler
     * passed to signal(), say), not a return address. */
    const struct kt_addr_entry *e = kt_version_lookup_addr(v, word);
    if (e && e->func >= 0 && e->lo == word)
        return 0;
    c->v = v;
    c->pc = word - 1;
    return 1;
}

static const char *signal_what(int sig)
{
    switch (sig) {
    case SIGSEGV: return "segmentation fault (SIGSEGV)";
    case SIGBUS: return "bus error (SIGBUS)";
    case SIGFPE: return "floating-point exception (SIGFPE)";
    case SIGILL: return "illegal instruction (SIGILL)";
    case SIGABRT: return "abort() (SIGABRT)";
    default: return "signal";
    }
}

void kt_crash_describe(char *buf, size_t len, int sig, const siginfo_t *info,
                       const void *ctx, const char *during)
{
    buf[0] = 0;
    const ucontext_t *uc = ctx;
    uintptr_t pc = uc ? (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] : 0;
    kt_str_append(buf, len, signal_what(sig));
    if (sig != SIGABRT && info && info->si_code > 0) { /* raised by the kernel */
        kt_str_append(buf, len, " at address ");
        kt_str_append_hex(buf, len, (uintptr_t)info->si_addr);
    }
    const struct kt_version *v = pc ? version_of_code(pc) : NULL;
    if (v) {
        kt_str_append(buf, len, " in ");
        put_code(buf, len, v, pc);
    } else {
        struct caller c = {NULL, 0};
        if (pc) {
            kt_str_append(buf, len, " at pc ");
            kt_str_append_hex(buf, len, pc);
        }
        if (scan_stack(uc ? (const void *)uc->uc_mcontext.gregs[REG_RSP] : (const void *)&c,
                       is_version_code, &c)) {
            kt_str_append(buf, len, ", called from ");
            put_code(buf, len, c.v, c.pc);
        }
    }
    if (during) {
        kt_str_append(buf, len, " ");
        kt_str_append(buf, len, during);
    }
}

void kt_crash_describe_retired(char *buf, size_t len, unsigned version, const char *key,
                               uintptr_t off, uintptr_t addr, const void *ctx)
{
    buf[0] = 0;
    const ucontext_t *uc = ctx;
    uintptr_t pc = uc ? (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] : 0;
    kt_str_append(buf, len, "access to the retired data of version ");
    kt_str_append_dec(buf, len, (long)version);
    kt_str_append(buf, len, key ? ": " : ": writable data at offset ");
    if (key) {
        kt_str_append(buf, len, key);
        kt_str_append(buf, len, "+");
        kt_str_append_dec(buf, len, (long)off);
    } else {
        kt_str_append_hex(buf, len, off);
    }
    kt_str_append(buf, len, " (address ");
    kt_str_append_hex(buf, len, addr);
    kt_str_append(buf, len, ")");
    const struct kt_version *v = pc ? version_of_code(pc) : NULL;
    struct caller c = {NULL, 0};
    if (v) {
        kt_str_append(buf, len, " by ");
        put_code(buf, len, v, pc);
    } else if (pc) {
        kt_str_append(buf, len, " by the code at ");
        kt_str_append_hex(buf, len, pc);
        if (scan_stack(uc ? (const void *)uc->uc_mcontext.gregs[REG_RSP] : NULL,
                       is_version_code, &c)) {
            kt_str_append(buf, len, ", called from ");
            put_code(buf, len, c.v, c.pc);
        }
    }
}

/* ---- inside the allocator? ---- */

/* The allocator's entry points: a return address inside one of them on the stack means
 * the interrupted code was in malloc or free, perhaps holding the arena's lock. */
static struct {
    uintptr_t lo, hi;
} alloc_fn[16];
static int nalloc_fn;

static void note_alloc_fn(const char *name)
{
    void *p = kt_libc_dlsym(RTLD_DEFAULT, name);
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (!p || nalloc_fn == (int)(sizeof alloc_fn / sizeof *alloc_fn) ||
        !dladdr1(p, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym || !sym->st_size)
        return;
    alloc_fn[nalloc_fn].lo = (uintptr_t)p;
    alloc_fn[nalloc_fn].hi = (uintptr_t)p + sym->st_size;
    nalloc_fn++;
}

static int is_alloc_code(uintptr_t word, void *arg)
{
    (void)arg;
    for (int i = 0; i < nalloc_fn; i++)
        if (word >= alloc_fn[i].lo && word < alloc_fn[i].hi)
            return 1;
    return 0;
}

/* Whether the context a signal interrupted is inside the allocator: its pc, or a
 * return address in its live frames (from its stack pointer up). */
int kt_crash_in_allocator(const void *ctx)
{
    const ucontext_t *uc = ctx;
    if (!uc)
        return 0;
    if (is_alloc_code((uintptr_t)uc->uc_mcontext.gregs[REG_RIP], NULL))
        return 1;
    return scan_stack((const void *)uc->uc_mcontext.gregs[REG_RSP], is_alloc_code, NULL);
}

/* The same for a thread of the runtime's own whose stack ends at stack_hi (a
 * forwarding engine's helper): its frames from the stack pointer up to stack_hi. */
int kt_crash_in_allocator_below(const void *ctx, uintptr_t stack_hi)
{
    const ucontext_t *uc = ctx;
    if (!uc)
        return 0;
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    return is_alloc_code((uintptr_t)uc->uc_mcontext.gregs[REG_RIP], NULL) ||
           (sp < stack_hi && scan_words(sp, stack_hi, is_alloc_code, NULL));
}

/* ---- handlers ---- */

static void on_crash(int sig, siginfo_t *info, void *ctx)
{
    if (kt_update_fault(sig, info, ctx))
        return; /* not reached: the update was rolled back */
    kt_signal_pass_on(sig, info, ctx); /* the program's handler (signals.c) */
}

void kt_crash_install(void)
{
    static const int sigs[] = {SIGABRT, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        kt_signal_take(sigs[i], on_crash);
    /* The names the program calls (perhaps an interposed allocator's) and glibc's own. */
    static const char *const alloc_names[] = {
        "malloc", "free", "calloc", "realloc", "memalign", "posix_memalign",
        "aligned_alloc", "__libc_malloc", "__libc_free", "__libc_calloc", "__libc_realloc",
        "__libc_memalign"};
    for (size_t i = 0; i < sizeof alloc_names / sizeof *alloc_names; i++)
        note_alloc_fn(alloc_names[i]);
}

/* ---- exit() before the commit ---- */

/* Takes libc's exit: a new version that calls exit() before reaching its update point
 * (a failed initialisation, a usage message) is rolled back instead of ending the
 * process under the old version's feet.  After the commit, and outside updates, this
 * is libc's exit. */
void exit(int status)
{
    static void (*real_exit)(int);
    if (kt_updating() && kt_thread_is_main())
        kt_update_fail("the new version called exit(%d) before reaching update point '%s'",
                       status, kt_rt.old_point);
    if (!real_exit)
        real_exit = (void (*)(int))kt_libc_dlsym(RTLD_NEXT, "exit");
    if (real_exit)
        real_exit(status);
    _exit(status); /* not reached: libc's exit does not return */
}
