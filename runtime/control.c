/* control.c - the control channel: how `kitsune update` reaches a running program.
 *
 * A runtime thread listens on a Unix socket, PRIVATE_DIR/PID.sock, in a directory only
 * the user can enter.  Each connection carries one request line and gets one JSON
 * reply.  The peer's credentials are checked (same user or root) before the request is
 * even read.  The same thread serves updates the program asks for itself
 * (kitsune_signal_update), woken through a pipe, which is async-signal-safe.
 *
 * Requests:  "update [check] [fault=STEP] [timeout=MS] PATH\n"   "status\n"
 * An update request may carry the new version's file, opened by the client, as an
 * SCM_RIGHTS descriptor: a process that has chrooted cannot open PATH itself, which
 * then only names the file in messages.
 * The status reply also names the kitsune processes this one was forked from, which
 * is how `kitsune update --tree` finds a tree's processes, also those whose parent
 * has exited (re-parented to init).
 * Every update request is also told to systemd (notify.c) and kept for status
 * (history.c).
 * (fault= is for tests: it is honoured only by builds with KITSUNE_FAULTS.) */
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kitsune.h"
#include "common.h"
#include "libc.h"
#include "json.h"
#include "proc.h"
#include "log.h"
#include "plugins.h"
#include "update.h"
#include "maps.h"
#include "threads.h"
#include "control.h"
#include "version.h"
#include "history.h"
#include "notify.h"
#include "blocking.h"
#include "signals.h"

static int listen_fd = -1;
static int wake_pipe[2] = {-1, -1};
static int wakeup_fd = -1;
static char sock_path[108];
/* A request the program made (kitsune_signal_update): asked and not yet taken; seen
 * at an update point; being served by the control thread. */
static volatile sig_atomic_t self_requested;
static void kt_control_wake(void); /* async-signal-safe nudge (kitsune_signal_update) */
static _Atomic int self_at_point;
static _Atomic int self_serving;
static char next_version[4096];
static pthread_mutex_t next_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- the wakeup fd for event loops ---- */

static void make_wakeup_fd(void)
{
    wakeup_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

int kitsune_wakeup_fd(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_wakeup_fd);
    return wakeup_fd;
}

int kitsune_epoll_add(int epfd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = kitsune_wakeup_fd()};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
}

void kt_wakeup_set(int on)
{
    int fd = kitsune_wakeup_fd();
    if (fd < 0)
        return;
    uint64_t v = 1;
    if (on) {
        if (write(fd, &v, sizeof v) < 0)
            kt_log("wakeup fd: %s", strerror(errno));
    } else {
        while (kt_libc.read(fd, &v, sizeof v) > 0)
            ;
    }
}

/* ---- program-initiated requests ---- */

/* The request is taken at the program's next update point, so that a path set after
 * this call (Kitsune's order: kitsune_signal_update, then kitsune_set_next_version)
 * is the one loaded.  The update point takes the slow path from now on; the control
 * thread serves the request when told by that point, or after
 * KT_SELF_REQUEST_GRACE_MS if the program reaches none (it may be blocked). */
void kitsune_signal_update(void)
{
    self_requested = 1;
    __atomic_store_n(&kitsune_attention, 1, __ATOMIC_RELEASE);
    kt_control_wake();
}

int kt_self_request_pending(void)
{
    return self_requested || self_serving;
}

/* An update point saw the request: the control thread takes it now. */
void kt_self_request_at_point(void)
{
    if (self_requested && !self_at_point) {
        self_at_point = 1;
        kt_control_wake();
    }
}

static void kt_control_wake(void)
{
    if (wake_pipe[1] >= 0) {
        char c = 1;
        ssize_t n = write(wake_pipe[1], &c, 1);
        (void)n;
    }
}

void kitsune_set_next_version(const char *path)
{
    pthread_mutex_lock(&next_lock);
    snprintf(next_version, sizeof next_version, "%s", path ? path : "");
    pthread_mutex_unlock(&next_lock);
}

void kitsune_clear_request(void)
{
    self_requested = 0;
    self_at_point = 0;
    kt_attention_refresh();
}

/* ---- JSON reply ---- */

