/* A doubly linked list (circular, with a sentinel global) whose node changes layout:
 * every prev/next pair still agrees after the rebuild, and the sentinel (a global,
 * also changed) is reached from the heap through both directions. */
#include "scenario.h"

#define N 200

struct dnode {
#if VERSION == 1
    struct dnode *prev;
    int value;
    struct dnode *next;
#else
    struct dnode *next;
    struct dnode *prev;
    long value;
#endif
};

struct dnode sentinel;
struct dnode *middle;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        sentinel.next = sentinel.prev = &sentinel;
        sentinel.value = -1;
        for (int i = 0; i < N; i++) {
            struct dnode *n = malloc(sizeof *n);
            n->value = i;
            n->prev = sentinel.prev;
            n->next = &sentinel;
            sentinel.prev->next = n;
            sentinel.prev = n;
            if (i == N / 2)
                middle = n;
        }
    } else {
        CHECK_INT(sentinel.value, -1);
        int i = 0;
        for (struct dnode *n = sentinel.next; n != &sentinel; n = n->next, i++) {
            CHECK_INT(n->value, i);
            CHECK(n->next->prev == n);
            CHECK(n->prev->next == n);
            if (i > N)
                break;
        }
        CHECK_INT(i, N);
        i = N - 1;
        for (struct dnode *n = sentinel.prev; n != &sentinel && i >= -1; n = n->prev, i--)
            CHECK_INT(n->value, i);
        CHECK_INT(i, -1);
        CHECK_INT(middle->value, N / 2);
        CHECK(middle->prev->next == middle);
        scenario_report();
    }
    scenario_loop("loop");
}
