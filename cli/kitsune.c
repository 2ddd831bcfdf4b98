/* kitsune.c - the `kitsune` command: run a program under kitsune, update it, ask its
 * status.
 *
 *   kitsune run APP.so [ARGS...]
 *   kitsune update [--json] [--check] [--tree] [--timeout MS] PID NEW.so
 *   kitsune status [--json] PID
 *   kitsune clean
 *   kitsune [COMMAND] --help,  kitsune --version
 *
 * Help goes to stdout (exit 0); a usage error to stderr (exit 2).
 * `update` talks to the program's control socket (see runtime/control.c), waits for the
 * outcome and prints it; it exits 0 only when the update committed.  It never waits
 * forever: with --timeout MS the program bounds quiescence and the freeze by MS and the
 * command gives up MS + REPLY_GRACE_MS after asking (a request whose client has gone
 * before the program paused is cancelled by the program); without it, after
 * DEFAULT_WAIT_MS. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"

static const char usage_run[] = "usage: kitsune run APP.so [ARGS...]\n";
static const char usage_update[] =
    "usage: kitsune update [--json] [--check] [--tree] [--timeout MS] PID NEW.so\n";
static const char usage_status[] = "usage: kitsune status [--json] PID\n";
static const char usage_clean[] = "usage: kitsune clean\n";

static const char help_run[] =
    "Runs the program version APP.so (built with kitsune_add_program, kitsune.mk or\n"
    "kitsune-cc) under kitsune, with ARGS as its arguments; it can then be updated.\n";
static const char help_update[] =
    "Updates the running process PID to NEW.so and prints the outcome; exits 0 only\n"
    "when the update committed.\n"
    "  --json        print the outcome as one JSON object\n"
    "  --check       compare every migrated variable before committing\n"
    "  --tree        also update every kitsune process forked from PID\n"
    "  --timeout MS  bound quiescence and the freeze by MS milliseconds\n";
static const char help_status[] =
    "Shows the running version file, uptime, update history (time, outcome, pause,\n"
    "reason), the threads with the update point each last passed and the modules it\n"
    "dlopened itself (docs/plugins.md).\n"
    "  --json        print it as one JSON object\n";
static const char help_clean[] =
    "Removes the control sockets and logs that processes which no longer exist left in\n"
    "your private directory ($KITSUNE_DIR, else /tmp/kitsune-UID), as a process killed\n"
    "with SIGKILL does; `kitsune run` does the same silently.\n";

/* A usage error: what was wrong, the usage line, exit 2. */
static void usage_error(const char *usage, const char *what, const char *arg)
{
    if (what)
        fprintf(stderr, "kitsune: %s%s%s\n", what, arg ? " " : "", arg ? arg : "");
    fputs(usage, stderr);
    exit(2);
}

static int help(const char *usage, const char *text)
{
    fputs(usage, stdout);
    fputs(text, stdout);
    return 0;
}

static int is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static int parse_pid(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v <= 0 || v > INT_MAX) {
        fprintf(stderr, "kitsune: '%s' is not a process id\n", s);
        exit(2);
    }
    return (int)v;
}

static double parse_ms(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v >= 1 && v <= 3600e3)) {
        fprintf(stderr, "kitsune: --timeout takes milliseconds (1 to 3600000), not '%s'\n", s);
        exit(2);
    }
    return v;
}

/* The control socket lives in the private directory of the process's owner. */
static int socket_path(int pid, char *out, size_t len)
{
    char proc[64];
    struct stat st;
    snprintf(proc, sizeof proc, "/proc/%d", pid);
    if (stat(proc, &st) < 0)
        return -1;
    const char *env = getenv("KITSUNE_DIR");
    if (env && *env)
        snprintf(out, len, "%s/%d.sock", env, pid);
    else
        snprintf(out, len, "/tmp/kitsune-%u/%d.sock", (unsigned)st.st_uid, pid);
    return 0;
}

/* ---- files left behind ---- */

/* The private directory this user's processes use (runtime/log.c decides the same). */
static void private_dir(char *out, size_t len)
{
    const char *env = getenv("KITSUNE_DIR");
    if (env && *env)
        snprintf(out, len, "%s", env);
    else
        snprintf(out, len, "/tmp/kitsune-%u", (unsigned)getuid());
}

