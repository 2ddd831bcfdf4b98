/* pstr.h - growing strings for the planner and the summary reader (kitsune_types).
 *
 * Names, dotted paths, generic environments and messages are built here instead of in
 * fixed buffers: a buffer of fixed size truncates a long name silently, and a
 * truncated name is another name (a rule that matches nothing, an environment that
 * binds the wrong type).  Out of memory is plan_out_of_memory() (plan.h), which each
 * program linking the planner defines; so no function here returns an error. */
#ifndef KITSUNE_PSTR_H
#define KITSUNE_PSTR_H

#include <stdarg.h>
#include <stddef.h>

/* Hidden: libkitsune lives inside the updated program, whose symbols these must not
 * meet. */
#pragma GCC visibility push(hidden)

struct pstr {
    char *s;    /* NUL-terminated once anything was added; NULL before */
    size_t len, cap;
};

void pstr_put(struct pstr *b, const char *s, size_t n);
void pstr_puts(struct pstr *b, const char *s);
void pstr_printf(struct pstr *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pstr_vprintf(struct pstr *b, const char *fmt, va_list ap);
/* The text so far: "" when nothing was added. */
const char *pstr_str(const struct pstr *b);
/* The text as an allocation of the caller's (never NULL); b is empty again. */
char *pstr_take(struct pstr *b);
void pstr_free(struct pstr *b);

/* A formatted string in a new allocation, and copies of a string or n bytes of one. */
char *pstr_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *pstr_dup(const char *s);
char *pstr_ndup(const char *s, size_t n);

#pragma GCC visibility pop

#endif
