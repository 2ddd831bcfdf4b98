/* blocking.h - libc's blocking calls taken over for kitsune threads (blocking.c);
 * the runtime's own waits use libc's (libc.h). */
#ifndef KITSUNE_BLOCKING_H
#define KITSUNE_BLOCKING_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

/* Called on a kitsune thread when it starts: learns whether it blocks the wake signal. */
void kt_blocking_thread_start(void);

/* How a kitsune thread parks inside a blocking call: given by the park/restart
 * protocol (threads.c registers it with the main thread), which blocking.c lies under
 * and calls only through these. */
struct kt_park_ops {
    const char *(*last_point)(void); /* NULL: the thread takes no part in updates */
    int (*can_park)(void);           /* an update wants this thread parked now */
    void (*wait_point)(pthread_mutex_t *mutex); /* parks here (mutex released meanwhile) */
    int (*cond_timedwait)(pthread_cond_t *cond, pthread_mutex_t *mutex,
                          const struct timespec *abstime); /* a wait that parks */
    int (*wakeup_fd)(void);          /* readable while an update is pending */
};
void kt_blocking_set_park(const struct kt_park_ops *ops);

#endif
