/* worker.c - the worker threads.  Each worker owns the connections the listener hands
 * it and serves them in its own epoll loop: read, run every whole request, write the
 * replies (waiting for EPOLLOUT when the socket is full).
 *
 * DSU: the loop has an update point at its top, where the worker holds no lock and no
 * request is half-done; epoll events carry only the file descriptor (never a pointer,
 * which would keep pointing at an old object after an update), and kitsune's wakeup fd
 * is in every epoll set so a pending update ends the wait. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvstore.h"

#define MAX_EVENTS 64

struct worker workers[MAX_WORKERS];
static unsigned next_worker; /* round-robin hand-over */

/* ---- connections ---- */

static int conns_put(struct worker *w, struct conn *c)
{
    if (c->fd >= w->conns_cap) {
        int cap = w->conns_cap ? w->conns_cap : 64;
        while (cap <= c->fd)
            cap *= 2;
        struct conn **p = realloc(w->conns, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        for (int i = w->conns_cap; i < cap; i++)
            p[i] = NULL;
        w->conns = p;
        w->conns_cap = cap;
    }
    w->conns[c->fd] = c;
    return 0;
}

static void conn_close(struct worker *w, struct conn *c)
{
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    w->conns[c->fd] = NULL;
    close(c->fd);
    free(c->rbuf);
    free(c->wbuf);
    free(c->name);
    free(c);
    STAT_ADD(connected_clients, -1);
}

static void watch(struct worker *w, struct conn *c, int op)
{
    struct epoll_event ev = {.events = EPOLLIN | (c->want_write ? EPOLLOUT : 0),
                             .data.fd = c->fd};
    epoll_ctl(w->epfd, op, c->fd, &ev);
}

/* Runs every whole request in the input buffer. */
static void conn_process(struct conn *c)
{
    struct arg argv[MAX_ARGS];
    size_t pos = 0;
    while (pos < c->rlen && !c->close_after_write) {
        int argc;
        const char *err = NULL;
        long n = resp_parse(c->rbuf + pos, c->rlen - pos, argv, &argc, &err);
        if (n == 0)
            break;
        if (n < 0) {
            reply_error(c, "ERR %s", err);
            c->close_after_write = 1;
            break;
        }
        pos += (size_t)n;
        if (argc > 0)
            command_execute(c, argc, argv);
    }
    if (pos > 0) {
        memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
        c->rlen -= pos;
    }
}

/* Writes what can be written; keeps EPOLLOUT registered exactly while output waits. */
static int conn_output(struct worker *w, struct conn *c)
{
    if (conn_flush(c) < 0)
        return -1;
    int pending = c->wlen > c->wpos;
    if (!pending && c->close_after_write)
        return -1;
    if (pending != c->want_write) {
        c->want_write = pending;
        watch(w, c, EPOLL_CTL_MOD);
    }
    return 0;
}

static void conn_event(struct worker *w, int fd, uint32_t events)
{
    struct conn *c = fd < w->conns_cap ? w->conns[fd] : NULL;
    if (!c)
        return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        int rc = conn_read(c);
        conn_process(c);
        if (rc < 0) { /* the client left: answer what it sent, if it still reads */
            conn_flush(c);
            conn_close(w, c);
            return;
        }
    }
    if (conn_output(w, c) < 0)
        conn_close(w, c);
}

/* ---- hand-over from the listener ---- */

void worker_hand_over(int fd, unsigned long long id)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->fd = fd;
    c->id = id;
    struct worker *w = &workers[next_worker++ % (unsigned)server.nworkers];
    c->worker = w->id;
    STAT_ADD(connected_clients, 1);
    pthread_mutex_lock(&w->lock);
    c->next = w->incoming;
    w->incoming = c;
    pthread_mutex_unlock(&w->lock);
    uint64_t one = 1;
    while (write(w->notify_fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

static void adopt_incoming(struct worker *w)
{
    uint64_t n;
    while (read(w->notify_fd, &n, sizeof n) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&w->lock);
    struct conn *list = w->incoming;
    w->incoming = NULL;
    pthread_mutex_unlock(&w->lock);
    while (list) {
        struct conn *c = list;
        list = c->next;
        c->next = NULL;
        if (conns_put(w, c) < 0) {
            close(c->fd);
            free(c);
            STAT_ADD(connected_clients, -1);
            continue;
        }
        watch(w, c, EPOLL_CTL_ADD);
    }
}

/* ---- the loop ---- */

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        kitsune_update("worker"); /* DSU */
        struct epoll_event ev[MAX_EVENTS];
        int n = epoll_wait(w->epfd, ev, MAX_EVENTS, -1);
        for (int i = 0; i < n; i++) {
            int fd = ev[i].data.fd;
            if (fd == w->notify_fd)
                adopt_incoming(w);
            else if (fd != kitsune_wakeup_fd()) /* DSU: the wakeup fd needs no handling */
                conn_event(w, fd, ev[i].events);
        }
    }
    return NULL;
}

static int worker_init(struct worker *w, int id)
{
    w->id = id;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->epfd < 0 || w->notify_fd < 0)
        return -1;
    pthread_mutex_init(&w->lock, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = w->notify_fd};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->notify_fd, &ev) < 0)
        return -1;
    return kitsune_epoll_add(w->epfd); /* DSU */
}

int workers_start(int n)
{
    for (int i = 0; i < n; i++) {
        pthread_t tid;
        if (worker_init(&workers[i], i) < 0 ||
            kitsune_pthread_create(&tid, NULL, worker_main, &workers[i]) != 0) /* DSU */
            return -1;
    }
    return 0;
}
