/* An update requested while the main thread is blocked in accept() is taken promptly:
 * the runtime's signal interrupts the call (EINTR) and the loop reaches its update
 * point.  kitsune-test: max-quiesce-ms=100 */
#include <netinet/in.h>
#include <sys/socket.h>

#include "scenario.h"

int listen_fd = -1;
long accepted;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        listen_fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(listen_fd, 4) < 0)
            return 1;
        printf("ready\n");
        fflush(stdout);
    } else {
        CHECK(listen_fd >= 0);
        struct sockaddr_in a;
        socklen_t len = sizeof a;
        CHECK(getsockname(listen_fd, (struct sockaddr *)&a, &len) == 0);
        scenario_report();
    }
    for (;;) {
        kitsune_update("accept");
        int fd = accept(listen_fd, NULL, NULL);
        if (fd >= 0) {
            accepted++;
            close(fd);
        }
    }
}
