/* notify.h - sd_notify when NOTIFY_SOCKET is set (notify.c). */
#ifndef KITSUNE_NOTIFY_H
#define KITSUNE_NOTIFY_H

#include "update.h"

/* Sd_notify when NOTIFY_SOCKET is set */
void kt_notify_ready(void);
void kt_notify_update_start(const char *path);
void kt_notify_update_end(const struct kt_report *r);

#endif
