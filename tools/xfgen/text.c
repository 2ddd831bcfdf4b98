/*
 * text.c - strings for xfgen: C string literals, copies, the message list.
 *
 * Output files are assembled in memory (the planner's growing strings, runtime/pstr.c)
 * and written only when everything succeeded, so a failed run never leaves a
 * half-written .c file behind.  Out of memory is plan_out_of_memory(), which xfgen's
 * main.c defines: a message and exit status 1, nothing written.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xfgen.h"

void put_c_string(struct pstr *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            pstr_printf(b, "\\%c", c);
        else if (c == '\n')
            pstr_puts(b, "\\n");
        else if (c < 0x20 || c >= 0x7f)
            pstr_printf(b, "\\%03o", c);
        else
            pstr_put(b, (const char *)&c, 1);
    }
}

char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        plan_out_of_memory();
    return d;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        plan_out_of_memory();
    return p;
}

void msg(struct msgs *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pstr_vprintf(&m->text, fmt, ap);
    va_end(ap);
    pstr_puts(&m->text, "\n");
    m->count++;
}
