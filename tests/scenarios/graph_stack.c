/* A graph whose traversal leaves many edges open: each vertex points to the next one,
 * the previous one and one far away (7i + 3), and its type gains a field.  Depth
 * first, the forwarding engine walks the whole chain of "next" edges before it pops
 * the others, so its work stack used to hold every far edge pushed while its target
 * was not rebuilt yet - about N / 2 items of 32 bytes, 3.2 MB here, nearly all of
 * them rebuilt long before they were popped.  Now the stack is compacted as it grows
 * (such edges are filled and dropped) and shrunk as it empties.  The new version
 * measures how far its resident memory rose while the engine ran (VmHWM after it,
 * VmRSS before it), less its new vertices: 6.7 MB with one thread and 7.5 MB with two
 * before, 3.7 and 4.7 MB now (the rest is the engine's bitmaps and the runtime's
 * other tables, not the stack); at most 5.5 MB is allowed. */
#include "scenario.h"

#include <malloc.h>

#define N 200000

struct vertex {
    long id;
#if VERSION == 2
    int extra;
#endif
    struct vertex *next, *prev, *far;
};

struct vertex **all E_PTRARRAY(200000); /* N */

static long far_of(long i)
{
    return (i * 7 + 3) % N;
}

/* A line of /proc/self/status, in kB (-1: none). */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ':')
            v = atol(line + n + 1);
    if (f)
        fclose(f);
    return v;
}

int main(void)
{
    long rss_before = status_kb("VmRSS");
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        all = malloc(N * sizeof *all);
        for (long i = 0; i < N; i++) {
            all[i] = malloc(sizeof *all[i]);
            all[i]->id = i;
        }
        for (long i = 0; i < N; i++) {
            all[i]->next = all[(i + 1) % N];
            all[i]->prev = all[(i + N - 1) % N];
            all[i]->far = all[far_of(i)];
        }
    } else {
        long rise = status_kb("VmHWM") - rss_before;
        long made = N * (long)(malloc_usable_size(all[0]) + sizeof(size_t)) / 1024;
        printf("resident memory rose by %ld kB while the engine ran, %ld kB of it new "
               "vertices\n", rise, made);
#ifndef __SANITIZE_ADDRESS__ /* ASan's redzones and quarantine are not the engine's */
        CHECK(rss_before > 0 && rise - made <= 5632);
#endif
        long bad = 0;
        for (long i = 0; i < N; i++) {
            const struct vertex *v = all[i];
            bad += v->id != i || v->next != all[(i + 1) % N] ||
                   v->prev != all[(i + N - 1) % N] || v->far != all[far_of(i)];
#if VERSION == 2
            bad += v->extra != 7;
#endif
        }
        CHECK_INT(bad, 0);
        scenario_report();
    }
    scenario_loop("loop");
}
