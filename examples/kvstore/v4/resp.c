/* resp.c - the RESP2 protocol: parsing requests (multibulk "*N\r\n$L\r\n..." and
 * inline "CMD arg arg\r\n") and writing replies into a connection's output buffer.
 *
 * The parser is stateless: it looks at the unparsed bytes of a connection and either
 * finds one whole request (the arguments point into the buffer) or says that more bytes
 * are needed, so partial reads need no saved parser state. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kvstore.h"

#define MAX_INLINE 65536             /* longest inline request or header line */
#define MAX_BULK (512L * 1024 * 1024) /* longest argument */

/* Parses a whole decimal integer (optional '-', no spaces). */
int parse_ll(const char *p, size_t len, long long *out)
{
    if (len == 0 || len > 20)
        return -1;
    size_t i = 0;
    int neg = p[0] == '-';
    if (neg && len == 1)
        return -1;
    i = (size_t)neg;
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        unsigned long long d = (unsigned long long)(p[i] - '0');
        if (v > (18446744073709551615ULL - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (neg ? v > 9223372036854775808ULL : v > 9223372036854775807ULL)
        return -1;
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 0;
}

/* Finds "\r\n" in [p, end); returns the '\r' or NULL. */
static const char *find_crlf(const char *p, const char *end)
{
    while (p < end) {
        const char *cr = memchr(p, '\r', (size_t)(end - p));
        if (!cr || cr + 1 >= end)
            return NULL;
        if (cr[1] == '\n')
            return cr;
        p = cr + 1;
    }
    return NULL;
}

/* Reads "<prefix><integer>\r\n" at *pos; 1 = done, 0 = incomplete, -1 = error. */
static int header_line(const char *buf, size_t len, size_t *pos, char prefix, long long *n,
                       const char **err)
{
    const char *start = buf + *pos, *end = buf + len;
    const char *cr = find_crlf(start, end);
    if (!cr) {
        if ((size_t)(end - start) > MAX_INLINE) {
            *err = "Protocol error: too big header line";
            return -1;
        }
        return 0;
    }
    if (*start != prefix || parse_ll(start + 1, (size_t)(cr - start - 1), n) < 0) {
        *err = prefix == '*' ? "Protocol error: invalid multibulk length"
                             : "Protocol error: invalid bulk length";
        return -1;
    }
    *pos = (size_t)(cr + 2 - buf);
    return 1;
}

static long parse_multibulk(const char *buf, size_t len, struct arg *argv, int *argc,
                            const char **err)
{
    size_t pos = 0;
    long long n;
    int r = header_line(buf, len, &pos, '*', &n, err);
    if (r <= 0)
        return r;
    if (n > MAX_ARGS) {
        *err = "Protocol error: too many arguments";
        return -1;
    }
    *argc = n > 0 ? (int)n : 0;
    for (int i = 0; i < *argc; i++) {
        long long blen;
        r = header_line(buf, len, &pos, '$', &blen, err);
        if (r <= 0)
            return r;
        if (blen < 0 || blen > MAX_BULK) {
            *err = "Protocol error: invalid bulk length";
            return -1;
        }
        if (len - pos < (size_t)blen + 2)
            return 0;
        if (buf[pos + (size_t)blen] != '\r' || buf[pos + (size_t)blen + 1] != '\n') {
            *err = "Protocol error: bulk not followed by CRLF";
            return -1;
        }
        argv[i].ptr = buf + pos;
        argv[i].len = (size_t)blen;
        pos += (size_t)blen + 2;
    }
    return (long)pos;
}

static long parse_inline(const char *buf, size_t len, struct arg *argv, int *argc,
                         const char **err)
{
    const char *nl = memchr(buf, '\n', len);
    if (!nl) {
        if (len > MAX_INLINE) {
            *err = "Protocol error: too big inline request";
            return -1;
        }
        return 0;
    }
    const char *end = nl;
    if (end > buf && end[-1] == '\r')
        end--;
    *argc = 0;
    for (const char *p = buf; p < end;) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p == end)
            break;
        const char *q = p;
        while (q < end && *q != ' ' && *q != '\t')
            q++;
        if (*argc == MAX_ARGS) {
            *err = "Protocol error: too many arguments";
            return -1;
        }
        argv[*argc].ptr = p;
        argv[*argc].len = (size_t)(q - p);
        (*argc)++;
        p = q;
    }
    return (long)(nl + 1 - buf);
}

/* One request from buf: bytes consumed (argc may be 0 for an empty request), 0 when
 * the request is not complete yet, or -1 with *err set. */
long resp_parse(const char *buf, size_t len, struct arg *argv, int *argc, const char **err)
{
    *argc = 0;
    if (len == 0)
        return 0;
    if (buf[0] == '*')
        return parse_multibulk(buf, len, argv, argc, err);
    return parse_inline(buf, len, argv, argc, err);
}

/* ---- replies ---- */

void reply_status(struct conn *c, const char *s)
{
    conn_append(c, "+", 1);
    conn_append(c, s, strlen(s));
    conn_append(c, "\r\n", 2);
}

void reply_error(struct conn *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof msg)
        n = sizeof msg - 1;
    for (int i = 0; i < n; i++)
        if (msg[i] == '\r' || msg[i] == '\n')
            msg[i] = ' ';
    conn_append(c, "-", 1);
    conn_append(c, msg, (size_t)n);
    conn_append(c, "\r\n", 2);
}

static void reply_prefixed(struct conn *c, char prefix, long long v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%c%lld\r\n", prefix, v);
    conn_append(c, buf, (size_t)n);
}

void reply_int(struct conn *c, long long v)
{
    reply_prefixed(c, ':', v);
}

void reply_bulk(struct conn *c, const char *p, size_t len)
{
    reply_prefixed(c, '$', (long long)len);
    conn_append(c, p, len);
    conn_append(c, "\r\n", 2);
}

void reply_null(struct conn *c)
{
    conn_append(c, "$-1\r\n", 5);
}

void reply_array(struct conn *c, long n)
{
    reply_prefixed(c, '*', n);
}
