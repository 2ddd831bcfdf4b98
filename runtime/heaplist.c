/* heaplist.c - Kitsune's heap lists: a program notes heap objects it must find again
 * after an update (e.g. every live connection, to re-register library callbacks). */
#include <stdlib.h>

#include "kitsune.h"
#include "log.h"
#include "lifecycle.h"

void kitsune_heaplist_init(kitsune_heaplist *list)
{
    list->head = NULL;
}

/* 0, or -1 when out of memory: during an update that rolls it back; otherwise the
 * object is not noted and the program goes on (kitsune never ends it). */
int kitsune_heaplist_add(kitsune_heaplist *list, void *addr)
{
    kitsune_heaplist_node *n = malloc(sizeof *n);
    if (!n) {
        kt_update_abandon("kitsune_heaplist_add"); /* returns unless rolling back */
        kt_log("out of memory: kitsune_heaplist_add did not note %p", addr);
        return -1;
    }
    n->addr = addr;
    n->next = list->head;
    list->head = n;
    return 0;
}

int kitsune_heaplist_del(kitsune_heaplist *list, void *addr)
{
    for (kitsune_heaplist_node **p = &list->head; *p; p = &(*p)->next)
        if ((*p)->addr == addr) {
            kitsune_heaplist_node *n = *p;
            *p = n->next;
            free(n);
            return 1;
        }
    return 0;
}

kitsune_heaplist_iterator *kitsune_heaplist_begin(kitsune_heaplist *list)
{
    return list->head;
}

kitsune_heaplist_iterator *kitsune_heaplist_end(kitsune_heaplist *list)
{
    (void)list;
    return NULL;
}

kitsune_heaplist_iterator *kitsune_heaplist_last(kitsune_heaplist *list)
{
    kitsune_heaplist_node *n = list->head;
    while (n && n->next)
        n = n->next;
    return n;
}

kitsune_heaplist_iterator *kitsune_heaplist_next(kitsune_heaplist_iterator *it)
{
    return it ? it->next : NULL;
}

int kitsune_heaplist_isempty(kitsune_heaplist *list)
{
    return list->head == NULL;
}

void kitsune_heaplist_free(kitsune_heaplist *list)
{
    while (list->head) {
        kitsune_heaplist_node *n = list->head;
        list->head = n->next;
        free(n);
    }
}
