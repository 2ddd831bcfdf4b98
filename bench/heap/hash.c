/* hash.c - a chained hash table with N entries (string keys, integer values).
 * VERSION 1: the base; 2: the entry gains a field; 3: only the small root changes. */
#include <string.h>

#include "heap.h"

struct entry {
    char *key;
    long value;
#if VERSION == 2
    int extra;
#endif
    struct entry *next;
};

struct table {
    struct entry **buckets E_PTRARRAY(self.size);
    long size;
    long used;
#if VERSION == 3
    long generation;
#endif
};

struct table table;

static unsigned long hash(const char *s)
{
    unsigned long h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

static int check(void)
{
    long n = 0;
    for (long b = 0; b < table.size; b++)
        for (struct entry *e = table.buckets[b]; e; e = e->next, n++)
            if ((long)(hash(e->key) % (unsigned long)table.size) != b)
                return 0;
    return n == table.used;
}

int main(int argc, char **argv)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        long n = heap_size_arg(argc, argv);
        table.size = n / 2 + 1;
        table.buckets = calloc((size_t)table.size, sizeof *table.buckets);
        for (long i = 0; i < n; i++) {
            char key[32];
            snprintf(key, sizeof key, "key:%ld", i);
            struct entry *e = malloc(sizeof *e);
            e->key = strdup(key);
            e->value = i;
            long b = (long)(hash(key) % (unsigned long)table.size);
            e->next = table.buckets[b];
            table.buckets[b] = e;
        }
        table.used = n;
    }
    heap_loop(check);
}
