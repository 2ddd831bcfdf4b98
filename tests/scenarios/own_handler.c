/* A program with a crash handler of its own, installed from main with sigaction
 * SA_SIGINFO in every version (as servers install their crash reporters).  Version 2's
 * main installs its handler, then its transfer faults: the runtime's handler must come
 * first, so the update is rolled back and version 1 goes on, its own handler in place
 * again (version 2's code is gone).  Version 3 commits and then faults outside any
 * update: that fault reaches version 3's handler, with its siginfo.
 * kitsune-test: outcomes=rolled_back,committed
 * kitsune-test: reason=segmentation fault (SIGSEGV) at address 0x28 in ... while transferring the state (variable broken)
 * kitsune-test: dies-with=own handler of version 3: SIGSEGV at 0x30
 */
#include <signal.h>
#include <stdint.h>

#include "scenario.h"

int broken = 5;

static void on_segv(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "own handler of version %d: %s at %p\n", VERSION,
            sig == SIGSEGV ? "SIGSEGV" : "another signal", info->si_addr);
    fflush(stderr);
    _exit(3);
}

static int handler_is_mine(void)
{
    struct sigaction cur;
    return sigaction(SIGSEGV, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
           cur.sa_sigaction == on_segv;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    kitsune_do_automigrate();
    if (kitsune_is_updating()) {
        CHECK_INT(broken, 5);
        CHECK(handler_is_mine());
        scenario_report();
    } else {
        printf("ready\n");
        fflush(stdout);
    }
#if VERSION == 3
    const char *slow = getenv("KITSUNE_TEST_SLOW");
    long until_fault = 300L * (slow ? atoi(slow) : 1); /* once the reply has gone */
#endif
    for (;;) {
        kitsune_update("loop");
        if (!handler_is_mine()) {
            printf("FAIL: version %d's SIGSEGV handler is not the one it installed\n",
                   VERSION);
            fflush(stdout);
        }
#if VERSION == 3
        if (--until_fault == 0) {
            volatile uintptr_t p = 0x30;
            (void)*(volatile int *)p; /* after the commit: the program's fault */
        }
#endif
        usleep(1000);
    }
}
