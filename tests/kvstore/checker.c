/* checker.c - a RESP client that checks kvstore across live updates.
 *
 *   checker PORT load N           SET pre:<i> to value(i) for i < N (pipelined)
 *   checker PORT verify N [M]     GET them back; with M, keys i % M == 0 must be gone
 *   checker PORT run [CONNS] [DEPTH]
 *        CONNS persistent connections (20), each with DEPTH pipelined INCRs (16) in
 *        flight on its own counter; every reply must be exactly the previous one plus
 *        one.  SIGUSR1 prints the worst latency since the last SIGUSR1; SIGTERM stops:
 *        outstanding replies are drained and each counter is read back with GET.
 *
 * Exit status 0 when every check passed.  Output lines are "key=value" words. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define MAX_DEPTH 256
#define HIST_BUCKETS 100000 /* 10 us each: up to 1 s */

static int port;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "checker: FAIL ");
    vfprintf(stdout, fmt, ap);
    fprintf(stdout, "\n");
    va_end(ap);
    fflush(stdout);
    exit(1);
}

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("connect to 127.0.0.1:%d: %s", port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* ---- a buffered connection and a RESP reply reader ---- */

struct conn {
    int fd;
    char *in;
    size_t inlen, incap, inpos;
    char *out;
    size_t outlen, outpos, outcap;
    /* run mode */
    long long sent, answered, last;
    double sent_at[MAX_DEPTH];
    char key[64];
    double last_progress;
};

static void out_append(struct conn *c, const char *p, size_t n)
{
    if (c->outlen + n > c->outcap) {
        c->outcap = (c->outlen + n) * 2;
        c->out = realloc(c->out, c->outcap);
        if (!c->out)
            die("out of memory");
    }
    memcpy(c->out + c->outlen, p, n);
    c->outlen += n;
}

static void out_command(struct conn *c, int argc, const char **argv, const size_t *lens)
{
    char hdr[32];
    out_append(c, hdr, (size_t)snprintf(hdr, sizeof hdr, "*%d\r\n", argc));
    for (int i = 0; i < argc; i++) {
        out_append(c, hdr, (size_t)snprintf(hdr, sizeof hdr, "$%zu\r\n", lens[i]));
        out_append(c, argv[i], lens[i]);
        out_append(c, "\r\n", 2);
    }
}

/* Sends what can be sent without blocking (or everything, when blocking). */
static int out_flush(struct conn *c, int nonblocking)
{
    while (c->outpos < c->outlen) {
        ssize_t n = send(c->fd, c->out + c->outpos, c->outlen - c->outpos,
                         MSG_NOSIGNAL | (nonblocking ? MSG_DONTWAIT : 0));
        if (n > 0) {
            c->outpos += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1;
    }
    c->outpos = c->outlen = 0;
    return 0;
}

/* Reads more input; 0 = ok, -1 = closed or failed. */
static int in_fill(struct conn *c, int nonblocking)
{
    if (c->inpos > 0 && c->inpos == c->inlen)
        c->inpos = c->inlen = 0;
    if (c->incap - c->inlen < 65536) {
        if (c->inpos > 0) {
            memmove(c->in, c->in + c->inpos, c->inlen - c->inpos);
            c->inlen -= c->inpos;
            c->inpos = 0;
        }
        if (c->incap - c->inlen < 65536) {
            c->incap = c->incap * 2 + 65536;
            c->in = realloc(c->in, c->incap);
            if (!c->in)
                die("out of memory");
        }
    }
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen,
                         nonblocking ? MSG_DONTWAIT : 0);
        if (n > 0) {
            c->inlen += (size_t)n;
            return 0;
        }
        if (n < 0 && errno == EINTR) {
            if (nonblocking)
                return 0;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1;
    }
}

enum { R_INCOMPLETE, R_STATUS, R_ERROR, R_INT, R_BULK, R_NULL };

struct reply {
    int type;
    long long n;
    const char *p; /* status, error or bulk text */
    size_t len;
};

/* Parses one reply from the input buffer (not arrays). */
static int reply_parse(struct conn *c, struct reply *r)
{
    if (c->inpos >= c->inlen)
        return r->type = R_INCOMPLETE;
    const char *s = c->in + c->inpos, *end = c->in + c->inlen;
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    if (!nl)
        return r->type = R_INCOMPLETE;
    if (nl == s || nl[-1] != '\r')
        die("malformed reply line");
    const char *line_end = nl - 1;
    r->p = s + 1;
    r->len = (size_t)(line_end - s - 1);
    switch (*s) {
    case '+':
        r->type = R_STATUS;
        break;
    case '-':
        r->type = R_ERROR;
        break;
    case ':':
    case '$':
        r->n = strtoll(s + 1, NULL, 10);
        if (*s == ':') {
            r->type = R_INT;
            break;
        }
        if (r->n < 0) {
            r->type = R_NULL;
            break;
        }
        if ((size_t)(end - (nl + 1)) < (size_t)r->n + 2)
            return r->type = R_INCOMPLETE;
        r->type = R_BULK;
        r->p = nl + 1;
        r->len = (size_t)r->n;
        c->inpos = (size_t)(nl + 1 + r->n + 2 - c->in);
        return r->type;
    default:
        die("unexpected reply type '%c'", *s);
    }
    c->inpos = (size_t)(nl + 1 - c->in);
    return r->type;
}

/* Blocking: the next reply. */
static void reply_next(struct conn *c, struct reply *r)
{
    while (reply_parse(c, r) == R_INCOMPLETE)
        if (in_fill(c, 0) < 0)
            die("connection closed while waiting for a reply");
}

/* ---- load and verify ---- */

/* The value of preloaded key i: deterministic, 16 to 63 bytes. */
static size_t value_of(long i, char *buf)
{
    uint32_t h = (uint32_t)i * 2654435761u;
    int n = snprintf(buf, 80, "value-%ld-%08x-", i, h);
    size_t len = 16 + (size_t)(i % 48);
    for (; (size_t)n < len; n++)
        buf[n] = (char)('a' + (h >> (n % 24)) % 26);
    buf[len] = '\0';
    return len;
}

static size_t key_of(long i, char *buf)
{
    return (size_t)snprintf(buf, 32, "pre:%07ld", i);
}

#define BATCH 1000

static int do_load(long n)
{
    struct conn c = {.fd = connect_server()};
    double t0 = now_ms();
    for (long base = 0; base < n; base += BATCH) {
        long end = base + BATCH < n ? base + BATCH : n;
        for (long i = base; i < end; i++) {
            char key[32], val[80];
            const char *argv[] = {"SET", key, val};
            size_t lens[] = {3, key_of(i, key), value_of(i, val)};
            out_command(&c, 3, argv, lens);
        }
        if (out_flush(&c, 0) < 0)
            die("load: send failed");
        for (long i = base; i < end; i++) {
            struct reply r;
            reply_next(&c, &r);
            if (r.type != R_STATUS)
                die("load: SET %ld did not answer +OK", i);
        }
    }
    printf("checker: loaded=%ld load_ms=%.0f\n", n, now_ms() - t0);
    return 0;
}

static int do_verify(long n, long expired_every)
{
    struct conn c = {.fd = connect_server()};
    long ok = 0, gone = 0, bad = 0;
    double t0 = now_ms();
    for (long base = 0; base < n; base += BATCH) {
        long end = base + BATCH < n ? base + BATCH : n;
        for (long i = base; i < end; i++) {
            char key[32];
            const char *argv[] = {"GET", key};
            size_t lens[] = {3, key_of(i, key)};
            out_command(&c, 2, argv, lens);
        }
        if (out_flush(&c, 0) < 0)
            die("verify: send failed");
        for (long i = base; i < end; i++) {
            struct reply r;
            char val[80];
            reply_next(&c, &r);
            int should_be_gone = expired_every > 0 && i % expired_every == 0;
            size_t len = value_of(i, val);
            if (should_be_gone && r.type == R_NULL)
                gone++;
            else if (!should_be_gone && r.type == R_BULK && r.len == len &&
                     memcmp(r.p, val, len) == 0)
                ok++;
            else if (bad++ < 5)
                printf("checker: key %ld: unexpected reply (type %d)\n", i, r.type);
        }
    }
    printf("checker: verified=%ld intact=%ld expired=%ld wrong=%ld verify_ms=%.0f\n", n, ok,
           gone, bad, now_ms() - t0);
    return bad ? 1 : 0;
}

/* ---- run: counters on persistent connections ---- */

static volatile sig_atomic_t stop_requested, window_requested;
static void on_term(int sig) { (void)sig; stop_requested = 1; }
static void on_usr1(int sig) { (void)sig; window_requested = 1; }

static unsigned long hist[HIST_BUCKETS + 1];
static double worst_ms, window_worst_ms;
static long long total_answered;

static void record_latency(double ms)
{
    long b = (long)(ms * 100);
    hist[b < HIST_BUCKETS ? b : HIST_BUCKETS]++;
    if (ms > worst_ms)
        worst_ms = ms;
    if (ms > window_worst_ms)
        window_worst_ms = ms;
}

static double percentile(double p)
{
    unsigned long total = 0, seen = 0;
    for (long i = 0; i <= HIST_BUCKETS; i++)
        total += hist[i];
    for (long i = 0; i <= HIST_BUCKETS; i++) {
        seen += hist[i];
        if (seen >= total * p)
            return i / 100.0;
    }
    return worst_ms;
}

static void send_incr(struct conn *c)
{
    const char *argv[] = {"INCR", c->key};
    size_t lens[] = {4, strlen(c->key)};
    out_command(c, 2, argv, lens);
    c->sent_at[c->sent % MAX_DEPTH] = now_ms();
    c->sent++;
}

static void take_replies(struct conn *c, int i)
{
    struct reply r;
    while (reply_parse(c, &r) != R_INCOMPLETE) {
        if (r.type != R_INT)
            die("conn %d: INCR answered with type %d: %.*s", i, r.type, (int)r.len, r.p);
        if (r.n != c->last + 1)
            die("conn %d: INCR returned %lld after %lld (lost, duplicated or reordered)", i,
                r.n, c->last);
        c->last = r.n;
        record_latency(now_ms() - c->sent_at[c->answered % MAX_DEPTH]);
        c->answered++;
        total_answered++;
        c->last_progress = now_ms();
    }
}

static void run_setup(struct conn *conns, int n)
{
    for (int i = 0; i < n; i++) {
        struct conn *c = &conns[i];
        c->fd = connect_server();
        snprintf(c->key, sizeof c->key, "chk:%d:%d", (int)getpid(), i);
        const char *argv[] = {"SET", c->key, "0"};
        size_t lens[] = {3, strlen(c->key), 1};
        out_command(c, 3, argv, lens);
        struct reply r;
        if (out_flush(c, 0) < 0)
            die("setup: send failed");
        reply_next(c, &r);
        if (r.type != R_STATUS)
            die("setup: SET %s failed", c->key);
        c->last_progress = now_ms();
    }
}

/* Reads each counter back: it must equal the number of INCRs answered. */
static int run_final_check(struct conn *conns, int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        struct conn *c = &conns[i];
        const char *argv[] = {"GET", c->key};
        size_t lens[] = {3, strlen(c->key)};
        out_command(c, 2, argv, lens);
        struct reply r;
        if (out_flush(c, 0) < 0)
            die("final: send failed");
        reply_next(c, &r);
        if (r.type != R_BULK || strtoll(r.p, NULL, 10) != c->answered) {
            printf("checker: conn %d: counter is %.*s, expected %lld\n", i, (int)r.len, r.p,
                   c->answered);
            bad++;
        }
    }
    return bad;
}

