/* output.c - alert outputs.  `output alert_file: PATH` and `output alert_syslog:
 * [FACILITY]` in the configuration each add a node to the list; an alert is handed to
 * every node's function with the node's argument (Snort's OutputFuncNode). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "inspector.h"

static void format_alert(const struct alert *a, char *out, size_t size)
{
    const struct packet *p = a->p;
    struct in_addr s = {htonl(p->saddr)}, d = {htonl(p->daddr)};
    char src[16], dst[16];
    inet_ntop(AF_INET, &s, src, sizeof src);
    inet_ntop(AF_INET, &d, dst, sizeof dst);
    snprintf(out, size, "pkt=%llu v=%d [%u:%u] %s {%s} %s:%u -> %s:%u",
             (unsigned long long)p->ordinal, INSPECTOR_VERSION, a->gid, a->sid, a->msg,
             p->proto == 6 ? "TCP" : "UDP", src, p->sport, dst, p->dport);
}

static void alert_to_file(const struct alert *a, void *arg)
{
    struct alert_file *af = arg;
    char line[512];
    format_alert(a, line, sizeof line);
    fprintf(af->fp, "%s\n", line); /* flushed after the batch of packets (output_flush) */
}

static void alert_to_syslog(const struct alert *a, void *arg)
{
    struct alert_syslog *as = arg;
    char line[512];
    format_alert(a, line, sizeof line);
    syslog(as->facility | LOG_ALERT, "%s", line);
}

static int facility_by_name(const char *name)
{
    static const struct { const char *name; int facility; } names[] = {
        {"LOG_AUTH", LOG_AUTH}, {"LOG_DAEMON", LOG_DAEMON}, {"LOG_LOCAL0", LOG_LOCAL0},
        {"LOG_LOCAL1", LOG_LOCAL1}, {"LOG_USER", LOG_USER}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(names[i].name, name))
            return names[i].facility;
    return -1;
}

static int push(struct output_node **list, void *arg, output_fn fn)
{
    struct output_node *n = calloc(1, sizeof *n);
    if (!n)
        return -1;
    n->arg = arg;
    n->u.fptr = fn;
    while (*list) /* in configuration order */
        list = &(*list)->next;
    *list = n;
    return 0;
}

int output_add(struct output_node **list, const char *kind, const char *args, char *err,
               size_t errlen)
{
    if (!strcmp(kind, "alert_file")) {
        struct alert_file *af = calloc(1, sizeof *af);
        if (!af || snprintf(af->path, sizeof af->path, "%s", args) >= (int)sizeof af->path ||
            !args[0]) {
            snprintf(err, errlen, "alert_file: expected a file name");
            free(af);
            return -1;
        }
        if (!(af->fp = fopen(af->path, "a"))) {
            snprintf(err, errlen, "alert_file: cannot open %s", af->path);
            free(af);
            return -1;
        }
        return push(list, af, alert_to_file);
    }
    if (!strcmp(kind, "alert_syslog")) {
        struct alert_syslog *as = calloc(1, sizeof *as);
        if (!as)
            return -1;
        as->facility = args[0] ? facility_by_name(args) : LOG_AUTH;
        if (as->facility < 0) {
            snprintf(err, errlen, "alert_syslog: unknown facility '%s'", args);
            free(as);
            return -1;
        }
        openlog("inspector", LOG_PID | LOG_NDELAY, as->facility);
        return push(list, as, alert_to_syslog);
    }
    snprintf(err, errlen, "unknown output '%s': expected alert_file or alert_syslog", kind);
    return -1;
}

void output_free(struct output_node *list)
{
    while (list) {
        struct output_node *next = list->next;
        if (list->u.fptr == alert_to_file)
            fclose(((struct alert_file *)list->arg)->fp);
        free(list->arg);
        free(list);
        list = next;
    }
}

void output_alert(const struct alert *a)
{
    for (struct output_node *n = conf->outputs; n; n = n->next)
        n->u.fptr(a, n->arg);
}

void output_note(const char *line)
{
    for (struct output_node *n = conf->outputs; n; n = n->next)
        if (n->u.fptr == alert_to_file) {
            struct alert_file *af = n->arg;
            fprintf(af->fp, "%s\n", line);
            fflush(af->fp);
        }
}

void output_flush(void)
{
    for (struct output_node *n = conf->outputs; n; n = n->next)
        if (n->u.fptr == alert_to_file)
            fflush(((struct alert_file *)n->arg)->fp);
}
