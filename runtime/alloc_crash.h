/* alloc_crash.h - after a crash inside the allocator (alloc_crash.c). */
#ifndef KT_ALLOC_CRASH_H
#define KT_ALLOC_CRASH_H

#include <stdint.h>

/* The exit status of a process that can no longer allocate (EX_SOFTWARE). */
#define KT_EXIT_ALLOCATOR_LOST 70
/* How long the crashed main thread waits for the control thread's probe. */
#define KT_ALLOC_PROBE_MS 1000

/* What the report of a lost allocator says; every string stays valid until the end. */
struct kt_alloc_story {
    const char *reason;  /* the rollback's reason: the crash, formatted by its handler */
    const char *path;    /* the new version */
    unsigned from, to;   /* version numbers */
    int client_fd;       /* the requesting client's connection, or -1 */
    double frozen_since_ms; /* kt_now_ms() when the attempt froze the program */
};

/* Signal handler, main thread: remembers whether ctx was inside the allocator. */
void kt_alloc_crash_note(const void *ctx);
/* Signal handler, a forwarding engine's helper thread that will stop (fast.c), its stack
 * ending at stack_hi: 1 if ctx was inside the allocator, which the main thread's
 * rollback then checks. */
int kt_alloc_crash_note_helper(const void *ctx, uintptr_t stack_hi);
/* Signal handler, any thread: if it is the probe's thread that faulted, says so to the
 * waiting main thread and never returns; 0 otherwise. */
int kt_alloc_probe_faulted(void);
/* Control thread: whether the main thread asks for a probe; runs it (no lock held). */
int kt_alloc_probe_asked(void);
void kt_alloc_probe_run(void);
/* Main thread, back in the old context: 0 if the crash was not inside the allocator;
 * 1 if it was and malloc still works (the cleanup must leak what the crash made
 * suspect); does not return if malloc is lost (the report, then the process ends). */
int kt_alloc_crash_settle(const struct kt_alloc_story *s);
/* Ends the process with the report, write(2) only; why: what the probe found. */
__attribute__((noreturn)) void kt_alloc_crash_fatal(const struct kt_alloc_story *s,
                                                    const char *why);

#endif
