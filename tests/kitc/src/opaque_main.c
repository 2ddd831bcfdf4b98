/* opaque_main.c - the only variable of the opaque test: a pointer to an incomplete
 * struct hash (see opaque.h). */
#include "opaque.h"

struct hash *table;
struct session *current; /* struct session is defined in two other units */
struct entry *main_cursor; /* opaque_hash.c's struct entry, not opaque_lib's */

int iojob_run(iojob *job)
{
    /* A block-scope type: listed only if a variable reached it. */
    struct block_local {
        int a, b;
    } tmp = {job->fd, (int)job->offset};
    job->state = JOB_DONE;
    return tmp.a + tmp.b + hash_put(table, job->fd, 1);
}
