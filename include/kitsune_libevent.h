/* kitsune_libevent.h - lets a libevent loop take updates promptly.
 *
 *   struct event_base *base = event_base_new();
 *   kitsune_event_attach(base);           once, guarded by !kitsune_is_updating()
 *   for (;;) {
 *       kitsune_update("loop");
 *       event_base_loop(base, 0);         returns when an update is requested
 *   }
 *
 * The callback lives in libkitsune, not in the program, so the event stays valid when
 * the program's code is replaced (libevent keeps the callback pointer where kitsune
 * cannot see it).  The wakeup fd is cleared as soon as every thread has parked, so the
 * new version's first event_base_loop runs normally: a main with no outer loop
 * (update point, one event_base_loop call, update point) works too. */
#ifndef KITSUNE_LIBEVENT_H
#define KITSUNE_LIBEVENT_H

#include <event2/event.h>

#include "kitsune.h"

/* Breaks the event loop of the base passed as `arg`. */
void kitsune_libevent_wakeup(evutil_socket_t fd, short what, void *arg);

static inline struct event *kitsune_event_attach(struct event_base *base)
{
    struct event *ev = event_new(base, kitsune_wakeup_fd(), EV_READ | EV_PERSIST,
                                 kitsune_libevent_wakeup, base);
    if (ev && event_add(ev, NULL) != 0) {
        event_free(ev);
        ev = NULL;
    }
    return ev;
}

#endif
