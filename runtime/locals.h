/* locals.h - the noted locals of the main thread's frames (locals.c). */
#ifndef KITSUNE_LOCALS_H
#define KITSUNE_LOCALS_H

#include <stddef.h>

struct kt_version;

/* Notes the locals of E_NOTELOCALS functions of version v found in the
 * calling (main) thread's frames; -1 with err when one the plan needs is optimised
 * out there (nothing is noted then). */
int kt_locals_capture(const struct kt_version *v, const char *point, char *err,
                      size_t errlen);

#endif
