/* infer_flex.c - flexible array members declared void *: a tail read only through
 * byte casts of its address (inferred as bytes, char[]), one whose elements are used
 * as pointers (left as declared), one with E_ARRAY (the annotation is used); and
 * void ** variables: one whose elements are cast to struct rec * (a struct rec **),
 * one whose elements come from an untyped malloc (no evidence: left void **). */
#include <kitsune.h>
#include <stdlib.h>
#include <string.h>

struct rec {
    int nkey;
    void *tail[];             /* the key as bytes */
};

struct vec {
    int n;
    void *slots[];            /* pointers */
};

struct sized {
    int n;
    void *items[E_ARRAY(self.n)];
};

#define REC_key(r) ((char *)&(r)->tail[0])

struct rec *g_rec;
struct vec *g_vec;
struct sized *g_sized;
void **g_free;
void **g_pages;

int main(void)
{
    g_rec = malloc(sizeof *g_rec + 8);
    g_rec->nkey = 3;
    strcpy(REC_key(g_rec), "abc");
    g_vec = malloc(sizeof *g_vec + sizeof(void *));
    g_vec->n = 1;
    g_vec->slots[0] = g_rec;
    g_sized = malloc(sizeof *g_sized);
    g_sized->n = 0;
    g_free = malloc(2 * sizeof(void *));
    g_free[0] = g_rec;
    g_pages = malloc(sizeof(void *));
    g_pages[0] = malloc(4096);
    struct rec *popped = (struct rec *)g_free[0];
    if (popped->nkey != 3)
        return 1;
    return (int)strlen((char *)g_rec->tail) + (REC_key(g_rec)[0] == 'a');
}
