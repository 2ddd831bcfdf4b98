/* alloc_crash.c - after a crash inside the allocator: can this process still allocate?
 *
 * A new version that corrupts the heap makes glibc abort from inside malloc or free,
 * sometimes with an arena's lock taken: "free(): invalid next size (normal)" comes
 * from _int_free after it locked the arena.  The rollback resumes the parked old
 * context and abandons the crashed frames, so such a lock is never released, and the
 * first malloc of the rollback's cleanup (or of the old version) would block for ever.
 *
 * glibc offers no way to ask whether a lock is held, nor to release one, and its
 * structures are private; so the question is answered by trying.  The crashed main
 * thread asks the control thread to call mallinfo2(), which takes each arena's lock in
 * turn and only reads (malloc_trim would also consolidate and return memory, i.e.
 * write a heap just found corrupt; a malloc of the control thread's would only take
 * that thread's own arena), and waits KT_ALLOC_PROBE_MS for the answer, allocating
 * nothing.
 *  - It answers: malloc works.  The rollback goes on, leaking what the crash made
 *    suspect (update.c), and says so in the log.
 *  - It does not answer in time (a lock held for ever), or walking the arena's lists
 *    faults (they are corrupt): the program cannot allocate again, so it cannot go on
 *    as it was.  The main thread writes the whole story with write(2) only - stderr,
 *    the log file, the requesting client - and ends the process with
 *    _exit(KT_EXIT_ALLOCATOR_LOST) (70, EX_SOFTWARE): a hung server helps nobody, one
 *    that ends with a report is restarted by its supervisor.
 * What the main thread runs here allocates and frees nothing and takes no lock: no
 * stdio, the report formatted by hand (log.c's kt_str_append*), written with write(2)
 * and send(2); the prober is woken by a condition broadcast, which needs no mutex. */
#include <fcntl.h>
#include <malloc.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "crash.h"
#include "lifecycle.h"
#include "log.h"
#include "alloc_crash.h"

enum { PROBE_IDLE, PROBE_ASKED, PROBE_RUNNING, PROBE_DONE, PROBE_FAULTED };

static _Atomic int probe = PROBE_IDLE;
static volatile sig_atomic_t crashed_in_alloc;
static __thread volatile sig_atomic_t probing; /* this thread runs mallinfo2 */

void kt_alloc_crash_note(const void *ctx)
{
    if (kt_crash_in_allocator(ctx)) /* a helper may have said so already */
        crashed_in_alloc = 1;
}

int kt_alloc_crash_note_helper(const void *ctx, uintptr_t stack_hi)
{
    if (!kt_crash_in_allocator_below(ctx, stack_hi))
        return 0;
    crashed_in_alloc = 1;
    return 1;
}

int kt_alloc_probe_faulted(void)
{
    if (!probing)
        return 0;
    probe = PROBE_FAULTED; /* the main thread reports it and ends the process */
    for (;;)
        pause();
}

int kt_alloc_probe_asked(void)
{
    return probe == PROBE_ASKED;
}

void kt_alloc_probe_run(void)
{
    int asked = PROBE_ASKED;
    if (!atomic_compare_exchange_strong(&probe, &asked, PROBE_RUNNING))
        return;
    probing = 1;
    struct mallinfo2 mi = mallinfo2(); /* blocks for ever on a lock nobody releases */
    (void)mi;
    probing = 0;
    probe = PROBE_DONE;
}

int kt_alloc_crash_settle(const struct kt_alloc_story *s)
{
    if (!crashed_in_alloc)
        return 0;
    crashed_in_alloc = 0;
    double t0 = kt_now_ms();
    probe = PROBE_ASKED;
    pthread_cond_broadcast(&kt_rt.cond); /* the control thread waits on it */
    struct timespec ms = {0, 1000000};
    while (probe != PROBE_DONE && probe != PROBE_FAULTED && kt_now_ms() < t0 + KT_ALLOC_PROBE_MS)
        nanosleep(&ms, NULL);
    if (probe == PROBE_DONE) {
        probe = PROBE_IDLE;
        return 1;
    }
    char why[300] = "";
    if (probe == PROBE_FAULTED) {
        kt_str_append(why, sizeof why, "Reading the allocator's lists faulted (mallinfo2() on "
                      "the control thread): the heap's bookkeeping is corrupt, no allocation "
                      "can be trusted.");
    } else {
        kt_str_append(why, sizeof why, "No thread could take every arena's lock within ");
        kt_str_append_dec(why, sizeof why, KT_ALLOC_PROBE_MS);
        kt_str_append(why, sizeof why, " ms (mallinfo2() on the control thread did not "
                      "return): the crashed code still holds the allocator's lock, and this "
                      "process can no longer allocate memory.");
    }
    kt_alloc_crash_fatal(s, why);
}

