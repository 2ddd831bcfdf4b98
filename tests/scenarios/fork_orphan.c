/* A forking server whose middle process exits (as vsftpd's do): the parent forks a
 * session process, which forks the worker and exits, so the worker is re-parented to
 * init; the parent also leaves a child it never reaps (a zombie, which ended with
 * _exit and left its control socket).  `kitsune update --tree` must update the parent
 * and the worker, and skip the zombie with a message.
 * kitsune-test: tree
 * kitsune-test: tree-says=has ended and was not reaped (a zombie): skipped
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "scenario.h"

int role; /* 0: parent, 1: worker */
long served;
int parent_pid;

static void loop(const char *point)
{
    for (;;) {
        kitsune_update(point);
        served++;
        /* The worker is no child of the parent the harness stops: it follows it. */
        if (role == 1 && kill(parent_pid, 0) < 0)
            _exit(0);
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
    parent_pid = (int)getpid();
    int fds[2];
    if (pipe(fds) < 0)
        return 1;
    pid_t session = fork();
    if (session == 0) {
        pid_t worker = fork();
        if (worker == 0) {
            role = 1;
            loop("worker");
        }
        if (write(fds[1], &worker, sizeof worker) != sizeof worker)
            _exit(1);
        exit(0); /* the middle process: the worker is now init's */
    }
    waitpid(session, NULL, 0);
    /* Ready once the worker can be asked for: its control socket exists (the harness
     * sets KITSUNE_DIR); waited for, up to 10 s. */
    pid_t worker = 0;
    if (read(fds[0], &worker, sizeof worker) != sizeof worker)
        return 1;
    char sock[512];
    snprintf(sock, sizeof sock, "%s/%d.sock", getenv("KITSUNE_DIR"), (int)worker);
    for (int ms = 0; access(sock, F_OK) != 0 && ms < 10000; ms++)
        usleep(1000);
    if (fork() == 0)
        _exit(0); /* never reaped: a zombie as long as the parent runs */
    printf("ready\n");
    fflush(stdout);
    loop("parent");
}
