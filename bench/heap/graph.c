/* graph.c - N vertices, each with edges to 3 others (shared targets and cycles).
 * VERSION 1: the base; 2: the vertex gains a field; 3: only the small root changes. */
#include "heap.h"

struct vertex {
    long id;
#if VERSION == 2
    int extra;
#endif
    struct vertex *edge[3];
};

struct root {
    struct vertex **all E_PTRARRAY(self.count);
    long count;
#if VERSION == 3
    long generation;
#endif
};

struct root root;

static int check(void)
{
    for (long i = 0; i < root.count; i++) {
        const struct vertex *v = root.all[i];
        if (v->id != i || v->edge[0] != root.all[(i + 1) % root.count] ||
            v->edge[2] != root.all[(i * 7 + 3) % root.count])
            return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        long n = heap_size_arg(argc, argv);
        root.count = n;
        root.all = malloc((size_t)n * sizeof *root.all);
        for (long i = 0; i < n; i++) {
            root.all[i] = malloc(sizeof *root.all[i]);
            root.all[i]->id = i;
        }
        for (long i = 0; i < n; i++) {
            root.all[i]->edge[0] = root.all[(i + 1) % n];
            root.all[i]->edge[1] = root.all[(i + n - 1) % n];
            root.all[i]->edge[2] = root.all[(i * 7 + 3) % n];
        }
    }
    heap_loop(check);
}
