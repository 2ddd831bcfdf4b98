/* Several things xfgen cannot decide at once, for --stubs. */
#include "kitsune.h"

struct job {
    int id;
#if VERSION == 2
    int priority;
#endif
    void *arg;
};

#if VERSION == 1
short level;
#else
char level;
#endif

struct job jobs[2];
