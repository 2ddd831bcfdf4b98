/* scenario.h - helpers for update scenarios: a program states what it expects after an
 * update with CHECK(...) and reports PASS or FAIL lines that the harness reads. */
#ifndef KITSUNE_SCENARIO_H
#define KITSUNE_SCENARIO_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kitsune.h"

/* Carried across updates like any other static: failures accumulate. */
static int scenario_failures;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                       \
            fflush(stdout);                                                              \
            scenario_failures++;                                                         \
        }                                                                                \
    } while (0)

#define CHECK_INT(a, b)                                                                  \
    do {                                                                                 \
        long long a_ = (long long)(a), b_ = (long long)(b);                              \
        if (a_ != b_) {                                                                  \
            printf("FAIL %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, a_, \
                   b_);                                                                  \
            fflush(stdout);                                                              \
            scenario_failures++;                                                         \
        }                                                                                \
    } while (0)

#define CHECK_STR(a, b)                                                                  \
    do {                                                                                 \
        const char *a_ = (a), *b_ = (b);                                                 \
        if (!a_ || strcmp(a_, b_) != 0) {                                                \
            printf("FAIL %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
                   a_ ? a_ : "(null)", b_);                                              \
            fflush(stdout);                                                              \
            scenario_failures++;                                                         \
        }                                                                                \
    } while (0)

/* Prints PASS (or FAILED) once per version that checked something. */
static inline void scenario_report(void)
{
    if (scenario_failures)
        printf("FAILED %d\n", scenario_failures);
    else
        printf("PASS\n");
    fflush(stdout);
}

/* The long-running loop: announces readiness in the first version. */
static inline void scenario_loop(const char *point)
{
    if (!kitsune_is_updating()) {
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update(point);
        usleep(1000);
    }
}

#endif
