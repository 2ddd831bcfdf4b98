/* crash.h - crashes and exit() of the new version before commit, described
 * async-signal-safely (crash.c). */
#ifndef KITSUNE_CRASH_H
#define KITSUNE_CRASH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* Crashes and exit() of the new version before commit (async-signal-safe) */
void kt_crash_install(void);
void kt_crash_stack(const void *lo, size_t size); /* the stack a handler may scan */
void kt_crash_describe(char *buf, size_t len, int sig, const siginfo_t *info,
                       const void *ctx, const char *during);
/* "access to the retired data of version N: KEY+OFF (address A) by FUNC (version M)" */
void kt_crash_describe_retired(char *buf, size_t len, unsigned version, const char *key,
                               uintptr_t off, uintptr_t addr, const void *ctx);
int kt_crash_in_allocator(const void *ctx);
/* The same on a runtime thread whose stack ends at stack_hi (fast.c's helpers). */
int kt_crash_in_allocator_below(const void *ctx, uintptr_t stack_hi); /* ctx: the handler's ucontext */

#endif
