/* update_point.c - cost of kitsune_update() when nothing is pending.
 *
 * Built as a plain executable against libkitsune: the update point is the inlined
 * load-and-branch of kitsune.h.  Prints update_point_ns (median of the runs) and the
 * empty-loop figure it includes. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kitsune.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double run(long n, int with_point)
{
    double t = now_ns();
    for (long i = 0; i < n; i++) {
        if (with_point)
            kitsune_update("bench");
        __asm__ volatile("" ::: "memory"); /* keep the loop (and the load) per iteration */
    }
    return (now_ns() - t) / (double)n;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000000L;
    int runs = argc > 2 ? atoi(argv[2]) : 7;
    double with[64], without[64];
    if (runs > 64)
        runs = 64;
    for (int r = 0; r < runs; r++) {
        with[r] = run(n, 1);
        without[r] = run(n, 0);
    }
    qsort(with, (size_t)runs, sizeof *with, cmp);
    qsort(without, (size_t)runs, sizeof *without, cmp);
    printf("update_point_ns=%.3f\n", with[runs / 2]);
    printf("update_point_min_ns=%.3f\n", with[0]);
    printf("update_point_max_ns=%.3f\n", with[runs - 1]);
    printf("empty_loop_ns=%.3f\n", without[runs / 2]);
    return 0;
}
