/* list.c - the list type: a doubly linked list of byte strings, and its commands
 * (LPUSH, RPUSH, LPOP, RPOP, LRANGE, LLEN).  An empty list is never stored: popping
 * the last element deletes the key. */
#include <stdlib.h>
#include <string.h>

#include "kvstore.h"

struct list *list_new(void)
{
    return calloc(1, sizeof(struct list));
}

void list_free(struct list *l)
{
    struct list_node *n = l->head;
    while (n) {
        struct list_node *next = n->next;
        free(n->s.ptr);
        free(n);
        n = next;
    }
    free(l);
}

static int list_push(struct list *l, const struct arg *a, int head)
{
    struct list_node *n = calloc(1, sizeof *n);
    char *p = malloc(a->len + 1);
    if (!n || !p) {
        free(n);
        free(p);
        return -1;
    }
    memcpy(p, a->ptr, a->len);
    p[a->len] = '\0';
    n->s.ptr = p;
    n->s.len = a->len;
    if (head) {
        n->next = l->head;
        if (l->head)
            l->head->prev = n;
        l->head = n;
        if (!l->tail)
            l->tail = n;
    } else {
        n->prev = l->tail;
        if (l->tail)
            l->tail->next = n;
        l->tail = n;
        if (!l->head)
            l->head = n;
    }
    l->len++;
    return 0;
}

/* Unlinks the first (or last) node; the caller frees it. */
static struct list_node *list_pop(struct list *l, int head)
{
    struct list_node *n = head ? l->head : l->tail;
    if (!n)
        return NULL;
    if (n->prev)
        n->prev->next = n->next;
    else
        l->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        l->tail = n->prev;
    l->len--;
    return n;
}

/* The list at key (NULL, and a reply sent, when the key holds something else). */
static struct entry *find_list(struct conn *c, const struct arg *key, int *wrongtype)
{
    struct entry *e = db_find(key->ptr, key->len);
    *wrongtype = e && e->type != TYPE_LIST;
    if (*wrongtype) {
        reply_wrongtype(c);
        return NULL;
    }
    return e;
}

static void push(struct conn *c, int argc, struct arg *argv, int head)
{
    int wrong;
    db_lock_acquire();
    struct entry *e = find_list(c, &argv[1], &wrong);
    if (!wrong && !e)
        e = db_add_list(argv[1].ptr, argv[1].len);
    if (!wrong) {
        for (int i = 2; e && i < argc; i++)
            list_push(e->v.list, &argv[i], head);
        if (e)
            reply_int(c, (long long)e->v.list->len);
        else
            reply_error(c, "ERR out of memory");
    }
    db_lock_release();
}

void lpush_command(struct conn *c, int argc, struct arg *argv)
{
    push(c, argc, argv, 1);
}

void rpush_command(struct conn *c, int argc, struct arg *argv)
{
    push(c, argc, argv, 0);
}

static void pop(struct conn *c, struct arg *argv, int head)
{
    int wrong;
    db_lock_acquire();
    struct entry *e = find_list(c, &argv[1], &wrong);
    if (!wrong) {
        struct list_node *n = e ? list_pop(e->v.list, head) : NULL;
        if (n) {
            reply_bulk(c, n->s.ptr, n->s.len);
            free(n->s.ptr);
            free(n);
        } else {
            reply_null(c);
        }
        if (e && e->v.list->len == 0)
            db_delete(argv[1].ptr, argv[1].len);
    }
    db_lock_release();
}

void lpop_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc;
    pop(c, argv, 1);
}

void rpop_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc;
    pop(c, argv, 0);
}

void lrange_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc;
    long long start, stop;
    if (parse_ll(argv[2].ptr, argv[2].len, &start) < 0 ||
        parse_ll(argv[3].ptr, argv[3].len, &stop) < 0) {
        reply_error(c, "ERR value is not an integer or out of range");
        return;
    }
    int wrong;
    db_lock_acquire();
    struct entry *e = find_list(c, &argv[1], &wrong);
    if (!wrong) {
        long long len = e ? (long long)e->v.list->len : 0;
        if (start < 0)
            start = len + start < 0 ? 0 : len + start;
        if (stop < 0)
            stop = len + stop;
        if (stop >= len)
            stop = len - 1;
        long long n = start > stop ? 0 : stop - start + 1;
        reply_array(c, n);
        struct list_node *node = e ? e->v.list->head : NULL;
        for (long long i = 0; node && i < start; i++)
            node = node->next;
        for (long long i = 0; node && i < n; i++, node = node->next)
            reply_bulk(c, node->s.ptr, node->s.len);
    }
    db_lock_release();
}

void llen_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc;
    int wrong;
    db_lock_acquire();
    struct entry *e = find_list(c, &argv[1], &wrong);
    if (!wrong)
        reply_int(c, e ? (long long)e->v.list->len : 0);
    db_lock_release();
}
