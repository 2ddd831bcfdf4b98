/* Out of memory in NOTE_HEAP while the program runs normally: the object is not noted
 * and NOTE_HEAP says so (-1); the program goes on (kitsune used to abort() it).  The
 * address space is limited with RLIMIT_AS and filled before the call. */
#include <sys/resource.h>

#include "scenario.h"

kitsune_heaplist notes;
int noted_after_oom = 1;

static int note_without_memory(void)
{
    struct rlimit old, lim;
    getrlimit(RLIMIT_AS, &old);
    lim = old;
    lim.rlim_cur = 0; /* set below from what is mapped now */
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (!f || fscanf(f, "%lu", &pages) != 1)
        return 0;
    fclose(f);
    lim.rlim_cur = (rlim_t)pages * 4096 + (64u << 20);
    setrlimit(RLIMIT_AS, &lim);
    void *chain = NULL; /* fill what is left: every block links to the previous one */
    for (size_t size = 1 << 20; size >= 16; size /= 2)
        for (void **b; (b = malloc(size));) {
            *b = chain;
            chain = b;
        }
    static int dummy;
    int rc = kitsune_heaplist_add(&notes, &dummy);
    while (chain) {
        void *next = *(void **)chain;
        free(chain);
        chain = next;
    }
    setrlimit(RLIMIT_AS, &old);
    return rc;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        kitsune_heaplist_init(&notes);
        noted_after_oom = note_without_memory();
        printf("ready\n");
        fflush(stdout);
    } else {
        CHECK_INT(noted_after_oom, -1);
        scenario_report();
    }
    scenario_loop("loop");
}
