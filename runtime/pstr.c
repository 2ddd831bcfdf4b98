/* pstr.c - growing strings (pstr.h): what the planner builds names, paths, generic
 * environments and messages with, so that none of them is ever cut short. */
#include "pstr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

static void reserve(struct pstr *b, size_t extra)
{
    if (b->s && b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s)
        plan_out_of_memory();
    b->s = s;
    b->cap = cap;
}

void pstr_put(struct pstr *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void pstr_puts(struct pstr *b, const char *s)
{
    pstr_put(b, s, strlen(s));
}

void pstr_vprintf(struct pstr *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0; /* no conversion here can fail: formats are the planner's own */
    reserve(b, (size_t)n);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void pstr_printf(struct pstr *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pstr_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *pstr_str(const struct pstr *b)
{
    return b->s ? b->s : "";
}

char *pstr_take(struct pstr *b)
{
    reserve(b, 0);
    b->s[b->len] = '\0'; /* nothing added yet: "" */
    char *s = b->s;
    memset(b, 0, sizeof *b);
    return s;
}

void pstr_free(struct pstr *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

char *pstr_fmt(const char *fmt, ...)
{
    struct pstr b = {0};
    va_list ap;
    va_start(ap, fmt);
    pstr_vprintf(&b, fmt, ap);
    va_end(ap);
    return pstr_take(&b);
}

char *pstr_ndup(const char *s, size_t n)
{
    struct pstr b = {0};
    pstr_put(&b, s, n);
    return pstr_take(&b);
}

char *pstr_dup(const char *s)
{
    return pstr_ndup(s, strlen(s));
}
