/* The shape of Kitsune's tutorial: a key-value store (a hash table of heap entries
 * with string keys and values) whose next version adds to each entry its value's
 * length, initialised from the old entry ($base.value), and a creation time; and a new
 * setting initialised by an INIT rule instead of its static initialiser. */
#include <time.h>

#include "scenario.h"

#define NBUCKETS 8

struct entry {
    char *key;
    char *value;
#if VERSION >= 2
    size_t vlen;      /* new: strlen(value) */
    time_t created;   /* new: when the update ran, for old entries */
#endif
    struct entry *next;
};

struct store {
    struct entry *buckets[NBUCKETS];
    int count;
};

struct store store;
#if VERSION >= 2
int max_entries = 16; /* new: the rule sets 64 for a running store */
#endif

static unsigned hash(const char *s)
{
    unsigned h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h % NBUCKETS;
}

static void put(const char *k, const char *v)
{
    struct entry *e = calloc(1, sizeof *e);
    e->key = strdup(k);
    e->value = strdup(v);
#if VERSION >= 2
    e->vlen = strlen(v);
    e->created = time(NULL);
#endif
    unsigned b = hash(k);
    e->next = store.buckets[b];
    store.buckets[b] = e;
    store.count++;
}

static struct entry *get(const char *k)
{
    for (struct entry *e = store.buckets[hash(k)]; e; e = e->next)
        if (strcmp(e->key, k) == 0)
            return e;
    return NULL;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        put("alpha", "1");
        put("beta", "twenty-two");
        put("gamma", "");
        for (int i = 0; i < 20; i++) {
            char k[16], v[16];
            snprintf(k, sizeof k, "k%d", i);
            snprintf(v, sizeof v, "%*d", i % 7 + 1, i);
            put(k, v);
        }
        CHECK(get("alpha") != NULL);
    } else {
#if VERSION >= 2
        CHECK_INT(store.count, 23);
        CHECK_INT(max_entries, 64);
        struct entry *b = get("beta");
        CHECK(b != NULL);
        if (b) {
            CHECK_STR(b->value, "twenty-two");
            CHECK_INT(b->vlen, 10);
            CHECK(b->created > 0);
        }
        CHECK_INT(get("gamma")->vlen, 0);
        for (int i = 0; i < 20; i++) {
            char k[16];
            snprintf(k, sizeof k, "k%d", i);
            struct entry *e = get(k);
            CHECK(e && e->vlen > 0 && strlen(e->value) == e->vlen);
        }
        put("delta", "4444");
        CHECK_INT(get("delta")->vlen, 4);
#endif
        scenario_report();
    }
    scenario_loop("loop");
}
