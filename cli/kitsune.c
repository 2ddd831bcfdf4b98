/* kitsune.c - the `kitsune` command: run a program under kitsune, update it, ask its
 * status.
 *
 *   kitsune run APP.so [ARGS...]
 *   kitsune update [--json] [--check] [--tree] [--timeout MS] PID NEW.so
 *   kitsune status PID
 *
 * `update` talks to the program's control socket (see runtime/control.c), waits for the
 * outcome and prints it; it exits 0 only when the update committed.  It never waits
 * forever: with --timeout MS the program bounds quiescence and the freeze by MS and the
 * command gives up MS + REPLY_GRACE_MS after asking (a request whose client has gone
 * before the program paused is cancelled by the program); without it, after
 * DEFAULT_WAIT_MS. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: kitsune run APP.so [ARGS...]\n"
            "       kitsune update [--json] [--check] [--tree] [--timeout MS] PID NEW.so\n"
            "       kitsune status PID\n");
    exit(2);
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

/* How long past its --timeout the command waits for the program's reply: the
 * watchdog's grace for a new version that passes no update point (250 ms, see
 * runtime/internal.h) and the time to roll back and answer. */
#define REPLY_GRACE_MS 750
#define DEFAULT_WAIT_MS 60000

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Sends one request line; returns the reply (malloc'd) or NULL with a message.  Gives
 * up after wait_ms; closing the connection tells the program nobody waits any more. */
static char *request(int pid, const char *line, double wait_ms)
{
    double deadline = now_ms() + wait_ms;
    char path[PATH_MAX];
    if (socket_path(pid, path, sizeof path) < 0) {
        fprintf(stderr, "kitsune: no process %d\n", pid);
        return NULL;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        fprintf(stderr, "kitsune: process %d is not running under kitsune (%s: %s)\n", pid,
                path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    size_t len = strlen(line);
    if (write(fd, line, len) != (ssize_t)len) {
        fprintf(stderr, "kitsune: write to %s: %s\n", path, strerror(errno));
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
            fprintf(stderr, "kitsune: process %d gave no outcome within %.0f ms; a request "
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
        fprintf(stderr, "kitsune: process %d closed the connection without a reply\n", pid);
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
    char *reply = request(pid, line, timeout_ms > 0 ? timeout_ms + REPLY_GRACE_MS
                                                    : DEFAULT_WAIT_MS);
    if (!reply)
        return 1;
    int rc = print_outcome(pid, abs, reply, json);
    free(reply);
    return rc;
}

/* Children of pid that run under kitsune (have a control socket), depth first. */
static int collect_tree(int pid, int *out, int max, int n)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) && n < max) {
        int child = atoi(e->d_name);
        if (child <= 0)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", child);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t got = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[got] = 0;
        char *rp = strrchr(buf, ')');
        int ppid = 0;
        if (rp && sscanf(rp + 2, "%*c %d", &ppid) == 1 && ppid == pid) {
            char sock[PATH_MAX];
            struct stat st;
            if (socket_path(child, sock, sizeof sock) == 0 && stat(sock, &st) == 0)
                out[n++] = child;
            n = collect_tree(child, out, max, n);
        }
    }
    if (d)
        closedir(d);
    return n;
}

static int cmd_update(int argc, char **argv)
{
    int json = 0, check = 0, tree = 0, i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
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
            usage();
    }
    if (argc - i != 2)
        usage();
    int pid = parse_pid(argv[i]);
    char abs[PATH_MAX];
    if (!realpath(argv[i + 1], abs)) {
        fprintf(stderr, "kitsune: %s: %s\n", argv[i + 1], strerror(errno));
        return 1;
    }
    int rc = update_one(pid, abs, check, json);
    if (tree) {
        int kids[1024];
        int n = collect_tree(pid, kids, 1024, 0);
        for (int k = 0; k < n; k++)
            rc |= update_one(kids[k], abs, check, json);
    }
    return rc;
}

static int cmd_status(int argc, char **argv)
{
    if (argc != 1)
        usage();
    char *reply = request(parse_pid(argv[0]), "status\n", DEFAULT_WAIT_MS);
    if (!reply)
        return 1;
    fputs(reply, stdout);
    free(reply);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    if (strcmp(argv[1], "run") == 0) {
        if (argc < 3)
            usage();
        return kitsune_run_program(argv[2], argc - 2, argv + 2);
    }
    if (strcmp(argv[1], "update") == 0)
        return cmd_update(argc - 2, argv + 2);
    if (strcmp(argv[1], "status") == 0)
        return cmd_status(argc - 2, argv + 2);
    usage();
    return 2;
}
