/* history.h - the outcomes `kitsune status` lists (history.c). */
#ifndef KITSUNE_HISTORY_H
#define KITSUNE_HISTORY_H

#include <stddef.h>
#include "update.h"

/* The outcomes `kitsune status` lists */
void kt_history_reset(void);
void kt_history_add(const char *path, const struct kt_report *r);
size_t kt_history_json(char *out, size_t len);

#endif