static void format_report(const struct kt_report *r, char *out, size_t len)
{
    char reason[KT_ERRLEN * 2];
    kt_json_str(reason, sizeof reason, r->reason);
    snprintf(out, len,
             "{\"pid\":%d,\"outcome\":\"%s\",\"reason\":%s,\"from_version\":%u,"
             "\"to_version\":%u,\"pause_ms\":%.3f,\"phases_ms\":{\"request\":%.3f,"
             "\"quiesce\":%.3f,\"load\":%.3f,\"migrate\":%.3f,\"resume\":%.3f,"
             "\"retire\":%.3f,\"audit\":%.3f},\"variables_migrated\":%ld,\"objects_transformed\":%ld,"
             "\"pointers_fixed\":%ld}\n",
             (int)getpid(), kt_outcome_name(r->outcome), reason, r->from_version, r->to_version,
             r->pause_ms, r->t_request, r->t_quiesce, r->t_load, r->t_migrate, r->t_resume,
             r->t_retire, r->t_audit, r->vars_migrated, r->objects_transformed, r->pointers_fixed);
}

/* Every request, from a client or the program itself: told to systemd, kept for
 * `kitsune status`. */
static void do_update(const char *path, const struct kt_request_opts *o, struct kt_report *r)
{
    kt_notify_update_start(path);
    kt_update_request(path, o, r);
    kt_history_add(path ? path : kt_rt.cur->path, r);
    kt_notify_update_end(r);
}

static void run_update(const char *path, const struct kt_request_opts *o, char *reply,
                       size_t len)
{
    struct kt_report r;
    do_update(path, o, &r);
    format_report(&r, reply, len);
}

/* ---- the processes this one was forked from ---- */

/* Nearest first, each by pid and start time (clock ticks after boot, as in
 * /proc/PID/stat; 0 if unknown), so that a reused pid is not taken for an ancestor. */
struct ancestor {
    int pid;
    unsigned long long start;
};
static struct ancestor ancestors[32];
static int nancestors;
static struct ancestor self;

static unsigned long long start_time(void)
{
    char buf[1024];
    FILE *f = kt_proc_fopen("stat");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    if (n == 0)
        return 0; /* unknown: the pid alone identifies this process */
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    for (int field = 2; p && field < 22; field++) /* starttime is field 22 */
        p = strchr(p + 1, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void note_self(void)
{
    self.pid = (int)getpid();
    self.start = start_time();
}

/* In a forked child: the parent (what `self` still holds) is the nearest ancestor. */
static void note_forked(void)
{
    int keep = nancestors < (int)(sizeof ancestors / sizeof *ancestors) ? nancestors
                                                                       : nancestors - 1;
    memmove(ancestors + 1, ancestors, (size_t)keep * sizeof *ancestors);
    ancestors[0] = self;
    nancestors = keep + 1;
    note_self();
}

static size_t format_ancestors(char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, ",\"forked_from\":[");
    for (int i = 0; i < nancestors && n < len; i++)
        n += (size_t)snprintf(out + n, len - n, "%s{\"pid\":%d,\"start\":%llu}",
                              i ? "," : "", ancestors[i].pid, ancestors[i].start);
    if (n < len)
        n += (size_t)snprintf(out + n, len - n, "]");
    return n < len ? n : len;
}

/* The status reply: running version, uptime, update history, threads, and the
 * processes this one was forked from. */
static void format_status(char *out, size_t len)
{
    pthread_mutex_lock(&kt_rt.lock);
    size_t n = (size_t)snprintf(out, len, "{\"pid\":%d,\"version\":%u,\"path\":",
                                (int)getpid(), kt_rt.cur->number);
    n += kt_json_str(out + n, len - n, kt_rt.cur->path);
    n += (size_t)snprintf(out + n, len - n, ",\"updated\":%s,",
                          kt_rt.has_updated ? "true" : "false");
    pthread_mutex_unlock(&kt_rt.lock);
    n += kt_history_json(out + n, len - n);
    n += (size_t)snprintf(out + n, len - n, ",\"threads\":");
    n += kt_threads_json(out + n, len - n);
    if (n < len)
        n += format_ancestors(out + n, len - n);
    if (n < len)
        n += (size_t)snprintf(out + n, len - n, ",\"modules\":");
    if (n < len)
        n += kt_plugins_json(out + n, len - n);
    if (n < len)
        snprintf(out + n, len - n, "}\n");
}

/* ---- connections ---- */

static int peer_allowed(int fd)
{
    struct ucred cred;
    socklen_t clen = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
        return 0;
    return cred.uid == getuid() || cred.uid == 0;
}

static void reply_error(int fd, const char *msg)
{
    struct kt_report r;
    memset(&r, 0, sizeof r);
    r.outcome = KT_REFUSED;
    snprintf(r.reason, sizeof r.reason, "%s", msg);
    char out[4096];
    format_report(&r, out, sizeof out);
    ssize_t n = write(fd, out, strlen(out));
    (void)n;
}

/* A descriptor passed with the request (SCM_RIGHTS): the first kept in *passed, any
 * other closed. */
static void take_passed_fd(struct msghdr *m, int *passed)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int nfd = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < nfd; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (*passed < 0)
                *passed = fd;
            else
                close(fd);
        }
    }
}