static int do_run(int n, int depth)
{
    static struct conn conns[MAX_CONNS];
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGUSR1, on_usr1);
    run_setup(conns, n);
    printf("checker: running conns=%d depth=%d\n", n, depth);
    fflush(stdout);
    double t0 = now_ms(), stop_at = 0;
    for (;;) {
        if (stop_requested && !stop_at)
            stop_at = now_ms();
        if (window_requested) {
            window_requested = 0;
            printf("checker: window_max_latency_ms=%.2f\n", window_worst_ms);
            fflush(stdout);
            window_worst_ms = 0;
        }
        int outstanding = 0;
        struct pollfd pfd[MAX_CONNS];
        for (int i = 0; i < n; i++) {
            struct conn *c = &conns[i];
            while (!stop_at && c->sent - c->answered < depth)
                send_incr(c);
            if (out_flush(c, 1) < 0)
                die("conn %d: send failed: the server closed the connection", i);
            outstanding += c->sent > c->answered;
            pfd[i].fd = c->fd;
            pfd[i].events = POLLIN | (c->outlen > c->outpos ? POLLOUT : 0);
            if (c->sent > c->answered && now_ms() - c->last_progress > 10000)
                die("conn %d: no reply for 10 s", i);
        }
        if (stop_at && !outstanding)
            break;
        if (stop_at && now_ms() - stop_at > 10000)
            die("replies still missing 10 s after stopping");
        if (poll(pfd, (nfds_t)n, 100) < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
        for (int i = 0; i < n; i++)
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (in_fill(&conns[i], 1) < 0)
                    die("conn %d: the server closed the connection", i);
                take_replies(&conns[i], i);
            }
    }
    double secs = (now_ms() - t0) / 1000;
    int bad = run_final_check(conns, n);
    printf("checker: conns=%d requests=%lld rate=%.0f/s max_latency_ms=%.2f p99_ms=%.2f "
           "p999_ms=%.2f counters_wrong=%d result=%s\n",
           n, total_answered, total_answered / secs, worst_ms, percentile(0.99),
           percentile(0.999), bad, bad ? "FAIL" : "ok");
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: checker PORT load N | verify N [M] | run [CONNS] [DEPTH]\n");
        return 2;
    }
    port = atoi(argv[1]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(argv[2], "load") == 0 && argc == 4)
        return do_load(atol(argv[3]));
    if (strcmp(argv[2], "verify") == 0 && argc >= 4)
        return do_verify(atol(argv[3]), argc > 4 ? atol(argv[4]) : 0);
    if (strcmp(argv[2], "run") == 0) {
        int n = argc > 3 ? atoi(argv[3]) : 20, depth = argc > 4 ? atoi(argv[4]) : 16;
        if (n < 1 || n > MAX_CONNS || depth < 1 || depth > MAX_DEPTH)
            return 2;
        return do_run(n, depth);
    }
    fprintf(stderr, "checker: unknown mode %s\n", argv[2]);
    return 2;
}
