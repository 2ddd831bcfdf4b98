/* net.c - sockets and connection buffers: listening on 127.0.0.1, accepting, reading
 * into a connection's input buffer, queueing and writing its replies.  Every socket is
 * non-blocking; EINTR (kitsune interrupts blocking calls when an update is pending) is
 * simply retried. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kvstore.h"

#define READ_CHUNK 16384
#define MAX_QUERY (64L * 1024 * 1024) /* unparsed input a client may have */

/* Listens on 127.0.0.1:port (0 picks a free port); returns the socket or -1. */
int net_listen(int port, int *bound_port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 511) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        close(fd);
        return -1;
    }
    *bound_port = ntohs(sa.sin_port);
    return fd;
}

/* Accepts one connection; -1 when none is waiting. */
int net_accept(int listen_fd)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        if (errno != EINTR && errno != ECONNABORTED)
            return -1;
    }
}

static int grow(char **buf, size_t *cap, size_t need)
{
    size_t n = *cap ? *cap : READ_CHUNK;
    while (n < need)
        n *= 2;
    if (n == *cap)
        return 0;
    char *p = realloc(*buf, n);
    if (!p)
        return -1;
    *buf = p;
    *cap = n;
    return 0;
}

/* Reads what the socket has; 0 = ok (maybe nothing), -1 = closed or failed. */
int conn_read(struct conn *c)
{
    for (;;) {
        if (c->rlen > MAX_QUERY || grow(&c->rbuf, &c->rcap, c->rlen + READ_CHUNK) < 0)
            return -1;
        ssize_t n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
        if (n > 0) {
            c->rlen += (size_t)n;
            if (c->rlen < c->rcap)
                return 0; /* the socket is drained */
            continue;
        }
        if (n == 0)
            return -1;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

void conn_append(struct conn *c, const void *data, size_t len)
{
    if (c->wpos == c->wlen)
        c->wpos = c->wlen = 0;
    if (grow(&c->wbuf, &c->wcap, c->wlen + len) < 0) {
        c->close_after_write = 1; /* out of memory: drop the client */
        return;
    }
    memcpy(c->wbuf + c->wlen, data, len);
    c->wlen += len;
}

/* Writes queued replies; 0 = ok (maybe some left), -1 = the connection failed. */
int conn_flush(struct conn *c)
{
    while (c->wpos < c->wlen) {
        ssize_t n = send(c->fd, c->wbuf + c->wpos, c->wlen - c->wpos, MSG_NOSIGNAL);
        if (n > 0) {
            c->wpos += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1;
    }
    c->wpos = c->wlen = 0;
    return 0;
}