static int read_line(int fd, char *buf, size_t len, int *passed)
{
    size_t n = 0;
    while (n + 1 < len) {
        struct pollfd p = {fd, POLLIN, 0};
        if (kt_libc.poll(&p, 1, 2000) <= 0)
            return -1;
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(4 * sizeof(int))];
        } control;
        struct iovec iov = {buf + n, 1};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                           .msg_controllen = sizeof control.buf};
        ssize_t got = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
        if (got > 0)
            take_passed_fd(&m, passed);
        if (got <= 0)
            return -1;
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = 0;
    return 0;
}

/* One connection; *version_fd: a descriptor passed with the request, or -1. */
static void serve_request(int fd, int *version_fd)
{
    char line[4200], reply[65536];
    if (!peer_allowed(fd)) {
        kt_log("update request refused: peer is not this process's user or root");
        reply_error(fd, "permission denied: only the process's user or root may update it");
        return;
    }
    if (read_line(fd, line, sizeof line, version_fd) < 0) {
        reply_error(fd, "malformed request");
        return;
    }
    int check = 0;
    char *rest = line;
    if (strncmp(rest, "status", 6) == 0) {
        format_status(reply, sizeof reply);
    } else if (strncmp(rest, "update ", 7) == 0) {
        rest += 7;
        char fault_step[32] = "";
        double timeout_ms = 0;
        for (;;) {
            if (strncmp(rest, "check ", 6) == 0) {
                check = 1;
                rest += 6;
            } else if (strncmp(rest, "timeout=", 8) == 0 && strchr(rest, ' ')) {
                timeout_ms = atof(rest + 8);
                rest = strchr(rest, ' ') + 1;
            } else if (strncmp(rest, "fault=", 6) == 0 && strchr(rest, ' ')) {
                size_t n = (size_t)(strchr(rest, ' ') - rest - 6);
                snprintf(fault_step, sizeof fault_step, "%.*s", (int)n, rest + 6);
                rest += 6 + n + 1;
            } else {
                break;
            }
        }
        if (rest[0] != '/') {
            reply_error(fd, "the new version's path must be absolute");
            return;
        }
        struct kt_request_opts o = {check, fault_step, timeout_ms, fd, *version_fd};
        run_update(rest, &o, reply, sizeof reply);
    } else {
        reply_error(fd, "unknown request (expected update or status)");
        return;
    }
    ssize_t w = write(fd, reply, strlen(reply));
    (void)w;
}

static void serve(int fd)
{
    int version_fd = -1;
    serve_request(fd, &version_fd);
    if (version_fd >= 0)
        close(version_fd);
}

