/* ptrarray.c - an array of N pointers to objects (E_PTRARRAY), each rebuilt.
 * VERSION 1: the base; 2: the object gains a field. */
#include "heap.h"

struct obj {
    long id;
#if VERSION == 2
    int extra;
#endif
    long weight;
};

struct root {
    struct obj **items E_PTRARRAY(self.count);
    long count;
};

struct root root;

static int check(void)
{
    for (long i = 0; i < root.count; i++)
        if (root.items[i]->id != i || root.items[i]->weight != 2 * i)
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        long n = heap_size_arg(argc, argv);
        root.items = malloc((size_t)n * sizeof *root.items);
        for (long i = 0; i < n; i++) {
            root.items[i] = malloc(sizeof *root.items[i]);
            root.items[i]->id = i;
            root.items[i]->weight = 2 * i;
        }
        root.count = n;
    }
    heap_loop(check);
}
