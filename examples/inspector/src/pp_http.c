/* pp_http.c - the HTTP preprocessor: parses requests (request line, headers) and
 * responses (status line, headers, Content-Length and chunked bodies) from the
 * reassembled streams of its ports, hands each request's URI to the http_uri rules and
 * raises its own alerts (gid 119):
 *
 *   119:16  a chunk longer than max_chunk_length
 *   119:31  a method that is not one of the configured ones (release 2 on)
 *
 *   preprocessor http: ports 80 8080, methods GET POST HEAD, max_chunk_length 1000
 *
 * Release 3 fixes a false positive of 119:16: a chunk extension ("a;name=value") was
 * read as part of the size.  Release 4 keeps the URI in a buffer sized to it (uri,
 * uri_len) instead of a fixed array that cut long URIs at 64 bytes. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "inspector.h"

#define MAX_METHODS 8
#define LINE_MAX_LEN 1024
#define URI_FIXED 64

struct http_config {
    char methods[MAX_METHODS][16];
    int nmethods;
    unsigned max_chunk_length;
};

enum http_state { H_START, H_HEADERS, H_BODY, H_CHUNK_SIZE, H_CHUNK_DATA, H_CHUNK_END,
                  H_TRAILER };

/* The parser of one direction: the line being read and what the body needs. */
struct http_dir {
    enum http_state state;
    unsigned line_len;
    char line[LINE_MAX_LEN];
    uint64_t remaining; /* body or chunk bytes still to skip */
    int chunked;
};

struct http_session {
    struct http_dir d[2];
#if INSPECTOR_VERSION < 4
    char uri[URI_FIXED]; /* the last request's URI, cut at URI_FIXED - 1 bytes */
    unsigned uri_len;
#else
    char *uri; /* the last request's URI, uri_len bytes */
    size_t uri_len;
#endif
    unsigned requests;
};

static const struct inspector_api *api;

static void *http_parse_config(const char *args, char *err, size_t errlen)
{
    struct http_config *c = calloc(1, sizeof *c);
    char v[256];
    if (!c)
        return NULL;
    c->max_chunk_length = 1u << 20;
    if (api->arg(args, "max_chunk_length", v, sizeof v))
        c->max_chunk_length = (unsigned)strtoul(v, NULL, 10);
    if (api->arg(args, "methods", v, sizeof v))
        for (char *m = strtok(v, " "); m; m = strtok(NULL, " ")) {
            if (c->nmethods >= MAX_METHODS || strlen(m) >= sizeof c->methods[0]) {
                snprintf(err, errlen, "http: more than %d methods, or one too long", MAX_METHODS);
                free(c);
                return NULL;
            }
            strcpy(c->methods[c->nmethods++], m);
        }
    return c;
}

static void http_free_config(void *config) { free(config); }

static void http_free_session(void *state)
{
#if INSPECTOR_VERSION >= 4
    free(((struct http_session *)state)->uri);
#endif
    free(state);
}

#if INSPECTOR_VERSION >= 2
static int method_known(const struct http_config *c, const char *m, size_t len)
{
    for (int i = 0; i < c->nmethods; i++)
        if (strlen(c->methods[i]) == len && !memcmp(c->methods[i], m, len))
            return 1;
    return 0;
}
#endif

static void set_uri(struct http_session *s, const char *uri, size_t len)
{
#if INSPECTOR_VERSION < 4
    if (len >= sizeof s->uri)
        len = sizeof s->uri - 1;
    memcpy(s->uri, uri, len);
    s->uri[len] = 0;
    s->uri_len = (unsigned)len;
#else
    char *copy = realloc(s->uri, len + 1);
    if (!copy)
        return;
    memcpy(copy, uri, len);
    copy[len] = 0;
    s->uri = copy;
    s->uri_len = len;
#endif
}

static void request_line(struct packet *p, struct http_session *s, const struct http_config *c,
                         const char *line)
{
    const char *sp = strchr(line, ' ');
    if (!sp)
        return;
    const char *uri = sp + 1, *end = strchr(uri, ' ');
    size_t ulen = end ? (size_t)(end - uri) : strlen(uri);
    s->requests++;
    api->count("http_requests");
#if INSPECTOR_VERSION >= 2
    if (c->nmethods && !method_known(c, line, (size_t)(sp - line)))
        api->alert(p, 119, 31, "(http_inspect) unknown request method");
#else
    (void)c;
#endif
    set_uri(s, uri, ulen);
    api->match_rules(p, RB_HTTP_URI, (const uint8_t *)s->uri, s->uri_len);
}

