/* gdb_attach.c - a program for tests/lib/run_gdb.sh: gdb attached to it must show the
 * running version's frames by name.  Each version waits in a function named after it
 * (idle_in_v1, idle_in_v2), so a backtrace says which version's symbols gdb found.
 * Version 1 also forks a child, a kitsune process of its own that stays at version 1
 * when only the parent is updated. */
#include <signal.h>
#include <sys/prctl.h>

#include "scenario.h"

#define PASTE(a, b) a##b
#define IDLE_IN(v) PASTE(idle_in_v, v)

__attribute__((noinline)) static void IDLE_IN(VERSION)(void)
{
    for (;;) {
        kitsune_update("idle");
        usleep(1000);
    }
}

int main(void)
{
    if (kitsune_is_updating()) {
        printf("running v%d\n", VERSION);
    } else {
        pid_t child = fork();
        if (child == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* the harness stops the parent */
            IDLE_IN(VERSION)();
        }
        printf("child %d\nready\n", (int)child);
    }
    fflush(stdout);
    IDLE_IN(VERSION)();
}
