/* notify.c - the sd_notify protocol, so that a systemd service (Type=notify) knows
 * when an update runs and how it ended: when NOTIFY_SOCKET names a unix datagram
 * socket (a path, or "@name" in the abstract namespace), each state change is one
 * datagram of newline-separated VAR=VALUE lines: READY=1 once the control socket
 * listens (before the program's main runs), RELOADING=1 (with MONOTONIC_USEC) when an update request
 * starts, READY=1 with STATUS=<outcome> when it has committed, rolled back or been
 * refused.  Without NOTIFY_SOCKET nothing is sent.  Failures are logged, never fatal. */
#include "common.h"
#include "json.h"
#include "log.h"
#include "report.h"
#include "notify.h"

#include <stdio.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static pid_t notifier; /* the service's main process; forked children stay quiet */

static void notify_send(const char *msg)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path || getpid() != notifier)
        return;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t plen = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || plen >= sizeof addr.sun_path) {
        kt_log("NOTIFY_SOCKET '%s' is not a unix socket path", path);
        return;
    }
    memcpy(addr.sun_path, path, plen);
    if (path[0] == '@')
        addr.sun_path[0] = 0; /* abstract namespace */
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&addr,
                         alen) < 0)
        kt_log("sd_notify to %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
}

/* The program can be updated: `systemctl reload` may run `kitsune update`. */
void kt_notify_ready(void)
{
    notifier = getpid();
    notify_send("READY=1\nSTATUS=running\n");
}

void kt_notify_update_start(const char *path)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char msg[700];
    snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=updating to %.500s\n",
             (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000,
             path ? path : "the running file");
    notify_send(msg);
}

void kt_notify_update_end(const struct kt_report *r)
{
    char reason[KT_ERRLEN], msg[KT_ERRLEN + 128];
    snprintf(reason, sizeof reason, "%s", r->reason);
    for (char *p = reason; (p = strchr(p, '\n')); ) /* STATUS= is one line */
        *p = ' ';
    if (r->outcome == KT_COMMITTED)
        snprintf(msg, sizeof msg, "READY=1\nSTATUS=update committed (version %u -> %u)\n",
                 r->from_version, r->to_version);
    else
        snprintf(msg, sizeof msg, "READY=1\nSTATUS=update %s: %s\n",
                 kt_outcome_name(r->outcome), reason);
    notify_send(msg);
}
