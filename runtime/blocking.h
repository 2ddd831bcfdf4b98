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

#endif