/* ---- the report ---- */

static void put(int fd, const char *s, size_t n)
{
    while (fd >= 0 && n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL); /* a client gone is no SIGPIPE */
        if (w < 0)
            w = write(fd, s, n); /* not a socket */
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void put_str(int fd, const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    put(fd, s, n);
}

/* s as a JSON string: quotes and backslashes escaped, control characters as spaces. */
static void append_json(char *buf, size_t len, const char *s)
{
    kt_str_append(buf, len, "\"");
    for (; *s; s++) {
        char c[3] = {*s, 0, 0};
        if (*s == '"' || *s == '\\') {
            c[0] = '\\';
            c[1] = *s;
        } else if ((unsigned char)*s < 0x20) {
            c[0] = ' ';
        }
        kt_str_append(buf, len, c);
    }
    kt_str_append(buf, len, "\"");
}

/* whole.fraction with three digits: n thousandths */
static void append_milli(char *buf, size_t len, long n)
{
    kt_str_append_dec(buf, len, n / 1000);
    char frac[5] = {'.', (char)('0' + n / 100 % 10), (char)('0' + n / 10 % 10),
                    (char)('0' + n % 10), 0};
    kt_str_append(buf, len, frac);
}

static void log_line(const char *msg)
{
    const char *dir = kt_private_dir(); /* made (and cached) when the process started */
    char path[512] = "", stamp[64] = "";
    if (!dir)
        return;
    kt_str_append(path, sizeof path, dir);
    kt_str_append(path, sizeof path, "/");
    kt_str_append_dec(path, sizeof path, (long)getpid());
    kt_str_append(path, sizeof path, ".log");
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    append_milli(stamp, sizeof stamp, (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    kt_str_append(stamp, sizeof stamp, " kitsune[");
    kt_str_append_dec(stamp, sizeof stamp, (long)getpid());
    kt_str_append(stamp, sizeof stamp, "]: ");
    put_str(fd, stamp);
    put_str(fd, msg);
    put_str(fd, "\n");
    close(fd);
}

void kt_alloc_crash_fatal(const struct kt_alloc_story *s, const char *why)
{
    static char msg[KT_ERRLEN + 1024], reply[2 * sizeof msg];
    msg[0] = reply[0] = 0;
    kt_str_append(msg, sizeof msg, "FATAL: the update to ");
    kt_str_append(msg, sizeof msg, s->path ? s->path : "?");
    kt_str_append(msg, sizeof msg, " crashed inside the allocator (malloc or free): ");
    kt_str_append(msg, sizeof msg, s->reason);
    kt_str_append(msg, sizeof msg, ". ");
    kt_str_append(msg, sizeof msg, why);
    kt_str_append(msg, sizeof msg, " So it cannot go on in version ");
    kt_str_append_dec(msg, sizeof msg, (long)s->from);
    kt_str_append(msg, sizeof msg, ": it ends now with exit status ");
    kt_str_append_dec(msg, sizeof msg, KT_EXIT_ALLOCATOR_LOST);
    kt_str_append(msg, sizeof msg, " (its log and control socket stay; `kitsune clean` "
                  "removes them).");
    put_str(2, "kitsune[");
    char pid[24] = "";
    kt_str_append_dec(pid, sizeof pid, (long)getpid());
    put_str(2, pid);
    put_str(2, "]: ");
    put_str(2, msg);
    put_str(2, "\n");
    log_line(msg);
    /* The reply `kitsune update` waits for, in the form control.c gives the others. */
    kt_str_append(reply, sizeof reply, "{\"pid\":");
    kt_str_append(reply, sizeof reply, pid);
    kt_str_append(reply, sizeof reply, ",\"outcome\":\"process ended\",\"reason\":");
    append_json(reply, sizeof reply, msg);
    kt_str_append(reply, sizeof reply, ",\"from_version\":");
    kt_str_append_dec(reply, sizeof reply, (long)s->from);
    kt_str_append(reply, sizeof reply, ",\"to_version\":");
    kt_str_append_dec(reply, sizeof reply, (long)s->to);
    kt_str_append(reply, sizeof reply, ",\"pause_ms\":");
    append_milli(reply, sizeof reply, (long)((kt_now_ms() - s->frozen_since_ms) * 1000));
    kt_str_append(reply, sizeof reply, ",\"exit_status\":");
    kt_str_append_dec(reply, sizeof reply, KT_EXIT_ALLOCATOR_LOST);
    kt_str_append(reply, sizeof reply, "}\n");
    put_str(s->client_fd, reply);
    _exit(KT_EXIT_ALLOCATOR_LOST);
}
