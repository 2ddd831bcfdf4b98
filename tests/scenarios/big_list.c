/* A 10-million-node heap list whose node changes (int widened to long, a field
 * removed) is updated with the default 8 MiB stack: the engine's walk is iterative.
 * The update commits, every node is rebuilt once, and a sample of values, the order
 * and the tail pointer survive.
 * kitsune-test: expect objects_transformed = 10000000 */
#include "scenario.h"

#define N 10000000L

struct node {
#if VERSION == 1
    int value;
    int removed;
#else
    long value;
#endif
    struct node *next;
};

struct node *head, *tail;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (long i = N - 1; i >= 0; i--) {
            struct node *n = malloc(sizeof *n);
            n->value = (int)(i % 2 ? -i : i);
#if VERSION == 1
            n->removed = 1;
#endif
            n->next = head;
            head = n;
            if (!tail)
                tail = n;
        }
    } else {
        long i = 0;
        struct node *last = NULL;
        for (struct node *n = head; n; n = n->next, i++) {
            if (i % 9973 == 0)
                CHECK_INT(n->value, i % 2 ? -i : i);
            last = n;
        }
        CHECK_INT(i, N);
        CHECK(last == tail);
        CHECK_INT(tail->value, -(N - 1));
        scenario_report();
    }
    scenario_loop("loop");
}
