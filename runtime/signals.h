/* signals.h - the runtime's signal handlers first, the program's behind them
 * (signals.c). */
#ifndef KITSUNE_SIGNALS_H
#define KITSUNE_SIGNALS_H

#include <signal.h>

/* The runtime's handler first, the program's recorded behind it */
void kt_signal_take(int sig, void (*fn)(int, siginfo_t *, void *));
void kt_signal_pass_on(int sig, siginfo_t *info, void *ctx); /* to the program's */
void kt_signal_default(int sig); /* default action, the private files removed first */
void kt_signal_catch_exits(void); /* SIG_DFL signals that end the process: cleanup */
/* Blocks all but the faults (for the runtime's own threads), the mask before in *old */
void kt_signal_block_all_but_faults(sigset_t *old);

#endif
