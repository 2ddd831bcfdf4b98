/* control.h - the control socket, requests from `kitsune update`, the wakeup fd
 * (control.c). */
#ifndef KITSUNE_CONTROL_H
#define KITSUNE_CONTROL_H

#include <stddef.h>
#include "update.h"

int kt_control_start(void);
/* A request made by the program: pending (asked or being served), and the update
 * point that takes it (control.c); the attention flag recomputed (update.c). */
int kt_self_request_pending(void);
void kt_self_request_at_point(void);
void kt_wakeup_set(int on);
/* In a forked child: a control socket of its own. */
void kt_control_after_fork(void);
/* kitsune_libevent.h declares it with evutil_socket_t (int here); the runtime is built
 * without libevent's headers. */
void kitsune_libevent_wakeup(int fd, short what, void *arg);

#endif
