/* tree.c - a balanced binary search tree of N nodes (keys 0..N-1).
 * VERSION 1: the base; 2: the node gains a field; 3: only the small root changes. */
#include "heap.h"

struct tnode {
    long key;
#if VERSION == 2
    int extra;
#endif
    struct tnode *left, *right;
};

struct root {
    struct tnode *top;
    long count;
#if VERSION == 3
    long generation;
#endif
};

struct root root;

static struct tnode *build(long lo, long hi)
{
    if (lo >= hi)
        return NULL;
    long mid = lo + (hi - lo) / 2;
    struct tnode *t = malloc(sizeof *t);
    t->key = mid;
    t->left = build(lo, mid);
    t->right = build(mid + 1, hi);
    return t;
}

static long count(const struct tnode *t, long lo, long hi, int *ok)
{
    if (!t)
        return 0;
    if (t->key < lo || t->key >= hi)
        *ok = 0;
    return 1 + count(t->left, lo, t->key, ok) + count(t->right, t->key + 1, hi, ok);
}

static int check(void)
{
    int ok = 1;
    return count(root.top, 0, root.count, &ok) == root.count && ok;
}

int main(int argc, char **argv)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        root.count = heap_size_arg(argc, argv);
        root.top = build(0, root.count);
    }
    heap_loop(check);
}
