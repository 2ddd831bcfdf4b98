/* gdb_attach.c - a program for tests/lib/run_gdb.sh: gdb attached to it must show the
 * running version's frames by name.  Each version waits in a function named after it
 * (idle_in_v1, idle_in_v2), so a backtrace says which version's symbols gdb found. */
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
    if (kitsune_is_updating())
        printf("running v%d\n", VERSION);
    else
        printf("ready\n");
    fflush(stdout);
    IDLE_IN(VERSION)();
}