/* "PID.sock" or "PID.log": the pid, else 0. */
static int file_pid(const char *name)
{
    char *end;
    long pid = strtol(name, &end, 10);
    if (end == name || pid <= 0 || pid > INT_MAX ||
        (strcmp(end, ".sock") != 0 && strcmp(end, ".log") != 0))
        return 0;
    return (int)pid;
}

/* Removes the files of processes that no longer exist (a process that ends removes
 * its own, except when killed by SIGKILL or ended by _exit); says what went when
 * `verbose`.  Returns how many were removed. */
static int remove_stale_files(int verbose)
{
    char dir[PATH_MAX];
    private_dir(dir, sizeof dir);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int pid = file_pid(e->d_name);
        if (!pid || kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) == 0) {
            n++;
            if (verbose)
                printf("removed %s (process %d no longer exists)\n", path, pid);
        } else if (verbose) {
            fprintf(stderr, "kitsune: %s: %s\n", path, strerror(errno));
        }
    }
    closedir(d);
    return n;
}

static int cmd_clean(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i]))
            return help(usage_clean, help_clean);
        usage_error(usage_clean, argv[i][0] == '-' ? "unknown option" : "too many arguments",
                    argv[i][0] == '-' ? argv[i] : NULL);
    }
    if (remove_stale_files(1) == 0)
        printf("nothing to remove\n");
    return 0;
}

/* How long past its --timeout the command waits for the program's reply: the
 * watchdog's grace for a new version that passes no update point (250 ms, see
 * runtime/update.h) and the time to roll back and answer. */
#define REPLY_GRACE_MS 750
#define DEFAULT_WAIT_MS 60000

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Errors of a request go to stderr, except while --tree asks processes whether they
 * belong to the tree (a process that does not answer is simply not counted in). */
static int quiet_requests;

