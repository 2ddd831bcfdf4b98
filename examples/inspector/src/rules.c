/* rules.c - detection rules in the spirit of Snort's:
 *
 *   alert tcp any any -> any 80 (msg:"..."; content:"evil"; sid:1001;)
 *   alert tcp any any -> any 80 (msg:"..."; pcre:"/cgi-bin\/[a-z]+\.exe/i"; sid:1002;)
 *   alert tcp any any -> any 80 (msg:"..."; content:"secret"; http_uri; sid:1003;)
 *   alert udp any any -> any 53 (msg:"..."; content:"malware"; dns_query; sid:1005;)
 *
 * A rule has a content string, a PCRE2 pattern or both (both must match).  TCP rules
 * match the reassembled client-to-server stream and alert once per flow; UDP rules
 * match each datagram.  Buffers other than the payload are handed over by the
 * preprocessor that extracts them (the HTTP URI, the DNS query name). */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "inspector.h"

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Copies the quoted string at *s (after the opening quote) into out, handling \" and
 * \\; returns its length or -1. */
static int quoted(const char **s, char *out, size_t size)
{
    size_t n = 0;
    const char *p = *s;
    for (; *p && *p != '"'; p++) {
        if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == ';'))
            p++;
        if (n + 1 >= size)
            return -1;
        out[n++] = *p;
    }
    if (*p != '"')
        return -1;
    out[n] = 0;
    *s = p + 1;
    return (int)n;
}

static int compile_pcre(struct rule *r, const char *spec, char *err, size_t errlen)
{
    /* /pattern/flags */
    const char *end = strrchr(spec, '/');
    if (spec[0] != '/' || end == spec) {
        snprintf(err, errlen, "pcre: expected \"/pattern/flags\"");
        return -1;
    }
    uint32_t opts = 0;
    for (const char *f = end + 1; *f; f++)
        if (*f == 'i')
            opts |= PCRE2_CASELESS;
        else if (*f == 's')
            opts |= PCRE2_DOTALL;
        else {
            snprintf(err, errlen, "pcre: unknown flag '%c'", *f);
            return -1;
        }
    int code;
    PCRE2_SIZE off;
    r->re = pcre2_compile((PCRE2_SPTR)spec + 1, (PCRE2_SIZE)(end - spec - 1), opts, &code,
                          &off, NULL);
    if (!r->re) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(err, errlen, "pcre: %s at offset %zu", (char *)msg, (size_t)off);
        return -1;
    }
    /* compiled to machine code where PCRE2 has a JIT for this machine (pcre2_match
     * then runs it, with the same results): the interpreter was a quarter of the
     * time per packet.  Without one the interpreter runs, so a failure is not an
     * error. */
    pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
    r->md = pcre2_match_data_create_from_pattern(r->re, NULL);
    return r->md ? 0 : -1;
}

static int parse_option(struct rule *r, const char *name, const char **s, char *err,
                        size_t errlen)
{
    char val[256];
    if (!strcmp(name, "http_uri") || !strcmp(name, "dns_query")) {
        r->buffer = name[0] == 'h' ? RB_HTTP_URI : RB_DNS_QUERY;
        return 0;
    }
    if (**s != ':') {
        snprintf(err, errlen, "expected ':' after '%s'", name);
        return -1;
    }
    *s = skip_ws(*s + 1);
    if (**s == '"') {
        (*s)++;
        int n = quoted(s, val, sizeof val);
        if (n < 0) {
            snprintf(err, errlen, "option '%s': unterminated or too long string", name);
            return -1;
        }
        if (!strcmp(name, "msg"))
            snprintf(r->msg, sizeof r->msg, "%s", val);
        else if (!strcmp(name, "content")) {
            if ((size_t)n >= sizeof r->content) {
                snprintf(err, errlen, "content longer than %zu bytes", sizeof r->content - 1);
                return -1;
            }
            memcpy(r->content, val, (size_t)n + 1);
            r->content_len = (unsigned)n;
        } else if (!strcmp(name, "pcre")) {
            return compile_pcre(r, val, err, errlen);
        } else {
            snprintf(err, errlen, "unknown option '%s'", name);
            return -1;
        }
        return 0;
    }
    char *end;
    unsigned long v = strtoul(*s, &end, 10);
    if (end == *s) {
        snprintf(err, errlen, "option '%s': expected a number or a quoted string", name);
        return -1;
    }
    *s = end;
    if (!strcmp(name, "sid"))
        r->sid = (unsigned)v;
    else if (!strcmp(name, "gid"))
        r->gid = (unsigned)v;
    else if (strcmp(name, "rev")) {
        snprintf(err, errlen, "unknown option '%s'", name);
        return -1;
    }
    return 0;
}