/* The size of a chunk from its size line.  Release 1 and 2 took every hex digit of
 * the line, so an extension's letters made the size larger than it is. */
static uint64_t chunk_size(const char *line)
{
    uint64_t size = 0;
    for (const char *q = line; *q; q++) {
        if (!isxdigit((unsigned char)*q)) {
#if INSPECTOR_VERSION >= 3
            break;
#else
            continue;
#endif
        }
        int digit = isdigit((unsigned char)*q) ? *q - '0' : tolower((unsigned char)*q) - 'a' + 10;
        if (size > (UINT64_MAX >> 4))
            return UINT64_MAX;
        size = size * 16 + (uint64_t)digit;
    }
    return size;
}

static void header_line(struct http_dir *d, const char *line)
{
    if (!strncasecmp(line, "Content-Length:", 15))
        d->remaining = strtoull(line + 15, NULL, 10);
    else if (!strncasecmp(line, "Transfer-Encoding:", 18) && strstr(line + 18, "chunked"))
        d->chunked = 1;
}

/* One complete line (without CRLF) of direction dir. */
static void http_line(struct packet *p, struct http_session *s, const struct http_config *c,
                      int dir, const char *line)
{
    struct http_dir *d = &s->d[dir];
    switch (d->state) {
    case H_START:
        if (!line[0])
            return;
        if (dir == 0)
            request_line(p, s, c, line);
        d->remaining = 0;
        d->chunked = 0;
        d->state = H_HEADERS;
        return;
    case H_HEADERS:
        if (line[0]) {
            header_line(d, line);
            return;
        }
        d->state = d->chunked ? H_CHUNK_SIZE : d->remaining ? H_BODY : H_START;
        return;
    case H_CHUNK_SIZE: {
        uint64_t size = chunk_size(line);
        if (size > c->max_chunk_length)
            api->alert(p, 119, 16, "(http_inspect) chunk larger than max_chunk_length");
        d->remaining = size;
        d->state = size ? H_CHUNK_DATA : H_TRAILER;
        return;
    }
    case H_CHUNK_END: /* the CRLF after a chunk's data */
        d->state = H_CHUNK_SIZE;
        return;
    case H_TRAILER:
        if (!line[0])
            d->state = H_START;
        return;
    default:
        return;
    }
}

static void http_on_stream(struct packet *p, const uint8_t *data, size_t len, void *config)
{
    struct http_config *c = config;
    struct flow *f = p->flow;
    if (!f->pp_state) {
        struct http_session *s = calloc(1, sizeof(struct http_session));
        if (!s)
            return;
        f->pp_state = s;
        f->pp_kind = PP_HTTP;
    }
    struct http_session *s = f->pp_state;
    struct http_dir *d = &s->d[p->dir];
    for (size_t i = 0; i < len;) {
        if ((d->state == H_BODY || d->state == H_CHUNK_DATA) && d->remaining) {
            size_t take = len - i < d->remaining ? len - i : (size_t)d->remaining;
            d->remaining -= take;
            i += take;
            if (!d->remaining)
                d->state = d->state == H_BODY ? H_START : H_CHUNK_END;
            continue;
        }
        char ch = (char)data[i++];
        if (ch == '\n') {
            if (d->line_len && d->line[d->line_len - 1] == '\r')
                d->line_len--;
            d->line[d->line_len] = 0;
            d->line_len = 0;
            http_line(p, s, c, p->dir, d->line);
        } else if (d->line_len < LINE_MAX_LEN - 1) {
            d->line[d->line_len++] = ch;
        }
    }
}

static const struct pp_ops http_ops = {
    .name = "http",
    .kind = PP_HTTP,
    .parse_config = http_parse_config,
    .free_config = http_free_config,
    .on_stream = http_on_stream,
    .free_session = http_free_session,
};

int PP_SETUP(http)(const struct inspector_api *a)
{
    api = a;
    return api->register_preprocessor(&http_ops);
}
