/* signals.c - the program's own signal handlers, behind the runtime's.
 *
 * The runtime's fault handlers (stale.c: SIGSEGV, SIGBUS; crash.c: SIGFPE, SIGILL,
 * SIGABRT) must run first, always: a fault while an update is transferred the state is
 * a rollback, a call through a stale function pointer is redirected.  A program that
 * installs a handler of its own for one of them (a crash reporter, as servers have)
 * would otherwise take the fault and end the process under a rollback's feet.  So the
 * program's sigaction() and signal() for these signals only record its handler here,
 * and report it back; the kernel keeps the runtime's, which hands every fault that is
 * not the runtime's business on to the recorded handler (kt_signal_pass_on) with the
 * program's flags and mask.  update.c saves and restores the recorded handlers around
 * an update (a rolled-back version's handler is code that goes away).
 *
 * A signal whose default action ends the process (SIGTERM, SIGINT, ...) is caught by
 * the runtime while the program leaves it at SIG_DFL, so that the process's files in
 * the private directory are removed before it dies; the program still sees SIG_DFL,
 * and any other disposition it sets goes to the kernel as it is. */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "libc.h"
#include "lifecycle.h"
#include "signals.h"

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
static sigaction_fn real_sigaction;

static struct sigaction program[NSIG]; /* the program's handler of a taken signal */
static volatile sig_atomic_t taken[NSIG]; /* the runtime's handler is the kernel's */
static struct sigaction runtime_handler[NSIG];
static volatile sig_atomic_t exit_caught[NSIG]; /* SIG_DFL, with the runtime's cleanup */

static const int exit_signals[] = {SIGHUP,  SIGINT,  SIGQUIT,   SIGTERM, SIGPIPE,
                                   SIGALRM, SIGUSR1, SIGUSR2,   SIGXCPU, SIGXFSZ,
                                   SIGVTALRM, SIGPROF, SIGSYS};

static int libc_sigaction(int sig, const struct sigaction *sa, struct sigaction *old)
{
    if (!real_sigaction)
        real_sigaction = (sigaction_fn)kt_libc_dlsym(RTLD_NEXT, "sigaction");
    if (!real_sigaction) {
        errno = ENOSYS;
        return -1;
    }
    return real_sigaction(sig, sa, old);
}

__attribute__((constructor)) static void resolve_sigaction(void)
{
    real_sigaction = (sigaction_fn)kt_libc_dlsym(RTLD_NEXT, "sigaction");
}

/* The kernel's disposition for a taken signal: the runtime's handler, on the
 * alternate stack if the program's handler asked for it (a stack overflow report). */
static void install_runtime(int sig)
{
    struct sigaction sa = runtime_handler[sig];
    if (program[sig].sa_flags & SA_ONSTACK)
        sa.sa_flags |= SA_ONSTACK;
    libc_sigaction(sig, &sa, NULL);
}

void kt_signal_take(int sig, void (*fn)(int, siginfo_t *, void *))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    runtime_handler[sig] = sa;
    libc_sigaction(sig, NULL, &program[sig]);
    taken[sig] = 1;
    install_runtime(sig);
}

/* The default action now: the process's files go first (a fault re-executes the
 * instruction and dies, a sent signal is raised again by the caller). */
void kt_signal_default(int sig)
{
    kt_private_files_remove();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    taken[sig] = 0;
    exit_caught[sig] = 0;
    libc_sigaction(sig, &sa, NULL);
}

/* Hands a signal the runtime does not take to the handler the program had installed,
 * or to the default action (also for stale.c's SIGSEGV/SIGBUS). */
void kt_signal_pass_on(int sig, siginfo_t *info, void *ctx)
{
    struct sigaction prev = program[sig];
    /* sa_handler and sa_sigaction share their storage: SIG_DFL and SIG_IGN either way */
    if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
        if (prev.sa_flags & SA_RESETHAND) {
            memset(&program[sig], 0, sizeof program[sig]);
            program[sig].sa_handler = SIG_DFL;
        }
        /* The program's mask while its handler runs; the kernel restores the
         * interrupted one when the runtime's handler returns. */
        sigset_t mask = prev.sa_mask;
        if (!(prev.sa_flags & SA_NODEFER))
            sigaddset(&mask, sig);
        kt_libc.sigprocmask(SIG_BLOCK, &mask, NULL);
        if (prev.sa_flags & SA_SIGINFO)
            prev.sa_sigaction(sig, info, ctx);
        else
            prev.sa_handler(sig);
        return;
    }
    kt_signal_default(sig);
    if (info && info->si_code <= 0)
        raise(sig);
}

