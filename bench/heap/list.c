/* list.c - a singly linked list of N nodes.
 * VERSION 1: the base; 2: the node gains a field; 3: only the small root changes. */
#include "heap.h"

struct node {
    long value;
#if VERSION == 2
    int extra;
#endif
    struct node *next;
};

struct root {
    struct node *head;
    long count;
#if VERSION == 3
    long generation;
#endif
};

struct root root;

static int check(void)
{
    long n = 0, expect = 0;
    for (struct node *p = root.head; p; p = p->next, n++)
        if (p->value != expect++)
            return 0;
    return n == root.count;
}

int main(int argc, char **argv)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        long n = heap_size_arg(argc, argv);
        struct node **tail = &root.head;
        for (long i = 0; i < n; i++) {
            struct node *p = malloc(sizeof *p);
            p->value = i;
            p->next = NULL;
            *tail = p;
            tail = &p->next;
        }
        root.count = n;
    }
    heap_loop(check);
}
