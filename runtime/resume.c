/* resume.c - saving and restoring what a thread owns across an update attempt that
 * ends in the old version (see resume.h for why). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "kitsune.h"
#include "resume.h"

void kt_resume_save(struct kt_resume_state *s)
{
    s->saved_errno = errno;
    s->point_passed = kitsune_point_passed;
    pthread_sigmask(SIG_SETMASK, NULL, &s->mask);
    s->has_altstack = sigaltstack(NULL, &s->altstack) == 0;
    fegetenv(&s->fenv);
}

/* A signal sent to this thread while it had the signal blocked stays pending; take it
 * so that unblocking it later interrupts nothing. */
static void consume_pending(int sig)
{
    sigset_t pending, one;
    if (sig <= 0 || sigpending(&pending) != 0 || !sigismember(&pending, sig))
        return;
    sigemptyset(&one);
    sigaddset(&one, sig);
    struct timespec zero = {0, 0};
    sigtimedwait(&one, NULL, &zero);
}

void kt_resume_restore(const struct kt_resume_state *s, int wake_signal)
{
    if (sigismember(&s->mask, wake_signal) == 1)
        consume_pending(wake_signal);
    if (s->has_altstack) {
        stack_t cur;
        /* sigaltstack refuses changes while running on the alternate stack itself. */
        if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_ONSTACK) &&
            (cur.ss_sp != s->altstack.ss_sp || cur.ss_size != s->altstack.ss_size ||
             cur.ss_flags != s->altstack.ss_flags)) {
            stack_t want = s->altstack;
            want.ss_flags &= SS_DISABLE;
            sigaltstack(&want, NULL);
        }
    }
    fesetenv(&s->fenv);
    pthread_sigmask(SIG_SETMASK, &s->mask, NULL);
    kitsune_point_passed = s->point_passed;
    errno = s->saved_errno;
}
