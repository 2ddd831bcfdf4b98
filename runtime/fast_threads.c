/* fast_threads.c - the forwarding engine's helper threads: started when the main
 * thread has work to give, stopped by a fault or abort() in a rule (a signal handler
 * set for the transfer turns it into a failure of the update), joined at the end.
 * After a crash inside the allocator a helper never exits: its exit would free its
 * malloc cache through an arena whose lock its abandoned frames may hold. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "fast_internal.h"
#include "alloc_crash.h"
#include "libc.h"
#include "log.h"
#include "signals.h"

static struct sigaction prev_segv, prev_bus, prev_abrt;
static void (*helper_work)(struct worker *); /* fast.c's, given to fast_start_helpers */
static int handlers_set;

/* A fault (or abort() in a rule) on a helper thread ends that helper; the update is
 * then rolled back by the main thread.  Anything else goes to the previous handler. */
static void on_signal(int sig, siginfo_t *info, void *ctx)
{
    struct worker *w = cur_w;
    if (w && w->index > 0 && w->guarded) {
        w->guarded = 0;
        if (!w->failed) {
            w->err[0] = 0;
            kt_str_append(w->err, sizeof w->err, sig == SIGSEGV ? "segmentation fault (SIGSEGV)"
                          : sig == SIGBUS ? "bus error (SIGBUS)"
                                          : "abort() (SIGABRT)");
            if (sig != SIGABRT) {
                kt_str_append(w->err, sizeof w->err, " at address ");
                kt_str_append_hex(w->err, sizeof w->err, (uintptr_t)info->si_addr);
            }
            kt_str_append(w->err, sizeof w->err, " on a helper thread while transferring "
                          "the state");
            w->failed = 1;
        }
        w->in_alloc = kt_alloc_crash_note_helper(ctx, w->stack_hi);
        if (w->in_alloc)
            kt_str_append(w->err, sizeof w->err, ", inside the allocator");
        __atomic_store_n(&F.halt, 1, __ATOMIC_RELAXED);
        siglongjmp(w->jmp, 1);
    }
    struct sigaction *prev = sig == SIGSEGV ? &prev_segv : sig == SIGBUS ? &prev_bus : &prev_abrt;
    if (prev->sa_flags & SA_SIGINFO) {
        prev->sa_sigaction(sig, info, ctx);
    } else if (prev->sa_handler == SIG_DFL) {
        signal(sig, SIG_DFL);
        if (sig == SIGABRT)
            raise(sig);
    } else if (prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
    }
}

void fast_set_handlers(int on)
{
    if (on == handlers_set)
        return;
    if (on) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_signal;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, &prev_segv);
        sigaction(SIGBUS, &sa, &prev_bus);
        sigaction(SIGABRT, &sa, &prev_abrt);
    } else {
        sigaction(SIGSEGV, &prev_segv, NULL);
        sigaction(SIGBUS, &prev_bus, NULL);
        sigaction(SIGABRT, &prev_abrt, NULL);
    }
    handlers_set = on;
}

static void *helper_main(void *arg)
{
    struct worker *w = arg;
    cur_w = w;
    w->stack_hi = (uintptr_t)__builtin_frame_address(0);
    w->t_start = kt_now_ms();
    if (sigsetjmp(w->jmp, 1) == 0) {
        w->guarded = 1;
        helper_work(w);
        w->guarded = 0;
    }
    w->t_end = kt_now_ms();
    pthread_mutex_lock(&F.lock);
    w->finished = 1;
    pthread_cond_broadcast(&F.cond);
    pthread_mutex_unlock(&F.lock);
    /* A thread's exit frees its malloc cache, taking its arena's lock: after a crash
     * inside the allocator, a lock the abandoned frames may hold.  Such a helper stays
     * parked for ever; the main thread's rollback asks whether the allocator still works
     * (alloc_crash.c), and the process ends with the report if it does not. */
    while (w->in_alloc)
        pause();
    return NULL;
}

void fast_stop_helpers(void)
{
    if (!F.helpers)
        return;
    for (int i = 1; i <= F.helpers; i++) {
        pthread_mutex_lock(&F.lock);
        while (!F.w[i].finished)
            pthread_cond_wait(&F.cond, &F.lock);
        pthread_mutex_unlock(&F.lock);
        if (F.w[i].in_alloc)
            pthread_detach(F.w[i].tid); /* parked in helper_main for ever, never exits */
        else
            pthread_join(F.w[i].tid, NULL);
    }
    F.helpers = 0;
    fast_set_handlers(0);
}

void fast_start_helpers(void (*work)(struct worker *))
{
    helper_work = work;
    F.idle = 0;
    F.done = 0;
    F.hungry = 0;
    F.nshared = 0;
    F.nshared_hint = 0;
    F.helpers = 0;
    fast_set_handlers(1);
    /* Helpers take no asynchronous signals: they belong to no kitsune thread. */
    sigset_t old;
    kt_signal_block_all_but_faults(&old);
    pthread_mutex_lock(&F.lock);
    for (int i = 1; i < F.nthreads; i++) {
        if (pthread_create(&F.w[i].tid, NULL, helper_main, &F.w[i]) != 0)
            break;
        F.helpers++;
    }
    pthread_mutex_unlock(&F.lock);
    kt_libc.pthread_sigmask(SIG_SETMASK, &old, NULL);
}