static void serve_self_request(void)
{
    char path[4096];
    self_serving = 1; /* before the request is marked taken: no gap between the two */
    self_requested = 0;
    self_at_point = 0;
    pthread_mutex_lock(&next_lock);
    snprintf(path, sizeof path, "%s", next_version);
    next_version[0] = 0;
    pthread_mutex_unlock(&next_lock);
    struct kt_report r;
    struct kt_request_opts o = {0, NULL, 0, -1, -1};
    do_update(path[0] ? path : NULL, &o, &r);
    char out[8192];
    format_report(&r, out, sizeof out);
    kt_log("self-requested update: %s", out);
    pthread_mutex_lock(&kt_rt.lock);
    self_serving = 0;
    pthread_cond_broadcast(&kt_rt.cond); /* an update point waiting for a refusal */
    pthread_mutex_unlock(&kt_rt.lock);
}

static void *control_main(void *arg)
{
    (void)arg;
    double self_deadline = 0;
    for (;;) {
        struct pollfd p[2] = {{listen_fd, POLLIN, 0}, {wake_pipe[0], POLLIN, 0}};
        int wait_ms = -1;
        if (self_requested) {
            double now = kt_now_ms();
            if (!self_deadline)
                self_deadline = now + KT_SELF_REQUEST_GRACE_MS;
            if (self_at_point || now >= self_deadline) {
                self_deadline = 0;
                serve_self_request();
                continue;
            }
            wait_ms = (int)(self_deadline - now) + 1;
        } else {
            self_deadline = 0;
        }
        int n = kt_libc.poll(p, 2, wait_ms);
        if (n == 0)
            continue;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            kt_log("control channel: poll: %s", strerror(errno));
            return NULL;
        }
        if (p[1].revents & POLLIN) {
            char buf[64];
            while (kt_libc.read(wake_pipe[0], buf, sizeof buf) > 0)
                ;
        }
        if (p[0].revents & POLLIN) {
            int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                serve(fd);
                close(fd);
            }
        }
    }
    return NULL;
}

int kt_control_start(void)
{
    const char *dir = kt_private_dir();
    if (!dir) {
        kt_log("no private directory for the control socket; external updates disabled");
        return -1;
    }
    if (!self.pid)
        note_self();
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(sock_path, sizeof sock_path, "%s/%d.sock", dir, (int)getpid());
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock_path);
    unlink(sock_path);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(listen_fd, 8) < 0) {
        kt_log("control socket %s: %s", sock_path, strerror(errno));
        return -1;
    }
    kt_private_file_add(sock_path); /* removed when the process ends */
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    /* The control thread must never be interrupted by the wake signal. */
    sigset_t old;
    kt_signal_block_all_but_faults(&old);
    int rc = pthread_create(&t, &a, control_main, NULL);
    kt_libc.pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&a);
    return rc == 0 ? 0 : -1;
}

/* The child of a fork gets its own control socket and thread. */
void kt_control_after_fork(void)
{
    if (listen_fd >= 0)
        close(listen_fd);
    if (wake_pipe[0] >= 0) {
        close(wake_pipe[0]);
        close(wake_pipe[1]);
    }
    listen_fd = wake_pipe[0] = wake_pipe[1] = -1;
    sock_path[0] = 0;
    self_requested = 0;
    self_at_point = self_serving = 0;
    pthread_mutex_init(&next_lock, NULL);
    kt_history_reset();
    note_forked();
    kt_control_start();
}

/* Finds a symbol in any loaded object, including those loaded privately (RTLD_LOCAL)
 * as the dependencies of a program version. */
struct symbol_search {
    const char *name;
    void *addr;
};

static int search_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct symbol_search *s = data;
    if (!info->dlpi_name || !info->dlpi_name[0])
        return 0;
    void *h = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        return 0;
    s->addr = dlsym(h, s->name);
    dlclose(h);
    return s->addr != NULL;
}

static void *find_loaded_symbol(const char *name)
{
    struct symbol_search s = {name, NULL};
    dl_iterate_phdr(search_object, &s);
    return s.addr;
}

/* The libevent callback of kitsune_libevent.h.  libevent is looked up at run time so
 * that libkitsune does not depend on it; only programs that use it load it. */
void kitsune_libevent_wakeup(int fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    static int (*loopbreak)(void *);
    if (!loopbreak)
        *(void **)&loopbreak = find_loaded_symbol("event_base_loopbreak");
    if (loopbreak)
        loopbreak(arg);
}
