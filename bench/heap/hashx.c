/* hashx.c - a chained hash table with N entries whose values are `void *` to objects
 * that a $xform rule transforms (the objects gain a field).
 * VERSION 1: the base; 2: the value object gains a field. */
#include <string.h>

#include "heap.h"

struct val {
    long n;
#if VERSION == 2
    long twice;
#endif
};

struct entry {
    char *key;
    void *value; /* a struct val */
    struct entry *next;
};

struct table {
    struct entry **buckets E_PTRARRAY(self.size);
    long size;
    long used;
};

struct table table;
struct val *last_val; /* puts struct val among the types the variables reach */

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
        for (struct entry *e = table.buckets[b]; e; e = e->next, n++) {
            const struct val *v = e->value;
            if ((long)(hash(e->key) % (unsigned long)table.size) != b || v->n < 0)
                return 0;
#if VERSION == 2
            if (v->twice != 2 * v->n)
                return 0;
#endif
        }
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
            struct val *v = malloc(sizeof *v);
            v->n = i;
            e->key = strdup(key);
            e->value = v;
            long b = (long)(hash(key) % (unsigned long)table.size);
            e->next = table.buckets[b];
            table.buckets[b] = e;
        }
        table.used = n;
    }
    heap_loop(check);
}
