/* kitsune.c - the `kitsune` command: run a program under kitsune, update it, ask its
 * status.
 *
 *   kitsune run APP.so [ARGS...]
 *   kitsune update [--json] [--check] [--tree] [--timeout MS] PID NEW.so
 *   kitsune status [--json] PID
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

static const char usage_run[] = "usage: kitsune run APP.so [ARGS...]\n";
static const char usage_update[] =
    "usage: kitsune update [--json] [--check] [--tree] [--timeout MS] PID NEW.so\n";
static const char usage_status[] = "usage: kitsune status [--json] PID\n";

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
        int n = collect_tree(pid, kids, 1024, 0);
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
    char *reply = request(parse_pid(pid), "status\n", DEFAULT_WAIT_MS);
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
    return kitsune_run_program(argv[i], argc - i, argv + i);
}

static int main_help(FILE *f)
{
    fputs("usage: kitsune run APP.so [ARGS...]\n"
          "       kitsune update [--json] [--check] [--tree] [--timeout MS] PID NEW.so\n"
          "       kitsune status [--json] PID\n"
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
    if (is_help(cmd) || strcmp(cmd, "help") == 0)
        return main_help(stdout);
    if (strcmp(cmd, "--version") == 0) {
        printf("kitsune %s\n", KITSUNE_VERSION);
        return 0;
    }
    fprintf(stderr, "kitsune: unknown command '%s'\n", cmd);
    return main_help(stderr);
}
