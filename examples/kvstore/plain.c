/* plain.c - the kitsune API as a program built without kitsune sees it: nothing is
 * ever pending, so every update point is the inlined load of a flag that stays 0.
 * Linked with release 4's sources into kvstore-plain, the baseline of
 * bench/kvstore_overhead.sh (the same server, built the ordinary way). */
#include <pthread.h>

#include "kitsune.h"

int kitsune_attention;
__thread const char *kitsune_point_passed;

void kitsune_update_point(const char *point)
{
    (void)point;
}

int kitsune_do_automigrate(void)
{
    return 0;
}

int kitsune_is_updating(void)
{
    return 0;
}

int kitsune_is_updating_from(const char *point)
{
    (void)point;
    return 0;
}

unsigned kitsune_version_number(void)
{
    return 0;
}

int kitsune_wakeup_fd(void)
{
    return -1;
}

int kitsune_epoll_add(int epfd)
{
    (void)epfd;
    return 0;
}

int kitsune_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                           kt_pthread_fn *start, void *arg)
{
    return pthread_create(thread, attr, start, arg);
}
