/* heap.h - shared by the heap-shape benchmarks: argument parsing and the main loop.
 * Each program builds one shape with N objects, prints "ready", and waits at its
 * update point; bench/heap.sh updates it and reads the pause from `kitsune update`. */
#ifndef BENCH_HEAP_H
#define BENCH_HEAP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kitsune.h"

static inline long heap_size_arg(int argc, char **argv)
{
    return argc > 1 ? atol(argv[1]) : 1000000;
}

/* Announces readiness (first version), or - once the update has committed, so that
 * the check is not part of the pause - the check of the new version; then idles. */
static inline void heap_loop(int (*check)(void))
{
    int updated = kitsune_is_updating();
    if (!updated) {
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("loop");
        if (updated) {
            updated = 0;
            printf(check() ? "PASS\n" : "FAILED\n");
            fflush(stdout);
        }
        usleep(1000);
    }
}

#endif
