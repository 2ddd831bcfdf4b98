/* Items carved from a page of one malloc'd block, as a slab allocator does (memcached):
 * the item ends in a flexible `void *end[]` that holds the key as bytes, read through
 * `(char *)&it->end[0]`, and typed pointers without annotations lead to the items (a
 * hash table of buckets, lists heads and a spare item), a `void **` to the free ones
 * (cast to struct item * where popped).  kitc infers the tail as bytes and the free
 * list as struct item **, so while struct item keeps its layout nothing needs
 * following: version 1 -> 2 commits
 * with every item readable where it was.  Version 3 adds a field to struct item (with
 * the INIT rule and the tail's length xfgen asks for): its objects are not heap
 * allocations of their own, so moving them is refused and the update rolls back,
 * naming the type; the program goes on with its items, and an update to version 2
 * again commits.  Run by the forwarding engine (slab_items_general.c: the
 * general engine).
 * kitsune-test: outcomes=committed,rolled_back,committed
 * kitsune-test: reason=struct item is rebuilt by this update (16 to 24 bytes), and its object at ... moving it would leave the rest of that block in the old layout */
#include "scenario.h"

#include <stdint.h>

struct item {
    struct item *next;     /* bucket chain */
    int nbytes;
    uint8_t nkey;
#if VERSION == 3
    uint64_t cas;          /* a new field: items would need moving */
    char end[E_ARRAY(self.nkey)]; /* as xfgen asks: the key's length */
#else
    void *end[];           /* the key, as bytes */
#endif
};

#define ITEM_key(it) ((char *)&(it)->end[0])
#define SLOT 64            /* bytes of one item in the page */
#define NITEMS 16

static char *page;         /* the page the items are carved from */
static int used;
static struct item **buckets; /* NBUCKETS pointers, zeroed */
static struct item *heads[2]; /* one list per parity */
static struct item *spare;
static void **free_slots;  /* free items, as memcached's slab class keeps them */
static int nfree;
enum { NBUCKETS = 8 };

static struct item *item_alloc(void)
{
    return (struct item *)(void *)(page + SLOT * used++);
}

static void fill(void)
{
    page = calloc(NITEMS + 1, SLOT);
    buckets = calloc(NBUCKETS, sizeof(struct item *));
    for (int i = 0; i < NITEMS - 1; i++) {
        struct item *it = item_alloc();
        it->nkey = (uint8_t)snprintf(ITEM_key(it), SLOT - sizeof *it, "key%d", i);
        it->nbytes = i * 10;
        it->next = buckets[i % NBUCKETS];
        buckets[i % NBUCKETS] = it;
        if (!heads[i % 2])
            heads[i % 2] = it;
    }
    spare = item_alloc();
    strcpy(ITEM_key(spare), "spare");
    free_slots = calloc(4, sizeof(void *));
    struct item *f = item_alloc();
    strcpy(ITEM_key(f), "free");
    free_slots[nfree++] = f;
}

static void check(void)
{
    int n = 0;
    for (int b = 0; b < NBUCKETS; b++)
        for (struct item *it = buckets[b]; it; it = it->next) {
            char want[16];
            int i = it->nbytes / 10;
            snprintf(want, sizeof want, "key%d", i);
            CHECK_STR(ITEM_key(it), want);
            CHECK_INT(i % NBUCKETS, b);
            CHECK((char *)it >= page && (char *)it < page + SLOT * NITEMS);
            n++;
        }
    CHECK_INT(n, NITEMS - 1);
    CHECK_STR(ITEM_key(heads[0]), "key0");
    CHECK_STR(ITEM_key(heads[1]), "key1");
    CHECK_STR(ITEM_key(spare), "spare");
    CHECK(spare == (struct item *)(void *)(page + SLOT * (NITEMS - 1)));
    CHECK_INT(nfree, 1);
    CHECK_STR(ITEM_key((struct item *)free_slots[nfree - 1]), "free");
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        fill();
    } else {
        check();
        scenario_report();
    }
    scenario_loop("loop");
}
