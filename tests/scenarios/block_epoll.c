/* An event loop blocked in epoll_wait() with no timeout sees kitsune_wakeup_fd() become
 * readable and reaches its update point.  kitsune-test: max-quiesce-ms=100 */
#include <sys/epoll.h>

#include "scenario.h"

int epfd = -1;
int pipefd[2];

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        epfd = epoll_create1(0);
        if (pipe(pipefd) < 0)
            return 1;
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = pipefd[0]};
        epoll_ctl(epfd, EPOLL_CTL_ADD, pipefd[0], &ev);
        kitsune_epoll_add(epfd);
        printf("ready\n");
        fflush(stdout);
    } else {
        CHECK(epfd >= 0);
        scenario_report();
    }
    for (;;) {
        kitsune_update("loop");
        struct epoll_event ev[4];
        int n = epoll_wait(epfd, ev, 4, -1);
        for (int i = 0; i < n; i++)
            if (ev[i].data.fd == pipefd[0]) {
                char buf[64];
                if (read(pipefd[0], buf, sizeof buf) < 0)
                    return 1;
            }
    }
}
