/* opaque.c - the opaque check's cost (docs/reliability.md §2.1): N blocks of 1,000
 * bytes (N = 100,000: 100 MB) reached only through an E_OPAQUE pointer to an array of
 * pointers to them, as a cache's slab items are; each block holds a pointer to the next
 * one (so the check follows every chunk) and no pointer into the program.  Updated to
 * itself: nothing is transformed, so the pause is the check (KITSUNE_OPAQUE_CHECK=0/1,
 * KITSUNE_AUDIT=1 for the full audit) and the fixed cost of an update. */
#include <string.h>

#include "heap.h"

struct block {
    struct block *next;
    char bytes[1000 - sizeof(struct block *)];
};

struct store {
    long n;
    struct block ** E_OPAQUE blocks;
};

struct store store;

static int check(void)
{
    return store.n > 0 && store.blocks[store.n - 1]->bytes[0] == 'x';
}

int main(int argc, char **argv)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        long n = heap_size_arg(argc, argv);
        store.blocks = malloc((size_t)n * sizeof *store.blocks);
        for (long i = 0; i < n; i++) {
            store.blocks[i] = malloc(sizeof(struct block));
            memset(store.blocks[i]->bytes, 'x', sizeof store.blocks[i]->bytes);
            store.blocks[i]->next = i ? store.blocks[i - 1] : NULL;
        }
        store.n = n;
    }
    heap_loop(check);
}