__attribute__((format(printf, 1, 2))) static void request_error(const char *fmt, ...)
{
    if (quiet_requests)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* Writes the request line, with `pass` (a descriptor, or -1) attached to it. */
static int send_line(int fd, const char *line, int pass)
{
    size_t len = strlen(line);
    struct iovec iov = {(void *)line, len};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (pass >= 0) {
        m.msg_control = control.buf;
        m.msg_controllen = sizeof control.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass, sizeof pass);
    }
    return sendmsg(fd, &m, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Sends one request line (with the descriptor `pass` if not -1); returns the reply (malloc'd) or NULL with a message.  Gives
 * up after wait_ms; closing the connection tells the program nobody waits any more. */
static char *request(int pid, const char *line, int pass, double wait_ms)
{
    double deadline = now_ms() + wait_ms;
    char path[PATH_MAX];
    if (socket_path(pid, path, sizeof path) < 0) {
        request_error("kitsune: no process %d\n", pid);
        return NULL;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        request_error("kitsune: process %d is not running under kitsune (%s: %s)\n", pid,
                path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (send_line(fd, line, pass) < 0) {
        request_error("kitsune: write to %s: %s\n", path, strerror(errno));
        close(fd);
        return NULL;
    }
    size_t cap = 8192, n = 0;
    char *reply = malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            reply = realloc(reply, cap);
        }
        struct pollfd p = {fd, POLLIN, 0};
        double left = deadline - now_ms();
        int ready = left > 0 ? poll(&p, 1, (int)left + 1) : 0;
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0) {
            request_error("kitsune: process %d gave no outcome within %.0f ms; a request "
                    "it had not started is cancelled (see its log)\n", pid, wait_ms);
            close(fd);
            free(reply);
            return NULL;
        }
        ssize_t got = read(fd, reply + n, cap - n - 1);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    reply[n] = 0;
    if (n == 0) {
        request_error("kitsune: process %d closed the connection without a reply\n", pid);
        free(reply);
        return NULL;
    }
    return reply;
}

/* Minimal readers for the flat JSON reply the runtime writes. */
static double json_num(const char *j, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(j, pat);
    return p ? atof(p + strlen(pat)) : 0;
}

static void json_string(const char *j, const char *key, char *out, size_t len)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(j, pat);
    size_t n = 0;
    if (p)
        for (p += strlen(pat); *p && *p != '"' && n + 1 < len; p++) {
            if (*p == '\\' && p[1])
                p++;
            out[n++] = *p;
        }
    out[n] = 0;
}

static int print_outcome(int pid, const char *target, const char *reply, int json)
{
    char outcome[32], reason[2048];
    json_string(reply, "outcome", outcome, sizeof outcome);
    json_string(reply, "reason", reason, sizeof reason);
    int ok = strcmp(outcome, "committed") == 0;
    if (json) {
        fputs(reply, stdout);
        return ok ? 0 : 1;
    }
    if (!ok) {
        printf("update of %d to %s: %s: %s\n", pid, target, outcome, reason);
        if (json_num(reply, "pause_ms") > 0)
            printf("  frozen %.3f ms\n", json_num(reply, "pause_ms"));
        return 1;
    }
    printf("update of %d to %s: committed (version %.0f -> %.0f)\n", pid, target,
           json_num(reply, "from_version"), json_num(reply, "to_version"));
    printf("  pause %.3f ms\n", json_num(reply, "pause_ms"));
    printf("  phases (ms): request %.3f  quiesce %.3f  load %.3f  migrate %.3f  resume %.3f"
           "  retire %.3f\n", json_num(reply, "request"), json_num(reply, "quiesce"),
           json_num(reply, "load"), json_num(reply, "migrate"), json_num(reply, "resume"),
           json_num(reply, "retire"));
    printf("  variables migrated %.0f, objects transformed %.0f, pointers fixed %.0f\n",
           json_num(reply, "variables_migrated"), json_num(reply, "objects_transformed"),
           json_num(reply, "pointers_fixed"));
    return 0;
}

static const char *fault_step; /* --fault STEP: for the rollback tests */
static double timeout_ms;      /* --timeout MS, 0 when not given */

static int update_one(int pid, const char *abs, int check, int json)
{
    char line[PATH_MAX + 96];
    char fault[48] = "", timeout[48] = "";
    if (fault_step)
        snprintf(fault, sizeof fault, "fault=%s ", fault_step);
    if (timeout_ms > 0)
        snprintf(timeout, sizeof timeout, "timeout=%.0f ", timeout_ms);
    snprintf(line, sizeof line, "update %s%s%s%s\n", check ? "check " : "", fault, timeout,
             abs);
    /* The file goes over the socket, opened: the process may not see the path (it may
     * have chrooted); the path names it in messages.  A file this user cannot read
     * goes by path (the process may). */
    int file = open(abs, O_RDONLY | O_CLOEXEC);
    char *reply = request(pid, line, file, timeout_ms > 0 ? timeout_ms + REPLY_GRACE_MS
                                                          : DEFAULT_WAIT_MS);
    if (file >= 0)
        close(file);
    if (!reply)
        return 1;
    int rc = print_outcome(pid, abs, reply, json);
    free(reply);
    return rc;
}

/* ---- the processes of a tree (--tree) ---- */

struct proc_stat {
    char state;              /* R, S, Z, ... */
    int ppid;
    unsigned long long start; /* clock ticks after boot */
};

static int read_proc_stat(int pid, struct proc_stat *st)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold anything */
    if (!p || sscanf(p + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
                            "%*d %*d %*d %llu", &st->state, &st->ppid, &st->start) != 3)
        return -1;
    return 0;
}

static int next_object(const char **p, char *out, size_t len);

/* Whether the status reply of a process names (pid, start) among the processes it was
 * forked from (runtime/control.c); a start of 0 there is unknown (no /proc). */
static int forked_from(const char *reply, int pid, unsigned long long start)
{
    const char *p = strstr(reply, "\"forked_from\":[");
    char obj[256];
    for (p = p ? p + 14 : ""; next_object(&p, obj, sizeof obj);) {
        double s = json_num(obj, "start");
        if ((int)json_num(obj, "pid") == pid && (s == 0 || (unsigned long long)s == start))
            return 1;
    }
    return 0;
}

static int has_socket(int pid)
{
    char sock[PATH_MAX];
    struct stat st;
    return socket_path(pid, sock, sizeof sock) == 0 && stat(sock, &st) == 0;
}

static int in_list(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

/* The kitsune processes forked, directly or not, from pid: each process with a control
 * socket is asked whether pid is among those it was forked from, which also finds
 * the children of a parent that has exited (re-parented to init).  A process of the
 * tree that has ended but not been reaped (a zombie) has nothing left to update: it
 * is skipped with a message.  Returns how many pids were stored in out. */
static int collect_tree(int pid, int *out, int max)
{
    struct proc_stat root;
    if (read_proc_stat(pid, &root) < 0)
        return 0;
    int n = 0, nz = 0, zombies[256], zombie_parent[256];
    DIR *d = opendir("/proc");
    struct dirent *e;
    quiet_requests = 1;
    while (d && (e = readdir(d)) && n < max) {
        int q = atoi(e->d_name);
        struct proc_stat st;
        if (q <= 0 || q == pid || q == (int)getpid() || read_proc_stat(q, &st) < 0)
            continue;
        if (st.state == 'Z') {
            if (nz < (int)(sizeof zombies / sizeof *zombies)) {
                zombie_parent[nz] = st.ppid;
                zombies[nz++] = q;
            }
            continue;
        }
        if (!has_socket(q))
            continue;
        char *reply = request(q, "status\n", -1, 5000);
        if (reply && forked_from(reply, pid, root.start))
            out[n++] = q;
        free(reply);
    }
    quiet_requests = 0;
    if (d)
        closedir(d);
    for (int i = 0; i < nz; i++)
        if (zombie_parent[i] == pid || in_list(out, n, zombie_parent[i]))
            fprintf(stderr, "kitsune: process %d (a child of %d) has ended and was not reaped "
                    "(a zombie): skipped\n", zombies[i], zombie_parent[i]);
    return n;
}

static int cmd_update(int argc, char **argv)
{
    int json = 0, check = 0, tree = 0, i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (is_help(argv[i]))
            return help(usage_update, help_update);
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--check") == 0)
            check = 1;
        else if (strcmp(argv[i], "--tree") == 0)
            tree = 1;
        else if (strcmp(argv[i], "--fault") == 0 && i + 1 < argc)
            fault_step = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout_ms = parse_ms(argv[++i]);
        else
            usage_error(usage_update, "unknown option", argv[i]);
    }
    if (argc - i != 2)
        usage_error(usage_update, argc - i < 2 ? "missing PID or NEW.so" : "too many arguments",
                    NULL);
    int pid = parse_pid(argv[i]);
    char abs[PATH_MAX];
    if (!realpath(argv[i + 1], abs)) {
        fprintf(stderr, "kitsune: %s: %s\n", argv[i + 1], strerror(errno));
        return 1;
    }
    int rc = update_one(pid, abs, check, json);
    if (tree) {
        int kids[1024];
        int n = collect_tree(pid, kids, 1024);
        for (int k = 0; k < n; k++)
            rc |= update_one(kids[k], abs, check, json);
    }
    return rc;
}

/* Minimal walk over the JSON arrays of the status reply: copies the next {...} of the
 * array at *p into out and advances; 0 at the end of the array. */
static int next_object(const char **p, char *out, size_t len)
{
    const char *s = strchr(*p, '{'), *end = strchr(*p, ']');
    if (!s || (end && end < s))
        return 0;
    int depth = 0, in_string = 0;
    size_t n = 0;
    for (; *s; s++) {
        if (n + 1 < len)
            out[n++] = *s;
        if (in_string) {
            if (*s == '\\' && s[1]) {
                if (n + 1 < len)
                    out[n++] = s[1];
                s++;
            } else if (*s == '"') {
                in_string = 0;
            }
        } else if (*s == '"') {
            in_string = 1;
        } else if (*s == '{') {
            depth++;
        } else if (*s == '}' && --depth == 0) {
            s++;
            break;
        }
    }
    out[n] = 0;
    *p = s;
    return 1;
}

static void format_time(double t, char *out, size_t len)
{
    time_t secs = (time_t)t;
    struct tm tm;
    strftime(out, len, "%Y-%m-%d %H:%M:%S", localtime_r(&secs, &tm));
}

static void print_status(const char *reply)
{
    char path[PATH_MAX], started[32], obj[8192];
    json_string(reply, "path", path, sizeof path);
    format_time(json_num(reply, "started"), started, sizeof started);
    printf("process %.0f: version %.0f, %s\n", json_num(reply, "pid"), json_num(reply, "version"),
           path);
    printf("  up %.1f s (since %s)\n", json_num(reply, "uptime_s"), started);
    const char *h = strstr(reply, "\"history\":[");
    printf("  updates: %.0f\n", json_num(reply, "requests"));
    for (const char *p = h ? h + 10 : ""; next_object(&p, obj, sizeof obj);) {
        char when[32], outcome[32], file[PATH_MAX], reason[2048];
        format_time(json_num(obj, "time"), when, sizeof when);
        json_string(obj, "outcome", outcome, sizeof outcome);
        json_string(obj, "path", file, sizeof file);
        json_string(obj, "reason", reason, sizeof reason);
        printf("    %s  %-11s  pause %.3f ms  %.0f -> %.0f  %s%s%s\n", when, outcome,
               json_num(obj, "pause_ms"), json_num(obj, "from_version"),
               json_num(obj, "to_version"), file, reason[0] ? ": " : "", reason);
    }
    const char *t = strstr(reply, "\"threads\":[");
    printf("  threads:\n");
    for (const char *p = t ? t + 10 : ""; next_object(&p, obj, sizeof obj);) {
        char point[256];
        json_string(obj, "point", point, sizeof point);
        printf("    %-8.0f %-5s last update point: %s\n", json_num(obj, "tid"),
               strstr(obj, "\"main\":true") ? "main" : "", point[0] ? point : "(none yet)");
    }
    const char *m = strstr(reply, "\"modules\":[");
    if (m && m[11] != ']') /* modules it dlopened itself (docs/plugins.md) */
        printf("  modules:\n");
    for (const char *p = m ? m + 10 : ""; next_object(&p, obj, sizeof obj);) {
        char name[64];
        json_string(obj, "name", name, sizeof name);
        json_string(obj, "path", path, sizeof path);
        printf("    %-12s %s\n", name, path);
    }
}

static int cmd_status(int argc, char **argv)
{
    int json = 0;
    const char *pid = NULL;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i]))
            return help(usage_status, help_status);
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (argv[i][0] == '-')
            usage_error(usage_status, "unknown option", argv[i]);
        else if (pid)
            usage_error(usage_status, "too many arguments", NULL);
        else
            pid = argv[i];
    }
    if (!pid)
        usage_error(usage_status, "missing PID", NULL);
    char *reply = request(parse_pid(pid), "status\n", -1, DEFAULT_WAIT_MS);
    if (!reply)
        return 1;
    if (json)
        fputs(reply, stdout);
    else
        print_status(reply);
    free(reply);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    int i = 0;
    if (i < argc && is_help(argv[i]))
        return help(usage_run, help_run);
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    else if (i < argc && argv[i][0] == '-')
        usage_error(usage_run, "unknown option", argv[i]);
    if (i == argc)
        usage_error(usage_run, "missing APP.so", NULL);
    remove_stale_files(0);
    return kitsune_run_program(argv[i], argc - i, argv + i);
}

static int main_help(FILE *f)
{
    fputs("usage: kitsune run APP.so [ARGS...]\n"
          "       kitsune update [--json] [--check] [--tree] [--timeout MS] PID NEW.so\n"
          "       kitsune status [--json] PID\n"
          "       kitsune clean\n"
          "       kitsune [COMMAND] --help | --version\n", f);
    if (f == stdout)
        fputs("Runs C programs that can be updated while they run, updates them, shows their "
              "state.\nSee kitsune(1).\n", f);
    return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return main_help(stderr);
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "update") == 0)
        return cmd_update(argc - 2, argv + 2);
    if (strcmp(cmd, "status") == 0)
        return cmd_status(argc - 2, argv + 2);
    if (strcmp(cmd, "clean") == 0)
        return cmd_clean(argc - 2, argv + 2);
    if (is_help(cmd) || strcmp(cmd, "help") == 0)
        return main_help(stdout);
    if (strcmp(cmd, "--version") == 0) {
        printf("kitsune %s\n", KITSUNE_VERSION);
        return 0;
    }
    fprintf(stderr, "kitsune: unknown command '%s'\n", cmd);
    return main_help(stderr);
}
