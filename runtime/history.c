/* history.c - what `kitsune status` tells about the program's past: when it started
 * and the outcome of its last HISTORY_MAX update requests (time, outcome, pause,
 * versions, reason).  Written and read by the control thread, which serves both
 * updates and status requests, so it needs no lock. */
#include "common.h"
#include "json.h"
#include "report.h"
#include "history.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HISTORY_MAX 16

struct history_entry {
    double when;                 /* wall-clock seconds when the outcome was known */
    enum kt_outcome outcome;
    double pause_ms;
    unsigned from_version, to_version;
    char path[512];
    char reason[KT_ERRLEN];
};

static struct history_entry ring[HISTORY_MAX];
static unsigned recorded;        /* all requests so far; the ring keeps the last ones */
static double started;

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* At start and in a forked child: a new process with no history of its own. */
void kt_history_reset(void)
{
    started = wall_seconds();
    recorded = 0;
}

void kt_history_add(const char *path, const struct kt_report *r)
{
    struct history_entry *e = &ring[recorded++ % HISTORY_MAX];
    e->when = wall_seconds();
    e->outcome = r->outcome;
    e->pause_ms = r->pause_ms;
    e->from_version = r->from_version;
    e->to_version = r->to_version;
    snprintf(e->path, sizeof e->path, "%s", path ? path : "");
    snprintf(e->reason, sizeof e->reason, "%s", r->reason);
}

/* "started":T,"uptime_s":S,"updates":N,"history":[{...},...] oldest first. */
size_t kt_history_json(char *out, size_t len)
{
    double now = wall_seconds();
    size_t n = (size_t)snprintf(out, len, "\"started\":%.3f,\"uptime_s\":%.3f,\"requests\":%u,"
                                "\"history\":[", started, now - started, recorded);
    unsigned first = recorded > HISTORY_MAX ? recorded - HISTORY_MAX : 0;
    for (unsigned i = first; i < recorded && n + 2 * sizeof(struct history_entry) + 256 < len; i++) {
        const struct history_entry *e = &ring[i % HISTORY_MAX];
        n += (size_t)snprintf(out + n, len - n, "%s{\"time\":%.3f,\"outcome\":\"%s\","
                              "\"pause_ms\":%.3f,\"from_version\":%u,\"to_version\":%u,"
                              "\"path\":", i > first ? "," : "", e->when,
                              kt_outcome_name(e->outcome), e->pause_ms, e->from_version,
                              e->to_version);
        n += kt_json_str(out + n, len - n, e->path);
        n += (size_t)snprintf(out + n, len - n, ",\"reason\":");
        n += kt_json_str(out + n, len - n, e->reason);
        n += (size_t)snprintf(out + n, len - n, "}");
    }
    n += (size_t)snprintf(out + n, len - n, "]");
    return n < len ? n : len - 1;
}
