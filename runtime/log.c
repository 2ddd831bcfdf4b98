/* log.c - the update timeline of this process: to stderr with a "kitsune[PID]:" prefix
 * and to a per-process log file (mode 0600) in the private directory.  Also owns that
 * directory: $KITSUNE_DIR, else /tmp/kitsune-UID, created 0700 and checked to be ours. */
#include "kitsune.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static char app_name[64] = "kitsune";
static _Atomic int log_quiet = -1;

double kt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void kt_str_append(char *buf, size_t len, const char *s)
{
    size_t at = strlen(buf);
    while (s && *s && at + 1 < len)
        buf[at++] = *s++;
    buf[at] = 0;
}

void kt_str_append_hex(char *buf, size_t len, uintptr_t v)
{
    char digits[2 + 2 * sizeof v + 1], *p = digits + sizeof digits - 1;
    *p = 0;
    do {
        *--p = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    *--p = 'x';
    *--p = '0';
    kt_str_append(buf, len, p);
}

void kt_str_append_dec(char *buf, size_t len, long v)
{
    char digits[24], *p = digits + sizeof digits - 1;
    unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
    *p = 0;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    kt_str_append(buf, len, p);
}

const char *kt_private_dir(void)
{
    static char dir[256];
    if (dir[0])
        return dir;
    const char *env = getenv("KITSUNE_DIR");
    if (env && *env)
        snprintf(dir, sizeof dir, "%s", env);
    else
        snprintf(dir, sizeof dir, "/tmp/kitsune-%u", (unsigned)getuid());
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        dir[0] = 0;
        return NULL;
    }
    struct stat st;
    /* Someone else's directory (or one others can write) must not hold our socket. */
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 077)) {
        dir[0] = 0;
        return NULL;
    }
    return dir;
}

/* ---- the process's own files in the private directory ---- */

/* Its log and control socket: a process that ends must not leave them behind.  The
 * list belongs to one process: a forked child starts its own (its files have its pid). */
static char own_files[2][300];
static pid_t own_files_pid;

void kt_private_files_remove(void)
{
    if (own_files_pid != getpid())
        return;
    for (size_t i = 0; i < sizeof own_files / sizeof *own_files; i++)
        if (own_files[i][0])
            unlink(own_files[i]);
}

void kt_private_file_add(const char *path)
{
    static int registered;
    if (own_files_pid != getpid()) {
        memset(own_files, 0, sizeof own_files);
        own_files_pid = getpid();
    }
    for (size_t i = 0; i < sizeof own_files / sizeof *own_files; i++)
        if (!own_files[i][0]) {
            snprintf(own_files[i], sizeof own_files[i], "%s", path);
            break;
        }
    if (!registered++)
        atexit(kt_private_files_remove);
}

void kt_log_open(void)
{
    pthread_mutex_lock(&log_lock);
    if (!log_file) {
        const char *dir = kt_private_dir();
        if (dir) {
            char path[512];
            snprintf(path, sizeof path, "%s/%d.log", dir, (int)getpid());
            int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
            if (fd >= 0) {
                log_file = fdopen(fd, "a");
                kt_private_file_add(path);
            }
        }
    }
    pthread_mutex_unlock(&log_lock);
}

static void vlog(int to_stderr, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (log_quiet < 0) {
        const char *q = getenv("KITSUNE_QUIET");
        log_quiet = q && *q && *q != '0';
    }
    pthread_mutex_lock(&log_lock);
    if (to_stderr && !log_quiet)
        fprintf(stderr, "kitsune[%d]: %s\n", (int)getpid(), msg);
    if (log_file) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        fprintf(log_file, "%lld.%03ld %s[%d]: %s\n", (long long)ts.tv_sec,
                ts.tv_nsec / 1000000, app_name, (int)getpid(), msg);
        fflush(log_file);
    }
    pthread_mutex_unlock(&log_lock);
}

void kt_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(1, fmt, ap);
    va_end(ap);
}

int kitsune_logging_init(const char *appname)
{
    if (appname) {
        const char *base = strrchr(appname, '/');
        snprintf(app_name, sizeof app_name, "%s", base ? base + 1 : appname);
        char *dot = strstr(app_name, ".so");
        if (dot)
            *dot = 0;
    }
    kt_log_open();
    return log_file ? 0 : -1;
}

void kitsune_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(0, fmt, ap);
    va_end(ap);
}

/* The child of a fork logs to its own file. */
void kt_log_after_fork(void)
{
    pthread_mutex_init(&log_lock, NULL);
    if (log_file) {
        fclose(log_file);
        log_file = NULL;
    }
    kt_log_open();
}
