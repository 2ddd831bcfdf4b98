/* Locals of an E_NOTELOCALS function in the summaries: a struct local whose type grew,
 * a global that became a local and a local that became a global. */
#include "kitsune.h"

#if VERSION == 1
struct session {
    int id;
};
int hits;
#else
struct session {
    int id;
    long bytes;
};
int limit;
#endif

int serve(void) E_NOTELOCALS
{
    struct session sess = {1};
    long total = 0;
#if VERSION == 1
    int limit = 3;
#else
    int hits = 3;
#endif
    for (;;) {
        kitsune_update("loop");
        if (MIGRATE_LOCAL(sess) + MIGRATE_LOCAL(total) > 5)
            return sess.id;
#if VERSION == 1
        total += limit;
#else
        total += hits;
#endif
    }
}
