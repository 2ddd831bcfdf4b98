/* resume.h - what a thread owns that an update attempt must give back.
 *
 * A thread that reaches an update point while an update is pending may be parked,
 * switched to another context (the main thread runs the new version on a fresh
 * stack) and then sent back to the old version when the update is refused or rolled
 * back.  The runtime's own work in between (sigaction calls while restoring handlers,
 * wake signals, the new version's code) can change errno, the signal mask, the
 * alternate signal stack and the floating-point environment.  A program that reads
 * errno right after its update point returns (a sendfile fallback does) must see what
 * it left there, so each is saved when the thread enters an attempt and restored when
 * it resumes in the old version. */
#ifndef KITSUNE_RESUME_H
#define KITSUNE_RESUME_H

#include <fenv.h>
#include <signal.h>

struct kt_resume_state {
    int saved_errno;
    const char *point_passed; /* may point into a version the attempt discards */
    sigset_t mask;
    stack_t altstack;
    int has_altstack;
    fenv_t fenv;
};

/* Records the calling thread's state. */
void kt_resume_save(struct kt_resume_state *s);
/* Gives the calling thread back what kt_resume_save recorded.  A wake signal
 * (`wake_signal`) that the runtime sent while the thread blocked it is consumed, so
 * the program does not see a stray EINTR later. */
void kt_resume_restore(const struct kt_resume_state *s, int wake_signal);

#endif
