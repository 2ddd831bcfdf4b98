/* notify_listen.c - the receiving end of the sd_notify protocol, as systemd would be:
 * binds a unix datagram socket (a path, or "@name" for the abstract namespace) and
 * prints every datagram it receives followed by a line "--", until SECONDS have passed
 * or it is killed.  Used by run_notify.sh; needs no systemd.
 *
 *   notify_listen SOCKET SECONDS */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: notify_listen SOCKET SECONDS\n");
        return 2;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t len = strlen(argv[1]);
    if (len >= sizeof addr.sun_path)
        return 2;
    memcpy(addr.sun_path, argv[1], len);
    if (argv[1][0] == '@')
        addr.sun_path[0] = 0;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr,
                       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
        perror("notify_listen: bind");
        return 1;
    }
    printf("listening\n--\n");
    fflush(stdout);
    time_t end = time(NULL) + atoi(argv[2]);
    char buf[4096];
    while (time(NULL) < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
            continue;
        buf[n] = 0;
        printf("%s%s--\n", buf, n && buf[n - 1] == '\n' ? "" : "\n");
        fflush(stdout);
    }
    return 0;
}
