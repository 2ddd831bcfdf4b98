/* main.c - start-up and the listener: parses the arguments, listens on 127.0.0.1,
 * starts the workers, then accepts connections and hands each one to a worker.
 *
 *   kvstore PORT [WORKERS]      (PORT 0 picks a free port; it is printed)
 *
 * DSU: after an update the new version's main runs from the top with the old state
 * already migrated; it skips start-up and goes straight back to the listener loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "kvstore.h"

struct server server;
struct stats stats;
static unsigned long long next_client_id;

long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_args(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: kvstore PORT [WORKERS]\n");
        return -1;
    }
    server.port = atoi(argv[1]);
    server.nworkers = argc > 2 ? atoi(argv[2]) : 4;
    if (server.port < 0 || server.port > 65535 || server.nworkers < 1 ||
        server.nworkers > MAX_WORKERS) {
        fprintf(stderr, "kvstore: bad port or worker count\n");
        return -1;
    }
    return 0;
}

static int startup(int argc, char **argv)
{
    if (parse_args(argc, argv) < 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    server.listen_fd = net_listen(server.port, &server.port);
    server.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (server.listen_fd < 0 || server.epfd < 0) {
        perror("kvstore: listen");
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = server.listen_fd};
    epoll_ctl(server.epfd, EPOLL_CTL_ADD, server.listen_fd, &ev);
    kitsune_epoll_add(server.epfd); /* DSU */
    server.start_ms = now_ms();
    if (workers_start(server.nworkers) < 0) {
        perror("kvstore: workers");
        return -1;
    }
    printf("kvstore %s listening on 127.0.0.1:%d with %d workers (pid %d)\n",
           KVSTORE_VERSION, server.port, server.nworkers, (int)getpid());
    fflush(stdout);
    return 0;
}

static void accept_clients(void)
{
    int fd;
    while ((fd = net_accept(server.listen_fd)) >= 0) {
        STAT_ADD(connections_received, 1);
        worker_hand_over(fd, ++next_client_id);
    }
}

static void listener_loop(void)
{
    for (;;) {
        kitsune_update("listener"); /* DSU */
        struct epoll_event ev[16];
        int n = epoll_wait(server.epfd, ev, 16, -1);
        for (int i = 0; i < n; i++)
            if (ev[i].data.fd == server.listen_fd)
                accept_clients();
    }
}

int main(int argc, char **argv)
{
    kitsune_do_automigrate();          /* DSU: bring every global and static over */
    if (!kitsune_is_updating()) {      /* DSU: start-up runs once */
        if (startup(argc, argv) < 0)
            return 1;
    } else if (kitsune_is_updating_from("listener")) { /* DSU */
        printf("kvstore %s: running after a live update\n", KVSTORE_VERSION);
        fflush(stdout);
    }
    listener_loop();
    return 0;
}