/* A thread the runtime creates with this mask takes no asynchronous signal (the wake
 * signal, the program's SIGTERM); the faults stay open, because a fault the kernel
 * raises while its signal is blocked ends the process without running any handler:
 * the crash handlers (crash.c, stale.c) must see a fault of such a thread too, e.g.
 * the control thread's probe of a corrupt heap (alloc_crash.c). */
void kt_signal_block_all_but_faults(sigset_t *old)
{
    static const int faults[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
    sigset_t mask;
    sigfillset(&mask);
    for (size_t i = 0; i < sizeof faults / sizeof *faults; i++)
        sigdelset(&mask, faults[i]);
    kt_libc.pthread_sigmask(SIG_SETMASK, &mask, old);
}

/* A signal the program leaves at its default action, which ends the process. */
static void on_exit_signal(int sig, siginfo_t *info, void *ctx)
{
    (void)info;
    (void)ctx;
    kt_signal_default(sig);
    raise(sig);
}

static int is_exit_signal(int sig)
{
    for (size_t i = 0; i < sizeof exit_signals / sizeof *exit_signals; i++)
        if (exit_signals[i] == sig)
            return sig != kt_threads_wake_signal();
    return 0;
}

static void catch_exit_signal(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_exit_signal;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (libc_sigaction(sig, &sa, NULL) == 0)
        exit_caught[sig] = 1;
}

void kt_signal_catch_exits(void)
{
    for (size_t i = 0; i < sizeof exit_signals / sizeof *exit_signals; i++) {
        struct sigaction cur;
        int sig = exit_signals[i];
        if (is_exit_signal(sig) && libc_sigaction(sig, NULL, &cur) == 0 &&
            !(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_DFL)
            catch_exit_signal(sig);
    }
}

static void default_action(struct sigaction *out)
{
    memset(out, 0, sizeof *out);
    out->sa_handler = SIG_DFL;
    sigemptyset(&out->sa_mask);
}

static int is_default(const struct sigaction *sa)
{
    return !(sa->sa_flags & SA_SIGINFO) && sa->sa_handler == SIG_DFL;
}

/* The program's sigaction: see the header comment. */
int sigaction(int sig, const struct sigaction *sa, struct sigaction *old)
{
    if (sig > 0 && sig < NSIG && taken[sig]) {
        if (old)
            *old = program[sig];
        if (sa) {
            program[sig] = *sa;
            install_runtime(sig);
        }
        return 0;
    }
    if (sig > 0 && sig < NSIG && is_exit_signal(sig) && (exit_caught[sig] || (sa && is_default(sa)))) {
        struct sigaction was;
        if (exit_caught[sig])
            default_action(&was);
        else if (libc_sigaction(sig, NULL, &was) < 0)
            return -1;
        if (sa && !is_default(sa)) {
            if (libc_sigaction(sig, sa, NULL) < 0)
                return -1;
            exit_caught[sig] = 0;
        } else if (sa) {
            catch_exit_signal(sig);
        }
        if (old)
            *old = was;
        return 0;
    }
    return libc_sigaction(sig, sa, old);
}

/* glibc's signal() calls its sigaction internally: taken here too, with its BSD
 * semantics (the handler stays, interrupted calls restart). */
sighandler_t signal(int sig, sighandler_t handler)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sig > 0 && sig < NSIG)
        sigaddset(&sa.sa_mask, sig);
    if (sigaction(sig, &sa, &old) < 0)
        return SIG_ERR;
    return (old.sa_flags & SA_SIGINFO) ? (sighandler_t)(void (*)(void))old.sa_sigaction
                                       : old.sa_handler;
}
