/* A process's files in the private directory (PID.sock, PID.log) go when it ends:
 * driven by tests/lib/run_private_files.sh.  With argument "exit" the program returns
 * from main after a while, with "_exit" it ends with _exit (the files stay), with
 * "crash" it faults; otherwise it runs until a signal ends it. */
#include <stdint.h>

#include "scenario.h"

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    kitsune_do_automigrate();
    printf("ready\n");
    fflush(stdout);
    for (int i = 0;; i++) {
        kitsune_update("loop");
        if (i == 200 && strcmp(how, "exit") == 0)
            return 0;
        if (i == 200 && strcmp(how, "_exit") == 0)
            _exit(0);
        if (i == 200 && strcmp(how, "crash") == 0) {
            volatile uintptr_t p = 0x10;
            (void)*(volatile int *)p;
        }
        usleep(1000);
    }
}
