/* interior.c - a list of N nodes, each holding a pointer into the previous node (to its
 * unchanged `struct stat` member): interior pointers into objects that are rebuilt.
 * VERSION 1: the base; 2: the node gains a field. */
#include "heap.h"

struct stat {
    long hits, misses;
};

struct node {
    long value;
#if VERSION == 2
    int extra;
#endif
    struct stat st;
    struct stat *peer; /* &previous->st (the first node: its own) */
    struct node *next;
};

struct root {
    struct node *head;
    long count;
};

struct root root;

static int check(void)
{
    long n = 0;
    const struct node *prev = root.head;
    for (const struct node *p = root.head; p; prev = p, p = p->next, n++)
        if (p->value != n || p->st.hits != n || p->peer != &prev->st)
            return 0;
    return n == root.count;
}

int main(int argc, char **argv)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        long n = heap_size_arg(argc, argv);
        struct node **tail = &root.head, *prev = NULL;
        for (long i = 0; i < n; i++) {
            struct node *p = malloc(sizeof *p);
            p->value = i;
            p->st = (struct stat){i, -i};
            p->peer = prev ? &prev->st : &p->st;
            p->next = NULL;
            *tail = p;
            tail = &p->next;
            prev = p;
        }
        root.count = n;
    }
    heap_loop(check);
}