static int parse_header(struct rule *r, const char **s, char *err, size_t errlen)
{
    char proto[8], src[32], sport[16], arrow[4], dst[32], dport[16];
    int used = 0;
    if (sscanf(*s, "alert %7s %31s %15s %3s %31s %15s %n", proto, src, sport, arrow, dst,
               dport, &used) != 6 || strcmp(arrow, "->")) {
        snprintf(err, errlen, "expected 'alert PROTO SRC PORT -> DST PORT (OPTIONS)'");
        return -1;
    }
    if (!strcmp(proto, "tcp"))
        r->proto = IPPROTO_TCP;
    else if (!strcmp(proto, "udp"))
        r->proto = IPPROTO_UDP;
    else {
        snprintf(err, errlen, "protocol '%s': expected tcp or udp", proto);
        return -1;
    }
    r->dport = strcmp(dport, "any") ? (uint16_t)atoi(dport) : 0;
    *s += used;
    return 0;
}

int rules_parse_line(struct config *c, const char *line, char *err, size_t errlen)
{
    if (c->nrules >= MAX_RULES) {
        snprintf(err, errlen, "more than %d rules", MAX_RULES);
        return -1;
    }
    struct rule *r = &c->rules[c->nrules];
    memset(r, 0, sizeof *r);
    r->gid = 1;
    const char *s = line;
    if (parse_header(r, &s, err, errlen) < 0)
        return -1;
    if (*s++ != '(') {
        snprintf(err, errlen, "expected '(' before the rule options");
        return -1;
    }
    for (;;) {
        s = skip_ws(s);
        if (*s == ')')
            break;
        char name[32];
        int n = 0;
        while ((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_')
            n++;
        if (n == 0 || n >= (int)sizeof name) {
            snprintf(err, errlen, "expected an option name or ')'");
            goto fail;
        }
        memcpy(name, s, (size_t)n);
        name[n] = 0;
        s = skip_ws(s + n);
        if (parse_option(r, name, &s, err, errlen) < 0)
            goto fail;
        s = skip_ws(s);
        if (*s++ != ';') {
            snprintf(err, errlen, "expected ';' after option '%s'", name);
            goto fail;
        }
    }
    if (!r->sid || (!r->content_len && !r->re)) {
        snprintf(err, errlen, "a rule needs sid: and content: or pcre:");
        goto fail;
    }
    c->nrules++;
    return 0;
fail:
    rules_free(r, 1);
    return -1;
}

void rules_free(struct rule *r, int n)
{
    for (int i = 0; i < n; i++) {
        pcre2_match_data_free(r[i].md);
        pcre2_code_free(r[i].re);
        r[i].md = NULL;
        r[i].re = NULL;
    }
}

static int rule_matches(struct rule *r, const uint8_t *data, size_t len)
{
    if (r->content_len && !memmem(data, len, r->content, r->content_len))
        return 0;
    if (r->re && pcre2_match(r->re, data, len, 0, 0, r->md, NULL) < 0)
        return 0;
    return 1;
}

void rules_match(struct packet *p, enum rule_buffer b, const uint8_t *data, size_t len)
{
    for (int i = 0; i < conf->nrules; i++) {
        struct rule *r = &conf->rules[i];
        if (r->buffer != b || r->proto != p->proto || (r->dport && r->dport != p->dport))
            continue;
        if (p->flow && (p->flow->fired & (1ull << i)))
            continue;
        if (!rule_matches(r, data, len))
            continue;
        if (p->flow)
            p->flow->fired |= 1ull << i;
        alert_raise(p, r->gid, r->sid, r->msg);
    }
}
