/* pp_sip.c - the SIP preprocessor: SIP over UDP on its ports.  A session is the pair
 * of endpoints; each new Call-ID of an INVITE starts a dialog in the session.  Alerts
 * (gid 140):
 *
 *   140:27  more dialogs in a session than max_dialogs_per_session (release 3 on)
 *
 *   preprocessor sip: ports 5060, max_sessions 256[, max_dialogs_per_session 4]
 *
 * Release 3 added max_dialogs_per_session to the configuration (default 4). */
#include <stdlib.h>
#include <string.h>

#include "inspector.h"

struct sip_config {
    unsigned max_sessions;
#if INSPECTOR_VERSION >= 3
    unsigned max_dialogs_per_session;
#endif
};

struct sip_dialog {
    char call_id[64];
    struct sip_dialog *next;
};

struct sip_session {
    uint32_t addr[2];
    uint16_t port[2];
    unsigned ndialogs;
    struct sip_dialog *dialogs;
    struct sip_session *next;
};

static const struct inspector_api *api;
static struct sip_session *sessions;
static unsigned nsessions;

static void *sip_parse_config(const char *args, char *err, size_t errlen)
{
    struct sip_config *c = calloc(1, sizeof *c);
    char v[32];
    (void)err;
    (void)errlen;
    if (!c)
        return NULL;
    c->max_sessions = 256;
    if (api->arg(args, "max_sessions", v, sizeof v))
        c->max_sessions = (unsigned)atoi(v);
#if INSPECTOR_VERSION >= 3
    c->max_dialogs_per_session = 4;
    if (api->arg(args, "max_dialogs_per_session", v, sizeof v))
        c->max_dialogs_per_session = (unsigned)atoi(v);
#endif
    return c;
}

static void sip_free_config(void *config) { free(config); }

static struct sip_session *session_of(const struct packet *p, const struct sip_config *c)
{
    for (struct sip_session *s = sessions; s; s = s->next)
        if ((s->addr[0] == p->saddr && s->port[0] == p->sport && s->addr[1] == p->daddr &&
             s->port[1] == p->dport) ||
            (s->addr[0] == p->daddr && s->port[0] == p->dport && s->addr[1] == p->saddr &&
             s->port[1] == p->sport))
            return s;
    if (nsessions >= c->max_sessions)
        return NULL;
    struct sip_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->addr[0] = p->saddr;
    s->port[0] = p->sport;
    s->addr[1] = p->daddr;
    s->port[1] = p->dport;
    s->next = sessions;
    sessions = s;
    nsessions++;
    return s;
}

/* The value of header name (with its colon) in msg, copied into out. */
static int header_value(const char *msg, size_t len, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    for (const char *line = msg; line && line < msg + len;) {
        const char *eol = memchr(line, '\n', (size_t)(msg + len - line));
        size_t llen = eol ? (size_t)(eol - line) : (size_t)(msg + len - line);
        if (llen > nlen && !strncasecmp(line, name, nlen)) {
            const char *v = line + nlen;
            while (*v == ' ')
                v++;
            size_t n = llen - (size_t)(v - line);
            if (n && v[n - 1] == '\r')
                n--;
            if (n >= size)
                n = size - 1;
            memcpy(out, v, n);
            out[n] = 0;
            return 0;
        }
        line = eol ? eol + 1 : NULL;
    }
    return -1;
}

static void new_dialog(struct packet *p, struct sip_session *s, const struct sip_config *c,
                       const char *call_id)
{
    for (struct sip_dialog *d = s->dialogs; d; d = d->next)
        if (!strcmp(d->call_id, call_id))
            return;
    struct sip_dialog *d = calloc(1, sizeof *d);
    if (!d)
        return;
    snprintf(d->call_id, sizeof d->call_id, "%s", call_id);
    d->next = s->dialogs;
    s->dialogs = d;
    s->ndialogs++;
#if INSPECTOR_VERSION >= 3
    if (c->max_dialogs_per_session && s->ndialogs > c->max_dialogs_per_session)
        api->alert(p, 140, 27, "(spp_sip) maximum dialogs within a session reached");
#else
    (void)p;
    (void)c;
#endif
}

static void sip_on_datagram(struct packet *p, void *config)
{
    struct sip_config *c = config;
    const char *msg = (const char *)p->payload;
    size_t len = p->plen;
    if (len < 8)
        return;
    api->count("sip_messages");
    struct sip_session *s = session_of(p, c);
    char call_id[64];
    if (s && len > 7 && !memcmp(msg, "INVITE ", 7) &&
        header_value(msg, len, "Call-ID:", call_id, sizeof call_id) == 0)
        new_dialog(p, s, c, call_id);
}

static const struct pp_ops sip_ops = {
    .name = "sip",
    .kind = PP_SIP,
    .parse_config = sip_parse_config,
    .free_config = sip_free_config,
    .on_datagram = sip_on_datagram,
};

int PP_SETUP(sip)(const struct inspector_api *a)
{
    api = a;
    return api->register_preprocessor(&sip_ops);
}
