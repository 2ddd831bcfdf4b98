/* A forking server: the parent and its two workers each run kitsune code; `kitsune
 * update --tree` updates the parent and every kitsune-managed descendant, each
 * process returning to its own loop.  kitsune-test: tree */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "scenario.h"

int role;        /* 0: parent, 1..2: worker */
long served;

static void loop(const char *point)
{
    for (;;) {
        kitsune_update(point);
        served++;
        usleep(1000);
    }
}

int main(void)
{
    kitsune_do_automigrate();
    if (kitsune_is_updating()) {
        CHECK(served > 0);
        CHECK(role == 0 ? kitsune_is_updating_from("parent")
                        : kitsune_is_updating_from("worker"));
        scenario_report();
        loop(role == 0 ? "parent" : "worker");
    }
    signal(SIGCHLD, SIG_IGN);
    for (int i = 1; i <= 2; i++) {
        if (fork() == 0) {
            role = i;
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* the harness stops the parent */
            loop("worker");
        }
    }
    printf("ready\n");
    fflush(stdout);
    loop("parent");
}
